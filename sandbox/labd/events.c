/* events.c — the lab's live state and its event stream (see lab.h).
 *
 * Everything here is fed by what really happens: node inits report their
 * daemons' starts and exits; the daemons' output comes down the lab's pipes
 * (logstore.c), and their own log lines tell VRRP
 * states and HAProxy's view of its servers (watch.c); the switch's link
 * counters give the traffic on every veth. Each change is an event, one
 * JSON object per line to every subscriber of the control socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <sys/timerfd.h>

#include "lab.h"
#include "paths.h"
#include "util.h"
#include "watch.h"

/* Does `word` appear in the comma-separated list `list`? */
static bool in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/* Does subscriber c take events of this kind, or about this node? */
static bool wants(const struct client *c, const char *kind, const char *node)
{
	return !c->filter[0] || (kind && in_list(c->filter, kind)) || (node && in_list(c->filter, node));
}

static bool matches(const struct client *c, json_t *ev)
{
	return wants(c, json_string_value(json_object_get(ev, "kind")), json_string_value(json_object_get(ev, "node")));
}

/* Send what the socket takes of text; keep the rest for later. Returns
 * false if nothing could be sent. */
static bool send_some(struct client *c, const char *text, size_t len)
{
	ssize_t w = send(c->fd, text, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w <= 0) {
		c->gone |= w < 0 && errno != EAGAIN && errno != EINTR;
		return false;
	}
	if ((size_t)w < len) {
		c->rest_len = len - (size_t)w;
		c->rest = xmalloc(c->rest_len);
		memcpy(c->rest, text + w, c->rest_len);
	}
	return true;
}

/* Finish the event a subscriber got part of; true once nothing is owed. */
static bool flush_rest(struct client *c)
{
	if (!c->rest)
		return true;
	char *rest = steal_ptr(&c->rest);
	size_t len = c->rest_len;
	c->rest_len = 0;
	if (!send_some(c, rest, len)) {
		c->rest = rest; /* nothing went: keep all of it */
		c->rest_len = len;
		return false;
	}
	free(rest);
	return c->rest == NULL;
}

int lab_client_flush(struct client *c)
{
	bool done = flush_rest(c);
	return c->gone ? -EPIPE : done;
}

int lab_client_reply(struct client *c, json_t *reply)
{
	if (c->gone) /* hung up, or let go while it was answered */
		return -EPIPE;
	_cleanup_free_ char *text = json_dumps(reply, CTL_JSON_FLAGS);
	if (!text)
		return -ENOMEM;
	size_t n = strlen(text);
	text[n++] = '\n'; /* json_dumps' terminator becomes the line end */
	if (c->rest) {
		/* After what it is owed: a reply never cuts into an event. */
		if (c->rest_len + n > CLIENT_OWED_MAX)
			return -ENOBUFS;
		char *more = realloc(c->rest, c->rest_len + n);
		if (!more)
			return -ENOMEM;
		c->rest = more;
		memcpy(c->rest + c->rest_len, text, n);
		c->rest_len += n;
		return lab_client_flush(c) < 0 ? -EPIPE : 0;
	}
	if (!send_some(c, text, n) && !c->gone) {
		c->rest = steal_ptr(&text); /* none of it went: all of it is owed */
		c->rest_len = n;
	}
	return c->gone ? -EPIPE : 0;
}

/* An event to one subscriber, whole or not at all. */
static void deliver(struct client *c, const char *text)
{
	if (!flush_rest(c)) {
		c->lost++;
		return;
	}
	if (c->lost) {
		char note[96];
		int n = snprintf(note, sizeof(note), "{\"kind\":\"lost\",\"count\":%lu}\n", c->lost);
		if (!send_some(c, note, (size_t)n) || c->rest) {
			c->lost++;
			return;
		}
		c->lost = 0;
	}
	if (!send_some(c, text, strlen(text)))
		c->lost++;
}

void lab_emit(struct lab *lab, json_t *ev)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	json_object_set_new(ev, "time", json_real((double)tv.tv_sec + tv.tv_usec / 1e6));
	_cleanup_free_ char *text = NULL;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = lab->clients[i];
		if (!c || !c->subscribed || !matches(c, ev))
			continue;
		if (!text) {
			text = json_dumps(ev, CTL_JSON_FLAGS);
			if (!text)
				break;
			size_t n = strlen(text);
			text = realloc(text, n + 2);
			if (!text)
				break;
			text[n] = '\n';
			text[n + 1] = '\0';
		}
		/* A subscriber that cannot keep up loses events rather than
		 * stalling the lab. */
		deliver(c, text);
	}
	lab_incident_note(lab, ev, (double)tv.tv_sec + tv.tv_usec / 1e6);
	json_decref(ev);
}

static const char *node_name(const struct lab *lab, int node)
{
	return lab->topo->nodes[node].name;
}

void lab_node_state(struct lab *lab, int node, enum node_state state)
{
	struct lab_node *ln = &lab->nodes[node];
	if (ln->state == state)
		return;
	const char *was = lab_node_state_names[ln->state];
	ln->state = state;
	lab_emit(lab, json_pack("{s:s, s:s, s:s, s:s}", "kind", "node", "node", node_name(lab, node), "state",
				lab_node_state_names[state], "previous", was));
}


static void set_server(struct lab *lab, int node, const struct watch_event *w);
static void servers_fresh(struct lab *lab, int node);
static void set_replica(struct lab *lab, int node, const struct watch_replica *r);
static void set_qps(struct lab *lab, const char *pairs, bool errors);
static void replication_event(struct lab *lab, int node, const char *change);

void lab_daemon_started(struct lab *lab, int node, const char *daemon, pid_t pid)
{
	struct lab_service *s = lab_service_find(lab, node, daemon, strlen(daemon));
	if (!s)
		return;
	s->pid = pid;
	s->how[0] = '\0';
	s->serving = s->stopping = false;
	lab_emit(lab, json_pack("{s:s, s:s, s:s, s:s, s:i}", "kind", "daemon", "node", node_name(lab, node), "daemon",
				daemon, "state", "starting", "pid", (int)pid));
	if (strcmp(daemon, "haproxy") == 0)
		servers_fresh(lab, node);
}

static void vip_event(struct lab *lab)
{
	for (int v = 0; v < lab->topo->n_vips; v++) {
		char addr[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &lab->topo->vips[v].addr, addr, sizeof(addr));
		lab_emit(lab, json_pack("{s:s, s:s, s:s, s:o}", "kind", "vip", "vip", lab->topo->vips[v].name,
					"address", addr, "holders", lab_vip_holders(lab, v)));
	}
}

static void set_vrrp(struct lab *lab, int node, const char *instance, const char *state)
{
	struct lab_node *ln = &lab->nodes[node];
	if (strcmp(ln->vrrp, state) == 0)
		return;
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "vrrp", "node", node_name(lab, node), "instance",
			       instance, "state", state[0] ? state : "STOPPED", "previous", ln->vrrp[0] ? ln->vrrp : "-");
	str_copy(ln->vrrp, sizeof(ln->vrrp), state);
	lab_emit(lab, ev);
	vip_event(lab);
}

const char *lab_daemon_state(const struct lab_service *s)
{
	return !s->pid ? "exited" : s->stopping ? "stopping" : s->serving ? "running" : "starting";
}

void lab_daemon_serving(struct lab *lab, int node, struct lab_service *s)
{
	if (!s->pid || s->serving)
		return;
	s->serving = true;
	lab_emit(lab, json_pack("{s:s, s:s, s:s, s:s, s:i}", "kind", "daemon", "node", node_name(lab, node), "daemon",
				s->name, "state", "running", "pid", (int)s->pid));
}

void lab_daemon_stopping(struct lab *lab, int node, struct lab_service *s, const char *how)
{
	if (!s->pid)
		return;
	s->stopping = true;
	lab_emit(lab, json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "daemon", "node", node_name(lab, node), "daemon",
				s->name, "state", "stopping", "how", how));
}

void lab_daemon_exited(struct lab *lab, int node, const char *daemon, const char *how)
{
	struct lab_service *s = lab_service_find(lab, node, daemon, strlen(daemon));
	if (!s)
		return;
	s->pid = 0;
	s->serving = s->stopping = false;
	str_copy(s->how, sizeof(s->how), how);
	lab_emit(lab, json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "daemon", "node", node_name(lab, node), "daemon",
				daemon, "state", "exited", "how", how));
	/* A dead keepalived holds nothing any more (the address it left on
	 * the interface answers no one once the node's links are down). */
	if (strcmp(daemon, "keepalived") == 0)
		set_vrrp(lab, node, "", "");
	lab_watcher_gone(lab, node, daemon);
}

void lab_watcher_gone(struct lab *lab, int node, const char *daemon)
{
	/* What a watcher said holds no longer once it is gone: a replica
	 * whose watcher died is not known to replicate, nor any QPS. */
	if (strcmp(daemon, "replication") == 0) {
		memset(&lab->nodes[node].replica, 0, sizeof(lab->nodes[node].replica));
		replication_event(lab, node, "state");
	} else if (strcmp(daemon, "qps") == 0) {
		for (int i = 0; i < lab->topo->n_nodes; i++)
			lab->nodes[i].qps = lab->nodes[i].qps_5xx = -1;
		lab_emit(lab, json_pack("{s:s, s:{}, s:b}", "kind", "qps", "qps", "gone", 1));
	}
}

static void set_server(struct lab *lab, int node, const struct watch_event *w)
{
	struct lab_node *ln = &lab->nodes[node];
	int k;
	for (k = 0; k < ln->n_servers; k++)
		if (strcmp(ln->servers[k].backend, w->instance) == 0 && strcmp(ln->servers[k].server, w->server) == 0)
			break;
	if (k == ln->n_servers) {
		if (k == SERVERS_MAX)
			return;
		ln->n_servers++;
		str_copy(ln->servers[k].backend, sizeof(ln->servers[k].backend), w->instance);
		str_copy(ln->servers[k].server, sizeof(ln->servers[k].server), w->server);
		ln->servers[k].state[0] = '\0';
	}
	if (strcmp(ln->servers[k].state, w->state) == 0)
		return;
	str_copy(ln->servers[k].state, sizeof(ln->servers[k].state), w->state);
	lab_emit(lab, json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "backend", "node", node_name(lab, node), "backend",
				w->instance, "server", w->server, "state", w->state));
}

/* A fresh HAProxy worker (at start, or after a reload: `set`, or kill
 * -USR2 from inside the node) starts its servers UP without saying so; a
 * failed check is logged as DOWN later. Its backend "web" holds the lab's
 * web nodes (rootfs/lb/etc/haproxy/haproxy.cfg). */
static void servers_fresh(struct lab *lab, int node)
{
	for (int k = 0; k < lab->topo->n_nodes; k++) {
		if (!topo_has_role(&lab->topo->nodes[k], ROLE_WEB))
			continue;
		struct watch_event w = { .kind = WATCH_SERVER, .instance = "web", .state = "UP" };
		str_copy(w.server, sizeof(w.server), lab->topo->nodes[k].name);
		set_server(lab, node, &w);
	}
}

/* Does any subscriber take events of this kind, or about this node? A
 * busy daemon prints a line per request: its lines become JSON only when
 * someone follows them. */
static bool followed(const struct lab *lab, const char *kind, const char *node)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (lab->clients[i] && lab->clients[i]->subscribed && wants(lab->clients[i], kind, node))
			return true;
	return false;
}

void lab_daemon_output(struct lab *lab, int node, const char *daemon, const char *text, size_t len)
{
	char line[4096];
	bool follow = followed(lab, "log", node_name(lab, node));
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t keep = n < sizeof(line) ? n : sizeof(line) - 1;
		while (keep < n && keep > 0 && ((unsigned char)p[keep] & 0xc0) == 0x80)
			keep--; /* cut before a character, never inside one (JSON wants UTF-8) */
		memcpy(line, p, keep);
		line[keep] = '\0';
		p += n + 1;
		if (follow)
			lab_emit(lab, json_pack("{s:s, s:s, s:s, s:s}", "kind", "log", "node", node_name(lab, node),
						"daemon", daemon, "line", line));
		struct watch_event w;
		if (!watch_parse(daemon, line, &w))
			continue;
		if (w.kind == WATCH_VRRP)
			set_vrrp(lab, node, w.instance, w.state);
		else if (w.kind == WATCH_REPLICA)
			set_replica(lab, node, &w.replica);
		else if (w.kind == WATCH_QPS)
			set_qps(lab, w.qps, w.errors);
		else if (w.kind == WATCH_WORKER)
			servers_fresh(lab, node);
		else
			set_server(lab, node, &w);
	}
}

/* The lab's domain as its servers answer it now (`set` may have changed
 * www and the TTL): NULL when no node serves it. */
static json_t *zone_json(const struct lab *lab)
{
	const struct topo *t = lab->topo;
	json_t *servers = json_array();
	for (int i = 0; i < t->n_nodes; i++)
		if (topo_serves(t, &t->nodes[i], t->domain))
			json_array_append_new(servers, json_string(t->nodes[i].name));
	if (json_array_size(servers) == 0) {
		json_decref(servers);
		return NULL;
	}
	const struct in_addr *www = lab->dns.www.s_addr ? &lab->dns.www : topo_www_addr(t);
	char addr[INET_ADDRSTRLEN] = "-";
	if (www)
		inet_ntop(AF_INET, www, addr, sizeof(addr));
	return json_pack("{s:s, s:s, s:i, s:I, s:o, s:b}", "name", t->domain, "www", addr, "ttl", dnszone_ttl(t, &lab->dns),
			 "serial", (json_int_t)(lab->dns.serial ? lab->dns.serial : 1), "servers", servers, "changed",
			 lab->dns.serial > 1);
}

/* Where www.DOMAIN points: "lb1 203.0.113.11" (a VIP: its name). */
static json_t *www_text(const struct topo *t)
{
	const struct in_addr *a = topo_www_addr(t);
	if (!a)
		return json_null();
	char addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, a, addr, sizeof(addr));
	return json_sprintf("%s %s", t->www[0] ? t->www : t->n_vips ? t->vips[0].name : "-", addr);
}

/* A database's part in replication: a primary names its replicas; a
 * replica its primary, its threads, and how far behind it is (seconds, as
 * MariaDB says, and transactions fetched but not yet applied). NULL for a
 * database that takes no part. */
static json_t *replication_json(const struct lab *lab, int i)
{
	const struct topo *t = lab->topo;
	const struct topo_node *tn = &t->nodes[i], *p = topo_primary_of(t, tn);
	if (!p) {
		json_t *replicas = json_array();
		for (int k = 0; k < t->n_nodes; k++)
			if (topo_primary_of(t, &t->nodes[k]) == tn)
				json_array_append_new(replicas, json_string(t->nodes[k].name));
		const char *binlog = lab->nodes[i].replica.binlog;
		if (json_array_size(replicas))
			return json_pack("{s:s, s:o, s:s}", "role", "primary", "replicas", replicas, "binlog",
					 binlog[0] ? binlog : "-");
		json_decref(replicas);
		return NULL;
	}
	const struct watch_replica *r = &lab->nodes[i].replica;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "role", "replica", "primary", p->name, "io",
			      r->io[0] ? r->io : "-", "sql", r->sql[0] ? r->sql : "-", "received",
			      r->received[0] ? r->received : "-", "applied", r->applied[0] ? r->applied : "-", "error",
			      r->error[0] ? r->error : "-");
	char *end;
	long behind = strtol(r->behind, &end, 10);
	json_object_set_new(o, "seconds_behind", r->behind[0] && !*end ? json_integer(behind) : json_null());
	/* Behind by: what the primary has logged and this replica has not
	 * applied yet (fetched or not: a slow link holds them back too). */
	const char *binlog = lab->nodes[p - t->nodes].replica.binlog;
	long long logged = strcmp(binlog, "-") == 0 ? 0 : watch_gtid_seq(binlog); /* "-": an empty log */
	long long got = watch_gtid_seq(r->received), done = watch_gtid_seq(r->applied);
	if (logged < got)
		logged = got;
	if (done < 0 && logged >= 0 && strcmp(r->io, "Yes") == 0)
		done = 0; /* nothing applied yet */
	json_object_set_new(o, "lag", logged >= 0 && done >= 0 ? json_integer(logged > done ? logged - done : 0) : json_null());
	json_object_set_new(o, "primary_binlog", json_string(lab->nodes[p - t->nodes].replica.binlog[0]
							     ? lab->nodes[p - t->nodes].replica.binlog : "-"));
	return o;
}

static void replication_event(struct lab *lab, int node, const char *change)
{
	json_t *ev = replication_json(lab, node);
	if (!ev)
		return;
	json_object_set_new(ev, "kind", json_string("replication"));
	json_object_set_new(ev, "node", json_string(node_name(lab, node)));
	json_object_set_new(ev, "change", json_string(change));
	lab_emit(lab, ev);
}

/* A line of a database's replication watcher: a primary says how far its
 * binary log goes (its replicas' lag moves), a replica its threads and
 * positions. */
static void set_replica(struct lab *lab, int node, const struct watch_replica *r)
{
	struct watch_replica *was = &lab->nodes[node].replica;
	if (r->binlog[0]) {
		str_copy(was->binlog, sizeof(was->binlog), r->binlog);
		replication_event(lab, node, "position");
		for (int k = 0; k < lab->topo->n_nodes; k++)
			if (topo_primary_of(lab->topo, &lab->topo->nodes[k]) == &lab->topo->nodes[node])
				replication_event(lab, k, "position");
		return;
	}
	bool threads = strcmp(was->io, r->io) != 0 || strcmp(was->sql, r->sql) != 0 || strcmp(was->error, r->error) != 0;
	char binlog[sizeof(was->binlog)];
	str_copy(binlog, sizeof(binlog), was->binlog);
	*was = *r;
	str_copy(was->binlog, sizeof(was->binlog), binlog);
	replication_event(lab, node, threads ? "state" : "position");
}

/* "web-01=10.0 web-02=9.9" from the monitor's watcher: each web server's
 * requests per second as Prometheus computes them. Names the topology
 * does not have, and numbers that are not, are ignored (the line comes
 * from a node). */
static void set_qps(struct lab *lab, const char *pairs, bool errors)
{
	struct watch_qps q[TOPO_NODES_MAX];
	int n = watch_qps_pairs(pairs, q, TOPO_NODES_MAX);
	const char *what = errors ? "qps_5xx" : "qps";
	json_t *ev = json_pack("{s:s, s:{}}", "kind", "qps", what);
	for (int k = 0; k < n; k++) {
		const struct topo_node *tn = topo_node_find(lab->topo, q[k].name);
		if (!tn)
			continue;
		*(errors ? &lab->nodes[tn - lab->topo->nodes].qps_5xx : &lab->nodes[tn - lab->topo->nodes].qps) = q[k].value;
		json_object_set_new(json_object_get(ev, what), tn->name, json_real(round(q[k].value * 10) / 10));
	}
	lab_emit(lab, ev);
}

json_t *lab_vip_holders(struct lab *lab, int v)
{
	json_t *a = json_array();
	const struct topo_vip *vip = &lab->topo->vips[v];
	for (int h = 0; h < vip->n_holders; h++)
		if (strcmp(lab->nodes[vip->holders[h]].vrrp, "MASTER") == 0)
			json_array_append_new(a, json_string(node_name(lab, vip->holders[h])));
	return a;
}

/* The interface node `node` has on network `net`, or NULL. */
static const char *iface_on(const struct topo_node *tn, int net)
{
	for (int k = 0; k < tn->n_ifaces; k++)
		if (tn->ifaces[k].net == net)
			return tn->ifaces[k].name;
	return NULL;
}

/* What each client's neighbour table says of VIP v: the MAC it sends the
 * VIP's packets to, that entry's state, and whose MAC it is. The lesson of
 * a split brain is there: the VIP can move while a client still points at
 * the other lb. */
static json_t *vip_neighbours(struct lab *lab, int v)
{
	const struct topo *t = lab->topo;
	const struct topo_vip *vip = &t->vips[v];
	json_t *seen = json_array();
	char macs[TOPO_HOLDERS_MAX][18] = { { 0 } };
	for (int h = 0; h < vip->n_holders; h++) {
		const struct topo_node *tn = &t->nodes[vip->holders[h]];
		const char *ifc = iface_on(tn, vip->net);
		struct net *n = NULL;
		if (ifc && lab->nodes[vip->holders[h]].pid > 0 && net_open_in(lab->nodes[vip->holders[h]].pid, &n, NULL) == 0 && n)
			net_link_mac(n, ifc, macs[h]);
		net_free(n);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct topo_node *tn = &t->nodes[i];
		const char *ifc = iface_on(tn, vip->net);
		struct net *n = NULL;
		char mac[18] = "", state[16] = "";
		if (strcmp(tn->role->name, "client") != 0 || !ifc || lab->nodes[i].pid <= 0 ||
		    net_open_in(lab->nodes[i].pid, &n, NULL) != 0 || !n)
			continue;
		if (net_neigh_get(n, ifc, vip->addr, mac, state) == 0) {
			json_t *o = json_pack("{s:s, s:s, s:s}", "node", tn->name, "mac", mac, "state", state);
			for (int h = 0; h < vip->n_holders; h++)
				if (macs[h][0] && strcmp(macs[h], mac) == 0)
					json_object_set_new(o, "points_to", json_string(t->nodes[vip->holders[h]].name));
			json_array_append_new(seen, o);
		}
		net_free(n);
	}
	return seen;
}

/* --- links ------------------------------------------------------------------ */

struct sample {
	struct lab *lab;
	double dt;
};

static void on_link(const struct net_link_stat *st, void *ctx)
{
	struct sample *s = ctx;
	struct lab *lab = s->lab;
	for (int i = 0; i < lab->n_links; i++) {
		struct lab_link *l = &lab->links[i];
		const struct topo_iface *ifc = &lab->topo->nodes[l->node].ifaces[l->iface];
		if (strcmp(ifc->peer, st->name) != 0)
			continue;
		if (l->sampled && s->dt > 0) {
			l->rx_bps = (double)(st->rx_bytes - l->rx_bytes) * 8 / s->dt;
			l->tx_bps = (double)(st->tx_bytes - l->tx_bytes) * 8 / s->dt;
			l->rx_pps = (double)(st->rx_packets - l->rx_packets) / s->dt;
			l->tx_pps = (double)(st->tx_packets - l->tx_packets) / s->dt;
		}
		l->rx_bytes = st->rx_bytes;
		l->tx_bytes = st->tx_bytes;
		l->rx_packets = st->rx_packets;
		l->tx_packets = st->tx_packets;
		l->up = st->up;
		l->sampled = true;
		return;
	}
}

static json_t *links_json(struct lab *lab)
{
	json_t *a = json_array();
	for (int i = 0; i < lab->n_links; i++) {
		const struct lab_link *l = &lab->links[i];
		const struct topo_iface *ifc = &lab->topo->nodes[l->node].ifaces[l->iface];
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:b, s:f, s:f, s:f, s:f, s:I, s:I}", "link",
						   ifc->peer, "node", node_name(lab, l->node), "iface", ifc->name,
						   "network", lab->topo->nets[ifc->net].name, "up", l->up,
						   "rx_bps", l->rx_bps, "tx_bps", l->tx_bps, "rx_pps", l->rx_pps,
						   "tx_pps", l->tx_pps, "rx_bytes", (json_int_t)l->rx_bytes,
						   "tx_bytes", (json_int_t)l->tx_bytes));
	}
	return a;
}

/* A timing profile's value of `name`, or NULL. */
static const char *timing_value(const struct lab *lab, const char *name)
{
	for (size_t i = 0; lab->timing && i < lab->timing->n_vars; i++)
		if (strcmp(lab->timing->vars[i].name, name) == 0)
			return lab->timing->vars[i].value;
	return NULL;
}

/* Link rates are the users' traffic: the VRRP adverts (46-byte frames with
 * VRRPv3, 54 with v2, 1/advert_int a second) are the lab's own and are
 * taken out. Every master sends one to each other holder of its VIP
 * (unicast_peer): a master's link carries one per other holder out of the
 * node, and a holder's link one per master (itself aside) into it. A lone
 * holder multicasts: its one advert goes to every other port. */
static void discount_vrrp(struct lab *lab)
{
	const char *interval = timing_value(lab, "advert_int"), *version = timing_value(lab, "vrrp_version");
	double every = interval ? atof(interval) : 0;
	if (every <= 0)
		return;
	double advert_bps = (version && strcmp(version, "3") == 0 ? 46 : 54) * 8 / every;
	for (int v = 0; v < lab->topo->n_vips; v++) {
		const struct topo_vip *vip = &lab->topo->vips[v];
		int masters = 0;
		for (int h = 0; h < vip->n_holders; h++)
			masters += strcmp(lab->nodes[vip->holders[h]].vrrp, "MASTER") == 0;
		bool lone = vip->n_holders == 1;
		for (int i = 0; i < lab->n_links; i++) {
			struct lab_link *l = &lab->links[i];
			if (lab->topo->nodes[l->node].ifaces[l->iface].net != vip->net ||
			    (!lone && !topo_vip_held_by(lab->topo, vip, &lab->topo->nodes[l->node])))
				continue;
			bool master = strcmp(lab->nodes[l->node].vrrp, "MASTER") == 0;
			l->rx_bps = fmax(0, l->rx_bps - (master ? advert_bps * (lone ? 1 : vip->n_holders - 1) : 0));
			l->tx_bps = fmax(0, l->tx_bps - advert_bps * (masters - master));
		}
	}
}

/* Every link's counters now, and their rates since the last sample. */
static bool sample_links(struct lab *lab)
{
	uint64_t now = now_ms();
	struct sample s = { lab, lab->links_sampled_ms ? (double)(now - lab->links_sampled_ms) / 1000.0 : 0 };
	lab->links_sampled_ms = now;
	lab->links_stale = false;
	if (!lab->net || net_link_stats(lab->net, on_link, &s) < 0)
		return false;
	discount_vrrp(lab);
	return true;
}

/* The links' rates go out every LINK_SAMPLE_MS to whoever follows them. With
 * no one following, the counters are left alone: a netlink dump of every
 * link four times a second was most of what an idle lab daemon cost, and
 * status samples them itself when it is asked. */
static void links_tick(struct lab *lab, void *ctx)
{
	(void)ctx;
	uint64_t ticks;
	if (read(lab->timer_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	lab_incidents_tick(lab);
	lab_traffic_tick(lab);
	requests_tick(lab);
	publish_tick(lab);
	if (!followed(lab, "links", NULL))
		return;
	bool fresh = now_ms() - lab->links_sampled_ms <= 2 * LINK_SAMPLE_MS; /* else rates over a long quiet */
	if (sample_links(lab) && fresh)
		lab_emit(lab, json_pack("{s:s, s:o}", "kind", "links", "links", links_json(lab)));
}

int lab_links_watch(struct lab *lab, struct sl_error *err)
{
	lab->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = { { 0, LINK_SAMPLE_MS * 1000000L }, { 0, LINK_SAMPLE_MS * 1000000L } };
	int r = lab->timer_fd < 0 || timerfd_settime(lab->timer_fd, 0, &its, NULL) < 0 ? -errno : 0;
	if (r == 0)
		r = lab_watch(lab, lab->timer_fd, links_tick, NULL, false);
	return r < 0 ? sl_err(err, -r, "the links' timer: %s", strerror(-r)) : 0;
}

/* --- status ------------------------------------------------------------------ */

static json_t *addr_json(struct in_addr a)
{
	char buf[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	return json_string(buf);
}


json_t *lab_status(struct lab *lab)
{
	/* No one followed the links lately, or a fault changed them: their
	 * state now, and their rates since the last look. */
	if (lab->links_stale || now_ms() - lab->links_sampled_ms > LINK_SAMPLE_MS)
		sample_links(lab);
	const struct topo *t = lab->topo;
	json_t *nets = json_array(), *nodes = json_array(), *vips = json_array(), *faults = json_array();
	for (int i = 0; i < t->n_nets; i++) {
		char subnet[INET_ADDRSTRLEN + 4];
		inet_ntop(AF_INET, &t->nets[i].subnet, subnet, INET_ADDRSTRLEN);
		snprintf(subnet + strlen(subnet), 4, "/%d", t->nets[i].prefix);
		json_array_append_new(nets, json_pack("{s:s, s:s, s:s}", "name", t->nets[i].name, "subnet", subnet,
						      "bridge", t->nets[i].bridge));
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct topo_node *tn = &t->nodes[i];
		const struct lab_node *ln = &lab->nodes[i];
		json_t *ifaces = json_array(), *daemons = json_array(), *servers = json_array();
		for (int k = 0; k < tn->n_ifaces; k++) {
			const struct topo_iface *ifc = &tn->ifaces[k];
			json_array_append_new(ifaces, json_pack("{s:s, s:s, s:o, s:i, s:s}", "name", ifc->name, "network",
								t->nets[ifc->net].name, "address", addr_json(ifc->addr),
								"prefix", t->nets[ifc->net].prefix, "link", ifc->peer));
		}
		for (int k = 0; k < ln->n_services; k++)
			json_array_append_new(daemons, json_pack("{s:s, s:s, s:i, s:s}", "name", ln->services[k].name,
								 "state", lab_daemon_state(&ln->services[k]),
								 "pid", (int)ln->services[k].pid, "how", ln->services[k].how));
		for (int k = 0; k < ln->n_servers; k++)
			json_array_append_new(servers, json_pack("{s:s, s:s, s:s}", "backend", ln->servers[k].backend,
								 "server", ln->servers[k].server, "state", ln->servers[k].state));
		char roles[64];
		json_t *n = json_pack("{s:s, s:s, s:i, s:i, s:s, s:o, s:o}", "name", tn->name, "role",
				      topo_roles(tn, roles, sizeof(roles)), "tier", tn->role->tier, "pid", (int)ln->pid,
				      "state", lab_node_state_names[ln->state], "interfaces", ifaces, "daemons", daemons);
		if (tn->cpu > 0) /* its size: the cores it may use, and whether that holds here */
			json_object_set_new(n, "cpu", json_pack("{s:f, s:b}", "cores", tn->cpu, "capped", ln->cpu_capped));
		if (tn->memory > 0) /* and the memory it may use, where the lab bounds memory */
			json_object_set_new(n, "memory", json_pack("{s:i, s:b}", "mib", tn->memory, "bounded", lab->memory_bounded));
		if (topo_has_role(tn, ROLE_LB))
			json_object_set_new(n, "balance", json_string(lab_balance(lab, tn)));
		if (topo_has_role(tn, ROLE_WEB) && topo_monitored(t)) { /* what the monitor's Prometheus says */
			json_object_set_new(n, "qps", ln->qps >= 0 ? json_real(round(ln->qps * 10) / 10) : json_null());
			json_object_set_new(n, "qps_5xx", ln->qps_5xx >= 0 ? json_real(round(ln->qps_5xx * 10) / 10) : json_null());
		}
		if (tn->n_rules) { /* its firewall: on or off, and what it lets in */
			json_t *rules = json_array();
			for (int k = 0; k < tn->n_rules; k++) {
				char text[300];
				snprintf(text, sizeof(text), "%s %d from", tn->rules[k].proto, tn->rules[k].port);
				for (int f = 0; f < tn->rules[k].n_from; f++)
					snprintf(text + strlen(text), sizeof(text) - strlen(text), " %s", tn->rules[k].from[f]);
				json_array_append_new(rules, json_string(text));
			}
			json_object_set_new(n, "firewall", json_pack("{s:s, s:o}", "state",
								     ln->firewall == FIREWALL_ON ? "on" : "off", "allow", rules));
		}
		json_t *repl = replication_json(lab, i);
		if (repl)
			json_object_set_new(n, "replication", repl);
		if (ln->vrrp[0])
			json_object_set_new(n, "vrrp", json_string(ln->vrrp));
		if (ln->n_servers)
			json_object_set_new(n, "servers", servers);
		else
			json_decref(servers);
		json_array_append_new(nodes, n);
	}
	for (int i = 0; i < t->n_vips; i++) {
		json_t *holders = json_array();
		for (int k = 0; k < t->vips[i].n_holders; k++)
			json_array_append_new(holders, json_string(t->nodes[t->vips[i].holders[k]].name));
		json_array_append_new(vips, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "name", t->vips[i].name, "network",
						      t->nets[t->vips[i].net].name, "address", addr_json(t->vips[i].addr),
						      "holders", holders, "held_by", lab_vip_holders(lab, i),
						      "neighbours", vip_neighbours(lab, i)));
	}
	for (int i = 0; i < lab->n_faults; i++) {
		const struct lab_fault *f = &lab->faults[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "fault", fault_kind_name(f->kind), "node", node_name(lab, f->node),
				      "what", f->what);
		if (f->link >= 0)
			json_object_set_new(o, "link", json_string(t->nodes[lab->links[f->link].node]
								       .ifaces[lab->links[f->link].iface].peer));
		if (f->kind == FAULT_PARTITION)
			json_object_set_new(o, "other", json_string(node_name(lab, f->other)));
		json_array_append_new(faults, o);
	}
	json_t *st = json_pack("{s:b, s:s, s:s, s:s, s:s, s:i, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:{s:b}, s:b, s:o}", "ok", 1, "lab",
			 lab->name, "topology", t->name, "title", t->title, "domain", t->domain, "pid", (int)getpid(),
			 "started", (json_int_t)lab->started, "networks", nets, "nodes", nodes, "vips", vips, "links",
			 links_json(lab), "faults", faults, "publish", publish_json(lab), "ca", lab->ca_public, "kernel",
			 "netem", lab->has_netem, "https", strcmp(t->https, "yes") == 0, "www", www_text(t));
	json_t *zone = zone_json(lab);
	if (zone)
		json_object_set_new(st, "zone", zone);
	/* A user's lab: whom its owner lets in besides themselves (root of
	 * the host, the teacher). */
	if (rootless())
		json_object_set_new(st, "allow", json_string(lab_allow_names[lab->allow]));
	json_object_set_new(st, "memory_bounded", json_boolean(lab->memory_bounded));
	return st;
}
