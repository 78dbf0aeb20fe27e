/* cmd_up.c — `stacklab up`: check the topology, take the lab's lock, start
 * the lab daemon and relay its progress until the lab is ready. */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <grp.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli.h"
#include "cgroup.h"
#include "ctl.h"
#include "labd.h"
#include "timing.h"
#include "topo.h"
#include "util.h"

static void help(FILE *out)
{
	fprintf(out, "usage: stacklab up [--topology NAME|FILE] [--lab NAME] [--timing fast|real] [--publish [ADDR:]PORT] [--tui]\n\n"
		     "Build the lab described by a topology and start it; return when every\n"
		     "node is ready.\n\n"
		     "  -t, --topology NAME|FILE  scenarios/NAME.lab, or a .lab file (default: scale-up)\n"
		     "  -l, --lab NAME            name of this lab (default: the topology's name)\n"
		     "  -T, --timing fast|real    fast failovers (default), or the daemons' stock timings\n"
		     "  -p, --publish [ADDR:]PORT the site on the host at ADDR:PORT (default address\n"
		     "                            127.0.0.1), relayed to the VIP's port 443 from the client\n"
		     "  -g, --group NAME          who may watch the lab (status, events, logs, trace,\n"
		     "                            the TUI) besides root: members of group NAME\n"
		     "                            (default: stacklab, if the group exists; none: root only).\n"
		     "                            Changing a lab (fail, heal, traffic, down) is root's alone\n"
		     "      --tui                 open the TUI once the lab is up\n"
		     "  -h, --help                show this help\n");
}

/* Take /run/stacklab/LAB.lock. The lock lives as long as the daemon (which
 * inherits the fd), so a held lock means the lab is up. */
static int take_lock(const char *lab, int *fd_out)
{
	_cleanup_free_ char *path = xasprintf("%s/%s.lock", CTL_RUN_DIR, lab);
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

static int relay_progress(int fd, const char *lab, uint64_t t0)
{
	FILE *in = fdopen(fd, "r");
	char line[4096];
	bool ready = false;
	unsigned nodes = 0;
	while (in && fgets(line, sizeof(line), in)) {
		unsigned long long ms;
		if (sscanf(line, LABD_READY " %u %llu", &nodes, &ms) == 2) {
			ready = true;
			continue;
		}
		fputs(line, stderr);
	}
	if (in)
		fclose(in);
	if (!ready)
		return -1;
	printf("lab %s is up: %u nodes ready in %llu ms\n", lab, nodes, (unsigned long long)(now_ms() - t0));
	return 0;
}

int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "lab", required_argument, NULL, 'l' },
		{ "timing", required_argument, NULL, 'T' },
		{ "publish", required_argument, NULL, 'p' },
		{ "tui", no_argument, NULL, 'U' },
		{ "group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *topology = "scale-up", *lab = NULL, *timing_name = "fast", *group = NULL;
	char publish_addr[64] = "127.0.0.1";
	bool tui = false;
	int publish_port = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:l:T:p:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': {
			const char *colon = strrchr(optarg, ':');
			const char *port = colon ? colon + 1 : optarg;
			if (colon)
				snprintf(publish_addr, sizeof(publish_addr), "%.*s", (int)(colon - optarg), optarg);
			char *end;
			long v = strtol(port, &end, 10);
			struct in_addr ia;
			if (*end || end == port || v < 1 || v > 65535 || inet_pton(AF_INET, publish_addr, &ia) != 1) {
				fprintf(stderr, "stacklab up: --publish takes [ADDR:]PORT, e.g. 8443 or 127.0.0.1:8443, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			publish_port = (int)v;
			break;
		}
		case 't': topology = optarg; break;
		case 'T': timing_name = optarg; break;
		case 'U': tui = true; break;
		case 'g': group = optarg; break;
		case 'l': lab = optarg; break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "stacklab up: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	gid_t watch_gid = 0;
	if (!group || strcmp(group, "none") != 0) {
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
	int tm = timing_load(timing_path, timing_name, &timing);
	if (tm < 0) {
		if (tm == -ENOENT)
			fprintf(stderr, "stacklab up: unknown timing profile '%s' (known: fast, real; see %s)\n",
				timing_name, timing_path);
		else
			fprintf(stderr, "stacklab up: %s: %s\n", timing_path, strerror(-tm));
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
	if (!cli_need_root("up")) {
		topo_free(topo);
		return EXIT_FAIL;
	}

	int r = mkdir_p(CTL_RUN_DIR, 0755);
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
		r = rm_rf(dir);
		cgroup_remove(lab);
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
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(pipefd[0]);
		setsid();
		if (chdir("/") < 0)
			_exit(1);
		struct labd_options o = { .lab = lab, .topo = topo, .progress_fd = pipefd[1], .timing = &timing,
					  .publish_addr = publish_addr, .publish_port = publish_port,
					  .watch_gid = watch_gid };
		int code = labd_main(&o);
		/* The lock file goes with the lab; the run dir if it is empty. */
		_cleanup_free_ char *lockpath = xasprintf("%s/%s.lock", CTL_RUN_DIR, lab);
		unlink(lockpath);
		rmdir(CTL_RUN_DIR);
		_exit(code);
	}
	close(pipefd[1]);
	close(lock);
	fprintf(stderr, "stacklab up: lab %s, topology %s (%d nodes)\n", lab, path, topo->n_nodes);
	if (relay_progress(pipefd[0], lab, t0) < 0) {
		waitpid(pid, NULL, 0);
		fprintf(stderr, "stacklab up: lab %s did not start; nothing of it is left\n", lab);
		topo_free(topo);
		return EXIT_FAIL;
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
