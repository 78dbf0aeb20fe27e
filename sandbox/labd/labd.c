/* labd.c — the lab daemon's core (see labd.h): the loop and what its parts
 * register with it.
 *
 * Its own network namespace is the lab's switch: the bridges live there,
 * with the host side of every veth, so the host's network is never touched
 * and everything vanishes with the daemon. Nodes are its children with
 * PR_SET_PDEATHSIG, so `kill -9` of the daemon takes them all; their files
 * under /run/stacklab/LAB (socket, logs) are removed by `down`, or by the
 * next `up`; the nodes' own files are on a tmpfs only the daemon's mount
 * namespace holds, so they go with it.
 *
 * The parts (build.c, nodechan.c, logstore.c, requests.c, teardown.c,
 * events.c, fault.c, trafficd.c, publish.c, trace.c) watch their own
 * descriptors through lab_watch(), and the loop here calls whoever
 * registered a descriptor that is ready; they never call each other's
 * handlers. (build.c and trace.c pump the loop while they wait.) */
#include "labd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>

#include "ctl.h"
#include "lab.h"
#include "util.h"

#define LABD_FILES_MAX 65536 /* the lab daemon's soft limit on open files, at most */

const char *const lab_node_state_names[] = { "starting", "up", "down", "crashed", "frozen" };

/* --- watches ---------------------------------------------------------------- */

int lab_watch(struct lab *lab, int fd, lab_handler *fn, void *ctx, bool early)
{
	for (int k = 0; k < LAB_WATCHES_MAX; k++) {
		struct lab_watch *w = &lab->watches[k];
		/* A slot emptied in this round of events may still be named
		 * by one of them: it is taken again only in the next round. */
		if (w->fn || w->dead)
			continue;
		*w = (struct lab_watch){ .fd = fd, .fn = fn, .ctx = ctx, .early = early, .events = EPOLLIN };
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };
		if (epoll_ctl(lab->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			w->fn = NULL;
			return -errno;
		}
		return 0;
	}
	log_err("more than %d descriptors to watch", LAB_WATCHES_MAX);
	return -EMFILE;
}

static struct lab_watch *watch_of(struct lab *lab, int fd)
{
	for (int k = 0; k < LAB_WATCHES_MAX; k++)
		if (lab->watches[k].fn && lab->watches[k].fd == fd)
			return &lab->watches[k];
	return NULL;
}

/* Paused, fd leaves epoll altogether: with no events asked for, epoll
 * would still report a hang-up (a client that went away while its
 * request waits), and its handler would run under the request. Taken
 * back, it is watched for input again. */
int lab_watch_pause(struct lab *lab, int fd, bool paused)
{
	struct lab_watch *w = watch_of(lab, fd);
	if (!w)
		return -ENOENT;
	w->events = EPOLLIN;
	struct epoll_event ev = { .events = w->events, .data.ptr = w };
	int r = paused ? epoll_ctl(lab->ep, EPOLL_CTL_DEL, fd, NULL) : epoll_ctl(lab->ep, EPOLL_CTL_ADD, fd, &ev);
	return r < 0 && errno != ENOENT && errno != EEXIST ? -errno : 0;
}

int lab_watch_events(struct lab *lab, int fd, uint32_t events)
{
	struct lab_watch *w = watch_of(lab, fd);
	if (!w)
		return -ENOENT;
	if (w->events == events) /* most calls: no system call */
		return 0;
	w->events = events;
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(lab->ep, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

/* Delete first: a forked child (a traffic generator, a node_run waiter) may
 * hold a copy of the same file, and epoll would go on reporting a closed fd
 * for as long as that copy lives. */
void lab_unwatch(struct lab *lab, int fd)
{
	epoll_ctl(lab->ep, EPOLL_CTL_DEL, fd, NULL);
	for (int k = 0; k < LAB_WATCHES_MAX; k++)
		if (lab->watches[k].fn && lab->watches[k].fd == fd) {
			lab->watches[k].fn = NULL;
			lab->watches[k].dead = true;
		}
	close(fd);
}

/* Wait up to timeout_ms and call the handlers of what is ready (only the
 * early ones if `early_only`). */
static int dispatch_ready(struct lab *lab, int timeout_ms, bool early_only)
{
	struct epoll_event evs[32];
	int n = epoll_wait(lab->ep, evs, 32, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	lab->depth++;
	for (int k = 0; k < n && !lab->stopping; k++) {
		struct lab_watch *w = evs[k].data.ptr;
		if (w->fn && (w->early || !early_only))
			w->fn(lab, w->ctx);
	}
	/* A handler may pump events itself (trace waits so): the slots it
	 * freed are reused only once the outermost round is over. */
	if (--lab->depth == 0)
		for (int k = 0; k < LAB_WATCHES_MAX; k++)
			lab->watches[k].dead = false;
	return 0;
}

int lab_pump(struct lab *lab, int timeout_ms)
{
	int r = dispatch_ready(lab, timeout_ms, true);
	return r < 0 ? r : lab->stopping ? -EINTR : 0;
}

int lab_serve(struct lab *lab, int timeout_ms)
{
	int r = dispatch_ready(lab, timeout_ms, false);
	return r < 0 ? r : lab->stopping ? -EINTR : 0;
}

/* --- small services ------------------------------------------------------------ */

void lab_progress(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dprintf(STDOUT_FILENO, "%s\n", buf);
}

json_t *lab_reply_error(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

struct node_door lab_door(const struct lab *lab, int i)
{
	return (struct node_door){ .init = lab->nodes[i].pid, .daemon = getpid(), .lab = lab->name,
				   .node = lab->topo->nodes[i].name, .roles = lab->topo->nodes[i].roles };
}

int lab_node_of_role(const struct lab *lab, enum role_id role)
{
	const struct topo *t = lab->topo;
	for (int i = 0; i < t->n_nodes; i++)
		if (topo_has_role(&t->nodes[i], role))
			return i;
	return -1;
}

/* --- signals ---------------------------------------------------------------------- */

/* SIGTERM and the like take the lab down; SIGCHLD reaps, and a node whose
 * init died is down (heal starts it again). */
static void on_signal(struct lab *lab, void *ctx)
{
	(void)ctx;
	struct signalfd_siginfo si;
	while (read(lab->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			log_err("signal %d: taking the lab down", (int)si.ssi_signo);
			lab->stopping = true;
			lab_teardown(lab);
			return;
		}
		pid_t pid;
		int status;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			/* Reaped here, its pid is free: nobody may signal it later. */
			if (pid == lab->traffic.pid)
				lab->traffic.reaped = true;
			if (pid == lab->job_pid) {
				lab->job_status = status;
				lab->job_reaped = true;
			}
			for (int i = 0; i < lab->topo->n_nodes; i++)
				if (lab->nodes[i].pid == pid) {
					log_err("node %s: its init exited", lab->topo->nodes[i].name);
					lab->nodes[i].pid = 0;
					for (int k = 0; k < lab->nodes[i].n_services; k++) {
						lab->nodes[i].services[k].pid = 0;
						lab_watcher_gone(lab, i, lab->nodes[i].services[k].name);
					}
					lab_node_state(lab, i, NODE_DOWN);
				}
		}
	}
}

static int watch_signals(struct lab *lab)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	lab->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (lab->sig_fd < 0)
		return -errno;
	return lab_watch(lab, lab->sig_fd, on_signal, NULL, true);
}

/* --- the daemon ----------------------------------------------------------------------- */

struct lab *lab_new(const struct labd_options *opt)
{
	struct lab *lab = xcalloc(1, sizeof(*lab));
	/* Above 0-2, which labd_main points at the `up` client's pipe: a
	 * caller with stdin closed must not have its loop overwritten. */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	lab->ep = ep >= 0 && ep <= STDERR_FILENO ? fcntl(ep, F_DUPFD_CLOEXEC, STDERR_FILENO + 1) : ep;
	if (ep >= 0 && ep != lab->ep)
		close(ep);
	if (lab->ep < 0) {
		free(lab);
		return NULL;
	}
	lab->name = opt->lab;
	lab->topo = opt->topo;
	lab->dir = ctl_lab_dir(opt->lab);
	lab->timing = opt->timing;
	lab->watch_gid = opt->watch_gid;
	lab->allow = opt->allow;
	lab->t0_ms = now_ms();
	lab->started = time(NULL);
	lab->ctl_fd = lab->timer_fd = lab->rest_fd = lab->start_fd = lab->switch_ns = lab->publish.fd = lab->publish.http_fd = lab->publish.prom_fd = -1;
	for (int i = 0; i < PUBLISH_CONNS_MAX; i++)
		lab->publish.conns[i].fd[0] = lab->publish.conns[i].fd[1] = -1;
	for (int i = 0; i < TOPO_NODES_MAX; i++)
		lab->nodes[i].sync = -1;
	return lab;
}

int labd_main(const struct labd_options *opt)
{
	struct lab *lab = lab_new(opt);
	if (!lab) {
		log_err("epoll: %s", strerror(errno));
		return 1;
	}

	/* While starting, stdout and stderr are the `up` client's pipe. */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(opt->progress_fd, STDOUT_FILENO) < 0 ||
	    dup2(opt->progress_fd, STDERR_FILENO) < 0)
		return 1;
	close(devnull);
	close(opt->progress_fd);
	signal(SIGPIPE, SIG_IGN);
	/* Orphans of the lab (a process started in a node whose waiter died)
	 * come to us, not to the host's init, so they are reaped at once. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Each daemon of the lab costs the lab two descriptors (its log and its
	 * pipe), three while its node is made: a topology of a few hundred
	 * daemons would pass the usual soft limit of 1024. Up to LABD_FILES_MAX,
	 * as far as the hard limit allows; nodes go back to 1024 (node.c). */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < LABD_FILES_MAX) {
		nofile.rlim_cur = nofile.rlim_max < LABD_FILES_MAX ? nofile.rlim_max : LABD_FILES_MAX;
		(void)setrlimit(RLIMIT_NOFILE, &nofile);
	}

	struct sl_error err = { 0 };
	_cleanup_free_ char *log_path = ctl_lab_path(lab->name, "lab.log");
	lab->log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r = lab->log_fd < 0 ? sl_err(&err, errno, "%s: %s", log_path, strerror(errno)) : 0;
	if (r == 0 && (r = lab_share(lab, lab->log_fd, NULL, 0640)) < 0)
		sl_err(&err, -r, "%s: %s", log_path, strerror(-r));
	if (r == 0 && (r = watch_signals(lab)) < 0)
		sl_err(&err, -r, "signals: %s", strerror(-r));
	/* Who to stop while it starts (it has no socket until it is up):
	 * `down` reads this while the lab's lock says a daemon lives, and
	 * its SIGTERM is taken by the loop from now on. */
	_cleanup_free_ char *pid_path = ctl_lab_path(lab->name, "pid");
	_cleanup_free_ char *pid_text = xasprintf("%d\n", (int)getpid());
	if (r == 0 && (r = write_file(pid_path, pid_text, 0644)) < 0)
		sl_err(&err, -r, "%s: %s", pid_path, strerror(-r));
	/* The host-side listener is made while still in the host's namespace. */
	if (r == 0 && opt->publish_port)
		r = publish_listen(lab, opt->publish_addr, opt->publish_port, opt->publish_http_port, opt->publish_prom_port, &err);
	if (r == 0)
		r = lab_build(lab, &err);
	if (r == 0)
		r = requests_listen(lab, &err);
	if (r == 0)
		r = lab_links_watch(lab, &err);
	if (r < 0) {
		/* The one place a failed start is told: on the `up` client's pipe. */
		log_err("%s", sl_err_text(&err, r));
		log_err("lab %s did not start; rolling back", lab->name);
		lab_teardown(lab);
		return 1;
	}

	lab_progress("%s %d %llu", LABD_READY, lab->topo->n_nodes, (unsigned long long)(now_ms() - lab->t0_ms));
	/* From now on the daemon talks only to its log. */
	dup2(lab->log_fd, STDOUT_FILENO);
	dup2(lab->log_fd, STDERR_FILENO);
	lab->serving = true;
	while (!lab->stopping)
		if ((r = dispatch_ready(lab, -1, false)) < 0) {
			/* the daemon's own log: nobody else is listening now */
			log_err("epoll: %s", strerror(-r));
			lab_teardown(lab);
			break;
		}
	return 0;
}
