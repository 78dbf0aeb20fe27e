/* labd.c — the lab daemon (see labd.h).
 *
 * Its own network namespace is the lab's switch: the bridges live there,
 * with the host side of every veth, so the host's network is never touched
 * and everything vanishes with the daemon. Nodes are its children with
 * PR_SET_PDEATHSIG, so `kill -9` of the daemon takes them all; their files
 * under /run/stacklab/LAB (socket, logs) are removed by `down`, or by the
 * next `up`; the nodes' own files are on a tmpfs only the daemon's mount
 * namespace holds, so they go with it. */
#include "labd.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#include "ctl.h"
#include "lab.h"
#include "dbtemplate.h"
#include "net.h"
#include "node.h"
#include "pki.h"
#include "render.h"
#include "util.h"

#define START_TIMEOUT_MS 30000
#define SAMPLE_MS 250
#define NODES_FS_SIZE "1g"   /* every node's /etc and /var together */
#define INSPECT_FILE_MAX (256 << 10)   /* of one config file, for inspect */

const char *const lab_node_state_names[] = { "starting", "up", "down", "crashed", "frozen" };

/* Epoll tags: what an event's fd is. */
enum { TAG_SIGNAL = 1, TAG_CTL, TAG_NODE, TAG_CLIENT, TAG_TIMER, TAG_TRAFFIC, TAG_PUBLISH, TAG_RELAY };
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

/* Stop watching fd and close it. Delete first: a forked child (a traffic
 * generator, a node_run waiter) may hold a copy of the same file, and epoll
 * would go on reporting a closed fd for as long as that copy lives. */
void lab_unwatch(struct lab *lab, int fd)
{
	epoll_ctl(lab->ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

int lab_watch_publish(struct lab *lab, int fd, int tag)
{
	return ep_add(lab, fd, TAG_RELAY, tag);
}

int lab_watch_traffic(struct lab *lab, int fd)
{
	return ep_add(lab, fd, TAG_TRAFFIC, 0);
}

/* --- daemon output -------------------------------------------------------- */

int lab_share(const struct lab *lab, int fd, const char *path, mode_t mode)
{
	if (!lab->watch_gid)
		mode &= 0700;
	int r = fd >= 0 ? fchown(fd, 0, lab->watch_gid) | fchmod(fd, mode) : chown(path, 0, lab->watch_gid) | chmod(path, mode);
	return r < 0 ? -errno : 0;
}

static const char *tn_name(const struct lab *lab, int i)
{
	return lab->topo->nodes[i].name;
}

struct lab_service *lab_service_find(struct lab *lab, int i, const char *name, size_t n)
{
	struct lab_node *ln = &lab->nodes[i];
	for (int k = 0; k < ln->n_services; k++)
		if (strlen(ln->services[k].name) == n && memcmp(ln->services[k].name, name, n) == 0)
			return &ln->services[k];
	return NULL;
}

/* The daemons node i will run, from the services file the lab rendered for
 * it (before the node exists, so the node had no say), each with its log
 * file opened now: logs/NODE/NAME.log. */
static int register_services(struct lab *lab, int i, const char *logs)
{
	struct lab_node *ln = &lab->nodes[i];
	static struct service_set set;
	char path[PATH_MAX + 64], err[512];
	snprintf(path, sizeof(path), "%s/stacklab/services", ln->spec.etc);
	int r = service_load(path, &set, err, sizeof(err));
	if (r < 0) {
		log_err("node %s: %s", ln->spec.node->name, r == -EINVAL ? err : strerror(-r));
		return r;
	}
	for (int k = 0; k < set.n; k++) {
		struct lab_service *s = &ln->services[ln->n_services];
		str_copy(s->name, sizeof(s->name), set.s[k].name);
		snprintf(path, sizeof(path), "%s/%s.log", logs, s->name);
		s->log_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s->log_fd < 0 || lab_share(lab, s->log_fd, NULL, 0640) < 0) {
			log_err("node %s: %s: %s", ln->spec.node->name, path, strerror(errno));
			return -errno;
		}
		ln->n_services++;
	}
	return 0;
}

/* Lines of node i's daemon s, to its log; a full log becomes NAME.log.1. */
static void log_append(struct lab *lab, int i, struct lab_service *s, const char *text, size_t n)
{
	if (s->log_size + (off_t)n > LOG_ROTATE) {
		char path[PATH_MAX], old[PATH_MAX + 8];
		snprintf(path, sizeof(path), "%s/logs/%s/%s.log", lab->dir, tn_name(lab, i), s->name);
		snprintf(old, sizeof(old), "%s.1", path);
		int fd = -1;
		if (rename(path, old) == 0)
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 && lab_share(lab, fd, NULL, 0640) == 0) {
			close(s->log_fd);
			s->log_fd = fd;
			s->log_size = 0;
		} else if (fd >= 0) {
			close(fd);
		}
	}
	if (write_all(s->log_fd, text, n) == 0)
		s->log_size += (off_t)n;
}

static void close_logs(struct lab_node *ln)
{
	for (int k = 0; k < ln->n_services; k++)
		if (ln->services[k].log_fd >= 0) {
			close(ln->services[k].log_fd);
			ln->services[k].log_fd = -1;
		}
}

/* --- teardown ------------------------------------------------------------ */

/* Kill every node and wait for it: once a pid namespace's init is reaped,
 * every process of the node is gone, and with them its network and mount
 * namespaces, its veth ends and its mounts. */
static void kill_nodes(struct lab *lab)
{
	int left = 0;
	for (int i = 0; i < lab->topo->n_nodes; i++)
		if (lab->nodes[i].pid > 0) {
			kill(lab->nodes[i].pid, SIGKILL);
			left++;
		}
	/* Reap whatever child exits, not one pid after another: a node's pid
	 * namespace is only gone once every task of it is reaped, and some
	 * (a traffic generator whose waiter died) are our children as the
	 * subreaper, not the node init's. */
	while (left > 0) {
		pid_t pid = waitpid(-1, NULL, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (int i = 0; i < lab->topo->n_nodes; i++)
			if (lab->nodes[i].pid == pid) {
				lab->nodes[i].pid = 0;
				left--;
			}
	}
	for (int i = 0; i < lab->topo->n_nodes; i++) {
		struct lab_node *n = &lab->nodes[i];
		n->pid = 0;
		n->state = NODE_DOWN;
		if (n->sync >= 0)
			close(n->sync);
		n->sync = -1;
		close_logs(n);
	}
}

static void teardown(struct lab *lab)
{
	lab_traffic_stop(lab);
	/* A task frozen by the v1 freezer cannot die until it is thawed. */
	for (int i = 0; i < lab->topo->n_nodes; i++)
		if (lab->nodes[i].state == NODE_FROZEN)
			cgroup_freeze(&lab->cgroups, lab->topo->nodes[i].name, false);
	kill_nodes(lab);
	cgroup_remove(lab->name);
	net_free(lab->net);
	lab->net = NULL;
	/* The nodes' tmpfs exists only in the daemon's mount namespace. */
	_cleanup_free_ char *nodes = xasprintf("%s/nodes", lab->dir);
	umount2(nodes, MNT_DETACH);
	int r = rm_rf(lab->dir);
	if (r < 0)
		log_err("remove %s: %s", lab->dir, strerror(-r));
}

/* --- start --------------------------------------------------------------- */

/* The first VIP node `n` holds, and its place among the holders; NULL if none. */
static const struct topo_vip *held_vip(const struct topo *t, const struct topo_node *n, int *rank)
{
	for (int v = 0; v < t->n_vips; v++)
		for (int h = 0; h < t->vips[v].n_holders; h++)
			if (&t->nodes[t->vips[v].holders[h]] == n) {
				*rank = h;
				return &t->vips[v];
			}
	return NULL;
}

/* Placeholders the templates get beyond the topology's own: the timing
 * profile, and for VIP holders their VRRP part. Values live in `store`. */
struct node_vars {
	struct render_var v[TIMING_VARS_MAX + 8];
	size_t n;
	char store[6][32];
};

static void node_vars(const struct lab *lab, const struct topo_node *n, struct node_vars *nv)
{
	const struct topo *t = lab->topo;
	nv->n = 0;
	for (size_t i = 0; i < lab->timing->n_vars; i++)
		nv->v[nv->n++] = lab->timing->vars[i];
	int rank = 0;
	const struct topo_vip *vip = held_vip(t, n, &rank);
	if (vip) {
		/* The first holder starts as MASTER with the highest priority. */
		snprintf(nv->store[0], sizeof(nv->store[0]), "%d", 150 - 50 * (rank < 2 ? rank : 2) - (rank > 2 ? rank : 0));
		snprintf(nv->store[1], sizeof(nv->store[1]), "%d", t->nets[vip->net].prefix);
		for (int k = 0; k < n->n_ifaces; k++)
			if (n->ifaces[k].net == vip->net)
				str_copy(nv->store[2], sizeof(nv->store[2]), n->ifaces[k].name);
		nv->v[nv->n++] = (struct render_var){ "priority", topo_setting(t, n, "priority", nv->store[0]) };
		nv->v[nv->n++] = (struct render_var){ "vip_prefix", nv->store[1] };
		nv->v[nv->n++] = (struct render_var){ "vip_iface", nv->store[2] };
		nv->v[nv->n++] = (struct render_var){ "vrrp_state", rank == 0 ? "MASTER" : "BACKUP" };
	}
	nv->v[nv->n++] = (struct render_var){ "balance", topo_setting(t, n, "balance", "roundrobin") };
}

/* The uid and gid of `user` in a node's rendered /etc/passwd. */
static int node_user(const char *etc, const char *user, uid_t *uid, gid_t *gid)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/passwd", etc);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	struct passwd *pw;
	while (f && (pw = fgetpwent(f)))
		if (strcmp(pw->pw_name, user) == 0) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			return 0;
		}
	log_err("%s: no user '%s'", path, user);
	return -ENOENT;
}

/* What a node gets beyond its templates: the lab CA as the only CA it
 * trusts, the site certificate for the load balancers, a database. */
static int install_node_files(struct lab *lab, const struct lab_node *ln)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/ssl/certs", ln->spec.etc);
	int r = mkdir_p(path, 0755);
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/ssl/certs/ca-certificates.crt", ln->spec.etc);
		r = copy_file(lab->ca_pem, path);
	}
	const struct role *role = ln->spec.node->role;
	if (r == 0 && role == role_get(ROLE_LB)) {
		snprintf(path, sizeof(path), "%s/haproxy/site.pem", ln->spec.etc);
		r = copy_file(lab->site_pem, path);
	}
	if (r == 0 && role == role_get(ROLE_DB)) {
		uid_t uid;
		gid_t gid;
		snprintf(path, sizeof(path), "%s/lib/mysql", ln->spec.var);
		if ((r = node_user(ln->spec.etc, "mysql", &uid, &gid)) == 0)
			r = dbtemplate_copy(lab->db_datadir, path, uid, gid);
	}
	if (r < 0)
		log_err("node %s: install files: %s", ln->spec.node->name, strerror(-r));
	return r;
}

static int prepare_node_dirs(struct lab *lab, int i)
{
	struct lab_node *ln = &lab->nodes[i];
	const struct topo_node *tn = &lab->topo->nodes[i];
	static const char *const var_dirs[] = { "log", "lib", "tmp", "cache", "spool" };
	ln->spec.topo = lab->topo;
	ln->spec.node = tn;
	ln->spec.idmap = &lab->idmap;
	snprintf(ln->spec.root, sizeof(ln->spec.root), "%s/nodes/%s/root", lab->dir, tn->name);
	snprintf(ln->spec.etc, sizeof(ln->spec.etc), "%s/nodes/%s/etc", lab->dir, tn->name);
	snprintf(ln->spec.var, sizeof(ln->spec.var), "%s/nodes/%s/var", lab->dir, tn->name);
	char logs[PATH_MAX];
	snprintf(logs, sizeof(logs), "%s/logs/%s", lab->dir, tn->name);
	int r;
	if ((r = mkdir_p(ln->spec.root, 0755)) < 0 || (r = mkdir_p(ln->spec.etc, 0755)) < 0 ||
	    (r = mkdir_p(ln->spec.var, 0755)) < 0 || (r = mkdir_p(logs, 0750)) < 0 ||
	    (r = lab_share(lab, -1, logs, 0750)) < 0) {
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
	struct node_vars nv;
	node_vars(lab, tn, &nv);
	r = render_node(lab->topo, tn, rootfs, ln->spec.etc, ln->spec.var, nv.v, nv.n);
	if (r < 0) {
		log_err("node %s: cannot render its files from %s", tn->name, rootfs);
		return r;
	}
	if ((r = register_services(lab, i, logs)) < 0 || (r = install_node_files(lab, ln)) < 0)
		return r;
	/* Everything the node may write is its root's, inside its user
	 * namespace; the host's root it is not. */
	_cleanup_free_ char *dir = xasprintf("%s/nodes/%s", lab->dir, tn->name);
	return userns_shift_tree(dir, &lab->idmap);
}

/* The nodes' files (rendered /etc, /var, roots) live on a tmpfs mounted in a
 * mount namespace of the daemon's own: fast to write, invisible to the host,
 * and gone with the daemon however it ends. */
static int make_nodes_fs(struct lab *lab)
{
	_cleanup_free_ char *nodes = xasprintf("%s/nodes", lab->dir);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		log_err("daemon mount namespace: %s", strerror(errno));
		return -errno;
	}
	/* Bounded: a node that fills its disk gets ENOSPC, like a real one;
	 * the host's memory is not the limit. */
	if (mkdir(nodes, 0755) < 0 ||
	    mount("tmpfs", nodes, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=" NODES_FS_SIZE) < 0) {
		log_err("tmpfs on %s: %s", nodes, strerror(errno));
		return -errno;
	}
	return 0;
}

/* The CA and site certificate, and the database template, made once. */
static int prepare_shared(struct lab *lab)
{
	const struct topo *t = lab->topo;
	int r = pki_ensure(t->domain, lab->ca_pem, sizeof(lab->ca_pem), lab->site_pem, sizeof(lab->site_pem));
	bool has_db = false;
	for (int i = 0; i < t->n_nodes; i++)
		has_db |= t->nodes[i].role == role_get(ROLE_DB);
	if (r == 0 && has_db) {
		char schema[PATH_MAX];
		snprintf(schema, sizeof(schema), "%s/rootfs/db/schema.sql", data_dir());
		r = dbtemplate_ensure(schema, lab->db_datadir, sizeof(lab->db_datadir));
	}
	return r;
}

static int make_switch(struct lab *lab)
{
	/* The daemon's own new network namespace is the switch. */
	if (unshare(CLONE_NEWNET) < 0) {
		log_err("switch namespace: %s", strerror(errno));
		return -errno;
	}
	lab->switch_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (lab->switch_ns < 0)
		return -errno;
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1", 0644);
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1", 0644);
	/* A switch filters nothing: keep bridged frames out of the IP
	 * netfilter hooks (on where br_netfilter is built in). */
	static const char *const nf[] = { "iptables", "ip6tables", "arptables" };
	for (size_t i = 0; i < ARRAY_SIZE(nf); i++) {
		char path[96];
		snprintf(path, sizeof(path), "/proc/sys/net/bridge/bridge-nf-call-%s", nf[i]);
		if (access(path, F_OK) == 0)
			write_file(path, "0", 0644);
	}
	int r = net_open(&lab->net);
	for (int i = 0; r == 0 && i < lab->topo->n_nets; i++)
		r = net_bridge_add(lab->net, lab->topo->nets[i].bridge);
	return r;
}

/* A node failed while starting: say what, with its daemon's last lines.
 * `why` comes from the node: cleaned, and its first word is believed only
 * if it names one of the node's daemons. */
static void node_failed(struct lab *lab, int i, char *why)
{
	const char *node = lab->topo->nodes[i].name;
	text_clean(why);
	log_err("node %s: %s", node, why);
	struct lab_service *s = lab_service_find(lab, i, why, strcspn(why, " "));
	if (s) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/logs/%s/%s.log", lab->dir, node, s->name);
		_cleanup_free_ char *tail = tail_file(path, 8);
		if (tail && *tail) {
			log_err("the last lines %s printed:", s->name);
			text_clean(tail);
			for (char *line = strtok(tail, "\n"); line; line = strtok(NULL, "\n"))
				dprintf(STDERR_FILENO, "    %s\n", line);
		}
	}
	lab->failed = 1;
}

/* "NAME REST": the node's daemon NAME and where REST starts, or NULL when the
 * node names no daemon the lab gave it (a hostile node: ignored). */
static struct lab_service *named_service(struct lab *lab, int i, const char *body, size_t len, const char **rest)
{
	const char *space = memchr(body, ' ', len);
	size_t n = space ? (size_t)(space - body) : len;
	struct lab_service *s = lab_service_find(lab, i, body, n);
	if (!s)
		log_err("node %s named a daemon it does not have: ignored", lab->topo->nodes[i].name);
	*rest = space ? space + 1 : body + len;
	return s;
}

/* A message from node i's init. Nothing in it is trusted: every daemon name
 * must be one the lab gave the node, numbers are checked, text is cleaned
 * before it reaches a terminal or an event. */
static void on_node_message(struct lab *lab, int i, char *msg, size_t len)
{
	struct lab_node *ln = &lab->nodes[i];
	const char *rest;
	struct lab_service *s;
	if (str_has_prefix(msg, NODE_MSG_LOG)) {
		const char *body = msg + strlen(NODE_MSG_LOG);
		size_t blen = len - strlen(NODE_MSG_LOG);
		if (!(s = named_service(lab, i, body, blen, &rest)))
			return;
		size_t n = blen - (size_t)(rest - body);
		log_append(lab, i, s, rest, n);
		lab_daemon_output(lab, i, s->name, rest, n);
	} else if (str_has_prefix(msg, NODE_MSG_START)) {
		const char *body = msg + strlen(NODE_MSG_START);
		char *end;
		if (!(s = named_service(lab, i, body, len - strlen(NODE_MSG_START), &rest)))
			return;
		long pid = strtol(rest, &end, 10);
		if (end != rest && *end == '\0' && pid > 0 && pid < (1L << 22))
			lab_daemon_started(lab, i, s->name, (pid_t)pid);
	} else if (strcmp(msg, NODE_MSG_READY) == 0 && ln->state == NODE_STARTING) {
		if (lab->serving)
			lab_node_state(lab, i, NODE_UP); /* started again by a heal */
		else
			ln->state = NODE_UP;
		lab->n_ready++;
	} else if (str_has_prefix(msg, NODE_MSG_FAIL)) {
		node_failed(lab, i, msg + strlen(NODE_MSG_FAIL));
	} else if (str_has_prefix(msg, NODE_MSG_EXIT)) {
		char *what = msg + strlen(NODE_MSG_EXIT);
		if (!(s = named_service(lab, i, what, len - strlen(NODE_MSG_EXIT), &rest)))
			return;
		char how[64];
		snprintf(how, sizeof(how), "%s", rest);
		text_clean(how);
		lab_daemon_exited(lab, i, s->name, how);
		/* During a fault a daemon's death is expected; while
		 * starting, it fails the lab. */
		if (!lab->serving)
			node_failed(lab, i, what);
		else if (ln->state == NODE_UP)
			log_err("node %s: %s %s", ln->spec.node->name, s->name, how);
	}
}

static void on_node(struct lab *lab, int i)
{
	struct lab_node *ln = &lab->nodes[i];
	static char msg[16384 + 64];
	for (;;) {
		ssize_t len = recv(ln->sync, msg, sizeof(msg) - 1, MSG_DONTWAIT);
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (len <= 0) {
			if (ln->state == NODE_STARTING)
				node_failed(lab, i, (char[]){ "its init died while starting" });
			lab_unwatch(lab, ln->sync);
			ln->sync = -1;
			return;
		}
		msg[len] = '\0';
		/* A NUL inside would cut what checks see from what is used. */
		on_node_message(lab, i, msg, strnlen(msg, (size_t)len));
	}
}

static void on_signal(struct lab *lab);

/* Handle what happens for up to timeout_ms while starting: node messages,
 * signals. Returns -EINTR if a signal asks the lab to stop. */
int lab_pump(struct lab *lab, int timeout_ms)
{
	struct epoll_event evs[16];
	int n = epoll_wait(lab->ep, evs, 16, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int k = 0; k < n; k++) {
		uint32_t kind = (uint32_t)(evs[k].data.u64 >> 32);
		int i = (int)(uint32_t)evs[k].data.u64;
		if (kind == TAG_SIGNAL) {
			on_signal(lab);
			if (lab->stopping)
				return -EINTR;
		} else if (kind == TAG_NODE) {
			on_node(lab, i);
		}
	}
	return 0;
}

/* Wait until every node reports ready, one fails, or time runs out. */
static int wait_ready(struct lab *lab)
{
	uint64_t deadline = now_ms() + START_TIMEOUT_MS;
	while (lab->n_ready < lab->topo->n_nodes && !lab->failed) {
		int left = (int)(deadline - now_ms());
		if (left <= 0) {
			log_err("nodes not ready after %d s", START_TIMEOUT_MS / 1000);
			return -ETIMEDOUT;
		}
		int r = lab_pump(lab, left);
		if (r < 0)
			return r;
	}
	return lab->failed ? -EIO : 0;
}

struct node_door lab_door(const struct lab *lab, int i)
{
	return (struct node_door){ .init = lab->nodes[i].pid, .daemon = 0, .lab = lab->name,
				   .node = lab->topo->nodes[i].name, .role = lab->topo->nodes[i].role };
}

int lab_node_of_role(const struct lab *lab, enum role_id role)
{
	const struct topo *t = lab->topo;
	for (int i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].role == role_get(role))
			return i;
	return -1;
}

/* Does one HTTPS request from the client come back 200 with rows from the
 * database? `last` says what happened otherwise. */
static bool site_answers(struct lab *lab, int client, const char *url, char *last, size_t size)
{
	/* --globoff: a URL is one request, whatever brackets it holds. */
	char *argv[] = { "/usr/bin/curl", "--globoff", "-s", "-o", "/dev/null", "-D", "-", "--max-time", "2",
			 (char *)url, NULL };
	char out[4096];
	struct node_door door = lab_door(lab, client);
	int r = node_run(&door, argv, out, sizeof(out));
	if (r != 0) {
		snprintf(last, size, "curl %s", r < 0 ? strerror(-r) : "failed (no answer)");
		return false;
	}
	int status = 0;
	sscanf(out, "HTTP/%*s %d", &status);
	const char *rows = strcasestr(out, "\nx-foobar-rows:");
	snprintf(last, size, "HTTP %d%s", status, rows ? "" : ", no rows from the database");
	return status == 200 && rows && atoi(rows + 16) > 0;
}

/* When the lab is the whole stack, it is ready only once the site answers
 * from the client through DNS, the VIP, an LB, a web and an app server, and
 * the database. */
static int wait_site(struct lab *lab)
{
	const struct topo *t = lab->topo;
	for (enum role_id r = 0; r < ROLE_COUNT; r++)
		if (lab_node_of_role(lab, r) < 0)
			return 0;
	if (t->n_vips == 0)
		return 0;
	int client = lab_node_of_role(lab, ROLE_CLIENT);
	char url[128], last[128] = "";
	snprintf(url, sizeof(url), "https://www.%s/", t->domain);
	progress("waiting for %s to answer the client", url);
	uint64_t deadline = now_ms() + START_TIMEOUT_MS;
	while (!site_answers(lab, client, url, last, sizeof(last))) {
		if (now_ms() > deadline) {
			log_err("%s did not answer the client in %d s (last try: %s)", url, START_TIMEOUT_MS / 1000, last);
			return -ETIMEDOUT;
		}
		int r = lab_pump(lab, 20);
		if (r < 0)
			return r;
		if (lab->failed)
			return -EIO;
	}
	return 0;
}

/* Clone node i's init, waiting in its namespaces, and watch it. */
static int spawn_node(struct lab *lab, int i)
{
	struct lab_node *ln = &lab->nodes[i];
	ln->pid = node_spawn(&ln->spec, &ln->sync);
	if (ln->pid < 0) {
		int r = ln->pid;
		ln->pid = 0;
		return r;
	}
	ln->state = NODE_STARTING;
	int r = ep_add(lab, ln->sync, TAG_NODE, i);
	/* Before its init is released: whatever it starts is in there. */
	if (r == 0)
		r = cgroup_add(&lab->cgroups, ln->spec.node->name, ln->pid);
	return r;
}

/* Give node i its links, then let its init go on. */
static int wire_node(struct lab *lab, int i)
{
	const struct topo *t = lab->topo;
	const struct topo_node *tn = &t->nodes[i];
	for (int k = 0; k < tn->n_ifaces; k++) {
		const struct topo_iface *ifc = &tn->ifaces[k];
		int r = net_veth_add(lab->net, ifc->peer, t->nets[ifc->net].bridge, ifc->name, lab->nodes[i].pid);
		if (r < 0)
			return r;
	}
	return node_release(lab->nodes[i].sync);
}

int lab_node_respawn(struct lab *lab, int i)
{
	struct lab_node *ln = &lab->nodes[i];
	if (ln->pid > 0)
		return -EBUSY;
	for (int k = 0; k < ln->n_services; k++)
		ln->services[k].pid = 0;
	int r = spawn_node(lab, i);
	if (r == 0)
		r = wire_node(lab, i);
	if (r < 0) {
		log_err("node %s: cannot start it again: %s", tn_name(lab, i), strerror(-r));
		if (ln->pid > 0)
			kill(ln->pid, SIGKILL); /* reaped by on_signal, which marks it down */
		return r;
	}
	lab_node_state(lab, i, NODE_STARTING);
	return 0;
}

static int start(struct lab *lab)
{
	const struct topo *t = lab->topo;
	int r;
	progress("preparing %d nodes", t->n_nodes);
	_cleanup_free_ char *logs = xasprintf("%s/logs", lab->dir);
	if (mkdir(logs, 0750) < 0 || (r = lab_share(lab, -1, logs, 0750)) < 0) {
		log_err("%s: %s", logs, strerror(errno));
		return -errno;
	}
	if ((r = userns_pick(lab->name, lab->dir, &lab->idmap)) < 0) {
		log_err("no free range of ids for the nodes' user namespace: %s", strerror(-r));
		return r;
	}
	if ((r = make_nodes_fs(lab)) < 0 || (r = prepare_shared(lab)) < 0)
		return r;
	for (int i = 0; i < t->n_nodes; i++)
		if ((r = prepare_node_dirs(lab, i)) < 0)
			return r;
	if ((r = make_switch(lab)) < 0)
		return r;

	progress("starting %d nodes", t->n_nodes);
	cgroup_open(&lab->cgroups, lab->name);
	for (int i = 0; i < t->n_nodes; i++)
		if ((r = spawn_node(lab, i)) < 0)
			return r;
	progress("wiring %d networks", t->n_nets);
	lab->n_links = 0;
	for (int i = 0; i < t->n_nodes; i++)
		for (int k = 0; k < t->nodes[i].n_ifaces && lab->n_links < LINKS_MAX; k++)
			lab->links[lab->n_links++] = (struct lab_link){ .node = i, .iface = k, .up = true };
	for (int i = 0; i < t->n_nodes; i++)
		if ((r = wire_node(lab, i)) < 0)
			return r;
	progress("starting the daemons");
	if ((r = wait_ready(lab)) < 0)
		return r;
	return wait_site(lab);
}

/* --- requests ------------------------------------------------------------- */

json_t *lab_reply_error(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

static json_t *do_status(struct lab *lab, json_t *req)
{
	(void)req;
	return lab_status(lab);
}

/* Text files under dir (relative names into `files`), for inspect. */
static void collect_files(const char *root, const char *rel, json_t *files, int depth)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", root, rel);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) && json_array_size(files) < 32) {
		if (e->d_name[0] == '.')
			continue;
		char sub[PATH_MAX];
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
		if (e->d_type == DT_DIR && depth < 3)
			collect_files(root, sub, files, depth + 1);
		else if (e->d_type == DT_REG)
			json_array_append_new(files, json_string(sub));
	}
	if (d)
		closedir(d);
}

/* A node up close: its daemons, the config files its role renders (read
 * from the node's own /etc), and each daemon's last log lines. */
static json_t *do_inspect(struct lab *lab, json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "node"));
	int i;
	for (i = 0; name && i < lab->topo->n_nodes; i++)
		if (strcmp(lab->topo->nodes[i].name, name) == 0)
			break;
	if (!name || i == lab->topo->n_nodes)
		return lab_reply_error("no node '%s' in lab %s", name ? name : "", lab->name);
	const struct lab_node *ln = &lab->nodes[i];
	json_t *files = json_array(), *out = json_array(), *logs = json_object();
	char role_etc[PATH_MAX];
	snprintf(role_etc, sizeof(role_etc), "%s/rootfs/%s/etc", data_dir(), ln->spec.node->role->name);
	collect_files(role_etc, "", files, 0);
	size_t k;
	json_t *f;
	json_array_foreach(files, k, f) {
		/* The node's own /etc: it may have made any file a link, a FIFO
		 * or binary. Read what is a plain file under it, cleaned. */
		char *text = read_beneath(ln->spec.etc, json_string_value(f), INSPECT_FILE_MAX);
		char why[128];
		if (text)
			text_clean(text);
		else
			snprintf(why, sizeof(why), "(not shown: %s)",
				 errno == EINVAL ? "not a regular file" : errno == ELOOP || errno == EXDEV ? "a link" : strerror(errno));
		json_array_append_new(out, json_pack("{s:s+, s:s}", "path", "/etc/", json_string_value(f), "text",
						     text ? text : why));
		free(text);
	}
	json_decref(files);
	for (int d = 0; d < ln->n_services; d++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/logs/%s/%s.log", lab->dir, ln->spec.node->name, ln->services[d].name);
		_cleanup_free_ char *tail = tail_file(path, 40);
		json_object_set_new(logs, ln->services[d].name, json_string(tail ? tail : ""));
	}
	json_t *st = lab_status(lab);
	json_t *node = json_incref(json_array_get(json_object_get(st, "nodes"), (size_t)i));
	json_decref(st);
	return json_pack("{s:b, s:o, s:o, s:o}", "ok", 1, "node", node, "files", out, "logs", logs);
}

/* From now on this connection also carries the event stream. */
static json_t *do_subscribe(struct lab *lab, json_t *req, struct client *c)
{
	(void)lab;
	const char *filter = json_string_value(json_object_get(req, "filter"));
	c->subscribed = true;
	if (filter && str_copy(c->filter, sizeof(c->filter), filter) < 0)
		return lab_reply_error("filter is too long");
	/* Room for bursts (a busy lab logs hundreds of lines a second): a
	 * subscriber that still falls behind loses events, the lab never waits. */
	int size = SUBSCRIBER_BUFFER;
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	return json_pack("{s:b}", "ok", 1);
}

static json_t *do_down(struct lab *lab, json_t *req)
{
	(void)req;
	lab->stopping = true;
	teardown(lab);
	return json_pack("{s:b, s:i}", "ok", 1, "pid", (int)getpid());
}

/* Who may ask what. Watching (status, events, inspect, trace) is for root
 * and the lab's watch group; changing the lab is for root alone. */
enum access { WATCH, CHANGE };

static const struct {
	const char *name;
	enum access access;
	json_t *(*fn)(struct lab *, json_t *);
} requests[] = {
	{ "status", WATCH, do_status },
	{ "inspect", WATCH, do_inspect },
	{ "trace", WATCH, trace_request },
	{ "down", CHANGE, do_down },
	{ "fail", CHANGE, fault_request },
	{ "heal", CHANGE, heal_request },
	{ "traffic", CHANGE, traffic_request },
};

/* Is the peer of `fd` root, or (for watching) in group `gid`? The kernel
 * says who connected (SO_PEERCRED, SO_PEERGROUPS): nothing the client
 * claims counts. Returns NULL if allowed, else why not. */
static const char *refused(const struct lab *lab, int fd, enum access access)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return "cannot tell who is asking";
	if (cred.uid == 0)
		return NULL;
	if (access == CHANGE)
		return "only root may change a lab";
	if (lab->watch_gid == 0)
		return "only root may watch this lab (it has no watch group)";
	if (cred.gid == lab->watch_gid)
		return NULL;
	gid_t groups[256];
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		for (size_t k = 0; k < len / sizeof(gid_t); k++)
			if (groups[k] == lab->watch_gid)
				return NULL;
	return "only root and the lab's watch group may watch it";
}

static json_t *dispatch(struct lab *lab, struct client *c, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr);
	if (!req)
		return lab_reply_error("request is not JSON: %s", jerr.text);
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *reply = NULL;
	const char *no = NULL;
	if (cmd && strcmp(cmd, "subscribe") == 0)
		reply = (no = refused(lab, c->fd, WATCH)) ? NULL : do_subscribe(lab, req, c);
	for (size_t i = 0; cmd && i < ARRAY_SIZE(requests) && !reply && !no; i++) {
		if (strcmp(requests[i].name, cmd) != 0)
			continue;
		/* `traffic` only looks when it asks for the status. */
		const char *action = json_string_value(json_object_get(req, "action"));
		enum access need = requests[i].fn == traffic_request && (!action || strcmp(action, "status") == 0)
					   ? WATCH : requests[i].access;
		if (!(no = refused(lab, c->fd, need)))
			reply = requests[i].fn(lab, req);
	}
	if (no)
		reply = lab_reply_error("%s: %s", cmd, no);
	if (!reply)
		reply = cmd ? lab_reply_error("unknown request '%s'", cmd) : lab_reply_error("request has no \"cmd\"");
	json_decref(req);
	return reply;
}

/* --- the loop --------------------------------------------------------------- */

static void client_close(struct lab *lab, int i)
{
	lab_unwatch(lab, lab->clients[i]->fd);
	free(lab->clients[i]->rest);
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
		json_t *reply = dispatch(lab, c, line);
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
					for (int k = 0; k < lab->nodes[i].n_services; k++)
						lab->nodes[i].services[k].pid = 0;
					lab_node_state(lab, i, NODE_DOWN);
				}
	}
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
			case TAG_PUBLISH: publish_accept(lab); break;
			case TAG_RELAY: publish_relay(lab, i); break;
			case TAG_TRAFFIC:
				if (lab->traffic.pid)
					lab_traffic_input(lab);
				break;
			case TAG_TIMER: {
				uint64_t ticks;
				if (read(lab->timer_fd, &ticks, sizeof(ticks)) == sizeof(ticks))
					lab_sample_links(lab);
				break;
			}
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
	lab->timing = opt->timing;
	lab->watch_gid = opt->watch_gid;
	lab->t0_ms = now_ms();
	lab->started = time(NULL);
	lab->ctl_fd = -1;
	lab->timer_fd = -1;
	lab->switch_ns = -1;
	lab->publish.fd = -1;
	for (int i = 0; i < PUBLISH_CONNS_MAX; i++)
		lab->publish.conns[i].fd[0] = lab->publish.conns[i].fd[1] = -1;
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
	/* Orphans of the lab (a process started in a node whose waiter died)
	 * come to us, not to the host's init, so they are reaped at once. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

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
	lab->log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r = lab->log_fd < 0 || lab->sig_fd < 0 || lab->ep < 0 ? -errno : 0;
	if (r == 0)
		r = lab_share(lab, lab->log_fd, NULL, 0640);
	if (r == 0)
		r = ep_add(lab, lab->sig_fd, TAG_SIGNAL, 0);
	/* The host-side listener is made while still in the host's namespace. */
	if (r == 0 && opt->publish_port)
		r = publish_listen(lab, opt->publish_addr, opt->publish_port);
	if (r == 0)
		r = start(lab);
	if (r == 0 && lab->publish.fd >= 0)
		r = ep_add(lab, lab->publish.fd, TAG_PUBLISH, 0);
	if (r == 0) {
		_cleanup_free_ char *sock = ctl_lab_path(lab->name, "ctl.sock");
		lab->ctl_fd = ctl_listen(sock, lab->watch_gid);
		r = lab->ctl_fd < 0 ? lab->ctl_fd : ep_add(lab, lab->ctl_fd, TAG_CTL, 0);
	}
	if (r == 0) {
		/* Link counters are sampled several times a second. */
		lab->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		struct itimerspec its = { { 0, SAMPLE_MS * 1000000L }, { 0, SAMPLE_MS * 1000000L } };
		if (lab->timer_fd < 0 || timerfd_settime(lab->timer_fd, 0, &its, NULL) < 0)
			r = -errno;
		else
			r = ep_add(lab, lab->timer_fd, TAG_TIMER, 0);
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
	lab->serving = true;
	serve(lab);
	return 0;
}
