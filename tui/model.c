/* model.c — the TUI's model of a lab (see model.h). */
#include "model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *s(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

struct tm_node *model_node(struct tm_model *m, const char *name)
{
	for (int i = 0; i < m->n_nodes; i++)
		if (strcmp(m->nodes[i].name, name) == 0)
			return &m->nodes[i];
	return NULL;
}

static void add_line(struct tm_model *m, bool traffic, const char *text)
{
	struct tm_line *last = m->log_n ? &m->log[m->log_n - 1] : NULL;
	/* The same event again (a run of 503s) is one line with a count. */
	if (last && strcmp(last->text + 9, text) == 0) {
		last->count++;
		return;
	}
	if (m->log_n == TM_LOG) {
		/* Full: a traffic line goes first, so that no run of failed
		 * requests pushes a state change out. */
		int drop = 0;
		for (int i = 0; i < m->log_n; i++)
			if (m->log[i].traffic) {
				drop = i;
				break;
			}
		memmove(&m->log[drop], &m->log[drop + 1], sizeof(m->log[0]) * (size_t)(TM_LOG - 1 - drop));
		m->log_n--;
	}
	struct tm_line *l = &m->log[m->log_n++];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(l->text, sizeof(l->text), "%H:%M:%S ", &tm);
	snprintf(l->text + 9, sizeof(l->text) - 9, "%s", text);
	l->count = 1;
	l->traffic = traffic;
}

void model_log(struct tm_model *m, const char *fmt, ...)
{
	char text[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	add_line(m, false, text);
}

void model_incident(struct tm_model *m, json_t *c)
{
	int id = (int)json_integer_value(json_object_get(c, "id"));
	struct tm_incident *i = NULL;
	for (int k = 0; k < m->n_incidents; k++)
		if (m->incidents[k].id == id)
			i = &m->incidents[k];
	if (!i) {
		if (m->n_incidents == TM_INCIDENTS) {
			memmove(m->incidents, m->incidents + 1, sizeof(m->incidents[0]) * (TM_INCIDENTS - 1));
			m->n_incidents--;
		}
		i = &m->incidents[m->n_incidents++];
	}
	memset(i, 0, sizeof(*i));
	i->id = id;
	i->at = json_real_value(json_object_get(c, "at"));
	snprintf(i->what, sizeof(i->what), "%s", s(c, "what"));
	i->open = json_is_true(json_object_get(c, "open"));
	size_t k;
	json_t *f;
	json_array_foreach(json_object_get(c, "followed"), k, f) {
		if (i->n_followed == 16)
			break;
		i->followed[i->n_followed].ms = json_number_value(json_object_get(f, "ms"));
		snprintf(i->followed[i->n_followed++].what, sizeof(i->followed[0].what), "%s", s(f, "what"));
	}
	json_t *u = json_object_get(c, "users");
	i->ok = (long)json_integer_value(json_object_get(u, "ok"));
	i->failed = (long)json_integer_value(json_object_get(u, "failed"));
	i->gap_ms = json_number_value(json_object_get(u, "longest_gap_ms"));
	i->still_failing = json_is_true(json_object_get(u, "still_failing"));
	i->recovered_ms = json_is_number(json_object_get(u, "recovered_ms")) ? json_number_value(json_object_get(u, "recovered_ms")) : -1;
}

/* Where each client sends the VIP's packets, from its neighbour table. */
static void set_neighbours(struct tm_model *m, json_t *seen)
{
	size_t i;
	json_t *e;
	for (int k = 0; k < m->n_nodes; k++)
		m->nodes[k].vip_to[0] = '\0';
	json_array_foreach(seen, i, e) {
		struct tm_node *n = model_node(m, s(e, "node"));
		if (n)
			snprintf(n->vip_to, sizeof(n->vip_to), "%s", json_object_get(e, "points_to") ? s(e, "points_to") : "?");
	}
}

static void set_holders(struct tm_model *m, json_t *holders)
{
	m->holders[0] = '\0';
	size_t i;
	json_t *h;
	json_array_foreach(holders, i, h) {
		size_t len = strlen(m->holders);
		snprintf(m->holders + len, sizeof(m->holders) - len, "%s%s", i ? " " : "", json_string_value(h));
	}
	bool two = json_array_size(holders) > 1;
	if (two && !m->split_brain)
		m->two_since = (double)time(NULL);
	m->split_brain = two;
}

/* HAProxy's view of server `name` becomes `state`. */
static void set_server(struct tm_node *n, const char *name, const char *state)
{
	int k;
	for (k = 0; k < n->n_servers && strcmp(n->servers[k].name, name) != 0; k++)
		;
	if (k == n->n_servers) {
		if (k == (int)(sizeof(n->servers) / sizeof(n->servers[0])))
			return;
		n->n_servers++;
		snprintf(n->servers[k].name, sizeof(n->servers[k].name), "%s", name);
	}
	snprintf(n->servers[k].state, sizeof(n->servers[k].state), "%s", state);
}

static void set_servers(struct tm_node *n, json_t *servers)
{
	n->n_servers = 0;
	size_t i;
	json_t *sv;
	json_array_foreach(servers, i, sv)
		set_server(n, s(sv, "server"), s(sv, "state"));
}

/* A database's part in replication, from status or a replication event. */
static void set_replication(struct tm_node *n, json_t *r)
{
	memset(&n->repl, 0, sizeof(n->repl));
	n->repl.lag = -1;
	if (!json_is_object(r))
		return;
	snprintf(n->repl.role, sizeof(n->repl.role), "%s", s(r, "role"));
	snprintf(n->repl.io, sizeof(n->repl.io), "%s", s(r, "io"));
	snprintf(n->repl.sql, sizeof(n->repl.sql), "%s", s(r, "sql"));
	if (json_is_integer(json_object_get(r, "lag")))
		n->repl.lag = (long)json_integer_value(json_object_get(r, "lag"));
}

void model_init(struct tm_model *m, json_t *st)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->lab, sizeof(m->lab), "%s", s(st, "lab"));
	snprintf(m->topology, sizeof(m->topology), "%s", s(st, "topology"));
	snprintf(m->title, sizeof(m->title), "%s", s(st, "title"));
	size_t i, k;
	json_t *jn, *ifc, *d;
	json_array_foreach(json_object_get(st, "nodes"), i, jn) {
		if (m->n_nodes == TM_NODES)
			break;
		struct tm_node *n = &m->nodes[m->n_nodes++];
		snprintf(n->name, sizeof(n->name), "%s", s(jn, "name"));
		snprintf(n->role, sizeof(n->role), "%s", s(jn, "role"));
		snprintf(n->state, sizeof(n->state), "%s", s(jn, "state"));
		snprintf(n->vrrp, sizeof(n->vrrp), "%s", s(jn, "vrrp"));
		n->tier = (int)json_integer_value(json_object_get(jn, "tier"));
		json_array_foreach(json_object_get(jn, "interfaces"), k, ifc) {
			if (k == 0)
				snprintf(n->addr, sizeof(n->addr), "%s", s(ifc, "address"));
			if (n->n_links < 4)
				snprintf(n->links[n->n_links++], sizeof(n->links[0]), "%s", s(ifc, "link"));
		}
		json_array_foreach(json_object_get(jn, "daemons"), k, d) {
			n->daemon_down |= strcmp(s(d, "state"), "running") != 0;
			size_t len = strlen(n->daemons);
			snprintf(n->daemons + len, sizeof(n->daemons) - len, "%s%s", len ? " " : "", s(d, "name"));
		}
		set_servers(n, json_object_get(jn, "servers"));
		snprintf(n->balance, sizeof(n->balance), "%s", s(jn, "balance"));
		set_replication(n, json_object_get(jn, "replication"));
		snprintf(n->firewall, sizeof(n->firewall), "%s", s(json_object_get(jn, "firewall"), "state"));
		n->qps = json_is_number(json_object_get(jn, "qps")) ? json_number_value(json_object_get(jn, "qps")) : -1;
	}
	snprintf(m->www, sizeof(m->www), "%s", s(st, "www"));
	m->https = !json_is_false(json_object_get(st, "https"));
	/* Tab walks the nodes as the map shows them. */
	int o = 0;
	for (int t = 0; t <= 4; t++)
		for (int k2 = 0; k2 < m->n_nodes; k2++)
			if ((m->nodes[k2].tier < 0 || m->nodes[k2].tier > 4 ? 4 : m->nodes[k2].tier) == t)
				m->order[o++] = k2;
	json_t *net;
	size_t f;
	json_array_foreach(json_object_get(st, "networks"), i, net) {
		if (m->n_nets == 4)
			break;
		snprintf(m->nets[m->n_nets].name, sizeof(m->nets[0].name), "%s", s(net, "name"));
		snprintf(m->nets[m->n_nets].subnet, sizeof(m->nets[0].subnet), "%s", s(net, "subnet"));
		snprintf(m->nets[m->n_nets].bridge, sizeof(m->nets[0].bridge), "%s", s(net, "bridge"));
		char *members = m->nets[m->n_nets].members;
		json_array_foreach(json_object_get(st, "nodes"), k, jn)
			json_array_foreach(json_object_get(jn, "interfaces"), f, ifc)
				if (strcmp(s(ifc, "network"), s(net, "name")) == 0) {
					size_t len = strlen(members);
					snprintf(members + len, sizeof(m->nets[0].members) - len, "%s%s", len ? " " : "", s(jn, "name"));
				}
		m->n_nets++;
	}
	json_t *vip = json_array_get(json_object_get(st, "vips"), 0);
	if (vip) {
		snprintf(m->vip, sizeof(m->vip), "%s", s(vip, "address"));
		set_holders(m, json_object_get(vip, "held_by"));
		set_neighbours(m, json_object_get(vip, "neighbours"));
	}
	m->faults = (int)json_array_size(json_object_get(st, "faults"));
	m->netem = json_is_true(json_object_get(json_object_get(st, "kernel"), "netem"));
	model_log(m, "connected to lab %s (%d nodes)", m->lab, m->n_nodes);
}

void model_refresh(struct tm_model *m, json_t *st)
{
	size_t i, k;
	json_t *jn, *d;
	json_array_foreach(json_object_get(st, "nodes"), i, jn) {
		struct tm_node *n = model_node(m, s(jn, "name"));
		if (!n)
			continue;
		snprintf(n->state, sizeof(n->state), "%s", s(jn, "state"));
		snprintf(n->vrrp, sizeof(n->vrrp), "%s", s(jn, "vrrp"));
		n->daemon_down = false;
		json_array_foreach(json_object_get(jn, "daemons"), k, d)
			n->daemon_down |= strcmp(s(d, "state"), "running") != 0;
		set_servers(n, json_object_get(jn, "servers"));
		snprintf(n->balance, sizeof(n->balance), "%s", s(jn, "balance"));
		set_replication(n, json_object_get(jn, "replication"));
		snprintf(n->firewall, sizeof(n->firewall), "%s", s(json_object_get(jn, "firewall"), "state"));
	}
	json_t *vip = json_array_get(json_object_get(st, "vips"), 0);
	if (vip) {
		set_holders(m, json_object_get(vip, "held_by"));
		set_neighbours(m, json_object_get(vip, "neighbours"));
	}
	m->faults = (int)json_array_size(json_object_get(st, "faults"));
}

static void traffic_result(struct tm_model *m, json_t *ev, double t)
{
	long sec = (long)t;
	if (sec > m->bucket_sec) {
		long shift = sec - m->bucket_sec;
		if (shift >= TM_HISTORY || m->bucket_sec == 0) {
			memset(m->ok, 0, sizeof(m->ok));
			memset(m->err, 0, sizeof(m->err));
		} else {
			memmove(m->ok + shift, m->ok, sizeof(long) * (size_t)(TM_HISTORY - shift));
			memmove(m->err + shift, m->err, sizeof(long) * (size_t)(TM_HISTORY - shift));
			memset(m->ok, 0, sizeof(long) * (size_t)shift);
			memset(m->err, 0, sizeof(long) * (size_t)shift);
		}
		m->bucket_sec = sec;
	}
	long age = m->bucket_sec - sec;
	if (age < 0 || age >= TM_HISTORY)
		return;
	bool ok = strcmp(s(ev, "result"), "ok") == 0;
	(ok ? m->ok : m->err)[age]++;
	/* Who really talks to whom: the lb, web and app servers that served it. */
	const char *web = s(ev, "web"), *app = s(ev, "app");
	if (ok && strcmp(web, "-") != 0 && strcmp(app, "-") != 0) {
		int k = 0;
		while (k < m->n_talks && (strcmp(m->talks[k].web, web) != 0 || strcmp(m->talks[k].app, app) != 0))
			k++;
		if (k == m->n_talks && k < (int)(sizeof(m->talks) / sizeof(m->talks[0]))) {
			snprintf(m->talks[k].web, sizeof(m->talks[k].web), "%s", web);
			snprintf(m->talks[k].app, sizeof(m->talks[k].app), "%s", app);
			m->n_talks++;
		}
		if (k < m->n_talks)
			m->talks[k].t = t;
	}
	if (ok) {
		int i = (m->lat_head + m->lat_n) % 2048;
		if (m->lat_n == 2048)
			m->lat_head = (m->lat_head + 1) % 2048;
		else
			m->lat_n++;
		m->lat[i] = (float)json_real_value(json_object_get(ev, "ms"));
		m->lat_t[i] = t;
		struct tm_node *w = model_node(m, web);
		m->lat_web[i] = (signed char)(w ? w - m->nodes : -1);
	} else {
		char text[64];
		json_int_t status = json_integer_value(json_object_get(ev, "status"));
		if (status)
			snprintf(text, sizeof(text), "traffic  %s (HTTP %lld)", s(ev, "result"), status);
		else
			snprintf(text, sizeof(text), "traffic  %s (no HTTP answer)", s(ev, "result"));
		add_line(m, true, text);
	}
}

void model_event(struct tm_model *m, json_t *ev)
{
	const char *kind = s(ev, "kind");
	double t = json_real_value(json_object_get(ev, "time"));
	struct tm_node *n = model_node(m, s(ev, "node"));
	if (strcmp(kind, "links") == 0) {
		for (int i = 0; i < m->n_nodes; i++) {
			m->nodes[i].rx_bps = m->nodes[i].tx_bps = 0;
			m->nodes[i].link_down = false;
		}
		size_t i;
		json_t *l;
		json_array_foreach(json_object_get(ev, "links"), i, l) {
			struct tm_node *ln = model_node(m, s(l, "node"));
			if (!ln)
				continue;
			ln->rx_bps += json_real_value(json_object_get(l, "rx_bps"));
			ln->tx_bps += json_real_value(json_object_get(l, "tx_bps"));
			for (int k = 0; k < ln->n_links; k++)
				if (strcmp(ln->links[k], s(l, "link")) == 0) {
					ln->link_rx[k] = json_real_value(json_object_get(l, "rx_bps"));
					ln->link_tx[k] = json_real_value(json_object_get(l, "tx_bps"));
				}
			ln->link_down |= !json_is_true(json_object_get(l, "up"));
		}
	} else if (strcmp(kind, "traffic") == 0) {
		traffic_result(m, ev, t);
	} else if (strcmp(kind, "traffic-state") == 0) {
		m->traffic_running = strcmp(s(ev, "state"), "started") == 0;
		if (m->traffic_running)
			m->traffic_rate = (int)json_integer_value(json_object_get(ev, "rate"));
		model_log(m, "traffic  %s", s(ev, "state"));
	} else if (strcmp(kind, "node") == 0 && n) {
		snprintf(n->state, sizeof(n->state), "%s", s(ev, "state"));
		model_log(m, "node     %s %s", n->name, n->state);
	} else if (strcmp(kind, "daemon") == 0 && n) {
		n->daemon_down = strcmp(s(ev, "state"), "running") != 0;
		model_log(m, "daemon   %s %s %s", n->name, s(ev, "daemon"), s(ev, "state"));
	} else if (strcmp(kind, "vrrp") == 0 && n) {
		snprintf(n->vrrp, sizeof(n->vrrp), "%s", s(ev, "state"));
		model_log(m, "vrrp     %s %s", n->name, s(ev, "state"));
	} else if (strcmp(kind, "vip") == 0) {
		set_holders(m, json_object_get(ev, "holders"));
		model_log(m, "vip      %s held by %s%s", m->vip, m->holders[0] ? m->holders : "nobody",
			  m->split_brain ? " (two holders)" : "");
	} else if (strcmp(kind, "backend") == 0 && n) {
		set_server(n, s(ev, "server"), s(ev, "state"));
		model_log(m, "backend  %s sees %s %s", n->name, s(ev, "server"), s(ev, "state"));
	} else if (strcmp(kind, "fault") == 0) {
		m->faults += strcmp(s(ev, "action"), "fail") == 0 ? 1 : -1;
		if (n && strcmp(s(ev, "what"), "firewall off") == 0) /* its firewall is off until healed */
			snprintf(n->firewall, sizeof(n->firewall), "%s", strcmp(s(ev, "action"), "fail") == 0 ? "off" : "on");
		model_log(m, "fault    %s %s %s%s%s", s(ev, "action"), s(ev, "node"), s(ev, "what"),
			  json_object_get(ev, "link") ? " on " : "", json_object_get(ev, "link") ? s(ev, "link") : "");
	} else if (strcmp(kind, "log") == 0) {
		model_daemon_line(m, s(ev, "node"), s(ev, "daemon"), s(ev, "line"));
	} else if (strcmp(kind, "incident") == 0) {
		model_incident(m, ev);
	} else if (strcmp(kind, "replication") == 0 && n) {
		bool was = strcmp(n->repl.io, "Yes") == 0 && strcmp(n->repl.sql, "Yes") == 0;
		set_replication(n, ev);
		bool now = strcmp(n->repl.io, "Yes") == 0 && strcmp(n->repl.sql, "Yes") == 0;
		if (strcmp(n->repl.role, "replica") == 0 && was != now)
			model_log(m, "replica  %s %s (io %s, sql %s)", n->name, now ? "replicating" : "broken", n->repl.io,
				  n->repl.sql);
	} else if (strcmp(kind, "qps") == 0) {
		const char *name;
		json_t *q;
		if (json_is_true(json_object_get(ev, "gone"))) /* the monitor's watcher went away */
			for (int i = 0; i < m->n_nodes; i++)
				m->nodes[i].qps = -1;
		json_object_foreach(json_object_get(ev, "qps"), name, q) { /* not qps_5xx: the map shows the total */
			struct tm_node *w = model_node(m, name);
			if (w)
				w->qps = json_number_value(q);
		}
	} else if (strcmp(kind, "set") == 0 && n) {
		snprintf(n->balance, sizeof(n->balance), "%s", s(ev, "value"));
		model_log(m, "set      %s balance %s (was %s)", n->name, s(ev, "value"), s(ev, "was"));
	}
}

double model_rate(const struct tm_model *m, long now_sec)
{
	long age = m->bucket_sec - (now_sec - 1); /* the last whole second */
	if (age < 0 || age >= TM_HISTORY)
		return 0;
	return (double)(m->ok[age] + m->err[age]);
}

static int cmpf(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

void model_spread(const struct tm_model *m, double now, char *out, size_t size)
{
	int by[TM_NODES] = { 0 }, total = 0, webs = 0;
	out[0] = '\0';
	for (int k = 0; k < m->lat_n; k++) {
		int i = (m->lat_head + k) % 2048;
		if (now - m->lat_t[i] <= 10 && m->lat_web[i] >= 0 && m->lat_web[i] < m->n_nodes) {
			by[m->lat_web[i]]++;
			total++;
		}
	}
	for (int i = 0; i < m->n_nodes; i++)
		webs += strstr(m->nodes[i].role, "web") != NULL;
	if (webs < 2 || total == 0)
		return;
	for (int i = 0; i < m->n_nodes; i++)
		if (strstr(m->nodes[i].role, "web"))
			snprintf(out + strlen(out), size - strlen(out), "%s%s %d%%", out[0] ? " " : "", m->nodes[i].name,
				 (by[i] * 100 + total / 2) / total);
}

void model_latency(struct tm_model *m, double now, double *p50, double *p99)
{
	static float v[2048];
	int n = 0;
	for (int k = 0; k < m->lat_n; k++) {
		int i = (m->lat_head + k) % 2048;
		if (now - m->lat_t[i] <= 10)
			v[n++] = m->lat[i];
	}
	qsort(v, (size_t)n, sizeof(v[0]), cmpf);
	*p50 = n ? v[n / 2] : 0;
	*p99 = n ? v[(n * 99) / 100] : 0;
}

void model_daemon_line(struct tm_model *m, const char *node, const char *daemon, const char *line)
{
	/* A ring of its own: a busy daemon never pushes a lab event out. */
	if (m->daemon_n == TM_LOG) {
		memmove(m->daemon_log[0], m->daemon_log[1], sizeof(m->daemon_log[0]) * (TM_LOG - 1));
		m->daemon_n--;
	}
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	char *l = m->daemon_log[m->daemon_n++];
	size_t n = strftime(l, sizeof(m->daemon_log[0]), "%H:%M:%S ", &tm);
	snprintf(l + n, sizeof(m->daemon_log[0]) - n, "%-8s %s| %s", node, daemon, line);
}

void model_talks_to(const struct tm_model *m, const char *web, double now, double within, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int k = 0; k < m->n_talks && len < size; k++)
		if (strcmp(m->talks[k].web, web) == 0 && now - m->talks[k].t <= within)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "", m->talks[k].app);
}
