/* labd.c — the lab daemon (see labd.h).
 *
 * Its own network namespace is the lab's switch: the bridges live there,
 * with the host side of every veth, so the host's network is never touched
 * and everything vanishes with the daemon. Nodes are its children with
 * PR_SET_PDEATHSIG, so `kill -9` of the daemon takes them all; their files
 * under /run/stacklab/LAB are removed by `down`, or by the next `up`. */
#include "labd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "ctl.h"
#include "net.h"
#include "node.h"
#include "render.h"
#include "util.h"

#define START_TIMEOUT_MS 30000
#define MAX_CLIENTS 64

enum node_state { NODE_STARTING, NODE_UP, NODE_DOWN };
static const char *const node_state_names[] = { "starting", "up", "down" };

struct lab_node {
	struct node_spec spec;
	pid_t pid;
	int sync;
	enum node_state state;
};

struct client {
	int fd;
	struct ctl_reader rd;
};

struct lab {
	const char *name;
	char *dir;
	struct topo *topo;
	struct lab_node nodes[TOPO_NODES_MAX];
	int log_fd, ctl_fd, ep, sig_fd;
	struct net *net;
	struct client *clients[MAX_CLIENTS];
	uint64_t t0_ms;
	time_t started;
	bool stopping;
};

/* Epoll tags: what an event's fd is. */
enum { TAG_SIGNAL = 1, TAG_CTL, TAG_NODE, TAG_CLIENT };
#define EP_TAG(kind, idx) (((uint64_t)(kind) << 32) | (uint32_t)(idx))

static int ep_add(struct lab *lab, int fd, int kind, int idx)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EP_TAG(kind, idx) };
	return epoll_ctl(lab->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dprintf(STDOUT_FILENO, "%s\n", buf);
}

/* --- teardown ------------------------------------------------------------ */

/* Kill every node and wait for it: once a pid namespace's init is reaped,
 * every process of the node is gone, and with them its network and mount
 * namespaces, its veth ends and its mounts. */
static void kill_nodes(struct lab *lab)
{
	for (int i = 0; i < lab->topo->n_nodes; i++)
		if (lab->nodes[i].pid > 0)
			kill(lab->nodes[i].pid, SIGKILL);
	for (int i = 0; i < lab->topo->n_nodes; i++) {
		struct lab_node *n = &lab->nodes[i];
		if (n->pid > 0)
			while (waitpid(n->pid, NULL, 0) < 0 && errno == EINTR)
				;
		n->pid = 0;
		n->state = NODE_DOWN;
		if (n->sync >= 0)
			close(n->sync);
		n->sync = -1;
	}
}

static void teardown(struct lab *lab)
{
	kill_nodes(lab);
	net_free(lab->net);
	lab->net = NULL;
	int r = rm_rf(lab->dir);
	if (r < 0)
		log_err("remove %s: %s", lab->dir, strerror(-r));
}

/* --- start --------------------------------------------------------------- */

static int prepare_node_dirs(struct lab *lab, int i)
{
	struct lab_node *ln = &lab->nodes[i];
	const struct topo_node *tn = &lab->topo->nodes[i];
	static const char *const var_dirs[] = { "log", "lib", "tmp", "cache", "spool" };
	ln->spec.topo = lab->topo;
	ln->spec.node = tn;
	ln->spec.log_fd = lab->log_fd;
	snprintf(ln->spec.root, sizeof(ln->spec.root), "%s/nodes/%s/root", lab->dir, tn->name);
	snprintf(ln->spec.etc, sizeof(ln->spec.etc), "%s/nodes/%s/etc", lab->dir, tn->name);
	snprintf(ln->spec.var, sizeof(ln->spec.var), "%s/nodes/%s/var", lab->dir, tn->name);
	int r;
	if ((r = mkdir_p(ln->spec.root, 0755)) < 0 || (r = mkdir_p(ln->spec.etc, 0755)) < 0 ||
	    (r = mkdir_p(ln->spec.var, 0755)) < 0) {
		log_err("node %s: make directories under %s: %s", tn->name, lab->dir, strerror(-r));
		return r;
	}
	for (size_t k = 0; k < ARRAY_SIZE(var_dirs); k++) {
		char d[PATH_MAX];
		snprintf(d, sizeof(d), "%s/%s", ln->spec.var, var_dirs[k]);
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	char rootfs[PATH_MAX];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", data_dir());
	r = render_node(lab->topo, tn, rootfs, ln->spec.etc, ln->spec.var, NULL, 0);
	if (r < 0)
		log_err("node %s: cannot render its files from %s", tn->name, rootfs);
	return r;
}

static int make_switch(struct lab *lab)
{
	/* The daemon's own new network namespace is the switch. */
	if (unshare(CLONE_NEWNET) < 0) {
		log_err("switch namespace: %s", strerror(errno));
		return -errno;
	}
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1", 0644);
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1", 0644);
	int r = net_open(&lab->net);
	for (int i = 0; r == 0 && i < lab->topo->n_nets; i++)
		r = net_bridge_add(lab->net, lab->topo->nets[i].bridge);
	return r;
}

/* Wait until every node reports ready, one fails, or time runs out. */
static int wait_ready(struct lab *lab)
{
	int pending = lab->topo->n_nodes;
	uint64_t deadline = now_ms() + START_TIMEOUT_MS;
	while (pending > 0) {
		int left = (int)(deadline - now_ms());
		if (left <= 0) {
			log_err("nodes not ready after %d s", START_TIMEOUT_MS / 1000);
			return -ETIMEDOUT;
		}
		struct epoll_event evs[16];
		int n = epoll_wait(lab->ep, evs, 16, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int k = 0; k < n; k++) {
			uint32_t kind = (uint32_t)(evs[k].data.u64 >> 32);
			int i = (int)(uint32_t)evs[k].data.u64;
			if (kind == TAG_SIGNAL) {
				struct signalfd_siginfo si;
				if (read(lab->sig_fd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD) {
					log_err("interrupted while starting");
					return -EINTR;
				}
				continue;
			}
			if (kind != TAG_NODE)
				continue;
			struct lab_node *ln = &lab->nodes[i];
			char msg[1024];
			ssize_t len = recv(ln->sync, msg, sizeof(msg) - 1, 0);
			if (len <= 0) {
				log_err("node %s: its init died while starting", ln->spec.node->name);
				return -ECHILD;
			}
			msg[len] = '\0';
			if (strcmp(msg, NODE_MSG_READY) == 0 && ln->state == NODE_STARTING) {
				ln->state = NODE_UP;
				pending--;
			} else if (str_has_prefix(msg, NODE_MSG_FAIL)) {
				log_err("node %s: %s", ln->spec.node->name, msg + strlen(NODE_MSG_FAIL));
				return -EIO;
			}
		}
	}
	return 0;
}

static int start(struct lab *lab)
{
	const struct topo *t = lab->topo;
	int r;
	progress("preparing %d nodes", t->n_nodes);
	for (int i = 0; i < t->n_nodes; i++)
		if ((r = prepare_node_dirs(lab, i)) < 0)
			return r;
	if ((r = make_switch(lab)) < 0)
		return r;

	progress("starting %d nodes", t->n_nodes);
	for (int i = 0; i < t->n_nodes; i++) {
		struct lab_node *ln = &lab->nodes[i];
		ln->pid = node_spawn(&ln->spec, &ln->sync);
		if (ln->pid < 0) {
			r = ln->pid;
			ln->pid = 0;
			return r;
		}
		ln->state = NODE_STARTING;
		if ((r = ep_add(lab, ln->sync, TAG_NODE, i)) < 0)
			return r;
	}
	progress("wiring %d networks", t->n_nets);
	for (int i = 0; i < t->n_nodes; i++) {
		const struct topo_node *tn = &t->nodes[i];
		for (int k = 0; k < tn->n_ifaces; k++) {
			const struct topo_iface *ifc = &tn->ifaces[k];
			r = net_veth_add(lab->net, ifc->peer, t->nets[ifc->net].bridge, ifc->name, lab->nodes[i].pid);
			if (r < 0)
				return r;
		}
		if ((r = node_release(lab->nodes[i].sync)) < 0)
			return r;
	}
	return wait_ready(lab);
}

/* --- requests ------------------------------------------------------------- */

static json_t *reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *reply_error(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

static json_t *addr_json(struct in_addr a)
{
	char buf[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *do_status(struct lab *lab, json_t *req)
{
	(void)req;
	const struct topo *t = lab->topo;
	json_t *nets = json_array(), *nodes = json_array(), *vips = json_array();
	for (int i = 0; i < t->n_nets; i++) {
		char subnet[INET_ADDRSTRLEN + 4];
		inet_ntop(AF_INET, &t->nets[i].subnet, subnet, INET_ADDRSTRLEN);
		snprintf(subnet + strlen(subnet), 4, "/%d", t->nets[i].prefix);
		json_array_append_new(nets, json_pack("{s:s, s:s, s:s}", "name", t->nets[i].name,
						      "subnet", subnet, "bridge", t->nets[i].bridge));
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct topo_node *tn = &t->nodes[i];
		const struct lab_node *ln = &lab->nodes[i];
		json_t *ifaces = json_array();
		for (int k = 0; k < tn->n_ifaces; k++) {
			const struct topo_iface *ifc = &tn->ifaces[k];
			json_array_append_new(ifaces, json_pack("{s:s, s:s, s:o, s:i, s:s}", "name", ifc->name,
								"network", t->nets[ifc->net].name, "address",
								addr_json(ifc->addr), "prefix", t->nets[ifc->net].prefix,
								"link", ifc->peer));
		}
		json_array_append_new(nodes, json_pack("{s:s, s:s, s:i, s:i, s:s, s:o}", "name", tn->name,
						       "role", tn->role->name, "tier", tn->role->tier, "pid",
						       (int)ln->pid, "state", node_state_names[ln->state],
						       "interfaces", ifaces));
	}
	for (int i = 0; i < t->n_vips; i++) {
		json_t *holders = json_array();
		for (int k = 0; k < t->vips[i].n_holders; k++)
			json_array_append_new(holders, json_string(t->nodes[t->vips[i].holders[k]].name));
		json_array_append_new(vips, json_pack("{s:s, s:s, s:o, s:o}", "name", t->vips[i].name, "network",
						      t->nets[t->vips[i].net].name, "address",
						      addr_json(t->vips[i].addr), "holders", holders));
	}
	return json_pack("{s:b, s:s, s:s, s:s, s:s, s:i, s:I, s:o, s:o, s:o}", "ok", 1, "lab", lab->name,
			 "topology", t->name, "title", t->title, "domain", t->domain, "pid", (int)getpid(),
			 "started", (json_int_t)lab->started, "networks", nets, "nodes", nodes, "vips", vips);
}

static json_t *do_down(struct lab *lab, json_t *req)
{
	(void)req;
	lab->stopping = true;
	teardown(lab);
	return json_pack("{s:b, s:i}", "ok", 1, "pid", (int)getpid());
}

static const struct {
	const char *name;
	json_t *(*fn)(struct lab *, json_t *);
} requests[] = {
	{ "status", do_status },
	{ "down", do_down },
};

static json_t *dispatch(struct lab *lab, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr);
	if (!req)
		return reply_error("request is not JSON: %s", jerr.text);
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *reply = NULL;
	for (size_t i = 0; cmd && i < ARRAY_SIZE(requests) && !reply; i++)
		if (strcmp(requests[i].name, cmd) == 0)
			reply = requests[i].fn(lab, req);
	if (!reply)
		reply = cmd ? reply_error("unknown request '%s'", cmd) : reply_error("request has no \"cmd\"");
	json_decref(req);
	return reply;
}

/* --- the loop --------------------------------------------------------------- */

static void client_close(struct lab *lab, int i)
{
	close(lab->clients[i]->fd);
	free(lab->clients[i]);
	lab->clients[i] = NULL;
}

static void on_accept(struct lab *lab)
{
	int fd = accept4(lab->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (!lab->clients[i]) {
			lab->clients[i] = xcalloc(1, sizeof(struct client));
			lab->clients[i]->fd = fd;
			if (ep_add(lab, fd, TAG_CLIENT, i) < 0)
				client_close(lab, i);
			return;
		}
	close(fd); /* too many clients */
}

static void on_client(struct lab *lab, int i)
{
	struct client *c = lab->clients[i];
	for (;;) {
		char *line = NULL;
		int r = ctl_read_line(c->fd, &c->rd, &line);
		if (r == -EAGAIN)
			return;
		if (r <= 0) {
			client_close(lab, i);
			return;
		}
		json_t *reply = dispatch(lab, line);
		free(line);
		ctl_send(c->fd, reply);
		json_decref(reply);
		if (lab->stopping)
			return;
	}
}

static void on_signal(struct lab *lab)
{
	struct signalfd_siginfo si;
	while (read(lab->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			log_err("signal %d: taking the lab down", (int)si.ssi_signo);
			lab->stopping = true;
			teardown(lab);
			return;
		}
		pid_t pid;
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			for (int i = 0; i < lab->topo->n_nodes; i++)
				if (lab->nodes[i].pid == pid) {
					log_err("node %s: its init exited", lab->nodes[i].spec.node->name);
					lab->nodes[i].pid = 0;
					lab->nodes[i].state = NODE_DOWN;
				}
	}
}

static void on_node(struct lab *lab, int i)
{
	struct lab_node *ln = &lab->nodes[i];
	char msg[1024];
	ssize_t len = recv(ln->sync, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	if (len > 0)
		return;
	if (len < 0 && errno == EAGAIN)
		return;
	epoll_ctl(lab->ep, EPOLL_CTL_DEL, ln->sync, NULL);
	close(ln->sync);
	ln->sync = -1;
}

static void serve(struct lab *lab)
{
	while (!lab->stopping) {
		struct epoll_event evs[32];
		int n = epoll_wait(lab->ep, evs, 32, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("epoll: %s", strerror(errno));
			teardown(lab);
			return;
		}
		for (int k = 0; k < n && !lab->stopping; k++) {
			uint32_t kind = (uint32_t)(evs[k].data.u64 >> 32);
			int i = (int)(uint32_t)evs[k].data.u64;
			switch (kind) {
			case TAG_SIGNAL: on_signal(lab); break;
			case TAG_CTL: on_accept(lab); break;
			case TAG_NODE: on_node(lab, i); break;
			case TAG_CLIENT:
				if (lab->clients[i])
					on_client(lab, i);
				break;
			}
		}
	}
}

int labd_main(const struct labd_options *opt)
{
	struct lab *lab = xcalloc(1, sizeof(*lab));
	lab->name = opt->lab;
	lab->topo = opt->topo;
	lab->dir = ctl_lab_dir(opt->lab);
	lab->t0_ms = now_ms();
	lab->started = time(NULL);
	lab->ctl_fd = -1;
	for (int i = 0; i < TOPO_NODES_MAX; i++)
		lab->nodes[i].sync = -1;

	/* While starting, stdout and stderr are the `up` client's pipe. */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(opt->progress_fd, STDOUT_FILENO) < 0 ||
	    dup2(opt->progress_fd, STDERR_FILENO) < 0)
		return 1;
	close(devnull);
	close(opt->progress_fd);
	signal(SIGPIPE, SIG_IGN);

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	lab->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	lab->ep = epoll_create1(EPOLL_CLOEXEC);

	_cleanup_free_ char *log_path = ctl_lab_path(lab->name, "lab.log");
	lab->log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int r = lab->log_fd < 0 || lab->sig_fd < 0 || lab->ep < 0 ? -errno : 0;
	if (r == 0)
		r = ep_add(lab, lab->sig_fd, TAG_SIGNAL, 0);
	if (r == 0)
		r = start(lab);
	if (r == 0) {
		_cleanup_free_ char *sock = ctl_lab_path(lab->name, "ctl.sock");
		lab->ctl_fd = ctl_listen(sock);
		r = lab->ctl_fd < 0 ? lab->ctl_fd : ep_add(lab, lab->ctl_fd, TAG_CTL, 0);
	}
	if (r < 0) {
		log_err("lab %s did not start; rolling back", lab->name);
		teardown(lab);
		return 1;
	}

	progress("%s %d %llu", LABD_READY, lab->topo->n_nodes, (unsigned long long)(now_ms() - lab->t0_ms));
	/* From now on the daemon talks only to its log. */
	dup2(lab->log_fd, STDOUT_FILENO);
	dup2(lab->log_fd, STDERR_FILENO);
	serve(lab);
	return 0;
}
