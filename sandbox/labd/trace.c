/* trace.c — one request, hop by hop, from the daemons' own logs.
 *
 * The lab notes where every daemon's log ends, sends one HTTPS request from
 * the client with a fresh X-Request-ID, lets the log lines arrive, then reads
 * only what was written since: the DNS query, and the lines of HAProxy,
 * Nginx, the application and MariaDB's general log that carry the id. Each
 * hop gets its node, the link it crossed, its time, its duration, the raw
 * line, and a plain explanation from scenarios/trace.ini. A request that
 * failed shows where it stopped. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include "capture.h"
#include "lab.h"
#include "util.h"

#define TRACE_FILES_MAX 64
#define TRACE_READ_MAX (4 << 20)   /* what one request may add to a log */

/* A log a hop may be in, open from before the request: a node may swap the
 * file (its database's log is its own), not what the lab reads. */
struct watched {
	int fd;
	int node;
	char daemon[32];
	off_t from;
};

static void close_watched(struct watched *w, int n)
{
	for (int k = 0; k < n; k++)
		if (w[k].fd >= 0)
			close(w[k].fd);
}

struct explain {
	char kind[16], key[16], text[400];
};

struct explains {
	struct explain e[32];
	int n;
};

static int on_explain(void *user, const char *section, const char *key, const char *value)
{
	struct explains *x = user;
	if (x->n < 32) {
		str_copy(x->e[x->n].kind, sizeof(x->e[0].kind), section);
		str_copy(x->e[x->n].key, sizeof(x->e[0].key), key);
		str_copy(x->e[x->n].text, sizeof(x->e[0].text), value);
		x->n++;
	}
	return 1;
}

/* The explanation of a hop, {node} and {other} filled in. */
static json_t *explain(const struct explains *x, const char *kind, const char *key, const char *node, const char *other)
{
	const char *t = "";
	for (int i = 0; i < x->n; i++)
		if (strcmp(x->e[i].kind, kind) == 0 && strcmp(x->e[i].key, key) == 0)
			t = x->e[i].text;
	char out[600] = "";
	size_t o = 0;
	for (const char *p = t; *p && o < sizeof(out) - 64; p++) {
		if (strncmp(p, "{node}", 6) == 0) {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", node);
			o = o < sizeof(out) - 1 ? o : sizeof(out) - 1; /* snprintf says what it would have written */
			p += 5;
		} else if (strncmp(p, "{other}", 7) == 0) {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", other);
			o = o < sizeof(out) - 1 ? o : sizeof(out) - 1;
			p += 6;
		} else {
			out[o++] = *p;
		}
	}
	out[o < sizeof(out) ? o : sizeof(out) - 1] = '\0';
	return json_string(out);
}

/* The link from node a toward node b: "a-ethX → b-ethY" on a shared network. */
static void link_between(const struct lab *lab, int a, int b, char *buf, size_t size)
{
	const struct topo_node *na = &lab->topo->nodes[a], *nb = &lab->topo->nodes[b];
	if (a == b) {
		/* Two daemons of one server: no wire between them. */
		snprintf(buf, size, "inside %s", na->name);
		return;
	}
	for (int i = 0; i < na->n_ifaces; i++)
		for (int k = 0; k < nb->n_ifaces; k++)
			if (na->ifaces[i].net == nb->ifaces[k].net) {
				snprintf(buf, size, "%s → %s", na->ifaces[i].peer, nb->ifaces[k].peer);
				return;
			}
	snprintf(buf, size, "-");
}

/* The first new line of w holding `needle` (and `also`, if given), into buf. */
static bool find_line(const struct watched *w, const char *needle, const char *also, char *buf, size_t size)
{
	if (w->fd < 0)
		return false;
	_cleanup_free_ char *text = read_fd_from(w->fd, w->from, TRACE_READ_MAX, NULL);
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strstr(line, needle) && (!also || strstr(line, also))) {
			snprintf(buf, size, "%s", line);
			return true;
		}
		if (!nl)
			break;
	}
	return false;
}

/* HAProxy's accept date "[26/Nov/2026:09:15:48.817]" as Unix seconds. */
static double haproxy_date(const char *line)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4];
	int d, y, h, mi, s, ms;
	const char *p = strchr(line, '[');
	if (!p || sscanf(p, "[%d/%3s/%d:%d:%d:%d.%d]", &d, mon, &y, &h, &mi, &s, &ms) != 7)
		return 0;
	const char *m = strstr(months, mon);
	if (!m)
		return 0;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = (int)(m - months) / 3, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi, .tm_sec = s, .tm_isdst = -1 };
	return (double)mktime(&tm) + ms / 1000.0; /* HAProxy logs local time */
}

/* When a hop happened: Unix time and milliseconds since the request left. */
static void stamp(json_t *h, double t0, double at)
{
	if (at <= 0)
		return;
	json_object_set_new(h, "time", json_real(at));
	json_object_set_new(h, "at_ms", json_real(round((at - t0) * 10000) / 10 + 0.0));
}

static json_t *hop(const char *kind, const struct lab *lab, int node, const char *link, const char *line,
		   double ms, json_t *why)
{
	/* A line cut short, or crafted, is still a hop: cleaned, never
	 * dropped (json_pack refuses what is not UTF-8). */
	_cleanup_free_ char *text = xstrdup(line);
	text_clean(text);
	json_t *h = json_pack("{s:s, s:s, s:s, s:s, s:o}", "hop", kind, "node", lab->topo->nodes[node].name, "link", link,
			      "line", text, "explain", why);
	if (ms >= 0)
		json_object_set_new(h, "ms", json_real(ms));
	return h;
}

/* The DNS hops of a traced request (see trace_request). */
static void dns_hops(struct lab *lab, const struct explains *x, const struct capture_path *seen, const struct watched *w,
		     int n, const char *client_addr, double t0, json_t *hops)
{
	char line[2048], link[64], needle[200];
	for (int k = 0; k < seen->n_dns; k++) {
		const struct capture_dns *d = &seen->dns[k];
		if (d->server < 0)
			continue;
		const char *server = lab->topo->nodes[d->server].name;
		char said[400];
		snprintf(said, sizeof(said), "%s -> %s", d->query, d->t_answer ? d->answer : "no answer");
		const char *key = "answer", *other = d->answer;
		bool resolver = topo_has_role(&lab->topo->nodes[d->server], ROLE_RESOLVER);
		if (k == 0) {
			/* The resolver's own word: its reply line says 1 when the
			 * answer came from its cache. */
			bool logged = false;
			snprintf(needle, sizeof(needle), "reply: %s www.%s. A IN", client_addr, lab->topo->domain);
			for (int j = 0; j < n && resolver && !logged; j++)
				if (w[j].node == d->server && strcmp(w[j].daemon, "unbound") == 0)
					logged = find_line(&w[j], needle, NULL, line, sizeof(line));
			/* Cached: the packets show no question from the resolver
			 * while the client waited; its log line, when found, says so too. */
			bool cached = resolver && d->t_answer && seen->n_dns == 1;
			if (logged) {
				/* "… A IN NOERROR 0.000000 1 59": rcode, time, cached, size */
				char rcode[16] = "";
				double secs;
				int from_cache = 0;
				const char *after = strstr(line, needle);
				if (!after || sscanf(after + strlen(needle), " %15s %lf %d", rcode, &secs, &from_cache) != 3 ||
				    (from_cache == 1) != cached)
					logged = false; /* another request's line (traffic on the client): the packets' word */
			}
			key = !resolver ? "direct" : cached ? "cached" : seen->n_dns > 1 ? "explain" : "answer";
			if (!d->t_answer)
				key = "failed";
			link_between(lab, d->asker, d->server, link, sizeof(link));
			json_t *h = hop("dns", lab, d->server, link, logged ? line : said,
					d->t_answer ? (d->t_answer - d->t_query) * 1000 : -1,
					explain(x, "dns", key, server, d->answer[0] ? d->answer : "no answer"));
			json_object_set_new(h, "cached", json_boolean(cached));
			stamp(h, t0, d->t_query);
			json_array_append_new(hops, h);
			continue;
		}
		bool priming = strstr(d->query, "query NS . ") != NULL; /* "who are the root servers?" */
		key = !d->t_answer ? "noanswer" : priming ? "priming" : d->kind == DNS_REFERRAL ? "referral" : "authority";
		link_between(lab, d->asker, d->server, link, sizeof(link));
		json_t *h = hop("dns", lab, d->server, link, said, d->t_answer ? (d->t_answer - d->t_query) * 1000 : -1,
				explain(x, "dns", key, server, d->t_answer ? other : lab->topo->nodes[d->asker].name));
		stamp(h, t0, d->t_query);
		json_array_append_new(hops, h);
	}
}

json_t *trace_request(struct lab *lab, json_t *req)
{
	const char *path = json_string_value(json_object_get(req, "path"));
	if (!path)
		path = "/";
	if (path[0] != '/' || strlen(path) > 200 || strpbrk(path, " \t\r\n"))
		return lab_reply_error("path '%s' must start with '/' and hold no spaces", path);
	int client = lab_node_of_role(lab, ROLE_CLIENT);
	if (client < 0 || lab->nodes[client].state != NODE_UP)
		return lab_reply_error("lab %s has no client node that is up to send a traced request from", lab->name);

	unsigned char r[16];
	if (getrandom(r, sizeof(r), 0) < 0)
		return lab_reply_error("getrandom: %s", strerror(errno));

	/* Where each log ends now: what comes after belongs to this request. */
	static struct watched w[TRACE_FILES_MAX];
	int n = 0;
	for (int i = 0; i < lab->topo->n_nodes; i++) {
		const struct lab_node *ln = &lab->nodes[i];
		char logs[PATH_MAX], rel[64];
		snprintf(logs, sizeof(logs), "%s/logs/%s", lab->dir, ln->spec.node->name);
		for (int d = 0; d < ln->n_services && n < TRACE_FILES_MAX; d++) {
			snprintf(rel, sizeof(rel), "%s.log", ln->services[d].name);
			w[n].fd = open_beneath(logs, rel);
			str_copy(w[n].daemon, sizeof(w[n].daemon), ln->services[d].name);
			w[n].node = i;
			n++;
		}
		if (topo_has_role(ln->spec.node, ROLE_DB) && n < TRACE_FILES_MAX) {
			w[n].fd = open_beneath(ln->spec.var, "lib/mysql/general.log");
			str_copy(w[n].daemon, sizeof(w[n].daemon), "general-log");
			w[n].node = i;
			n++;
		}
	}
	for (int k = 0; k < n; k++) {
		struct stat st;
		w[k].from = w[k].fd >= 0 && fstat(w[k].fd, &st) == 0 ? st.st_size : 0;
	}

	char rid[40], header[64], url[300];
	snprintf(rid, sizeof(rid), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
		 r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	snprintf(header, sizeof(header), "X-Request-ID: %s", rid);
	snprintf(url, sizeof(url), "%s://www.%s%s", topo_scheme(lab->topo), lab->topo->domain, path);
	/* --globoff: the path is the student's, and /x[1-3] is one request,
	 * not three. */
	/* -4: the lab is IPv4; asking for AAAA too would double every DNS hop. */
	char *argv[] = { "/usr/bin/curl", "-4", "--globoff", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{local_port}",
			 "-H", header, "--max-time", "5", url, NULL };
	/* The switch sees every packet: the request's own are the trace's
	 * second witness (and the only one of a request still in flight). */
	struct capture cap = { .fd = -1 };
	bool capturing = capture_start(&cap) == 0;
	char out[256] = "";
	struct timeval tv0;
	gettimeofday(&tv0, NULL);
	double t0 = (double)tv0.tv_sec + tv0.tv_usec / 1e6;
	struct node_door door = lab_door(lab, client);
	/* curl gives up after 5 s, and the job after 6 (a node may stop its
	 * curl). Meanwhile the lab serves everyone else: a frozen DNS must not
	 * stall the other clients, the faults or the daemons' logs. */
	struct node_job job;
	lab->tracing = true;
	int code = node_job_start(&job, &door, argv, out, sizeof(out), 6000);
	bool stopping = false;
	if (code == 0) {
		lab->job_pid = job.waiter;
		lab->job_reaped = false;
		while (!node_job_step(&job, 0))
			if (lab_serve(lab, 5) == -EINTR) {
				node_job_kill(&job);
				stopping = true;
			}
		lab->job_pid = 0;
		code = node_job_end(&job, lab->job_reaped ? &lab->job_status : NULL);
	}
	int status = 0, port = 0;
	double secs = 0;
	sscanf(out, "%d %lf %d", &status, &secs, &port);
	/* Let the daemons' lines reach us. */
	uint64_t until = now_ms() + 300;
	while (!stopping && now_ms() < until)
		stopping = lab_serve(lab, 50) == -EINTR;
	lab->tracing = false;
	if (stopping) {
		capture_stop(&cap);
		close_watched(w, n);
		return lab_reply_error("the lab is going down");
	}
	struct capture_path seen;
	json_t *packets = capturing ? capture_packets(&cap, lab, rid, port, t0, &seen) : json_array();
	if (!capturing)
		seen = (struct capture_path){ .lb = -1, .web = -1, .app = -1, .db = -1, .stuck = -1 };
	capture_stop(&cap);

	struct explains x = { 0 };
	char ini[PATH_MAX];
	snprintf(ini, sizeof(ini), "%s/scenarios/trace.ini", data_dir());
	ini_parse(ini, on_explain, &x);

	json_t *hops = json_array();
	const char *stopped = NULL;
	char line[2048], link[64];
	char client_addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &lab->topo->nodes[client].ifaces[0].addr, client_addr, sizeof(client_addr));
	/* DNS: the client's question and, when its resolver had no answer
	 * cached, each question the resolver asked on its way down. The
	 * packets pair each question with its answer by id; the resolver's
	 * own log says whether it answered from its cache. */
	dns_hops(lab, &x, &seen, w, n, client_addr, t0, hops);
	bool dns_seen = seen.n_dns > 0 && seen.dns[0].t_answer > 0;
	if (code == 6 || (code == 28 && !dns_seen)) {
		if (seen.n_dns == 0) {
			int dns = lab_node_of_role(lab, ROLE_RESOLVER);
			if (dns < 0)
				dns = lab_node_of_role(lab, ROLE_DNS);
			if (dns >= 0) {
				link_between(lab, client, dns, link, sizeof(link));
				json_array_append_new(hops, hop("dns", lab, dns, link, "(no DNS question seen on the client's link)", -1,
								explain(&x, "dns", "failed", lab->topo->nodes[dns].name, "")));
			}
		}
		stopped = "dns";
	}
	/* LB, web, app, db: the lines that carry the id */
	char tag[64];
	snprintf(tag, sizeof(tag), "rid=%s", rid);
	int lb = -1, web = -1, app = -1;
	double accepted = 0, to_web = 0, done_at = 0; /* from HAProxy's date and timers */
	for (int k = 0; k < n && !stopped; k++) {
		if (strcmp(w[k].daemon, "haproxy") == 0 && lb < 0 && find_line(&w[k], tag, NULL, line, sizeof(line))) {
			lb = w[k].node;
			char server[64] = "-";
			const char *slash = strstr(line, " web/");
			if (slash)
				sscanf(slash + 5, "%63s", server);
			int tr = -1, tw = -1, tc = -1, trr = -1, ta = -1;
			const char *t = slash ? strchr(slash + 1, ' ') : NULL;
			if (t)
				sscanf(t, " %d/%d/%d/%d/%d", &tr, &tw, &tc, &trr, &ta);
			link_between(lab, client, lb, link, sizeof(link));
			bool nosrv = strstr(line, "<NOSRV>") != NULL;
			json_t *h = hop("lb", lab, lb, link, line, ta,
					explain(&x, "lb", nosrv ? "failed" : strcmp(lab->topo->https, "yes") == 0 ? "explain" : "plain",
						lab->topo->nodes[lb].name, server));
			json_object_set_new(h, "server", json_string(server));
			accepted = haproxy_date(line);
			if (accepted > 0 && tr >= 0 && tw >= 0 && tc >= 0)
				to_web = accepted + (tr + tw + tc) / 1000.0;
			if (accepted > 0 && ta >= 0)
				done_at = accepted + ta / 1000.0;
			stamp(h, t0, accepted);
			json_array_append_new(hops, h);
			if (nosrv)
				stopped = "lb";
		}
	}
	if (!to_web && lb < 0)
		to_web = seen.t_web; /* no load balancer: the packets say when the web server got it */
	for (int k = 0; k < n && !stopped; k++)
		if (strcmp(w[k].daemon, "nginx") == 0 && web < 0 && find_line(&w[k], tag, NULL, line, sizeof(line))) {
			web = w[k].node;
			double rt = -1;
			const char *p = strstr(line, " rt=");
			if (p)
				rt = atof(p + 4) * 1000;
			bool to_app = strstr(line, "upstream=-") == NULL;
			link_between(lab, lb >= 0 ? lb : client, web, link, sizeof(link));
			json_t *h = hop("web", lab, web, link, line, rt,
					explain(&x, "web", to_app ? "explain" : "static", lab->topo->nodes[web].name, ""));
			stamp(h, t0, to_web);
			json_array_append_new(hops, h);
		}
	for (int k = 0; k < n && !stopped && web >= 0; k++)
		if (strcmp(w[k].daemon, "php-fpm") == 0 && app < 0 && find_line(&w[k], tag, NULL, line, sizeof(line))) {
			app = w[k].node;
			double ms = -1;
			const char *p = strstr(line, " time=");
			if (p)
				ms = atof(p + 6);
			link_between(lab, web, app, link, sizeof(link));
			json_t *h = hop("app", lab, app, link, line, ms,
					explain(&x, "app", "explain", lab->topo->nodes[app].name, ""));
			/* FastCGI starts as Nginx gets it: same millisecond here.
			 * Inside one server no packet crosses a link to time a
			 * hop: it has the time its own log gives, no offset. */
			if (strncmp(link, "inside ", 7) != 0)
				stamp(h, t0, to_web);
			json_array_append_new(hops, h);
		}
	for (int k = 0; k < n && !stopped && app >= 0; k++) {
		if (strcmp(w[k].daemon, "general-log") != 0)
			continue;
		if (w[k].fd < 0)
			continue;
		_cleanup_free_ char *text = read_fd_from(w[k].fd, w[k].from, TRACE_READ_MAX, NULL);
		link_between(lab, app, w[k].node, link, sizeof(link));
		for (char *l = text, *nl; l && *l; l = nl ? nl + 1 : NULL) {
			nl = strchr(l, '\n');
			if (nl)
				*nl = '\0';
			if (strstr(l, tag)) {
				/* A prepared statement is two steps: parse, then run. */
				const char *key = strstr(l, "Execute") ? "execute" : strstr(l, "Prepare") ? "prepare" : "explain";
				json_t *h = hop("db", lab, w[k].node, link, l, -1,
						explain(&x, "db", key, lab->topo->nodes[w[k].node].name, ""));
				if (strncmp(link, "inside ", 7) != 0)
					stamp(h, t0, to_web);
				json_array_append_new(hops, h);
			}
		}
	}
	/* Each hop's own time, from the packets: when its request arrived. */
	size_t hk;
	json_t *hj;
	json_array_foreach(hops, hk, hj) {
		const char *kind = json_string_value(json_object_get(hj, "hop"));
		bool execute = strcmp(kind, "db") == 0 && strstr(json_string_value(json_object_get(hj, "line")), "Execute");
		double at = strcmp(kind, "lb") == 0 ? seen.t_lb : strcmp(kind, "web") == 0 ? seen.t_web
			  : strcmp(kind, "app") == 0 ? seen.t_app : execute && seen.t_db_execute ? seen.t_db_execute
			  : strcmp(kind, "db") == 0 ? seen.t_db : 0;
		if (at > 0)
			stamp(hj, t0, at);
	}
	/* A request still in flight when curl gave up: the tiers it reached
	 * log only when it ends; the packets show them, and the connection
	 * that got no answer is where it stopped. */
	if (!stopped && (code != 0 || status == 0 || status >= 500)) {
		const struct { const char *kind; int node, from; double t; int seen; } reached[] = {
			{ "lb", seen.lb, client, seen.t_lb, lb }, { "web", seen.web, seen.lb, seen.t_web, web },
			{ "app", seen.app, seen.web, seen.t_app, app },
		};
		for (size_t k = 0; k < ARRAY_SIZE(reached); k++) {
			if (reached[k].seen >= 0 || reached[k].node < 0 || code == 0)
				continue;
			link_between(lab, reached[k].from >= 0 ? reached[k].from : client, reached[k].node, link, sizeof(link));
			json_t *h = hop(reached[k].kind, lab, reached[k].node, link, "(in flight: it logs the request when it ends)",
					-1, explain(&x, reached[k].kind, "inflight", lab->topo->nodes[reached[k].node].name, ""));
			stamp(h, t0, reached[k].t);
			json_array_append_new(hops, h);
		}
		if (seen.stuck >= 0) {
			const struct role *role = lab->topo->nodes[seen.stuck].role;
			const char *kind = role == role_get(ROLE_DB) ? "db" : role == role_get(ROLE_APP) ? "app"
					 : role == role_get(ROLE_WEB) ? "web" : "lb";
			int before = strcmp(kind, "db") == 0 ? seen.app : strcmp(kind, "app") == 0 ? seen.web : seen.lb;
			link_between(lab, before >= 0 ? before : client, seen.stuck, link, sizeof(link));
			json_t *h = hop(kind, lab, seen.stuck, link, seen.stuck_what, -1,
					explain(&x, kind, "noanswer", lab->topo->nodes[seen.stuck].name,
						before >= 0 ? lab->topo->nodes[before].name : ""));
			stamp(h, t0, seen.t_stuck);
			json_array_append_new(hops, h);
			stopped = kind;
		}
	}
	if (!stopped && code == 0) {
		link_between(lab, lb >= 0 ? lb : web >= 0 ? web : client, client, link, sizeof(link));
		char what[64];
		snprintf(what, sizeof(what), "HTTP %d in %.1f ms", status, secs * 1000);
		char st[8];
		snprintf(st, sizeof(st), "%d", status);
		json_t *h = hop("response", lab, client, link, what, secs * 1000,
				explain(&x, "response", status >= 400 ? "error" : "explain", lab->topo->nodes[client].name, st));
		stamp(h, t0, seen.t_response > 0 ? seen.t_response : done_at > 0 ? done_at : t0 + secs);
		json_array_append_new(hops, h);
	}
	/* The request really left when curl started it: the response's time
	 * (HAProxy's) less curl's total, not when we forked curl. Re-base. */
	/* The packets know best: the request's first packet, its DNS query. */
	double start = seen.t_start > 0 ? seen.t_start : done_at > 0 && secs > 0 && done_at - secs > t0 ? done_at - secs : 0;
	size_t pk;
	json_t *pj;
	json_array_foreach(packets, pk, pj) /* the hops' origin, rounded once as theirs are */
		json_object_set_new(pj, "ms", json_real(round((json_real_value(json_object_get(pj, "ms")) -
							       (start > 0 ? (start - t0) * 1000 : 0)) * 10) / 10 + 0.0));
	if (start > 0) {
		size_t k;
		json_t *h;
		json_array_foreach(hops, k, h) {
			if (!json_object_get(h, "time"))
				continue;
			stamp(h, start, json_real_value(json_object_get(h, "time")));
		}
	}
	json_t *reply = json_pack("{s:b, s:s, s:s, s:i, s:f, s:i, s:o, s:o}", "ok", 1, "rid", rid, "url", url, "status",
				  status, "ms", secs * 1000, "curl", code, "hops", hops, "packets", packets);
	if (stopped)
		json_object_set_new(reply, "stopped_at", json_string(stopped));
	close_watched(w, n);
	return reply;
}
