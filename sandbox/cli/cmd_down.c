/* cmd_down.c — `stacklab down`: ask the daemon to take the lab apart and
 * wait until it is gone; clean up after a lab whose daemon was killed. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "options.h"
#include "cgroup.h"
#include "ctl.h"
#include "paths.h"
#include "util.h"

/* Is the lab's lock held, that is, does a daemon (starting or serving)
 * live for it? */
static bool lock_held(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	return false;
}

/* No daemon answers for `lab`: remove what a killed one left behind, but
 * only once its lock says no daemon lives (an `up` still starting holds
 * it and has no socket yet: wait for it to answer, or to fail). */
static int clean_stale(const char *lab, json_t **reply, struct ucred *peer, int *pidfd)
{
	_cleanup_free_ char *dir = ctl_lab_dir(lab);
	_cleanup_free_ char *lock = xasprintf("%s/%s.lock", run_dir(), lab);
	/* A lab still starting (waiting for its turn, or its daemons) has no
	 * socket yet: its daemon is told to stop, and rolls the lab back. */
	_cleanup_free_ char *pid_path = xasprintf("%s/pid", dir);
	_cleanup_free_ char *pid_text = read_file(pid_path, NULL);
	int pid = pid_text ? atoi(pid_text) : 0;
	if (lock_held(lock) && pid > 1 && kill(pid, SIGTERM) == 0) {
		fprintf(stderr, "stacklab down: lab %s is starting; stopping it\n", lab);
		for (int i = 0; i < 600 && lock_held(lock); i++)
			nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
		if (!lock_held(lock)) {
			printf("lab %s was stopped while it started; nothing of it is left\n", lab);
			return EXIT_OK;
		}
	}
	if (lock_held(lock)) {
		fprintf(stderr, "stacklab down: lab %s is starting; taking it down once it answers\n", lab);
		json_t *req = json_pack("{s:s}", "cmd", "down");
		int r = -ENOENT;
		for (int i = 0; i < 600 && lock_held(lock) && (r == -ENOENT || r == -ECONNREFUSED); i++) {
			nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
			r = ctl_call_pidfd(lab, req, reply, peer, pidfd);
		}
		json_decref(req);
		if (r == 0)
			return 1; /* it answered: down as usual */
		if (lock_held(lock)) {
			fprintf(stderr, "stacklab down: lab %s: its daemon holds the lab but does not answer (%s)\n", lab,
				strerror(-r));
			return EXIT_FAIL;
		}
		/* It failed to start, and rolled itself back. */
	}
	struct stat st;
	if (stat(dir, &st) < 0 && stat(lock, &st) < 0) {
		fprintf(stderr, "stacklab down: lab %s is not up\n", lab);
		return EXIT_FAIL;
	}
	cgroup_remove(lab); /* first: a user's lab records where it is in dir */
	int r = rm_rf(dir);
	unlink(lock);
	rmdir(run_dir());
	if (r < 0) {
		fprintf(stderr, "stacklab down: remove %s: %s\n", dir, strerror(-r));
		return EXIT_FAIL;
	}
	printf("lab %s was not running; removed what it left behind\n", lab);
	return EXIT_OK;
}

int cmd_down(int argc, char **argv)
{
	const char *given = NULL;
	const struct opt opts[] = { OPT_LAB(&given), { 0 } };
	const struct command_line cl = {
		.name = "down",
		.usage = "stacklab down [--lab NAME]",
		.about = "Stop every node of a lab and remove its namespaces, links and files.",
		.opts = opts,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	_cleanup_free_ char *lab = cli_pick_lab("down", given);
	if (!lab)
		return EXIT_FAIL;

	uint64_t t0 = now_ms();
	json_t *req = json_pack("{s:s}", "cmd", "down");
	json_t *reply = NULL;
	struct ucred peer = { 0 };
	_cleanup_close_ int pidfd = -1;
	int r = ctl_call_pidfd(lab, req, &reply, &peer, &pidfd);
	json_decref(req);
	if ((r == -ENOENT || r == -ECONNREFUSED) && strchr(lab, '/') && (!rootless() || !cli_owns(lab))) {
		/* Another user's files are theirs to clean: what they hold
		 * (a pid, a link) is not for root to act on. */
		fprintf(stderr, "stacklab down: lab %s is not up (its owner's next up or down removes what it left)\n", lab);
		return EXIT_FAIL;
	}
	if (r == -ENOENT || r == -ECONNREFUSED) {
		int code = clean_stale(lab, &reply, &peer, &pidfd);
		if (code != 1)
			return code;
		r = 0;
	}
	if (r < 0 || !json_is_true(json_object_get(reply, "ok"))) {
		fprintf(stderr, "stacklab down: lab %s: %s\n", lab, r < 0 ? strerror(-r) : "refused");
		json_decref(reply);
		return EXIT_FAIL;
	}
	json_decref(reply);
	/* The daemon is the process the kernel says answered (a daemon's reply
	 * could name any pid), and it is killed only if it is our own: root
	 * never kills on a user's daemon's word, nor a user's daemon at all.
	 * The reply comes once the nodes are reaped and the files removed; the
	 * switch namespace goes when the daemon exits, right after. */
	pid_t pid = peer.pid;
	struct pollfd exited = { pidfd, POLLIN, 0 }; /* a pidfd is readable once its process has exited */
	if (pidfd >= 0 && poll(&exited, 1, 2000) == 0) {
		if (peer.uid != geteuid()) {
			fprintf(stderr, "stacklab down: lab %s: its daemon (pid %d, uid %u) did not exit; it is its owner's to stop\n",
				lab, (int)pid, (unsigned)peer.uid);
			return EXIT_FAIL;
		}
		fprintf(stderr, "stacklab down: lab daemon %d did not exit; killing it\n", (int)pid);
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	}
	printf("lab %s is down (%llu ms)\n", lab, (unsigned long long)(now_ms() - t0));
	return EXIT_OK;
}
