/* A node is hostile: what its init sends the lab daemon on its sync socket,
 * and what its daemons print down the lab's pipes, is tried here as an
 * attacker would (issue 9's exploit first): log lines for daemons it was
 * not given, paths in names, bad pids, control bytes, embedded NULs,
 * lines without end. The daemon's side (nodechan.c, logstore.c) must
 * ignore or clean each, and no file may appear outside the lab's logs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab.h"
#include "labd.h"
#include "tap.h"
#include "util.h"

static struct lab *lab;
static int node, peer, out; /* the init's end of the sync socket; the daemon's of its pipe */

static void say(const char *msg, size_t len)
{
	if (send(peer, msg, len, 0) < 0)
		diag("send: %s", strerror(errno));
	lab_pump(lab, 50);
}
#define SAY(lit) say(lit, sizeof(lit) - 1)

static void print(const char *text, size_t len)
{
	if (write(out, text, len) != (ssize_t)len)
		diag("write: %s", strerror(errno));
	/* a busy pipe rests LOG_REST_MS before the lab reads it again */
	for (int k = 0; k < 4; k++)
		lab_pump(lab, 20);
}
#define PRINT(lit) print(lit, sizeof(lit) - 1)

static char *log_text(const char *daemon)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/logs/%s/%s.log", lab->dir, lab->topo->nodes[node].name, daemon);
	char *t = read_file(path, NULL);
	return t ? t : xstrdup("");
}

static int setup(void)
{
	char *errors = NULL;
	struct topo *t = NULL;
	if (topo_load("scenarios/scale-up.lab", &t, &errors) < 0)
		return -1;
	struct labd_options opt = { .lab = "t-nodechan", .topo = t };
	if (!(lab = lab_new(&opt)))
		return -1;
	char tmpl[] = "/tmp/stacklab-nodechan.XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	free(lab->dir); /* the test's lab lives in a directory of its own */
	lab->dir = xstrdup(tmpl);
	lab->serving = true;
	node = (int)(topo_node_find(lab->topo, "ns1") - lab->topo->nodes);
	struct lab_node *ln = &lab->nodes[node];
	ln->spec.node = &lab->topo->nodes[node];
	ln->state = NODE_UP;
	snprintf(ln->spec.etc, sizeof(ln->spec.etc), "%s/etc", lab->dir);
	char *dir = xasprintf("%s/stacklab", ln->spec.etc), *logs = xasprintf("%s/logs/ns1", lab->dir);
	int r = mkdir_p(dir, 0755) | mkdir_p(logs, 0755);
	char *services = xasprintf("%s/services", dir);
	r |= write_file(services, "[dnsmasq]\ncommand = /bin/true\nready = running\n", 0644);
	struct sl_error err = { 0 };
	r |= logstore_register(lab, node, logs, &err);
	r |= logstore_open_pipes(lab, node, &err);
	out = dup(ln->services[0].output_w); /* what the node's init would hold */
	int sv[2];
	r |= socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	ln->sync = sv[0];
	peer = sv[1];
	r |= nodechan_watch(lab, node);
	free(dir);
	free(logs);
	free(services);
	return r ? -1 : 0;
}

int main(void)
{
	if (!ok(setup() == 0, "a lab of one dns node (ns1), its sync socket watched"))
		return done_testing();

	/* Issue 9's exploit came as an init's "log NAME LINE", with a path for
	 * a name. There is no such message now: a daemon's lines come only
	 * down its own pipe, so an init can neither write a file nor speak
	 * for a daemon, whatever name it gives. */
	char escape[128];
	snprintf(escape, sizeof(escape), "/tmp/stacklab-escape-%d", (int)getpid());
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "log ../../../../../../..%s hi\n", escape);
	say(msg, (size_t)n);
	SAY("log ../ns1/dnsmasq owned\n");
	SAY("log sshd hello\n");
	SAY("log dnsmasq from the init\n");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/logs/ns1/sshd.log", lab->dir);
	char *text = log_text("dnsmasq");
	ok(access(escape, F_OK) < 0 && access(path, F_OK) < 0 && !strstr(text, "owned") && !strstr(text, "from the init"),
	   "an init's 'log' messages (a path for a name, an unknown daemon, a real one) write nothing anywhere");
	free(text);

	/* Before the pipe is in the lab's loop: only the drain that comes
	 * before news of a death can read it. */
	PRINT("last words\n");
	SAY("start dnsmasq 4240");
	text = log_text("dnsmasq");
	ok(strstr(text, "last words") == NULL, "a daemon's lines are not taken ahead of the news that it started");
	free(text);
	SAY("exit dnsmasq exited with status 1");
	text = log_text("dnsmasq");
	ok(strstr(text, "last words\n") != NULL, "a dying daemon's last lines are logged before the news of its exit");
	free(text);
	struct sl_error err = { 0 };
	ok(logstore_watch(lab, node, &err) == 0 && lab->nodes[node].services[0].output_w < 0,
	   "once the node holds the pipe, the lab watches its end and closes the other");

	PRINT("plain line\n");
	text = log_text("dnsmasq");
	ok(strstr(text, "plain line\n") != NULL, "a daemon the lab gave it is logged");
	free(text);
	PRINT("\x1b]0;owned\x07\x1b[2J and \xff\xfe bytes\n");
	text = log_text("dnsmasq");
	ok(strstr(text, "\x1b") == NULL && strstr(text, "?]0;owned?") && strstr(text, "?? bytes"),
	   "escape sequences and bytes that are not UTF-8 are cleaned before the log");
	free(text);
	print("before\0after\n", 13);
	text = log_text("dnsmasq");
	ok(strstr(text, "before?after\n") != NULL, "an embedded NUL becomes '?', and the line goes on");
	free(text);
	PRINT("half a ");
	text = log_text("dnsmasq");
	ok(strstr(text, "half a") == NULL, "a line without its end waits for it");
	free(text);
	PRINT("line\n");
	text = log_text("dnsmasq");
	ok(strstr(text, "half a line\n") != NULL, "then it goes on whole");
	free(text);
	char *longline = xcalloc(1, 10001);
	memset(longline, 'x', 10000);
	print(longline, 10000);
	text = log_text("dnsmasq");
	ok(strstr(text, longline) != NULL, "an overlong line without an end goes on in one piece");
	free(text);
	free(longline);

	SAY("start ../../etc/passwd 42");
	SAY("start dnsmasq 99999999999");
	SAY("start dnsmasq -5");
	SAY("start dnsmasq 12abc");
	ok(lab->nodes[node].services[0].pid == 0, "bad pids and unknown names in start are ignored");
	SAY("start dnsmasq 4242");
	ok(lab->nodes[node].services[0].pid == 4242, "a good start is taken");
	SAY("exit ../../../etc/shadow killed by signal 9");
	ok(lab->nodes[node].services[0].pid == 4242, "an exit naming no daemon of the node changes nothing");

	/* A fail message while serving names the node's trouble, never opens
	 * a file from what the node says. */
	lab->serving = false;
	SAY("fail ../../../../etc/shadow is broken");
	ok(lab->failed, "a fail message marks the lab failed");
	ok(lab->nodes[node].n_services == 1, "the node still has only the daemon the lab gave it (names never add one)");

	PRINT("no end");
	close(out);
	lab_pump(lab, 50);
	text = log_text("dnsmasq");
	ok(strstr(text, "no end\n") != NULL && lab->nodes[node].services[0].output < 0,
	   "when the node's end closes, its last line is logged and the pipe is let go");
	free(text);

	close(peer);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", lab->dir);
	if (system(cmd) != 0)
		diag("could not remove %s", lab->dir);
	return done_testing();
}
