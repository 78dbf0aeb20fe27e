/* nft.c — a node's firewall loaded (and deleted) by the host's nft, run in
 * the node's network namespace only; the ruleset is model's firewall.c. */
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "firewall.h"
#include "lab.h"
#include "node.h"
#include "util.h"

/* Run the host's nft in node i's network namespace (and nowhere else of
 * it: not its files, not its processes), `script` on its standard input as
 * one transaction. Its output lands in out. 0, or -errno: -ETIMEDOUT after
 * max_ms, -EIO if nft refused (out says why).
 *
 * nft reads back the node's nftables state, which the node's root may have
 * made as it likes: it runs as root of the node's user namespace, not of
 * the host, so whatever a crafted ruleset did to it stays in the node. */
static int nft_in(const struct lab *lab, int i, const char *script, char *out, size_t size, int max_ms)
{
	char ns[64], user[64];
	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)lab->nodes[i].pid);
	snprintf(user, sizeof(user), "/proc/%d/ns/user", (int)lab->nodes[i].pid);
	_cleanup_close_ int nsfd = open(ns, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int userfd = open(user, O_RDONLY | O_CLOEXEC);
	int in[2], res[2];
	if (nsfd < 0 || userfd < 0)
		return -errno;
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(res, O_CLOEXEC) < 0) {
		int e = errno;
		close(in[0]), close(in[1]);
		return -e;
	}
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The node's user namespace first (it owns the network one),
		 * then its root there: root of a namespace keeps its
		 * capabilities across exec, an unmapped id would not. */
		(void)setgroups(0, NULL);
		if (setns(userfd, CLONE_NEWUSER) < 0 || setns(nsfd, CLONE_NEWNET) < 0 || setresgid(0, 0, 0) < 0 ||
		    setresuid(0, 0, 0) < 0 || dup2(in[0], 0) < 0 || dup2(res[1], 1) < 0 || dup2(res[1], 2) < 0)
			_exit(126);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* the change of ids cleared it */
		close_range(3, ~0U, 0);
		char *const argv[] = { "nft", "-f", "-", NULL }, *const envp[] = { "PATH=/usr/sbin:/usr/bin", NULL };
		execve("/usr/sbin/nft", argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	int r = pid < 0 ? -errno : write_all(in[1], script, strlen(script)) < 0 ? -errno : 0;
	close(in[1]);
	size_t got = 0;
	uint64_t until = now_ms() + (uint64_t)max_ms;
	while (r == 0 && pid > 0) {
		struct pollfd p = { res[0], POLLIN, 0 };
		int left = (int)(until - now_ms());
		if (now_ms() >= until || poll(&p, 1, left) <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		ssize_t n = read(res[0], out + got, size - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == size - 1)
			break;
	}
	out[got] = '\0';
	close(res[0]);
	if (pid > 0) {
		int status = 0;
		if (r < 0)
			kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			r = -EIO;
	}
	return r;
}

int lab_firewall(struct lab *lab, int i, bool on, struct sl_error *err)
{
	const struct topo_node *n = &lab->topo->nodes[i];
	if (n->n_rules == 0)
		return 0;
	/* One transaction: the table is made if missing, deleted, and (on)
	 * made again whole, so a failed load leaves the old rules. */
	_cleanup_free_ char *rules = on ? firewall_ruleset(lab->topo, n) : NULL;
	_cleanup_free_ char *script = xasprintf("table inet stacklab\ndelete table inet stacklab\n%s", rules ? rules : "");
	char out[512];
	int r = nft_in(lab, i, script, out, sizeof(out), 3000);
	if (r == 0) {
		lab->nodes[i].firewall = on ? FIREWALL_ON : FIREWALL_OFF;
		return 0;
	}
	text_clean(out);
	return sl_err(err, r == -EIO ? EIO : -r, "node %s: nft %s: %s", n->name, on ? "load" : "delete",
		      r == -ETIMEDOUT ? "no answer in 3 s" : r == -EIO ? (out[0] ? out : "refused") : strerror(-r));
}
