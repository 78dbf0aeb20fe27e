/* build.c — making a lab: each node's files (rendered templates, the lab
 * CA, a copy of the database template) given to the node's ids, the
 * switch, the nodes and their links; then waiting until every node is
 * ready and, for the whole stack, the site answers the client. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <stddef.h>
#include <sys/un.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbtemplate.h"
#include "dnszone.h"
#include "lab.h"
#include "net.h"
#include "node.h"
#include "pki.h"
#include "render.h"
#include "paths.h"
#include "util.h"

#define START_TIMEOUT_MS 30000
#define NODES_FS_SIZE "1g"   /* every node's /etc and /var together */

/* Placeholders the templates get beyond the topology's own: the timing
 * profile, a VIP holder's VRRP part, the site's scheme, a database's part
 * in replication, where the site is published. A formatted value lives in
 * the slot of `text` its variable has. */
struct node_vars {
	struct render_var v[TIMING_VARS_MAX + 24];
	char text[TIMING_VARS_MAX + 24][INET_ADDRSTRLEN + 8];
	size_t n;
};

static void add_var(struct node_vars *nv, const char *name, const char *value)
{
	if (nv->n == ARRAY_SIZE(nv->v))
		die("too many template variables (%s): raise node_vars' room", name);
	nv->v[nv->n++] = (struct render_var){ name, value };
}

__attribute__((format(printf, 3, 4))) static void add_varf(struct node_vars *nv, const char *name, const char *fmt, ...)
{
	if (nv->n == ARRAY_SIZE(nv->v))
		die("too many template variables (%s): raise node_vars' room", name);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(nv->text[nv->n], sizeof(nv->text[0]), fmt, ap);
	va_end(ap);
	add_var(nv, name, nv->text[nv->n]);
}

/* Node b's address as node a reaches it: on a network both are on (b's
 * first address otherwise); "-" without b. */
static const char *addr_from(const struct topo_node *a, const struct topo_node *b, char buf[INET_ADDRSTRLEN])
{
	if (!b)
		return "-";
	const struct in_addr *addr = NULL;
	for (int k = 0; k < a->n_ifaces && !addr; k++)
		addr = topo_node_addr(b, a->ifaces[k].net);
	return inet_ntop(AF_INET, addr ? addr : &b->ifaces[0].addr, buf, INET_ADDRSTRLEN);
}

/* The database node an app reads from: its own, else the first. */
static const struct topo_node *db_of(const struct topo *t, const struct topo_node *n)
{
	if (topo_has_role(n, ROLE_DB))
		return n;
	for (int i = 0; i < t->n_nodes; i++)
		if (topo_has_role(&t->nodes[i], ROLE_DB))
			return &t->nodes[i];
	return NULL;
}

/* A database's part in replication: its server id, whether it copies a
 * primary (and which), whether a replica copies it (then it keeps a
 * binary log); and where the app on `n` writes. */
static void db_vars(const struct topo *t, const struct topo_node *n, struct node_vars *nv)
{
	char a[INET_ADDRSTRLEN];
	const struct topo_node *p = topo_primary_of(t, n);
	add_varf(nv, "server_id", "%d", (int)(n - t->nodes) + 1);
	add_var(nv, "replica", p ? "yes" : "no");
	add_varf(nv, "primary_addr", "%s", addr_from(n, p, a));
	add_var(nv, "primary_node", p ? p->name : "-");
	add_var(nv, "binlog", topo_is_primary(t, n) ? "yes" : "no");
	add_var(nv, "replication", p || topo_is_primary(t, n) ? "yes" : "no");
	const struct topo_node *reads = db_of(t, n), *writes = reads ? topo_primary_of(t, reads) : NULL;
	if (!writes)
		writes = reads;
	add_varf(nv, "db_write_addr", "%s", addr_from(n, writes, a));
	add_var(nv, "db_write_node", writes ? writes->name : "-");
}

static void node_vars(const struct lab *lab, const struct topo_node *n, struct node_vars *nv)
{
	const struct topo *t = lab->topo;
	nv->n = 0;
	for (size_t i = 0; i < lab->timing->n_vars; i++)
		add_var(nv, lab->timing->vars[i].name, lab->timing->vars[i].value);
	int rank = 0;
	const struct topo_vip *vip = topo_held_vip(t, n, &rank);
	if (vip) {
		/* The first holder starts as MASTER with the highest priority. */
		char priority[12];
		snprintf(priority, sizeof(priority), "%d", 150 - 50 * (rank < 2 ? rank : 2) - (rank > 2 ? rank : 0));
		add_varf(nv, "priority", "%s", topo_setting(t, n, "priority", priority));
		add_varf(nv, "vip_prefix", "%d", t->nets[vip->net].prefix);
		for (int k = 0; k < n->n_ifaces; k++)
			if (n->ifaces[k].net == vip->net)
				add_var(nv, "vip_iface", n->ifaces[k].name);
		add_var(nv, "vrrp_state", rank == 0 ? "MASTER" : "BACKUP");
		/* with no other holder, keepalived would send to no one: multicast */
		add_var(nv, "vrrp_peers", vip->n_holders > 1 ? "yes" : "no");
	}
	add_var(nv, "balance", lab_balance(lab, n));
	add_var(nv, "https", t->https);
	add_var(nv, "site_port", strcmp(t->https, "yes") == 0 ? "443" : "80");
	add_var(nv, "holds_vip", vip ? "yes" : "no");
	add_var(nv, "monitored", topo_monitored(t) ? "yes" : "no");
	bool resolver = false;
	for (int i = 0; i < t->n_nodes; i++)
		resolver |= topo_has_role(&t->nodes[i], ROLE_RESOLVER);
	add_var(nv, "has_resolver", resolver ? "yes" : "no");
	db_vars(t, n, nv);
	/* Where the site is published on the host (0: not), for HAProxy's
	 * redirect of the published plain HTTP port to the HTTPS one. */
	add_varf(nv, "publish_port", "%d", lab->publish.fd >= 0 ? lab->publish.port : 0);
	add_varf(nv, "publish_http_port", "%d", lab->publish.http_fd >= 0 ? lab->publish.http_port : 0);
}

char *lab_render_file(struct lab *lab, int i, const char *rel, struct sl_error *err)
{
	_cleanup_free_ char *path = xasprintf("%s/rootfs/%s", data_dir(), rel);
	_cleanup_free_ char *text = read_file(path, NULL);
	if (!text) {
		sl_err(err, errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct node_vars nv;
	node_vars(lab, &lab->topo->nodes[i], &nv);
	return render_text(lab->topo, &lab->topo->nodes[i], text, path, nv.v, nv.n, err);
}

/* The uid and gid of `user` in a node's rendered /etc/passwd. */
static int node_user(const char *etc, const char *user, uid_t *uid, gid_t *gid, struct sl_error *err)
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
	return sl_err(err, ENOENT, "%s: no user '%s'", path, user);
}

/* An authoritative server's zone files and the list NSD reads, written
 * from the topology (dnszone.c). */
struct zone_write {
	struct lab *lab;
	const char *dir;
	char *path;
	size_t size;
	int r;
};

static void write_zone(const char *zone, void *ctx)
{
	struct zone_write *w = ctx;
	char file[160];
	dnszone_file(zone, file, sizeof(file));
	snprintf(w->path, w->size, "%s/%s", w->dir, file);
	_cleanup_free_ char *text = dnszone_text(w->lab->topo, zone, &w->lab->dns);
	if (w->r == 0)
		w->r = write_file(w->path, text, 0644);
}

static int install_zones(struct lab *lab, const struct lab_node *ln, char *path, size_t size)
{
	char dir[PATH_MAX - 64]; /* room for a file's name under it */
	snprintf(dir, sizeof(dir), "%s/nsd", ln->spec.etc);
	snprintf(path, size, "%s/zones.conf", dir);
	_cleanup_free_ char *conf = dnszone_nsd_conf(lab->topo, ln->spec.node);
	int r = mkdir_p(dir, 0755);
	if (r == 0)
		r = write_file(path, conf, 0644);
	struct zone_write w = { lab, dir, path, size, r };
	dnszone_each(lab->topo, ln->spec.node, write_zone, &w);
	return w.r;
}

/* What a node gets beyond its templates: the lab CA as the only CA it
 * trusts, the site certificate for the load balancers, a database. */
static int install_node_files(struct lab *lab, const struct lab_node *ln, struct sl_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/ssl/certs", ln->spec.etc);
	int r = mkdir_p(path, 0755);
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/ssl/certs/ca-certificates.crt", ln->spec.etc);
		r = copy_file(lab->ca_pem, path);
	}
	const struct topo_node *tn = ln->spec.node;
	if (r == 0 && topo_has_role(tn, ROLE_LB)) {
		snprintf(path, sizeof(path), "%s/haproxy/site.pem", ln->spec.etc);
		r = copy_file(lab->site_pem, path);
	}
	if (r == 0 && topo_has_role(tn, ROLE_DNS))
		r = install_zones(lab, ln, path, sizeof(path));
	if (r == 0 && topo_has_role(tn, ROLE_RESOLVER)) {
		snprintf(path, sizeof(path), "%s/unbound/root.hints", ln->spec.etc);
		_cleanup_free_ char *hints = dnszone_root_hints(lab->topo);
		r = write_file(path, hints, 0644);
	}
	if (r < 0)
		return sl_err(err, -r, "%s: %s", path, strerror(-r));
	if (topo_has_role(tn, ROLE_DB)) {
		uid_t uid = 0;
		gid_t gid = 0;
		snprintf(path, sizeof(path), "%s/lib/mysql", ln->spec.var);
		if ((r = node_user(ln->spec.etc, "mysql", &uid, &gid, err)) == 0)
			r = dbtemplate_copy(lab->db_datadir, path, uid, gid, err);
	}
	return r;
}

static int prepare_node_dirs(struct lab *lab, int i, struct sl_error *err)
{
	struct lab_node *ln = &lab->nodes[i];
	const struct topo_node *tn = &lab->topo->nodes[i];
	static const char *const var_dirs[] = { "log", "lib", "tmp", "cache", "spool" };
	ln->spec.topo = lab->topo;
	ln->spec.node = tn;
	ln->qps = ln->qps_5xx = -1;
	ln->spec.idmap = &lab->idmap;
	snprintf(ln->spec.dir, sizeof(ln->spec.dir), "%s/nodes/%s", lab->dir, tn->name);
	snprintf(ln->spec.root, sizeof(ln->spec.root), "%s/nodes/%s/root", lab->dir, tn->name);
	snprintf(ln->spec.etc, sizeof(ln->spec.etc), "%s/nodes/%s/etc", lab->dir, tn->name);
	snprintf(ln->spec.var, sizeof(ln->spec.var), "%s/nodes/%s/var", lab->dir, tn->name);
	char logs[PATH_MAX];
	snprintf(logs, sizeof(logs), "%s/logs/%s", lab->dir, tn->name);
	int r;
	if ((r = mkdir_p(ln->spec.root, 0755)) < 0 || (r = mkdir_p(ln->spec.etc, 0755)) < 0 ||
	    (r = mkdir_p(ln->spec.var, 0755)) < 0 || (r = mkdir_p(logs, 0750)) < 0 ||
	    (r = lab_share(lab, -1, logs, 0750)) < 0)
		return sl_err(err, -r, "make directories under %s: %s", lab->dir, strerror(-r));
	for (size_t k = 0; k < ARRAY_SIZE(var_dirs); k++) {
		char d[PATH_MAX];
		snprintf(d, sizeof(d), "%s/%s", ln->spec.var, var_dirs[k]);
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			return sl_err(err, errno, "%s: %s", d, strerror(errno));
	}
	char rootfs[PATH_MAX];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", data_dir());
	struct node_vars nv;
	node_vars(lab, tn, &nv);
	if ((r = render_node(lab->topo, tn, rootfs, ln->spec.etc, ln->spec.var, nv.v, nv.n, err)) < 0 ||
	    (r = logstore_register(lab, i, logs, err)) < 0 || (r = install_node_files(lab, ln, err)) < 0)
		return r;
	/* Everything the node may write is its root's, inside its user
	 * namespace; the host's root it is not. */
	return userns_shift_tree(ln->spec.dir, &lab->idmap, err);
}

/* The nodes' files (rendered /etc, /var, roots) live on a tmpfs mounted in a
 * mount namespace of the daemon's own: fast to write, invisible to the host,
 * and gone with the daemon however it ends. */
static int make_nodes_fs(struct lab *lab, struct sl_error *err)
{
	_cleanup_free_ char *nodes = xasprintf("%s/nodes", lab->dir);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return sl_err(err, errno, "the daemon's mount namespace: %s", strerror(errno));
	/* Bounded: a node that fills its disk gets ENOSPC, like a real one;
	 * the host's memory is not the limit. */
	if (mkdir(nodes, 0755) < 0 ||
	    mount("tmpfs", nodes, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=" NODES_FS_SIZE) < 0)
		return sl_err(err, errno, "tmpfs on %s: %s", nodes, strerror(errno));
	return 0;
}

/* The CA and site certificate, and the database template, made once. */
static void say(const char *what)
{
	lab_progress("%s", what);
}

static int prepare_shared(struct lab *lab, struct sl_error *err)
{
	const struct topo *t = lab->topo;
	int r = pki_ensure(t->domain, lab->ca_pem, sizeof(lab->ca_pem), lab->site_pem, sizeof(lab->site_pem), say, err);
	/* The CA lives in a 0700 cache of root's (or the user's): whoever
	 * opens the published site in a browser needs a copy they can read,
	 * and a certificate is no secret. */
	snprintf(lab->ca_public, sizeof(lab->ca_public), "%s/ca.pem", lab->dir);
	if (r == 0 && ((r = copy_file(lab->ca_pem, lab->ca_public)) < 0 || (r = chmod(lab->ca_public, 0644) < 0 ? -errno : 0) < 0))
		r = sl_err(err, -r, "%s: %s", lab->ca_public, strerror(-r));
	bool has_db = false;
	for (int i = 0; i < t->n_nodes; i++)
		has_db |= topo_has_role(&t->nodes[i], ROLE_DB);
	if (r == 0 && has_db) {
		char schema[PATH_MAX];
		snprintf(schema, sizeof(schema), "%s/rootfs/db/schema.sql", data_dir());
		r = dbtemplate_ensure(schema, lab->db_datadir, sizeof(lab->db_datadir), say, err);
	}
	return r;
}

static int make_switch(struct lab *lab, struct sl_error *err)
{
	/* The daemon's own new network namespace is the switch. */
	if (unshare(CLONE_NEWNET) < 0)
		return sl_err(err, errno, "the switch's network namespace: %s", strerror(errno));
	lab->switch_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (lab->switch_ns < 0)
		return sl_err(err, errno, "the switch's network namespace: %s", strerror(errno));
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
	int r = net_open(&lab->net, err);
	for (int i = 0; r == 0 && i < lab->topo->n_nets; i++)
		r = net_bridge_add(lab->net, lab->topo->nets[i].bridge, err);
	/* Which faults this kernel can show: delay and loss need netem (the
	 * TUI offers only what works). The switch's loopback is a safe place
	 * to ask. */
	if (r == 0 && net_link_set_up(lab->net, "lo", true, NULL) == 0) {
		lab->has_netem = net_qdisc_netem(lab->net, "lo", 1, 0, 0, NULL) == 0;
		if (lab->has_netem)
			net_qdisc_clear(lab->net, "lo", NULL);
	}
	return r;
}

/* Wait until every node reports ready, one fails, or time runs out. */
static int wait_ready(struct lab *lab, struct sl_error *err)
{
	uint64_t deadline = now_ms() + START_TIMEOUT_MS;
	while (lab->n_ready < lab->topo->n_nodes && !lab->failed) {
		int left = (int)(deadline - now_ms());
		if (left <= 0)
			return sl_err(err, ETIMEDOUT, "nodes not ready after %d s", START_TIMEOUT_MS / 1000);
		int r = lab_pump(lab, left);
		if (r < 0)
			return sl_err(err, -r, "%s", r == -EINTR ? "interrupted" : strerror(-r));
	}
	return lab->failed ? sl_err(err, EIO, "a node failed (it said why, above)") : 0;
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
	int r = node_run(&door, argv, out, sizeof(out), 3000); /* curl: 2 s */
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

static int test_hold(struct lab *lab, const char *phase, struct sl_error *err);

/* When the lab is the whole stack, it is ready only once the site answers
 * from the client through DNS, the VIP or the lb (if any), a web and an app
 * server, and the database. */
static int wait_site(struct lab *lab, struct sl_error *err)
{
	const struct topo *t = lab->topo;
	static const enum role_id needed[] = { ROLE_CLIENT, ROLE_DNS, ROLE_WEB, ROLE_APP, ROLE_DB };
	for (size_t k = 0; k < ARRAY_SIZE(needed); k++)
		if (lab_node_of_role(lab, needed[k]) < 0)
			return 0;
	if (!topo_www_addr(t))
		return 0;
	int client = lab_node_of_role(lab, ROLE_CLIENT);
	char url[128], last[128] = "";
	snprintf(url, sizeof(url), "%s://www.%s/", topo_scheme(t), t->domain);
	lab_progress("waiting for %s to answer the client", url);
	int r = test_hold(lab, "site", err);
	if (r < 0)
		return r;
	uint64_t deadline = now_ms() + START_TIMEOUT_MS;
	while (!site_answers(lab, client, url, last, sizeof(last))) {
		if (now_ms() > deadline)
			return sl_err(err, ETIMEDOUT, "%s did not answer the client in %d s (last try: %s)", url,
				      START_TIMEOUT_MS / 1000, last);
		r = lab_pump(lab, 20);
		if (r < 0)
			return sl_err(err, -r, "%s", r == -EINTR ? "interrupted" : strerror(-r));
		if (lab->failed)
			return sl_err(err, EIO, "a node failed (it said why, above)");
	}
	return 0;
}

/* Clone node i's init, waiting in its namespaces, and watch it. */
static int spawn_node(struct lab *lab, int i, struct sl_error *err)
{
	struct lab_node *ln = &lab->nodes[i];
	int r = logstore_open_pipes(lab, i, err);
	if (r < 0)
		return r;
	ln->pid = node_spawn(&ln->spec, &ln->sync, err);
	if (ln->pid < 0) {
		r = ln->pid;
		ln->pid = 0;
		return r;
	}
	ln->state = NODE_STARTING;
	r = nodechan_watch(lab, i);
	if (r < 0)
		return sl_err(err, -r, "node %s: %s", ln->spec.node->name, strerror(-r));
	if ((r = logstore_watch(lab, i, err)) < 0)
		return r;
	/* Before its init is released: whatever it starts is in there. */
	if ((r = cgroup_add(&lab->cgroups, ln->spec.node->name, ln->pid, ln->spec.node->memory, err)) < 0)
		return r;
	ln->cpu_capped = ln->spec.node->cpu > 0 &&
			 cgroup_cpu_limit(&lab->cgroups, ln->spec.node->name, ln->pid, ln->spec.node->cpu) == 0;
	return 0;
}

/* Give node i its links, then let its init go on. */
static int wire_node(struct lab *lab, int i, struct sl_error *err)
{
	const struct topo *t = lab->topo;
	const struct topo_node *tn = &t->nodes[i];
	for (int k = 0; k < tn->n_ifaces; k++) {
		const struct topo_iface *ifc = &tn->ifaces[k];
		/* Locally administered, unique in the lab: 02:73:6c ("sl"), the
		 * node, the interface. */
		const uint8_t mac[6] = { 0x02, 0x73, 0x6c, (uint8_t)(i >> 8), (uint8_t)i, (uint8_t)k };
		int r = net_veth_add(lab->net, ifc->peer, t->nets[ifc->net].bridge, ifc->name, mac, lab->nodes[i].pid, err);
		if (r < 0)
			return r;
	}
	/* Its firewall before any of its daemons listens. */
	int r = lab_firewall(lab, i, true, err);
	if (r < 0)
		return r;
	r = node_release(lab->nodes[i].sync);
	return r < 0 ? sl_err(err, -r, "release node %s: %s", tn->name, strerror(-r)) : 0;
}

int lab_node_respawn(struct lab *lab, int i, struct sl_error *err)
{
	struct lab_node *ln = &lab->nodes[i];
	if (ln->pid > 0)
		return -EBUSY;
	for (int k = 0; k < ln->n_services; k++)
		ln->services[k].pid = 0;
	int r = spawn_node(lab, i, err);
	if (r == 0) /* with its firewall, as at up */
		r = wire_node(lab, i, err);
	if (r < 0) {
		if (ln->pid > 0)
			kill(ln->pid, SIGKILL); /* reaped by on_signal, which marks it down */
		return r;
	}
	lab_node_state(lab, i, NODE_STARTING);
	return 0;
}

/* Labs that start at once share the machine's cores: thirty at once on two
 * cores made each one's daemons so slow that most MariaDBs missed their
 * 20 s (measured, bench/classroom.sh). So at most one lab per core starts
 * its nodes at a time; the others wait their turn, saying so. The kernel
 * frees a turn however its daemon ends, and nothing is written anywhere.
 *
 * Root's labs: a starting lab holds an exclusive flock on its own
 * directory; a lab counts the others' by trying theirs, and counts and
 * takes its own in one step, under a flock on /run/stacklab. No user can
 * hold up root's labs.
 *
 * Users' labs: a turn is one of `cores` abstract Unix socket names in the
 * host's network namespace, bound by the lab that holds it, so every
 * user's labs take turns together. Anyone may bind such a name: a user's
 * lab waits TURN_WAIT_MAX_MS at most, then goes without (a class's thirty
 * labs took 94 s to start two at a time: bench/classroom.sh). */
#define TURN_WAIT_MAX_MS (120 * 1000)

static int others_starting(const struct lab *lab)
{
	DIR *d = opendir(run_dir());
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (ctl_lab_name_ok(e->d_name) && strcmp(e->d_name, lab->name) != 0) {
			int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
				n++;
			close(fd); /* lets go of the shared lock, if it got one */
		}
	if (d)
		closedir(d);
	return n;
}

/* One try for a user's lab: bind a free turn's name. */
static bool take_shared_turn(int fd, long cores)
{
	for (long k = 0; k < cores; k++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int len = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "stacklab-start-turn-%ld", k);
		if (bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) == 0)
			return true;
	}
	return false;
}

/* One try for root's lab: count the others starting and, if there is a
 * core for it, take its own lock; -errno on failure. */
static int take_root_turn(struct lab *lab, int all, long cores, int *others, struct sl_error *err)
{
	if (flock(all, LOCK_EX) < 0)
		return sl_err(err, errno, "%s: %s", run_dir(), strerror(errno));
	*others = others_starting(lab);
	bool go = *others < cores;
	if (go && flock(lab->start_fd, LOCK_EX | LOCK_NB) < 0)
		return sl_err(err, errno, "%s: %s", lab->dir, strerror(errno));
	flock(all, LOCK_UN);
	return go;
}

static int build(struct lab *lab, struct sl_error *err);

/* For tests only: STACKLAB_TEST_HOLD=PHASE (prepare, nodes, daemons, site)
 * pauses the start at that phase, saying "held at PHASE", still serving,
 * until it is stopped (Ctrl-C, down) or a minute has gone. A test then
 * interrupts a start at a phase it names, never after a time that a faster
 * machine outruns. */
static int test_hold(struct lab *lab, const char *phase, struct sl_error *err)
{
	const char *want = getenv("STACKLAB_TEST_HOLD");
	if (!want || strcmp(want, phase) != 0)
		return 0;
	lab_progress("held at %s (STACKLAB_TEST_HOLD)", phase);
	for (uint64_t end = now_ms() + 60 * 1000; now_ms() < end;) {
		int r = lab_pump(lab, 100);
		if (r < 0)
			return sl_err(err, -r, "%s", r == -EINTR ? "interrupted" : strerror(-r));
	}
	return 0;
}

static int take_start_turn(struct lab *lab, struct sl_error *err)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	cores = cores > 0 ? cores : 1;
	_cleanup_close_ int all = -1;
	if (!rootless()) {
		all = open(run_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		lab->start_fd = open(lab->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (all < 0 || lab->start_fd < 0)
			return sl_err(err, errno, "%s: %s", lab->start_fd < 0 ? lab->dir : run_dir(), strerror(errno));
	}
	uint64_t t0 = now_ms();
	for (int told = -1;;) {
		int others = (int)cores;
		int r = rootless() ? take_shared_turn(lab->start_fd, cores) : take_root_turn(lab, all, cores, &others, err);
		if (r != 0)
			return r < 0 ? r : 0;
		if (others != told)
			lab_progress("waiting for its turn: %d other labs are starting on this machine", others);
		told = others;
		if (rootless() && now_ms() - t0 > TURN_WAIT_MAX_MS) {
			lab_progress("starting without a turn: the turns were held for %d s", TURN_WAIT_MAX_MS / 1000);
			return 0;
		}
		r = lab_pump(lab, 20 + (int)(now_ms() % 40)); /* not all in step */
		if (r < 0)
			return sl_err(err, -r, "%s", r == -EINTR ? "interrupted" : strerror(-r));
	}
}

static void give_start_turn(struct lab *lab)
{
	if (lab->start_fd >= 0)
		close(lab->start_fd);
	lab->start_fd = -1;
}

int lab_build(struct lab *lab, struct sl_error *err)
{
	int r = build(lab, err);
	give_start_turn(lab);
	return r;
}

static int build(struct lab *lab, struct sl_error *err)
{
	const struct topo *t = lab->topo;
	int r;
	lab_progress("preparing %d nodes", t->n_nodes);
	/* A user's lab takes its turn to start in the host's network
	 * namespace, which it leaves for the switch's: the socket stays in
	 * the one it was made in. */
	if (rootless() && (lab->start_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return sl_err(err, errno, "a socket for its turn to start: %s", strerror(errno));
	_cleanup_free_ char *logs = xasprintf("%s/logs", lab->dir);
	if (mkdir(logs, 0750) < 0 || lab_share(lab, -1, logs, 0750) < 0)
		return sl_err(err, errno, "%s: %s", logs, strerror(errno));
	if ((r = test_hold(lab, "prepare", err)) < 0 || (r = userns_pick(lab->name, lab->dir, &lab->idmap, err)) < 0 ||
	    (r = make_nodes_fs(lab, err)) < 0 ||
	    (r = prepare_shared(lab, err)) < 0)
		return r;
	for (int i = 0; i < t->n_nodes; i++)
		if ((r = prepare_node_dirs(lab, i, err)) < 0) {
			if (!err->code) /* keep the cause's errno, not wrap's EIO */
				sl_err(err, -r, "%s", strerror(-r));
			return sl_err_wrap(err, "node %s: ", t->nodes[i].name);
		}
	if ((r = make_switch(lab, err)) < 0 || (r = take_start_turn(lab, err)) < 0)
		return r;

	lab_progress("starting %d nodes", t->n_nodes);
	cgroup_open(&lab->cgroups, lab->name);
	for (int i = 0; i < t->n_nodes; i++)
		if ((r = spawn_node(lab, i, err)) < 0)
			return r;
	if ((r = test_hold(lab, "nodes", err)) < 0)
		return r;
	for (int i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].cpu > 0 && !lab->nodes[i].cpu_capped)
			lab_progress("note: node %s is sized cpu = %g, but this lab has no cpu cgroup: it may use every core, "
				     "and lessons about capacity may not hold here", t->nodes[i].name, t->nodes[i].cpu);
	lab->memory_bounded = cgroup_memory_bounded(&lab->cgroups, t->nodes[0].name);
	if (!lab->memory_bounded)
		lab_progress("note: its nodes' memory is not bounded (%s): a node may take all of the machine's; "
			     "systemd-run --user --scope -p Delegate=yes stacklab up gives them a bound",
			     rootless() ? "no cgroup with the memory controller is delegated to you" : "no memory cgroup here");
	lab_progress("wiring %d network%s", t->n_nets, t->n_nets == 1 ? "" : "s");
	lab->n_links = 0;
	for (int i = 0; i < t->n_nodes; i++)
		for (int k = 0; k < t->nodes[i].n_ifaces && lab->n_links < LINKS_MAX; k++)
			lab->links[lab->n_links++] = (struct lab_link){ .node = i, .iface = k, .up = true };
	for (int i = 0; i < t->n_nodes; i++)
		if ((r = wire_node(lab, i, err)) < 0)
			return r;
	lab_progress("starting the daemons");
	if ((r = test_hold(lab, "daemons", err)) < 0 || (r = wait_ready(lab, err)) < 0)
		return r;
	return wait_site(lab, err);
}
