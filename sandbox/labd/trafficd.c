/* trafficd.c — the lab daemon's side of steady traffic: it starts the
 * generator (traffic.c) inside the client node, turns each result into an
 * event, and keeps a sliding window for the summary. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "lab.h"
#include "traffic.h"
#include "util.h"

static void traffic_input(struct lab *lab, void *ctx);

static const char *const kind_names[TK_COUNT] = { "ok", "dns", "connect", "timeout", "tls", "http4xx", "http5xx", "error" };

static json_t *start(struct lab *lab, json_t *req)
{
	struct lab_traffic *tr = &lab->traffic;
	if (tr->pid)
		return lab_reply_error("traffic is already running at %d requests/s (stacklab traffic stop first)", tr->rate);
	int client = lab_node_of_role(lab, ROLE_CLIENT);
	if (client < 0)
		return lab_reply_error("lab %s has no client node to send traffic from", lab->name);
	if (lab->nodes[client].state != NODE_UP)
		return lab_reply_error("node %s is %s: it cannot send traffic", lab->topo->nodes[client].name,
				       lab_node_state_names[lab->nodes[client].state]);
	json_int_t rate = json_is_integer(json_object_get(req, "rate")) ? json_integer_value(json_object_get(req, "rate")) : 10;
	json_int_t seconds = json_is_integer(json_object_get(req, "seconds")) ? json_integer_value(json_object_get(req, "seconds")) : 600;
	json_int_t lease = json_is_integer(json_object_get(req, "lease")) ? json_integer_value(json_object_get(req, "lease")) : 0;
	const char *path = json_string_value(json_object_get(req, "path"));
	if (!path)
		path = "/";
	if (rate < 1 || rate > TRAFFIC_RATE_MAX)
		return lab_reply_error("rate %lld is out of range: 1 to %d requests/s", (long long)rate, TRAFFIC_RATE_MAX);
	if (seconds < 1 || seconds > TRAFFIC_SECONDS_MAX)
		return lab_reply_error("duration %lld s is out of range: 1 to %d s", (long long)seconds, TRAFFIC_SECONDS_MAX);
	if (lease < 0 || lease > seconds)
		return lab_reply_error("lease %lld s is out of range: 0 (none) to the duration (%lld s)", (long long)lease,
				       (long long)seconds);
	if (path[0] != '/' || strlen(path) >= sizeof(tr->path) || strpbrk(path, " \t\r\n"))
		return lab_reply_error("path '%s' must start with '/', hold no spaces, and be short", path);

	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return lab_reply_error("pipe: %s", strerror(errno));
	char url[256];
	snprintf(url, sizeof(url), "%s://www.%s%s", topo_scheme(lab->topo), lab->topo->domain, path);
	struct node_door door = lab_door(lab, client);
	pid_t waiter = node_enter(&door);
	if (waiter == 0) {
		/* The generator, inside the client: nothing of the daemon's. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup3(p[1], 3, O_CLOEXEC) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		_exit(traffic_run(url, (int)rate, (int)seconds, 3) < 0 ? 1 : 0);
	}
	close(p[1]);
	if (waiter < 0) {
		close(p[0]);
		return lab_reply_error("cannot enter node %s: %s", lab->topo->nodes[client].name, strerror(-waiter));
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	memset(tr, 0, sizeof(*tr));
	tr->pid = waiter;
	tr->fd = p[0];
	tr->rd = xcalloc(1, sizeof(*tr->rd));
	tr->rate = (int)rate;
	tr->seconds = (int)seconds;
	tr->lease_s = (int)lease;
	tr->lease_until_ms = now_ms() + (uint64_t)lease * 1000;
	str_copy(tr->path, sizeof(tr->path), path);
	tr->started_ms = now_ms();
	if (lab_watch(lab, tr->fd, traffic_input, NULL, false) < 0) {
		lab_traffic_stop(lab);
		return lab_reply_error("too many descriptors to watch the traffic");
	}
	lab_emit(lab, json_pack("{s:s, s:s, s:i, s:s, s:i, s:i}", "kind", "traffic-state", "state", "started", "rate",
				(int)rate, "path", path, "seconds", (int)seconds, "lease", (int)lease));
	return json_pack("{s:b, s:i, s:s, s:s, s:i, s:i}", "ok", 1, "rate", (int)rate, "url", url, "node",
			 lab->topo->nodes[client].name, "seconds", (int)seconds, "lease", (int)lease);
}

/* Stop it, saying why (the traffic-state event and the summary carry it:
 * a lesson's pane says at once that its traffic ended, and why). */
static void stop_because(struct lab *lab, const char *why)
{
	struct lab_traffic *tr = &lab->traffic;
	if (!tr->pid)
		return;
	str_copy(tr->why, sizeof(tr->why), why);
	if (!tr->reaped) {
		kill(tr->pid, SIGKILL);
		while (waitpid(tr->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	lab_unwatch(lab, tr->fd);
	free(tr->rd);
	tr->rd = NULL;
	tr->pid = 0;
	tr->fd = -1;
	lab_emit(lab, json_pack("{s:s, s:s, s:s}", "kind", "traffic-state", "state", "stopped", "why", tr->why));
}

void lab_traffic_stop(struct lab *lab)
{
	stop_because(lab, "stopped");
}

void lab_traffic_tick(struct lab *lab)
{
	struct lab_traffic *tr = &lab->traffic;
	if (tr->pid && tr->lease_s && now_ms() > tr->lease_until_ms)
		stop_because(lab, "its lease ran out: what started it (a lesson) stopped renewing it");
}

static void record(struct lab_traffic *tr, int kind, double ms, int web)
{
	size_t i = (tr->head + tr->n) % TRAFFIC_RING;
	if (tr->n == TRAFFIC_RING)
		tr->head = (tr->head + 1) % TRAFFIC_RING;
	else
		tr->n++;
	tr->ring[i].t_ms = now_ms();
	tr->ring[i].ms = (float)ms;
	tr->ring[i].kind = (unsigned char)kind;
	tr->ring[i].web = (short)web;
	tr->total++;
	tr->by_kind[kind]++;
}

/* The generator's pipe is readable: turn its results into events. */
static void traffic_input(struct lab *lab, void *ctx)
{
	(void)ctx;
	struct lab_traffic *tr = &lab->traffic;
	if (!tr->pid)
		return;
	/* A few hundred results a wakeup, then back to the loop: a generator
	 * (in a node that is not trusted) that writes faster than that waits. */
	for (int lines = 0; lines < 512; lines++) {
		char *line = NULL;
		int r = ctl_read_line(tr->fd, tr->rd, &line);
		if (r == -EAGAIN)
			return;
		if (r <= 0) { /* the generator finished its time, or died */
			bool done = now_ms() + 1000 >= tr->started_ms + (uint64_t)tr->seconds * 1000;
			char why[96];
			snprintf(why, sizeof(why), done ? "its %d s ran out" : "the generator ended early", tr->seconds);
			stop_because(lab, why);
			return;
		}
		json_t *ev = json_loads(line, 0, NULL);
		free(line);
		if (!ev)
			continue;
		/* The generator runs in the client node, which is not trusted:
		 * the event is rebuilt from checked fields only (a result the lab
		 * knows, numbers in range, server names the topology has). */
		const char *result = json_string_value(json_object_get(ev, "result"));
		int kind = TK_ERROR;
		for (int k = 0; result && k < TK_COUNT; k++)
			if (strcmp(kind_names[k], result) == 0)
				kind = k;
		double ms = json_number_value(json_object_get(ev, "ms"));
		json_int_t status = json_integer_value(json_object_get(ev, "status"));
		if (!(ms >= 0 && ms < 1e6))
			ms = 0;
		if (status < 0 || status > 999)
			status = 0;
		json_t *clean = json_pack("{s:s, s:s, s:I, s:f}", "kind", "traffic", "result", kind_names[kind], "status", status,
					  "ms", ms);
		static const char *const tiers[] = { "lb", "web", "app" };
		int web = -1;
		for (size_t k = 0; k < ARRAY_SIZE(tiers); k++) {
			const char *who = json_string_value(json_object_get(ev, tiers[k]));
			const struct topo_node *n = who ? topo_node_find(lab->topo, who) : NULL;
			json_object_set_new(clean, tiers[k], json_string(n ? who : "-"));
			if (n && k == 1)
				web = (int)(n - lab->topo->nodes);
		}
		json_decref(ev);
		record(tr, kind, ms, web);
		lab_emit(lab, clean);
	}
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

json_t *lab_traffic_summary(struct lab *lab)
{
	struct lab_traffic *tr = &lab->traffic;
	uint64_t now = now_ms(), from = now > TRAFFIC_WINDOW_MS ? now - TRAFFIC_WINDOW_MS : 0;
	static float lat[TRAFFIC_RING];
	size_t n_ok = 0, n_all = 0;
	unsigned long long window[TK_COUNT] = { 0 };
	static unsigned by_web[TOPO_NODES_MAX];
	memset(by_web, 0, sizeof(by_web));
	for (size_t k = 0; k < tr->n; k++) {
		const typeof(tr->ring[0]) *e = &tr->ring[(tr->head + k) % TRAFFIC_RING];
		if (e->t_ms < from)
			continue;
		n_all++;
		window[e->kind]++;
		if (e->web >= 0 && e->web < lab->topo->n_nodes)
			by_web[e->web]++;
		if (e->kind == TK_OK)
			lat[n_ok++] = e->ms;
	}
	qsort(lat, n_ok, sizeof(lat[0]), cmp_float);
	double span = tr->started_ms && now - tr->started_ms < TRAFFIC_WINDOW_MS ? (double)(now - tr->started_ms) / 1000
										 : TRAFFIC_WINDOW_MS / 1000.0;
	json_t *errors = json_object(), *total_errors = json_object();
	for (int k = 1; k < TK_COUNT; k++) {
		if (window[k])
			json_object_set_new(errors, kind_names[k], json_integer((json_int_t)window[k]));
		if (tr->by_kind[k])
			json_object_set_new(total_errors, kind_names[k], json_integer((json_int_t)tr->by_kind[k]));
	}
	/* How the load balancers spread the window's answers over the web
	 * servers (what `set LB balance` changes). */
	json_t *spread = json_object();
	for (int i = 0; i < lab->topo->n_nodes; i++)
		if (topo_has_role(&lab->topo->nodes[i], ROLE_WEB))
			json_object_set_new(spread, lab->topo->nodes[i].name, json_integer(by_web[i]));
	json_t *j = json_pack("{s:b, s:b, s:i, s:s, s:f, s:I, s:I, s:o, s:f, s:f, s:I, s:I, s:o, s:i, s:o}", "ok", 1, "running",
			 tr->pid != 0, "rate", tr->rate, "path", tr->path, "window_rate", span > 0 ? n_all / span : 0.0,
			 "window_ok", (json_int_t)window[TK_OK], "window_errors",
			 (json_int_t)(n_all - window[TK_OK]), "errors", errors, "p50_ms",
			 n_ok ? lat[n_ok / 2] : 0.0, "p99_ms", n_ok ? lat[(n_ok * 99) / 100] : 0.0, "total",
			 (json_int_t)tr->total, "total_ok", (json_int_t)tr->by_kind[TK_OK], "total_errors", total_errors,
			 "window_s", TRAFFIC_WINDOW_MS / 1000, "by_web", spread);
	if (tr->pid && tr->lease_s)
		json_object_set_new(j, "lease", json_integer(tr->lease_s));
	if (!tr->pid && tr->why[0])
		json_object_set_new(j, "why", json_string(tr->why));
	return j;
}

json_t *traffic_request(struct lab *lab, json_t *req)
{
	const char *action = json_string_value(json_object_get(req, "action"));
	if (!action || strcmp(action, "status") == 0)
		return lab_traffic_summary(lab);
	if (strcmp(action, "start") == 0)
		return start(lab, req);
	if (strcmp(action, "stop") == 0) {
		if (!lab->traffic.pid)
			return lab_reply_error("no traffic is running");
		lab_traffic_stop(lab);
		return lab_traffic_summary(lab);
	}
	if (strcmp(action, "renew") == 0) {
		struct lab_traffic *tr = &lab->traffic;
		if (!tr->pid)
			return lab_reply_error("no traffic is running%s%s", tr->why[0] ? ": " : "", tr->why);
		if (!tr->lease_s)
			return lab_reply_error("the traffic has no lease to renew (it runs its %d s)", tr->seconds);
		tr->lease_until_ms = now_ms() + (uint64_t)tr->lease_s * 1000;
		return json_pack("{s:b, s:i}", "ok", 1, "lease", tr->lease_s);
	}
	return lab_reply_error("unknown traffic action '%s' (known: start, stop, renew, status)", action);
}
