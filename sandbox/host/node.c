/* node.c — a node's init: its namespaces, network, root file system and
 * confinement (see node.h).
 *
 * The init is made by clone() in the lab daemon and waits on its sync socket
 * until the daemon has moved its veth ends in. It then configures its own
 * addresses (a netlink socket opened inside the node talks to the node's
 * namespace), builds its root from the list of operations below, pivots into
 * it, drops capabilities, installs the seccomp filter and reports ready. */
#include "node.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>

#include "caps.h"
#include "cgroup.h"
#include "filter.h"
#include "net.h"
#include "profile.h"
#include "service.h"
#include "userns.h"
#include "util.h"

#define SYNC_FD 3
#define NODE_PTYS_MAX 8 /* terminals a node may open at once (its devpts' max) */
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
	char msg[1024];
	int n = snprintf(msg, sizeof(msg), "%s", NODE_MSG_FAIL);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	(void)send(SYNC_FD, msg, strlen(msg), MSG_NOSIGNAL);
	_exit(1);
}

/* Bind src on dst with everything mounted under it, then add `set` and
 * remove `clr` on all of them. */
static int bind_mount(const char *src, const char *dst, unsigned long long set, unsigned long long clr)
{
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	struct mount_attr attr = { .attr_set = set, .attr_clr = clr };
	if (mount_setattr(AT_FDCWD, dst, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	return 0;
}

static int touch(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int make_dir(const char *path, mode_t mode)
{
	return mkdir(path, mode) < 0 && errno != EEXIST ? -errno : 0;
}

static int host_tree(const char *dst, const struct root_op *op)
{
	struct stat st;
	if (lstat(op->path, &st) < 0)
		return 0; /* this host does not have it (e.g. /libx32) */
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(op->path, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		return symlink(target, dst) < 0 ? -errno : 0;
	}
	int r = make_dir(dst, 0755);
	return r < 0 ? r : bind_mount(op->path, dst, op->set, op->clr);
}

/* Hide dst: an empty read-only tmpfs over a directory, /dev/null over a file. */
static int mask(const char *dst)
{
	struct stat st;
	if (lstat(dst, &st) < 0)
		return 0; /* not in this kernel */
	if (S_ISDIR(st.st_mode))
		return mount("tmpfs", dst, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") < 0
			       ? -errno : 0;
	return bind_mount("/dev/null", dst, MNT_RO | MOUNT_ATTR_NOEXEC, 0);
}

static void root_op_run(const struct node_spec *spec, const struct root_op *op)
{
	char dst[PATH_MAX];
	snprintf(dst, sizeof(dst), "%s%s", spec->root, op->path);
	int r = 0;
	switch (op->kind) {
	case HOST_TREE:
		r = host_tree(dst, op);
		break;
	case NODE_BIND:
		if ((r = make_dir(dst, 0755)) == 0)
			r = bind_mount(strcmp(op->arg, "etc") == 0 ? spec->etc : spec->var, dst, op->set, op->clr);
		break;
	case TMPFS:
		if ((r = make_dir(dst, 0755)) == 0 && mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, op->arg) < 0)
			r = -errno;
		break;
	case PROC:
		if ((r = make_dir(dst, 0555)) == 0 &&
		    mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			r = -errno;
		/* The whole node's bound on processes, whatever ids they take
		 * (a kernel from 6.14 keeps pid_max per pid namespace): set
		 * before /proc/sys goes read-only, and no mount undoes that in
		 * a node. Where the kernel keeps one pid_max for all, the
		 * cgroup and RLIMIT_NPROC are the bounds. */
		if (r == 0) {
			char pid_max[PATH_MAX + 32];
			snprintf(pid_max, sizeof(pid_max), "%s/sys/kernel/pid_max", dst);
			write_file(pid_max, NODE_PID_MAX, 0644);
		}
		break;
	case SYSFS:
		if ((r = make_dir(dst, 0555)) == 0 &&
		    mount("sysfs", dst, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			r = -errno;
		break;
	case REBIND:
		if (access(dst, F_OK) == 0) /* not every kernel has sysrq-trigger */
			r = bind_mount(dst, dst, op->set, op->clr);
		break;
	case DEV_BIND:
		if ((r = touch(dst, 0666)) == 0)
			r = bind_mount(op->path, dst, op->set, op->clr);
		break;
	case DEVPTS:
		/* gid 5 is tty in the node's own /etc/group. Every devpts but
		 * the host's shares kernel.pty.max - kernel.pty.reserve (3072 by
		 * default): a node has NODE_PTYS_MAX, or one node could take
		 * every other lab's terminals (300 nodes, thirty labs, fit). */
		if ((r = make_dir(dst, 0755)) == 0 &&
		    mount("devpts", dst, "devpts", MS_NOSUID | MS_NOEXEC,
			  "newinstance,ptmxmode=0666,mode=0620,gid=5,max=" STRINGIFY(NODE_PTYS_MAX)) < 0)
			r = -errno;
		break;
	case SYMLINK:
		if (symlink(op->arg, dst) < 0)
			r = -errno;
		break;
	case MASK:
		r = mask(dst);
		break;
	}
	if (r < 0)
		fail("root: %s: %s", op->path, strerror(-r));
}

/* Has an earlier role of the node named host /etc entry `e` already? */
static bool etc_bound(const struct topo_node *n, int upto, const char *e)
{
	for (int id = 0; id < upto; id++)
		for (const char *const *o = role_get(id)->host_etc; topo_has_role(n, id) && *o; o++)
			if (strcmp(*o, e) == 0)
				return true;
	return false;
}

/* The host /etc entries its roles read (alternatives, ssl, php…), bound
 * read-only over empty files or directories in the node's own /etc. */
static void host_etc(const struct node_spec *spec)
{
	for (int id = 0; id < ROLE_COUNT; id++) {
		if (!topo_has_role(spec->node, id))
			continue;
		for (const char *const *e = role_get(id)->host_etc; *e; e++) {
			char src[PATH_MAX], dst[PATH_MAX];
			struct stat st;
			if (etc_bound(spec->node, id, *e))
				continue;
			snprintf(src, sizeof(src), "/etc/%s", *e);
			snprintf(dst, sizeof(dst), "%s/etc/%s", spec->root, *e);
			if (stat(src, &st) < 0)
				continue;
			int r = S_ISDIR(st.st_mode) ? make_dir(dst, 0755) : touch(dst, 0644);
			if (r == 0)
				r = bind_mount(src, dst, MNT_RO, 0);
			if (r < 0)
				fail("root: /etc/%s: %s", *e, strerror(-r));
		}
	}
}

static void build_root(const struct node_spec *spec)
{
	/* Nothing mounted from here on may reach the host's mount table. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail("make mounts private: %s", strerror(errno));
	if (mount("tmpfs", spec->root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
		fail("root tmpfs on %s: %s", spec->root, strerror(errno));
	for (size_t i = 0; i < profile_n_root; i++)
		root_op_run(spec, &profile_root[i]);
	host_etc(spec);

	/* pivot_root(".", ".") stacks the old root under the new one; detaching
	 * it leaves the node with nothing of the host but what was bound in. */
	if (chdir(spec->root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		fail("pivot_root into %s: %s", spec->root, strerror(errno));
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		fail("detach the host root: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		fail("make / read-only: %s", strerror(errno));
}

static void configure_net(const struct node_spec *spec)
{
	for (size_t i = 0; i < profile_n_sysctls; i++) {
		int r = write_file(profile_sysctls[i].path, profile_sysctls[i].value, 0644);
		if (r < 0)
			fail("sysctl %s: %s", profile_sysctls[i].path, strerror(-r));
	}
	struct net *net = NULL;
	struct sl_error err = { 0 };
	int r = net_open(&net, &err);
	if (r == 0)
		r = net_link_set_up(net, "lo", true, &err);
	for (int i = 0; r == 0 && i < spec->node->n_ifaces; i++) {
		const struct topo_iface *ifc = &spec->node->ifaces[i];
		/* The address first: the link coming up announces it. */
		r = net_addr_add(net, ifc->name, ifc->addr, spec->topo->nets[ifc->net].prefix, &err);
		if (r == 0)
			r = net_link_set_up(net, ifc->name, true, &err);
	}
	/* A node that comes back (a healed crash) may lose its first ARP
	 * request while its links settle; the kernel asks again after
	 * retrans_time_ms, 1 s by default: that second of 503s is not what
	 * the lesson is about. */
	for (int i = 0; r == 0 && i < spec->node->n_ifaces; i++) {
		char path[96];
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/neigh/%s/retrans_time_ms", spec->node->ifaces[i].name);
		if ((r = write_file(path, "100", 0644)) < 0)
			fail("sysctl %s: %s", path, strerror(-r));
		net_link_wait_running(net, spec->node->ifaces[i].name, 2000);
	}
	if (r < 0)
		fail("%s", sl_err_text(&err, r));
	net_free(net);
}

static void confine(const struct node_spec *spec)
{
	const int *keep[2 + ROLE_COUNT] = { profile_caps };
	int n = 1 + role_caps(spec->node->roles, keep + 1);
	if (topo_holds_vip(spec->topo, spec->node))
		keep[n++] = role_vrrp_caps;
	struct sl_error err = { 0 };
	int r = caps_limit(keep, n, &err);
	if (r == 0)
		r = filter_install(&err);
	if (r < 0)
		fail("%s", sl_err_text(&err, r));
}

#define SERVICE_START_TIMEOUT_MS 20000
#define NODE_FILES_SOFT 1024    /* a node's soft limit on open files */
#define START_LOOK_MAX_MS 16      /* how often, at most, the init looks for a starting daemon to serve */

/* Open files as a Debian service gets them, not the lab daemon's raised
 * limit (labd.c): the daemons raise it themselves as far as they need. */
static void node_files_limit(void)
{
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur > NODE_FILES_SOFT) {
		nofile.rlim_cur = NODE_FILES_SOFT;
		(void)setrlimit(RLIMIT_NOFILE, &nofile);
	}
}

static void describe_exit(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

static void report_start(const struct service *s)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "%s%s %d", NODE_MSG_START, s->name, (int)s->pid);
	(void)send(SYNC_FD, msg, strlen(msg), MSG_NOSIGNAL);
}

static void tell_lab(const char *what, const struct service *s)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "%s%s", what, s->name);
	(void)send(SYNC_FD, msg, strlen(msg), MSG_NOSIGNAL);
}

/* Started again (a heal): nothing waits on it, but the lab hears when it
 * serves (NODE_MSG_SERVING), which a restarted MariaDB does a second
 * after its process starts. */
static void start_service(struct service *s)
{
	char err[512];
	if (service_start(s, err, sizeof(err)) < 0) {
		char msg[600];
		snprintf(msg, sizeof(msg), "%s%s %s", NODE_MSG_EXIT, s->name, err);
		(void)send(SYNC_FD, msg, strlen(msg), MSG_NOSIGNAL);
		return;
	}
	s->ready = false;
	s->started_ms = now_ms();
	report_start(s);
}

/* Asked to stop: a daemon that has not gone NODE_STOP_TIMEOUT_MS after
 * its SIGTERM is killed, as systemd does after TimeoutStopSec. MariaDB asked
 * to stop while it starts loses the signal and never goes (measured: 1
 * stop in 8 right after a start), and a heal waits for it to go. */
static void ask_to_stop(struct service *s, int sig)
{
	kill(-s->pid, sig);
	s->restart = false; /* a heal before this one is undone by it */
	if (sig == SIGKILL)
		s->kill_at_ms = 0;
	else if (!s->stopping) /* asked again: the first ask's time limit holds */
		s->kill_at_ms = now_ms() + NODE_STOP_TIMEOUT_MS;
	s->stopping = true;
}

/* Once the node is up: restarted daemons that serve now, daemons that
 * outstayed their stop. Returns how long the loop may sleep (-1: until
 * something happens). */
static int look_after(struct service_set *set)
{
	uint64_t now = now_ms();
	int64_t sleep_ms = -1;
	for (int i = 0; i < set->n; i++) {
		struct service *s = &set->s[i];
		if (s->pid <= 0)
			continue;
		if (s->kill_at_ms && now >= s->kill_at_ms) {
			kill(-s->pid, SIGKILL);
			s->kill_at_ms = 0;
			tell_lab(NODE_MSG_KILLED, s);
		}
		if (s->kill_at_ms) {
			int64_t left = (int64_t)(s->kill_at_ms - now);
			sleep_ms = sleep_ms < 0 || left < sleep_ms ? left : sleep_ms;
		}
		if (!s->ready && !s->stopping) {
			if ((s->ready = service_is_ready(s))) {
				tell_lab(NODE_MSG_SERVING, s);
				continue;
			}
			/* soon while it starts, then once a second (a daemon
			 * that never serves is not asked 60 times a second) */
			int64_t look = now - s->started_ms < SERVICE_START_TIMEOUT_MS ? START_LOOK_MAX_MS : 1000;
			sleep_ms = sleep_ms < 0 || look < sleep_ms ? look : sleep_ms;
		}
	}
	return (int)sleep_ms;
}

/* What the lab daemon asks of a running node (faults and heals):
 *   crash        every process but the init dies (SIGKILL); none restarts
 *   freeze/thaw  every process but the init stops (SIGSTOP) or goes on
 *   stop NAME    one daemon is asked to stop (SIGTERM to its process group)
 *   kill NAME    one daemon dies (SIGKILL to its process group)
 *   start        every daemon that is not running starts again
 * The init itself stays: it holds the node's namespaces. kill(-1, …) from
 * the init of a pid namespace reaches every other process in it. */
static void command(struct service_set *set, const char *cmd)
{
	char name[32] = "";
	if (strcmp(cmd, "crash") == 0) {
		kill(-1, SIGKILL);
		for (int i = 0; i < set->n; i++) {
			set->s[i].stopping = set->s[i].pid > 0;
			set->s[i].restart = false; /* a heal before this one is undone by it */
			set->s[i].kill_at_ms = 0;
		}
	} else if (strcmp(cmd, "freeze") == 0) {
		kill(-1, SIGSTOP);
	} else if (strcmp(cmd, "thaw") == 0) {
		kill(-1, SIGCONT);
	} else if (sscanf(cmd, "stop %31s", name) == 1 || sscanf(cmd, "kill %31s", name) == 1) {
		for (int i = 0; i < set->n; i++)
			if (strcmp(set->s[i].name, name) == 0 && set->s[i].pid > 0)
				ask_to_stop(&set->s[i], cmd[0] == 's' ? SIGTERM : SIGKILL);
	} else if (sscanf(cmd, "reload %31s", name) == 1) {
		/* re-read its config: the signal its services entry names
		 * (HAProxy's master: USR2; NSD: HUP) */
		for (int i = 0; i < set->n; i++)
			if (strcmp(set->s[i].name, name) == 0 && set->s[i].pid > 0 && set->s[i].reload_sig)
				kill(set->s[i].pid, set->s[i].reload_sig);
	} else if (strcmp(cmd, "start") == 0) {
		/* A daemon asked to stop may not have exited yet (MariaDB takes
		 * a while): it starts again once it is reaped, or a heal that
		 * came too soon would leave it dead for good. */
		for (int i = 0; i < set->n; i++)
			if (set->s[i].pid <= 0)
				start_service(&set->s[i]);
			else if (set->s[i].stopping)
				set->s[i].restart = true;
	}
}

static int n_outputs; /* the lab's pipes the init holds, from fd SYNC_FD + 1 */

/* The init's life after setup: start the node's daemons, report ready once
 * each one serves, then report their exits, reap whatever dies in the node,
 * and leave when the lab daemon goes. What the daemons print goes straight
 * to the lab on its own pipes: the init never touches a log line. */
static void __attribute__((noreturn)) init_loop(void)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		fail("signalfd: %s", strerror(errno));

	static struct service_set set;
	char err[512];
	int r = service_load("/etc/stacklab/services", &set, err, sizeof(err));
	if (r < 0)
		fail("%s", r == -EINVAL ? err : strerror(-r));
	for (int i = 0; i < set.n; i++) /* the lab's pipes, in the same order (node_main) */
		set.s[i].output = i < n_outputs ? SYNC_FD + 1 + i : -1;
	for (int i = 0; i < set.n; i++) {
		if (service_start(&set.s[i], err, sizeof(err)) < 0)
			fail("%s", err);
		report_start(&set.s[i]);
	}

	bool reported = false;
	uint64_t deadline = now_ms() + SERVICE_START_TIMEOUT_MS;
	int look_ms = 1;
	for (;;) {
		if (!reported) {
			int pending = 0;
			for (int i = 0; i < set.n; i++) {
				if (!set.s[i].ready)
					set.s[i].ready = service_is_ready(&set.s[i]);
				pending += !set.s[i].ready;
			}
			if (pending == 0) {
				if (send(SYNC_FD, NODE_MSG_READY, strlen(NODE_MSG_READY), MSG_NOSIGNAL) < 0)
					_exit(1);
				reported = true;
			} else if (now_ms() > deadline) {
				for (int i = 0; i < set.n; i++)
					if (!set.s[i].ready)
						fail("%s is not ready after %d s", set.s[i].name, SERVICE_START_TIMEOUT_MS / 1000);
			}
		}

		struct pollfd pfd[2] = { { SYNC_FD, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		/* While daemons start, look again soon, then less often: a quick
		 * daemon is seen at once, and a slow one (MariaDB, most of a
		 * second) is not asked two hundred times a second by every node
		 * while the lab's daemons share the cores to start. */
		if (poll(pfd, 2, reported ? look_after(&set) : look_ms) < 0 && errno != EINTR)
			_exit(1);
		look_ms = look_ms < START_LOOK_MAX_MS / 2 ? look_ms * 2 : START_LOOK_MAX_MS;

		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				if (si.ssi_signo != SIGCHLD)
					_exit(0);
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
				struct service *s = service_by_pid(&set, pid);
				if (!s)
					continue; /* a worker whose master went first */
				char how[64];
				describe_exit(status, how, sizeof(how));
				s->pid = 0;
				s->status = status;
				if (!reported)
					fail("%s %s before it was ready", s->name, how);
				char msg[128];
				snprintf(msg, sizeof(msg), "%s%s %s", NODE_MSG_EXIT, s->name, how);
				(void)send(SYNC_FD, msg, strlen(msg), MSG_NOSIGNAL);
				s->stopping = false;
				s->kill_at_ms = 0;
				if (s->restart) {
					s->restart = false;
					start_service(s);
				}
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			char buf[256];
			ssize_t len = recv(SYNC_FD, buf, sizeof(buf) - 1, 0);
			if (len <= 0)
				_exit(0);
			buf[len] = '\0';
			command(&set, buf);
		}
	}
}

/* Once the lab has written our id maps: become root of the node's user
 * namespace (until now we were the host's root, unmapped in it). A change
 * of credentials clears the parent-death signal and resets dumpability, so
 * both are set after it. The init must not be dumpable: root in the node
 * could otherwise take its sync socket to the lab daemon (pidfd_getfd,
 * /proc/1/mem). Its memory belongs to the host's user namespace (it never
 * execs), so no capability inside the node can reach it. */
static void become_node_root(void)
{
	int r = userns_become_root();
	if (r < 0)
		fail("become root of the node's user namespace: %s", strerror(-r));
	/* getppid() is 0 for a pid namespace's init: whether the daemon went
	 * before the signal was set shows on its end of the sync socket. */
	struct pollfd hup = { SYNC_FD, POLLRDHUP, 0 };
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || poll(&hup, 1, 0) != 0)
		_exit(1);
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		fail("not dumpable: %s", strerror(errno));
	/* A bound on the node's processes, per user of the node, which holds
	 * where no cgroup bounds it (a user's lab without a delegated cgroup):
	 * a fork bomb in a node stops there, as it does at the cgroup's. */
	struct rlimit nproc = { NODE_PROCS_MAX, NODE_PROCS_MAX };
	if (setrlimit(RLIMIT_NPROC, &nproc) < 0)
		fail("process bound: %s", strerror(errno));
	node_files_limit();
	/* Its own cgroup namespace, now that the lab has put it in its cgroup:
	 * /proc/self/cgroup shows the node's cgroup as /, not host paths. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		fail("cgroup namespace: %s", strerror(errno));
}

#define NODE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The init is a copy of the lab daemon, whose command line (`stacklab up
 * --topology /home/…`) a node's /proc/1/cmdline would show: it says
 * "stacklab-init" instead. The kernel tells where the arguments are
 * (/proc/self/stat, fields 48 and 49); they are the init's own copy. */
static void hide_cmdline(void)
{
	_cleanup_free_ char *stat = read_file("/proc/self/stat", NULL);
	char *p = stat ? strrchr(stat, ')') : NULL;
	unsigned long start = 0, end = 0;
	for (int field = 2; p && field < 49; field++) {
		p = strchr(p + 1, ' ');
		if (p && field + 1 == 48)
			start = strtoul(p + 1, NULL, 10);
		else if (p && field + 1 == 49)
			end = strtoul(p + 1, NULL, 10);
	}
	if (start && end > start) {
		memset((void *)start, 0, end - start);
		snprintf((char *)start, end - start, "stacklab-init");
	}
}

static void __attribute__((noreturn)) node_main(const struct node_spec *spec, int sync)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "stacklab: %s", spec->node->name);
	log_set_prefix(prefix);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_NAME, "stacklab-init");
	hide_cmdline();

	/* Keep only the sync socket, as fd 3, and the lab's pipes for the
	 * daemons' output, as fds 4 on. Nothing of the host's files (not the
	 * lab's log) stays open: what the init has to say goes to the lab on
	 * the sync socket (fail()). The pipes go out of the way first, so no
	 * dup3 below lands on one not yet moved. */
	int high[SERVICES_MAX];
	n_outputs = spec->n_outputs;
	for (int k = 0; k < n_outputs; k++)
		if ((high[k] = fcntl(spec->outputs[k], F_DUPFD_CLOEXEC, 64)) < 0)
			_exit(1);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0 ||
	    dup3(sync, SYNC_FD, O_CLOEXEC) < 0)
		_exit(1);
	for (int k = 0; k < n_outputs; k++)
		if (dup3(high[k], SYNC_FD + 1 + k, O_CLOEXEC) < 0)
			_exit(1);
	close_range((unsigned)(SYNC_FD + 1 + n_outputs), ~0U, 0);

	char go[16];
	ssize_t n = recv(SYNC_FD, go, sizeof(go), 0);
	if (n <= 0)
		_exit(1); /* the daemon went away before releasing us */

	/* Into the node's directory while still the daemon's ids: a user's
	 * run directory above it is theirs alone (0700), which the node's
	 * root, an id of its own, may not pass. From here on its files are
	 * named from there. */
	struct node_spec own = *spec;
	if (chdir(spec->dir) < 0)
		fail("%s: %s", spec->dir, strerror(errno));
	char *const paths[] = { own.root, own.etc, own.var };
	size_t n_dir = strlen(spec->dir);
	for (size_t k = 0; k < ARRAY_SIZE(paths); k++)
		if (strncmp(paths[k], spec->dir, n_dir) == 0 && paths[k][n_dir] == '/')
			memmove(paths[k], paths[k] + n_dir + 1, strlen(paths[k] + n_dir + 1) + 1);
	become_node_root();
	/* The node's daemons start with an environment of their own, as on
	 * a machine of their own: nothing of whoever ran `up` (a user's HOME,
	 * XDG_RUNTIME_DIR) goes into a node. */
	if (clearenv() != 0 || setenv("PATH", NODE_PATH, 1) < 0 || setenv("HOME", "/root", 1) < 0 ||
	    setenv("HOSTNAME", own.node->name, 1) < 0)
		fail("environment: %s", strerror(errno));
	if (sethostname(own.node->name, strlen(own.node->name)) < 0)
		fail("hostname: %s", strerror(errno));
	configure_net(&own);
	build_root(&own);
	confine(&own);
	init_loop();
}

pid_t node_spawn(const struct node_spec *spec, int *sync_fd, struct sl_error *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return sl_err(err, errno, "node %s: sync socket: %s", spec->node->name, strerror(errno));
	/* clone() as a fork: the child runs on a copy of this stack. Every
	 * namespace of the node belongs to its new user namespace. */
	long pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS |
				      CLONE_NEWIPC | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return sl_err(err, e, "clone node %s: %s", spec->node->name, strerror(e));
	}
	if (pid == 0) {
		close(sv[0]);
		node_main(spec, sv[1]);
	}
	close(sv[1]);
	int r = userns_map((pid_t)pid, spec->idmap, err);
	if (r < 0) {
		kill((pid_t)pid, SIGKILL);
		waitpid((pid_t)pid, NULL, 0);
		close(sv[0]);
		return r;
	}
	*sync_fd = sv[0];
	return (pid_t)pid;
}

int node_command(int sync_fd, const char *cmd)
{
	if (send(sync_fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

int node_release(int sync_fd)
{
	if (send(sync_fd, NODE_MSG_GO, strlen(NODE_MSG_GO), MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* The node's init as a pidfd, checked to be what the door says: a child of
 * the lab daemon (a pid number alone may have been reused). */
static int open_init(const struct node_door *d)
{
	int fd = (int)syscall(SYS_pidfd_open, d->init, 0);
	if (fd < 0)
		return -errno;
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)d->init);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	int ppid = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "PPid: %d", &ppid) == 1)
			break;
	if (d->daemon > 0 && ppid != d->daemon) {
		close(fd);
		return -ESRCH;
	}
	/* And its namespaces are the lab owner's: a node of another user's
	 * lab is refused even with the right parent. */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)d->init);
	_cleanup_close_ int userns = open(path, O_RDONLY | O_CLOEXEC);
	uid_t owner = (uid_t)-1;
	if (d->daemon > 0 && (userns < 0 || ioctl(userns, NS_GET_OWNER_UID, &owner) < 0 || owner != d->owner)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

static pid_t forward_to;
static const int forwarded[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };

static void forward(int sig)
{
	kill(forward_to, sig);
}

pid_t node_enter(const struct node_door *d)
{
	/* The caller stays on the host: a child enters the namespaces and
	 * forks the command (a new pid namespace applies to children only),
	 * then waits for it and exits with its status. */
	pid_t waiter = fork();
	if (waiter != 0)
		return waiter < 0 ? -errno : waiter;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	/* Into the node's cgroup first, while still the host's root: a frozen
	 * node freezes what runs in it from outside too. */
	struct sl_error err = { 0 };
	if (d->lab && cgroup_join(d->lab, d->node, &err) < 0) {
		log_err("%s", err.msg);
		_exit(126);
	}
	int init = open_init(d);
	if (init == -ESRCH || init == -EPERM) {
		log_err("node %s: pid %d is not a node of the lab daemon that answered (pid %d)", d->node, (int)d->init,
			(int)d->daemon);
		_exit(126);
	}
	if (init < 0) {
		log_err("node %s: its init (pid %d) is gone: %s", d->node, (int)d->init, strerror(-init));
		_exit(126);
	}
	/* Not dumpable from here: root entering a user's lab has, until it
	 * becomes the node's root, credentials in a namespace the user owns,
	 * and the user could trace it. (A change of ids resets it.) */
	prctl(PR_SET_DUMPABLE, 0);
	/* All of them at once, by pidfd: the user namespace first, so the
	 * others (which it owns) are entered with its capabilities. */
	if (setns(init, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
				CLONE_NEWCGROUP) < 0) {
		log_err("enter node %s: %s", d->node, strerror(errno));
		_exit(126);
	}
	close(init);
	if (userns_become_root() < 0)
		_exit(126);
	struct rlimit nproc = { NODE_PROCS_MAX, NODE_PROCS_MAX }; /* as the node's own processes */
	if (setrlimit(RLIMIT_NPROC, &nproc) < 0)
		_exit(126);
	node_files_limit();
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* cleared by the change of ids */
	pid_t child = fork();
	if (child < 0)
		_exit(126);
	if (child > 0) {
		/* Ctrl-C and the like reach the waiter (the command has a session
		 * of its own): pass them on. */
		forward_to = child;
		struct sigaction sa = { .sa_handler = forward };
		for (size_t k = 0; k < ARRAY_SIZE(forwarded); k++)
			sigaction(forwarded[k], &sa, NULL);
		int status;
		while (waitpid(child, &status, 0) < 0)
			if (errno != EINTR)
				_exit(126);
		_exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
	}

	/* The command dies with its waiter (whoever kills the waiter ends
	 * it), and starts clean: default signals, nothing blocked, no
	 * descriptor of the caller's beyond stdio once it execs. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (chdir("/") < 0)
		die("chdir /: %s", strerror(errno));
	static const int none_caps[] = { -1 };
	const int *keep[2 + ROLE_COUNT] = { profile_caps, d->extra_caps ? d->extra_caps : none_caps };
	int n = 2 + role_caps(d->roles, keep + 2);
	memset(&err, 0, sizeof(err));
	int r = caps_limit(keep, n, &err);
	if (r == 0)
		r = filter_install(&err);
	if (r < 0)
		die("node %s: %s", d->node, sl_err_text(&err, r));
	return 0;
}

int node_job_start(struct node_job *j, const struct node_door *d, char *const argv[], char *out, size_t size,
		   int max_ms)
{
	*j = (struct node_job){ .waiter = -1, .out = -1, .pidfd = -1, .buf = out, .size = size };
	out[0] = '\0';
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t waiter = node_enter(d);
	if (waiter == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(p[1], 1) < 0 || dup2(devnull, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if (waiter < 0) {
		close(p[0]);
		return waiter;
	}
	j->waiter = waiter;
	j->out = p[0];
	j->pidfd = (int)syscall(SYS_pidfd_open, waiter, 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	j->deadline = now_ms() + (uint64_t)max_ms;
	return 0;
}

/* The node may keep the pipe open (a process of its own holding the
 * command's stdout) or stop the command: it is over when the waiter is gone
 * or the deadline passed (then it is killed: its command dies with it). */
bool node_job_step(struct node_job *j, int wait_ms)
{
	if (j->over)
		return true;
	int left = (int)(j->deadline - now_ms());
	struct pollfd pf[2] = { { j->out, POLLIN, 0 }, { j->pidfd, POLLIN, 0 } };
	if (poll(pf, 2, left <= 0 ? 0 : left < wait_ms ? left : wait_ms) < 0 && errno != EINTR)
		j->over = true;
	if (j->pidfd < 0 || (pf[1].revents & POLLIN))
		j->over = true;
	ssize_t r;
	char sink[4096];
	/* what is there now (all of it, once the waiter is gone) */
	while ((r = read(j->out, j->n < j->size - 1 ? j->buf + j->n : sink,
			 j->n < j->size - 1 ? j->size - 1 - j->n : sizeof(sink))) > 0)
		j->n += j->n < j->size - 1 ? (size_t)r : 0;
	if (r == 0)
		j->over = true; /* every writer closed */
	j->buf[j->n] = '\0';
	/* Over just in time counts as over; only then may the deadline say. */
	if (!j->over && (int)(j->deadline - now_ms()) <= 0) {
		node_job_kill(j);
		j->timed_out = true;
	}
	return j->over;
}

/* By pidfd: the waiter may have been reaped by someone else already (the
 * lab's SIGCHLD handler), and its pid be another process's now. */
void node_job_kill(struct node_job *j)
{
	if (j->pidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, j->pidfd, SIGKILL, NULL, 0);
	j->over = true;
}

int node_job_end(struct node_job *j, const int *reaped_status)
{
	if (j->timed_out)
		node_job_kill(j);
	if (j->out >= 0)
		close(j->out);
	if (j->pidfd >= 0)
		close(j->pidfd);
	j->out = j->pidfd = -1;
	if (j->waiter <= 0)
		return -ECHILD;
	int status;
	if (reaped_status)
		status = *reaped_status;
	else
		while (waitpid(j->waiter, &status, 0) < 0)
			if (errno != EINTR)
				return -errno;
	j->waiter = -1;
	if (j->timed_out)
		return -ETIMEDOUT;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int node_run(const struct node_door *d, char *const argv[], char *out, size_t size, int max_ms)
{
	struct node_job j;
	int r = node_job_start(&j, d, argv, out, size, max_ms);
	if (r < 0)
		return r;
	while (!node_job_step(&j, max_ms))
		;
	return node_job_end(&j, NULL);
}
