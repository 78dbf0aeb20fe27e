/* cmd_up.c — `stacklab up`: check the topology, take the lab's lock, start
 * the lab daemon and relay its progress until the lab is ready. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <limits.h>
#include <grp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "cli.h"
#include "options.h"
#include "cgroup.h"
#include "ctl.h"
#include "labd.h"
#include "timing.h"
#include "topo.h"
#include "userns.h"
#include "paths.h"
#include "util.h"

/* [ADDR:]PORT[,HTTPPORT[,PROMPORT]]: the address (kept as given when there
 * is none) and up to three distinct ports, each 1 to 65535. */
static bool parse_publish(const char *arg, char *addr, size_t size, int ports[3])
{
	const char *colon = strrchr(arg, ':'), *p = colon ? colon + 1 : arg;
	if (colon)
		snprintf(addr, size, "%.*s", (int)(colon - arg), arg);
	struct in_addr ia;
	if (inet_pton(AF_INET, addr, &ia) != 1)
		return false;
	for (int k = 0; k < 3; k++) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || v < 1 || v > 65535 || (*end && *end != ','))
			return false;
		for (int o = 0; o < k; o++)
			if (ports[o] == v)
				return false;
		ports[k] = (int)v;
		if (!*end)
			return true;
		p = end + 1;
	}
	return false; /* a fourth port */
}

/* Where --publish puts the site on the host. */
struct publish {
	char addr[64];
	int ports[3]; /* HTTPS (or HTTP), plain HTTP, Prometheus; 0: none */
};

static bool take_publish(const char *cmd, const char *value, void *dest)
{
	struct publish *pub = dest;
	int ports[3] = { 0, 0, 0 };
	if (!parse_publish(value, pub->addr, sizeof(pub->addr), ports)) {
		fprintf(stderr, "stacklab %s: --publish takes [ADDR:]PORT[,HTTPPORT[,PROMPORT]], e.g. 8443, 8443,8080, "
				"8443,8080,9090 or 127.0.0.1:8443, not '%s'\n", cmd, value);
		return false;
	}
	memcpy(pub->ports, ports, sizeof(ports));
	return true;
}

/* Take /run/stacklab/LAB.lock. The lock lives as long as the daemon (which
 * inherits the fd), so a held lock means the lab is up. */
static int take_lock(const char *lab, int *fd_out)
{
	_cleanup_free_ char *path = xasprintf("%s/%s.lock", run_dir(), lab);
	for (int tries = 0; tries < 10; tries++) {
		_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0)
			return errno == EWOULDBLOCK ? -EBUSY : -errno;
		/* A daemon going down unlinks the file it holds: make sure the
		 * lock we got is on the file that is still there. */
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino) {
			*fd_out = steal_fd(&fd);
			return 0;
		}
	}
	return -EBUSY;
}

/* The lab's keeper: a small child of the lab daemon that waits for it to
 * end. A daemon that ends as it should (down, Ctrl-C, a failed up) has
 * taken everything apart and tells the keeper so, which then goes; one
 * killed (kill -9, the OOM killer) could not, and the keeper removes what
 * it left: its cgroups, its files, its lock (its nodes die with it, and
 * their namespaces and links with them). As conmon outlives a container's
 * runtime. Until then it holds the lab's lock, so no `up` of the same lab
 * starts on what it still removes; it holds nothing else, or an `up` whose
 * output is piped would wait for it. Without a keeper (bye = -1) the
 * next up or down cleans, as before. */
struct keeper {
	pid_t pid;
	int bye; /* what tells it the daemon took itself apart */
};

static struct keeper keeper_start(const char *lab, int lock)
{
	pid_t daemon = getpid();
	int bye[2];
	if (pipe2(bye, O_CLOEXEC | O_NONBLOCK) < 0)
		return (struct keeper){ 0, -1 };
	pid_t pid = fork();
	if (pid != 0) {
		close(bye[0]);
		if (pid < 0) {
			close(bye[1]);
			return (struct keeper){ 0, -1 };
		}
		return (struct keeper){ pid, bye[1] };
	}
	prctl(PR_SET_NAME, "stacklab-keep");
	int watch = (int)syscall(SYS_pidfd_open, daemon, 0);
	if (watch < 0 || getppid() != daemon)
		_exit(0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3; fd++)
		if (null >= 0)
			dup2(null, fd);
	DIR *fds = opendir("/proc/self/fd");
	struct dirent *e;
	while (fds && (e = readdir(fds))) {
		int fd = atoi(e->d_name);
		if (fd > 2 && fd != bye[0] && fd != watch && fd != lock && fd != dirfd(fds))
			close(fd);
	}
	if (fds)
		closedir(fds);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* Told it may go (the daemon then waits for it), or the daemon gone.
	 * Nothing else ends the wait: a node holding the pipe's other end
	 * (a clone of the daemon) neither tells nor hangs it up. */
	struct pollfd p[2] = { { bye[0], POLLIN, 0 }, { watch, POLLIN, 0 } };
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		char b;
		if (read(bye[0], &b, 1) == 1)
			_exit(0); /* it took itself apart */
		if (p[1].revents & POLLIN)
			break; /* gone without a word: killed */
		if (p[0].revents & (POLLHUP | POLLERR))
			p[0].fd = -1; /* a hang-up alone says nothing: wait for the daemon */
	}
	_cleanup_free_ char *pid_path = ctl_lab_path(lab, "pid");
	unlink(pid_path); /* first: a down meanwhile must not signal a pid now someone else's */
	cgroup_remove(lab); /* then: a user's lab records where it is in its directory */
	_cleanup_free_ char *dir = ctl_lab_dir(lab);
	_cleanup_free_ char *lockpath = xasprintf("%s/%s.lock", run_dir(), lab);
	rm_rf(dir);
	unlink(lockpath);
	rmdir(run_dir());
	_exit(0);
}

/* The daemon took the lab apart: the keeper may go; wait until it has. */
static void keeper_dismiss(struct keeper k)
{
	if (k.bye < 0)
		return;
	if (write(k.bye, "k", 1) == 1)
		while (waitpid(k.pid, NULL, 0) < 0 && errno == EINTR)
			;
	close(k.bye);
}

static volatile sig_atomic_t interrupted;
static char **original_argv;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/* Print the daemon's progress until it is ready or gone. Ctrl-C (or
 * SIGTERM, SIGHUP) asks the daemon to stop: it rolls the lab back, and its
 * last words still come through here. */
static int relay_progress(int fd, const char *lab, pid_t daemon, uint64_t t0)
{
	FILE *in = fdopen(fd, "r");
	char line[4096];
	bool ready = false, told = false;
	unsigned nodes = 0;
	for (;;) {
		if (interrupted && !told) {
			fprintf(stderr, "stacklab up: interrupted; rolling lab %s back\n", lab);
			kill(daemon, SIGTERM);
			told = true;
		}
		if (!in || !fgets(line, sizeof(line), in)) {
			if (in && ferror(in) && errno == EINTR) {
				clearerr(in);
				continue;
			}
			break;
		}
		unsigned long long ms;
		if (sscanf(line, LABD_READY " %u %llu", &nodes, &ms) == 2) {
			ready = true;
			continue;
		}
		fputs(line, stderr);
	}
	if (in)
		fclose(in);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (!ready || interrupted)
		return -1;
	printf("lab %s is up: %u nodes ready in %llu ms\n", lab, nodes, (unsigned long long)(now_ms() - t0));
	/* Published: what to open, and what to trust. */
	json_t *st = cli_status("up", lab);
	json_t *pub = json_object_get(st, "publish");
	if (json_is_object(pub)) {
		printf("the site on this host: %s", json_string_value(json_object_get(pub, "url")));
		if (json_object_get(pub, "http_url"))
			printf(" (and %s, which redirects there)", json_string_value(json_object_get(pub, "http_url")));
		if (json_is_false(json_object_get(st, "https")))
			printf("\n  in a browser: add \"%s www.%s\" to /etc/hosts (plain HTTP: no certificate in this design)\n"
			       "  or: curl --resolve %s %s\n", json_string_value(json_object_get(pub, "address")),
			       json_string_value(json_object_get(st, "domain")), json_string_value(json_object_get(pub, "resolve")),
			       json_string_value(json_object_get(pub, "url")));
		else
			printf("\n  in a browser: add \"%s www.%s\" to /etc/hosts and trust the lab's CA %s\n"
			       "  or: curl --resolve %s --cacert %s %s\n", json_string_value(json_object_get(pub, "address")),
			       json_string_value(json_object_get(st, "domain")), json_string_value(json_object_get(pub, "ca")),
			       json_string_value(json_object_get(pub, "resolve")), json_string_value(json_object_get(pub, "ca")),
			       json_string_value(json_object_get(pub, "url")));
		/* A port is the machine's, not the user's: on a shared server
		 * every account reaches it. */
		const char *where = json_string_value(json_object_get(pub, "address"));
		if (where && strncmp(where, "127.", 4) == 0)
			printf("  note: every user of this machine can open it too: a loopback port is not yours alone\n");
		else
			printf("  note: anyone who reaches %s can open it, from this machine or another\n", where ? where : "it");
		if (json_object_get(pub, "prometheus_url"))
			printf("the monitor's Prometheus: %s (try the query: sum by (server) "
			       "(rate(haproxy_server_http_responses_total{proxy=\"web\"}[5s])))\n",
			       json_string_value(json_object_get(pub, "prometheus_url")));
	}
	json_decref(st);
	return 0;
}

/* After a failed or interrupted up: say whether anything of the lab is left
 * (its folder, its lock, its cgroups), and only then that nothing is. */
static void report_left(const char *lab, const char *what)
{
	_cleanup_free_ char *dir = ctl_lab_dir(lab);
	_cleanup_free_ char *lock = xasprintf("%s/%s.lock", run_dir(), lab);
	const char *left = access(dir, F_OK) == 0 ? dir : access(lock, F_OK) == 0 ? lock
			   : cgroup_exists(lab) ? "its cgroups" : NULL;
	if (left)
		fprintf(stderr, "stacklab up: lab %s %s; %s is left (stacklab down --lab %s removes it)\n", lab, what,
			left, lab);
	else
		fprintf(stderr, "stacklab up: lab %s %s; nothing of it is left\n", lab, what);
}

/* Without root, a port below the kernel's unprivileged start (1024) is not
 * the user's to listen on: say so, with the way around it. */
static bool port_unprivileged(int https, int http, int prom)
{
	_cleanup_free_ char *text = read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start", NULL);
	int first = text ? atoi(text) : 1024;
	int ports[] = { https, http, prom };
	for (size_t i = 0; i < ARRAY_SIZE(ports); i++)
		if (ports[i] && ports[i] < first) {
			fprintf(stderr, "stacklab up: --publish: port %d is below %d, which only root may listen on "
					"(net.ipv4.ip_unprivileged_port_start); take one from %d up, e.g. --publish %d\n",
				ports[i], first, first, ports[i] + 8000 < 65536 ? ports[i] + 8000 : 8443);
			return false;
		}
	return true;
}

/* An ordinary user's lab is built in a user namespace of theirs, by this
 * same command run again inside it (see userns_enter_own). */
static int run_in_own_userns(int argc)
{
	struct sl_error err = { 0 };
	if (userns_enter_own(&err) < 0) {
		fprintf(stderr, "stacklab up: %s\n", err.msg);
		return EXIT_FAIL;
	}
	char uid[16];
	snprintf(uid, sizeof(uid), "%u", (unsigned)lab_user());
	char **args = xcalloc((size_t)argc + 2, sizeof(char *));
	args[0] = "stacklab";
	for (int i = 0; i < argc; i++)
		args[i + 1] = original_argv[i];
	setenv(USERNS_OF_ENV, uid, 1);
	/* By its own path, not /proc/self/exe: the daemon's name is then
	 * stacklab, as root's is. */
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		execv(exe, args);
	}
	fprintf(stderr, "stacklab up: run again in the lab's user namespace: %s\n", strerror(errno));
	return EXIT_FAIL;
}

int cmd_up(int argc, char **argv)
{
	/* cli_options reorders argv; run_in_own_userns needs it as given. */
	original_argv = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 0; i < argc; i++)
		original_argv[i] = argv[i];
	const char *topology = "scale-up", *lab = NULL, *timing_name = "fast", *group = NULL;
	struct publish pub = { .addr = "127.0.0.1" };
	bool tui = false;
	int allow = ALLOW_NONE;
	const struct opt opts[] = {
		{ .name = "topology", .letter = 't', .kind = OPT_STRING, .dest = &topology, .value = "NAME|FILE",
		  .help = "scenarios/NAME.lab, or a .lab file (default: scale-up)" },
		{ .name = "lab", .letter = 'l', .kind = OPT_STRING, .dest = &lab, .value = "NAME",
		  .help = "name of this lab (default: the topology's name)" },
		{ .name = "timing", .letter = 'T', .kind = OPT_STRING, .dest = &timing_name, .value = "fast|calm|real",
		  .help = "fast failovers (default); calm ones, for a server where\n"
			  "a class runs labs (in about half a second, for half the\n"
			  "idle CPU or less); or the daemons' stock timings" },
		{ .name = "publish", .letter = 'p', .kind = OPT_PARSE, .dest = &pub, .parse = take_publish,
		  .value = "[ADDR:]PORT[,HTTPPORT[,PROMPORT]]",
		  .help = "the site on the host at ADDR:PORT (default address\n"
			  "127.0.0.1), relayed from the client to www's port 443\n"
			  "(80 in a design without HTTPS); with HTTPPORT plain HTTP\n"
			  "too, which the load balancer redirects to HTTPS as the\n"
			  "real site does; with PROMPORT the monitor's Prometheus\n"
			  "(its web page and API, port 9090)" },
		{ .name = "group", .letter = 'g', .kind = OPT_STRING, .dest = &group, .value = "NAME",
		  .help = "who may watch the lab (status, events, logs, trace,\n"
			  "the TUI) besides root: members of group NAME\n"
			  "(default: stacklab, if the group exists; none: root only).\n"
			  "Changing a lab (fail, heal, traffic, down) is root's alone" },
		{ .name = "allow", .letter = 'a', .kind = OPT_WORD, .dest = &allow, .words = lab_allow_names,
		  .value = "none|watch|lessons",
		  .help = "a user's lab (up without root): whether root of the\n"
			  "host (the teacher) may watch it, or watch it and run\n"
			  "lessons on it (default: none; stacklab allow changes it)" },
		{ .name = "tui", .kind = OPT_FLAG, .dest = &tui, .help = "open the TUI once the lab is up" },
		{ 0 },
	};
	const struct command_line cl = {
		.name = "up",
		.usage = "stacklab up [--topology NAME|FILE] [--lab NAME] [--timing fast|calm|real]\n"
			 "            [--publish [ADDR:]PORT[,HTTPPORT[,PROMPORT]]] [--group NAME] [--tui]",
		.about = "Build the lab described by a topology and start it; return when every\n"
			 "node is ready.",
		.opts = opts,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	int publish_port = pub.ports[0], publish_http_port = pub.ports[1], publish_prom_port = pub.ports[2];
	const char *publish_addr = pub.addr;
	/* Root first: nothing else is worth reading for someone who cannot
	 * build a lab anyway. */
	if (rootless() && group) {
		fprintf(stderr, "stacklab up: --group is for root's labs: a user's lab lets root of the host watch it "
				"with --allow watch\n");
		return EXIT_USAGE;
	}
	if (!rootless() && allow != ALLOW_NONE) {
		fprintf(stderr, "stacklab up: --allow is for a user's lab: root's labs are watched through a group "
				"(--group)\n");
		return EXIT_USAGE;
	}
	if (rootless() && !port_unprivileged(publish_port, publish_http_port, publish_prom_port))
		return EXIT_USAGE;
	if (!cli_may_run_labs("up"))
		return EXIT_FAIL;
	if (rootless() && !in_own_userns())
		return run_in_own_userns(argc);
	gid_t watch_gid = 0;
	if (!rootless() && (!group || strcmp(group, "none") != 0)) {
		struct group *gr = getgrnam(group ? group : "stacklab");
		if (gr)
			watch_gid = gr->gr_gid;
		else if (group) {
			fprintf(stderr, "stacklab up: --group: no group '%s' on this host (groupadd %s makes it; none: root only)\n",
				group, group);
			return EXIT_USAGE;
		}
	}
	uint64_t t0 = now_ms();

	_cleanup_free_ char *path = topo_resolve(topology);
	struct topo *topo = NULL;
	char *errors = NULL;
	int tr = topo_load(path, &topo, &errors);
	if (tr < 0) {
		if (tr == -ENOENT && !strchr(topology, '/'))
			fprintf(stderr, "stacklab up: no topology '%s' (looked for %s)\n", topology, path);
		else
			fputs(errors, stderr);
		free(errors);
		return EXIT_USAGE;
	}
	_cleanup_(timing_free) struct timing timing = { 0 };
	_cleanup_free_ char *timing_path = xasprintf("%s/rootfs/timing.ini", data_dir());
	struct sl_error err = { 0 };
	int tm = timing_load(timing_path, timing_name, &timing, &err);
	if (tm < 0) {
		if (tm == -ENOENT)
			fprintf(stderr, "stacklab up: unknown timing profile '%s' (known: fast, calm, real; see %s)\n",
				timing_name, timing_path);
		else
			fprintf(stderr, "stacklab up: %s\n", sl_err_text(&err, tm));
		topo_free(topo);
		return EXIT_USAGE;
	}
	if (!lab)
		lab = topo->name;
	if (!ctl_lab_name_ok(lab)) {
		fprintf(stderr, "stacklab up: '%s' is not a lab name (a-z, 0-9 and '-', at most %d)\n", lab,
			CTL_LAB_NAME_MAX - 1);
		topo_free(topo);
		return EXIT_USAGE;
	}

	/* From here on something exists: an interrupt rolls it back. */
	struct sigaction sa = { .sa_handler = on_interrupt }; /* no SA_RESTART: fgets returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Root's run directory is the machine's; a user's is theirs alone. */
	int r = mkdir_p(run_dir(), rootless() ? 0700 : 0755);
	if (r < 0 && rootless()) {
		fprintf(stderr, "stacklab up: %s: %s (a login session gives you a runtime directory; without one, "
				"set XDG_RUNTIME_DIR to a directory of yours)\n", run_dir(), strerror(-r));
		topo_free(topo);
		return EXIT_FAIL;
	}
	int lock = -1;
	if (r == 0)
		r = take_lock(lab, &lock);
	if (r == -EBUSY) {
		fprintf(stderr, "stacklab up: lab %s is already up (stacklab down --lab %s stops it)\n", lab, lab);
		topo_free(topo);
		return EXIT_FAIL;
	}
	_cleanup_free_ char *dir = ctl_lab_dir(lab);
	struct stat st;
	if (r == 0 && stat(dir, &st) == 0) {
		/* The lock was free but the directory is there: a daemon
		 * that was killed. Its nodes died with it; its files did not. */
		fprintf(stderr, "stacklab up: removing what lab %s left behind when it stopped uncleanly\n", lab);
		cgroup_remove(lab); /* first: a user's lab records where it is in dir */
		r = rm_rf(dir);
	}
	if (r == 0)
		/* 0711: the nodes, as their own unprivileged ids, pass through
		 * it to their files; what is in it has a mode of its own. */
		r = mkdir(dir, 0711) < 0 ? -errno : 0;
	if (r < 0) {
		fprintf(stderr, "stacklab up: %s: %s\n", dir, strerror(-r));
		topo_free(topo);
		return EXIT_FAIL;
	}

	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	/* For tests: hold here, the lab's directory made and no daemon yet,
	 * until interrupted (see test_hold in build.c for the later phases). */
	const char *hold = getenv("STACKLAB_TEST_HOLD");
	if (hold && strcmp(hold, "cli") == 0) {
		fprintf(stderr, "held at cli (STACKLAB_TEST_HOLD)\n");
		for (int i = 0; i < 600 && !interrupted; i++)
			nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
	if (interrupted) {
		rm_rf(dir);
		_cleanup_free_ char *lockpath = xasprintf("%s/%s.lock", run_dir(), lab);
		unlink(lockpath);
		rmdir(run_dir());
		report_left(lab, "was interrupted");
		topo_free(topo);
		return 128 + interrupted;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(pipefd[0]);
		setsid();
		if (chdir("/") < 0)
			_exit(1);
		struct keeper keeper = keeper_start(lab, lock);
		struct labd_options o = { .lab = lab, .topo = topo, .progress_fd = pipefd[1], .timing = &timing,
					  .publish_addr = publish_addr, .publish_port = publish_port,
					  .publish_http_port = publish_http_port, .publish_prom_port = publish_prom_port,
					  .watch_gid = watch_gid, .allow = (enum lab_allow)allow };
		int code = labd_main(&o);
		keeper_dismiss(keeper);
		/* The lock file goes with the lab; the run dir if it is empty. */
		_cleanup_free_ char *lockpath = xasprintf("%s/%s.lock", run_dir(), lab);
		unlink(lockpath);
		rmdir(run_dir());
		_exit(code);
	}
	close(pipefd[1]);
	close(lock);
	fprintf(stderr, "stacklab up: lab %s, topology %s (%d nodes)\n", lab, path, topo->n_nodes);
	if (relay_progress(pipefd[0], lab, pid, t0) < 0) {
		/* Ready just as Ctrl-C came: the lab is up, and must go. */
		if (interrupted)
			kill(pid, SIGTERM);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		report_left(lab, interrupted ? "was interrupted" : "did not start");
		topo_free(topo);
		return interrupted ? 128 + interrupted : EXIT_FAIL;
	}
	char name[CTL_LAB_NAME_MAX];
	str_copy(name, sizeof(name), lab); /* lab may point into topo */
	topo_free(topo);
	if (tui) {
		char *argv_tui[] = { "tui", "--lab", name, NULL };
		return cmd_tui(3, argv_tui);
	}
	return EXIT_OK;
}
