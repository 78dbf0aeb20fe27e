/* lessonrun.c — running a lesson on a live lab (see lessonrun.h).
 *
 * State predicates (vip, vrrp, server, node, daemon) are read from the
 * lab's `status`, again each time the event stream says something changed,
 * so a measure "from @mark until PRED" is the time of the event after
 * which PRED held. Traffic and log predicates read the events themselves.
 * request, connect, trace and run ask the stacklab command, every 200 ms. */
#include "lessonrun.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inifile.h"
#include "ctl.h"
#include "util.h"

/* Traffic a lesson starts stops this long after the runner last renewed it. */
#define LESSON_TRAFFIC_LEASE_S 30

#define RING 8192
#define POLL_CMD_MS 200
#define PROBE_CMD_S 0.5          /* a command probed ahead: at most this often */
#define PROBE_JOB_S 10.0         /* and killed if it runs longer */
#define PROBE_OUT_MAX (1 << 16)  /* what of its output is read */
#define STEADY_WITHIN_S 10.0
#define MEASURE_WITHIN_S 15.0
#define EVENT_SKEW_MAX_S (24 * 3600.0) /* an event further from now is not the lab's */

struct seen {
	double t;
	double ms;                /* a traffic result's latency */
	char kind[12];            /* a traffic result, or "log" */
	char node[32], daemon[32];
	char line[256];
};

struct value {
	char name[LESSON_NAME_MAX];
	double v;
	const char *unit;         /* "ms", or "" for a count */
};

struct run {
	const struct lesson *l;
	const struct lesson_options *opt;
	int fd;                   /* the event stream */
	struct ctl_reader *rd;
	json_t *status;           /* the lab's state after the last change */
	double status_time;       /* the event time it answers */
	struct seen *ring;        /* traffic results and log lines, newest last */
	size_t n_seen;
	struct {
		char name[LESSON_NAME_MAX];
		double t;
	} marks[LESSON_STEPS_MAX];
	int n_marks;
	struct value values[LESSON_STEPS_MAX * LESSON_LINES_MAX];
	int n_values;
	int n_tap, n_failed;
	FILE *journal;            /* JSON lines: events used, verdicts, measures */
	struct fault_seen {
		double t;
		char action[8], node[32], what[64], link[40], other[32];
	} faults[16];             /* the last faults and heals, a ring */
	int n_faults;
	int n_told;               /* faults up to here were looked at against the step */
	bool paused;              /* p: the lesson's clocks stand still */
	char inbuf[256];          /* the student's keys, not yet a whole line */
	size_t n_in;
	bool in_done;             /* input ended: go on without asking */
	bool traffic_leased;      /* the lesson started traffic, and keeps it alive */
	double traffic_renewed;   /* when it last renewed it */
	char traffic_why[96];     /* why the lesson's traffic stopped, "" while it runs */
	bool cleaning;            /* in the cleanup: a stop is the lesson's own */
	const struct words *traffic_start; /* the lesson's traffic start line */
	/* Measures of later steps ("from @healed until …"), watched from
	 * their mark on: a teacher who talks before the next step does not
	 * lengthen them. at: when it first held; NAN while it has not. */
	struct ahead {
		const struct measure *m;
		double from, at, probed;
		/* a command's probe, running in the background: */
		pid_t job;         /* 0: none */
		int job_fd;
		char *job_out;     /* PROBE_OUT_MAX bytes */
		size_t job_len;
	} ahead[LESSON_STEPS_MAX];
	int n_ahead;
	bool looking;             /* probing them now (a probe never pumps, but be sure) */
};

static volatile sig_atomic_t interrupted;

void lesson_interrupt(void)
{
	interrupted = 1;
}

static double now_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* --- what the runner prints ------------------------------------------------------- */

/* One JSON line in the journal (taken over). */
static void journal(struct run *r, json_t *line)
{
	if (r->journal && line) {
		json_object_set_new(line, "t", json_real(now_s()));
		char *text = json_dumps(line, JSON_COMPACT);
		if (text)
			fprintf(r->journal, "%s\n", text);
		free(text);
		fflush(r->journal);
	}
	json_decref(line);
}

/* One thing the runner tells: as TAP and "# " lines in check mode, as text
 * for a student, as a JSON line {"kind", "text"} for the TUI. kind is
 * title, step, say, ask, waiting, hint, verdict, measure, explain, note,
 * pause or end; `extra` (a waiting predicate's "now") may be NULL. */
static void emit(struct run *r, const char *kind, bool good, const char *text, const char *extra)
{
	FILE *out = r->opt->out;
	switch (r->opt->mode) {
	case LESSON_FEED: {
		json_t *j = json_pack("{s:s, s:s}", "kind", kind, "text", text);
		if (strcmp(kind, "verdict") == 0 || strcmp(kind, "end") == 0)
			json_object_set_new(j, "ok", json_boolean(good));
		if (extra)
			json_object_set_new(j, "now", json_string(extra));
		char *line = json_dumps(j, JSON_COMPACT);
		if (line)
			fprintf(out, "%s\n", line);
		free(line);
		json_decref(j);
		break;
	}
	case LESSON_CHECK:
		if (strcmp(kind, "verdict") == 0)
			fprintf(out, "%s %d - %s\n", good ? "ok" : "not ok", r->n_tap, text);
		else if (strcmp(kind, "say") == 0 || strcmp(kind, "measure") == 0 || strcmp(kind, "explain") == 0 ||
			 strcmp(kind, "note") == 0)
			fprintf(out, "# %s\n", text);
		break;
	case LESSON_TEXT:
		if (strcmp(kind, "title") == 0)
			fprintf(out, "%s\n%s\n", r->l->title, text);
		else if (strcmp(kind, "step") == 0)
			fprintf(out, "\n== %s\n", text);
		else if (strcmp(kind, "ask") == 0)
			fprintf(out, "→ %s\n  (the lesson waits for it to happen; Enter does it for you, ? and Enter shows a hint,\n"
				     "   r and Enter undoes a wrong fault to try again, p and Enter pauses its clocks)\n", text);
		else if (strcmp(kind, "waiting") == 0)
			fprintf(out, "    waiting for: %s — now %s\n", text, extra);
		else if (strcmp(kind, "hint") == 0)
			fprintf(out, "    hint: %s\n", text);
		else if (strcmp(kind, "verdict") == 0)
			fprintf(out, "  %s %s\n", good ? "✓" : "✗", text);
		else if (strcmp(kind, "pause") == 0)
			fprintf(out, "  (Enter: %s)\n", text);
		else if (strcmp(kind, "end") == 0)
			fprintf(out, "\n%s\n", text);
		else
			fprintf(out, "%s\n", text);
		break;
	}
	fflush(out);
}

static void tap(struct run *r, bool good, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tap(struct run *r, bool good, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char what[512];
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	utf8_trim(what);
	journal(r, json_pack("{s:s, s:b, s:s}", "kind", "verdict", "ok", good, "what", what));
	r->n_tap++;
	r->n_failed += !good;
	emit(r, "verdict", good, what, NULL);
}

/* A line of narration or a detail, of one kind (see emit). */
static void vtell(struct run *r, const char *kind, bool journaled, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static void vtell(struct run *r, const char *kind, bool journaled, const char *fmt, va_list ap)
{
	char text[1024];
	vsnprintf(text, sizeof(text), fmt, ap);
	utf8_trim(text);
	emit(r, kind, true, text, NULL);
	if (journaled)
		journal(r, json_pack("{s:s, s:s}", "kind", kind, "text", text));
}

static void tell(struct run *r, const char *kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tell(struct run *r, const char *kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vtell(r, kind, false, fmt, ap);
	va_end(ap);
}

/* What the lesson itself ran and saw: shown (in the pane, in the text)
 * and kept in the journal. */
#define EVIDENCE_LINES 8
static void evidence(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void evidence(struct run *r, const char *fmt, ...)
{
	if (r->looking)
		return; /* a later step's measure, probed early: its evidence is not this step's */
	va_list ap;
	va_start(ap, fmt);
	vtell(r, "evidence", true, fmt, ap);
	va_end(ap);
}

/* A trace the lesson ran: each hop in words, and in the TUI its stepper
 * (the pane hands the whole trace over). */
static void show_trace(struct run *r, json_t *t)
{
	if (r->looking)
		return;
	if (r->opt->mode == LESSON_FEED) {
		json_t *j = json_pack("{s:s, s:s, s:O}", "kind", "trace", "text", "the lesson's trace", "trace", t);
		char *line = json_dumps(j, JSON_COMPACT);
		if (line)
			fprintf(r->opt->out, "%s\n", line);
		free(line);
		json_decref(j);
		fflush(r->opt->out);
	}
	size_t i;
	json_t *h;
	evidence(r, "trace of %s: %s", json_string_value(json_object_get(t, "url")) ?: "the request",
		 json_string_value(json_object_get(t, "rid")) ?: "");
	json_array_foreach(json_object_get(t, "hops"), i, h) {
		char line[256];
		snprintf(line, sizeof(line), "%s", json_string_value(json_object_get(h, "line")) ?: "");
		text_clean(line);
		json_t *ms = json_object_get(h, "ms");
		if (json_is_number(ms))
			evidence(r, "  %2zu %-9s %-10s +%6.1f ms  %.100s", i + 1, json_string_value(json_object_get(h, "hop")) ?: "?",
				 json_string_value(json_object_get(h, "node")) ?: "?", json_number_value(ms), line);
		else
			evidence(r, "  %2zu %-9s %-10s            %.100s", i + 1, json_string_value(json_object_get(h, "hop")) ?: "?",
				 json_string_value(json_object_get(h, "node")) ?: "?", line);
	}
}

/* --- the student's keys (TEXT: lines on a terminal; FEED: words from the TUI) --- */

enum in_key { IN_NONE, IN_ENTER, IN_NEXT, IN_HINT, IN_SKIP, IN_RETRY, IN_PAUSE };

/* The student's next key, if one comes within timeout_ms. Once input ends
 * (a transcript, a closed pipe) the lesson goes on by itself. */
static enum in_key key_in(struct run *r, int timeout_ms)
{
	if (r->opt->in < 0 || r->in_done) {
		if (timeout_ms > 0)
			poll(NULL, 0, timeout_ms);
		return IN_NONE;
	}
	char *nl = memchr(r->inbuf, '\n', r->n_in);
	if (!nl) {
		struct pollfd p = { r->opt->in, POLLIN, 0 };
		if (poll(&p, 1, timeout_ms) <= 0)
			return IN_NONE;
		ssize_t n = read(r->opt->in, r->inbuf + r->n_in, sizeof(r->inbuf) - r->n_in);
		if (n <= 0) {
			r->in_done = true;
			return IN_NONE;
		}
		r->n_in += (size_t)n;
		if (!(nl = memchr(r->inbuf, '\n', r->n_in))) {
			if (r->n_in == sizeof(r->inbuf))
				r->n_in = 0; /* a line that long is no key */
			return IN_NONE;
		}
	}
	*nl = '\0';
	char word[16];
	snprintf(word, sizeof(word), "%.15s", r->inbuf);
	size_t used = (size_t)(nl + 1 - r->inbuf);
	memmove(r->inbuf, nl + 1, r->n_in - used);
	r->n_in -= used;
	word[strcspn(word, " \r\t")] = '\0';
	if (!word[0])
		return IN_ENTER;
	if (strcmp(word, "next") == 0 || strcmp(word, "n") == 0)
		return IN_NEXT;
	if (strcmp(word, "hint") == 0 || strcmp(word, "?") == 0)
		return IN_HINT;
	if (strcmp(word, "skip") == 0 || strcmp(word, ">") == 0)
		return IN_SKIP;
	if (strcmp(word, "retry") == 0 || strcmp(word, "r") == 0)
		return IN_RETRY;
	if (strcmp(word, "pause") == 0 || strcmp(word, "p") == 0)
		return IN_PAUSE;
	return IN_NONE;
}

/* --- commands ------------------------------------------------------------------------ */

/* A lesson's command words as the stacklab command takes them: on the
 * lesson's own lab (--lab goes right after the command). Returns how many
 * of args are filled (room is left for 4 more and the NULL). */
#define ARGS_ROOM (LESSON_ARGS_MAX + 8)
static int lab_args(const struct run *r, char *const words[], int n, char *args[ARGS_ROOM])
{
	int k = 0;
	args[k++] = words[0];
	args[k++] = "--lab";
	args[k++] = (char *)r->opt->lab;
	for (int i = 1; i < n && k < ARGS_ROOM - 5; i++)
		args[k++] = words[i];
	args[k] = NULL;
	return k;
}

/* Run `stacklab WORDS…` against the lesson's lab. Its output lands in out;
 * returns its exit status. */
static int stacklab(struct run *r, char *const words[], int n, char *out, size_t size)
{
	char *args[ARGS_ROOM];
	int k = lab_args(r, words, n, args);
	/* Traffic a lesson starts lasts as long as the lesson, however long
	 * the teacher talks: the runner renews its lease while it runs, and
	 * it stops by itself LESSON_TRAFFIC_LEASE_S after the runner is gone
	 * (later options win over the lesson's --seconds). Not the class's
	 * own, started again after the cleanup: that one is theirs. */
	bool traffic = !r->cleaning && n >= 2 && strcmp(words[0], "traffic") == 0 && strcmp(words[1], "start") == 0;
	if (n >= 2 && strcmp(words[0], "traffic") == 0 && strcmp(words[1], "stop") == 0)
		r->traffic_leased = false; /* the lesson's own stop: nothing to tell */
	if (traffic) {
		static char lease[16], seconds[16];
		snprintf(lease, sizeof(lease), "%d", LESSON_TRAFFIC_LEASE_S);
		snprintf(seconds, sizeof(seconds), "%d", TRAFFIC_SECONDS_MAX);
		args[k++] = "--seconds";
		args[k++] = seconds;
		args[k++] = "--lease";
		args[k++] = lease;
	}
	args[k] = NULL;
	int code = run_self(args, out, size);
	if (traffic && code == 0) {
		r->traffic_leased = true;
		r->traffic_renewed = now_s();
		r->traffic_why[0] = '\0';
	}
	return code;
}

/* While the lesson's traffic runs: renew its lease now and then. */
static void renew_traffic(struct run *r)
{
	if (!r->traffic_leased || now_s() - r->traffic_renewed < LESSON_TRAFFIC_LEASE_S / 3.0)
		return;
	r->traffic_renewed = now_s();
	json_t *req = json_pack("{s:s, s:s}", "cmd", "traffic", "action", "renew"), *reply = NULL;
	/* A refused renewal means it stopped: the traffic-state event, read
	 * next, says why (and makes a retry start it again). */
	(void)ctl_call(r->opt->lab, req, &reply);
	json_decref(req);
	json_decref(reply);
}

/* A lesson's `do` or `solve` line; false (after saying why) if it failed.
 * A cleanup line never fails: one that finds nothing to do says nothing,
 * any other failure a line of its own. */
static bool run_words(struct run *r, const struct words *w, bool cleanup)
{
	char out[4096];
	int code = stacklab(r, w->argv, w->argc, out, sizeof(out));
	if (code == 0 && r->traffic_leased && strcmp(w->argv[0], "traffic") == 0)
		r->traffic_start = w; /* what a retry starts again */
	if (code == 0)
		return true;
	if (cleanup) {
		if (strstr(out, "nothing to heal") || strstr(out, "no traffic is running"))
			return true; /* already as it should be: nothing to say */
		tell(r, "note", "cleanup: stacklab %s: %.*s", w->text, (int)strcspn(out, "\n"), out);
		return true;
	}
	tell(r, "note", "stacklab %s failed (%s:%d):", w->text, r->l->path, w->line);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
		tell(r, "note", "  %s", line);
	return false;
}

/* --- the event stream and the state -------------------------------------------------- */

static int refresh_status(struct run *r, double at)
{
	json_t *req = json_pack("{s:s}", "cmd", "status"), *reply = NULL;
	int e = ctl_call(r->opt->lab, req, &reply);
	json_decref(req);
	if (e < 0)
		return e;
	json_decref(r->status);
	r->status = reply;
	r->status_time = at;
	return 0;
}

static void remember(struct run *r, json_t *ev, double t)
{
	const char *kind = json_string_value(json_object_get(ev, "kind"));
	struct seen s = { .t = t };
	if (strcmp(kind, "traffic") == 0) {
		snprintf(s.kind, sizeof(s.kind), "%s", json_string_value(json_object_get(ev, "result")) ?: "error");
		s.ms = json_number_value(json_object_get(ev, "ms"));
		snprintf(s.node, sizeof(s.node), "%s", json_string_value(json_object_get(ev, "web")) ?: "-"); /* who answered */
	} else {
		snprintf(s.kind, sizeof(s.kind), "log");
		snprintf(s.node, sizeof(s.node), "%s", json_string_value(json_object_get(ev, "node")) ?: "");
		snprintf(s.daemon, sizeof(s.daemon), "%s", json_string_value(json_object_get(ev, "daemon")) ?: "");
		snprintf(s.line, sizeof(s.line), "%s", json_string_value(json_object_get(ev, "line")) ?: "");
	}
	if (r->n_seen == RING) { /* keep the newest */
		memmove(r->ring, r->ring + RING / 2, sizeof(*r->ring) * (RING / 2));
		r->n_seen = RING / 2;
	}
	r->ring[r->n_seen++] = s;
}

/* Take in the events that are there within timeout_ms. Returns 1 if the
 * lab's state changed, 0 if not, -errno if the lab went away. */
static void look_ahead(struct run *r);

static int pump(struct run *r, int timeout_ms)
{
	renew_traffic(r);
	look_ahead(r);
	struct pollfd p = { r->fd, POLLIN, 0 };
	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	int changed = 0;
	for (;;) {
		char *line = NULL;
		int e = ctl_read_line(r->fd, r->rd, &line);
		if (e == -EAGAIN)
			break;
		if (e <= 0)
			return e == 0 ? -ECONNRESET : e;
		json_t *ev = ctl_parse(line);
		free(line);
		const char *kind = json_string_value(json_object_get(ev, "kind"));
		/* An event's time is the lab's clock, near ours: a time that is
		 * not (a user's daemon may send 1e70) would make every measure
		 * from it nonsense. */
		double when = json_number_value(json_object_get(ev, "time"));
		if (kind && (!isfinite(when) || fabs(when - now_s()) > EVENT_SKEW_MAX_S))
			kind = NULL;
		if (kind && strcmp(kind, "log") != 0 && strcmp(kind, "links") != 0)
			journal(r, json_pack("{s:s, s:O}", "kind", "event", "event", ev));
		double t = json_real_value(json_object_get(ev, "time"));
		if (kind && strcmp(kind, "fault") == 0) {
			struct fault_seen *f = &r->faults[r->n_faults++ % ARRAY_SIZE(r->faults)];
			*f = (struct fault_seen){ .t = t };
			snprintf(f->action, sizeof(f->action), "%s", json_string_value(json_object_get(ev, "action")) ?: "");
			snprintf(f->node, sizeof(f->node), "%s", json_string_value(json_object_get(ev, "node")) ?: "");
			snprintf(f->what, sizeof(f->what), "%s", json_string_value(json_object_get(ev, "what")) ?: "");
			snprintf(f->link, sizeof(f->link), "%s", json_string_value(json_object_get(ev, "link")) ?: "");
			snprintf(f->other, sizeof(f->other), "%s", json_string_value(json_object_get(ev, "other")) ?: "");
			text_clean(f->what);
		}
		if (kind && strcmp(kind, "traffic-state") == 0 && strcmp(json_string_value(json_object_get(ev, "state")) ?: "", "stopped") == 0 &&
		    r->traffic_leased && !r->cleaning) {
			/* Said at once: a wait on traffic would otherwise only
			 * see "0 of 0" run out. */
			r->traffic_leased = false;
			snprintf(r->traffic_why, sizeof(r->traffic_why), "%s", json_string_value(json_object_get(ev, "why")) ?: "stopped");
			text_clean(r->traffic_why);
			tell(r, "note", "the lesson's traffic stopped (%s): what needs traffic now waits for none", r->traffic_why);
		}
		if (kind && (strcmp(kind, "traffic") == 0 || strcmp(kind, "log") == 0))
			remember(r, ev, t);
		else if (kind && strcmp(kind, "links") != 0 && (e = refresh_status(r, t)) == 0)
			changed = 1;
		json_decref(ev);
	}
	return changed;
}

static int subscribe(struct run *r)
{
	r->fd = ctl_connect(r->opt->lab);
	if (r->fd < 0)
		return r->fd;
	json_t *req = json_pack("{s:s, s:s}", "cmd", "subscribe", "filter", "vip,vrrp,backend,node,daemon,fault,traffic,traffic-state,log,replication,set,qps");
	int e = ctl_send(r->fd, req);
	json_decref(req);
	char *line = NULL;
	if (e == 0 && (e = ctl_read_line(r->fd, r->rd, &line)) <= 0)
		e = e == 0 ? -ECONNRESET : e;
	else
		e = 0;
	free(line);
	fcntl(r->fd, F_SETFL, O_NONBLOCK);
	return e < 0 ? e : refresh_status(r, now_s());
}

/* --- predicates ------------------------------------------------------------------------ */

static json_t *node_of(struct run *r, const char *name)
{
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(r->status, "nodes"), i, n)
		if (strcmp(json_string_value(json_object_get(n, "name")), name) == 0)
			return n;
	return NULL;
}

/* What a state predicate sees now, in words, for "waiting for… — now …". */
static bool state_holds(struct run *r, const struct pred *p, char *now, size_t size)
{
	json_t *n = p->kind == PRED_VIP ? NULL : node_of(r, p->a), *x;
	size_t i;
	switch (p->kind) {
	case PRED_VIP: {
		json_t *held = NULL;
		json_array_foreach(json_object_get(r->status, "vips"), i, x)
			if (strcmp(json_string_value(json_object_get(x, "name")), p->a) == 0)
				held = json_object_get(x, "held_by");
		size_t match = 0;
		snprintf(now, size, "held by");
		json_array_foreach(held, i, x) {
			snprintf(now + strlen(now), size - strlen(now), " %s", json_string_value(x));
			for (int k = 0; k < p->n_list; k++)
				match += strcmp(json_string_value(x), p->list[k]) == 0;
		}
		if (json_array_size(held) == 0)
			snprintf(now, size, "held by nobody");
		return match == (size_t)p->n_list && json_array_size(held) == (size_t)p->n_list;
	}
	case PRED_VRRP:
		snprintf(now, size, "%s", json_string_value(json_object_get(n, "vrrp")) ?: "no VRRP state");
		return strcmp(now, p->want) == 0;
	case PRED_NODE:
		snprintf(now, size, "%s", json_string_value(json_object_get(n, "state")) ?: "?");
		return strcmp(now, p->want) == 0;
	case PRED_SERVER:
		snprintf(now, size, "not known");
		json_array_foreach(json_object_get(n, "servers"), i, x)
			if (strcmp(json_string_value(json_object_get(x, "server")), p->b) == 0)
				snprintf(now, size, "%s", json_string_value(json_object_get(x, "state")));
		return strcmp(now, p->want) == 0;
	case PRED_REPLICA: {
		json_t *rep = json_object_get(n, "replication"), *lag = json_object_get(rep, "lag");
		const char *io = json_string_value(json_object_get(rep, "io")) ?: "-";
		const char *sql = json_string_value(json_object_get(rep, "sql")) ?: "-";
		bool running = strcmp(io, "Yes") == 0 && strcmp(sql, "Yes") == 0;
		if (strcmp(p->want, "lag") != 0) {
			snprintf(now, size, "io %s, sql %s", io, sql);
			return running == (strcmp(p->want, "replicating") == 0);
		}
		if (!json_is_integer(lag))
			return snprintf(now, size, "lag not known (io %s, sql %s)", io, sql), false;
		double v = (double)json_integer_value(lag);
		snprintf(now, size, "%.0f transaction%s behind the primary", v, v == 1 ? "" : "s");
		return strcmp(p->b, ">=") == 0 ? v >= p->percent : v <= p->percent;
	}
	case PRED_PROM: {
		json_t *v = json_object_get(n, strcmp(p->want, "qps") == 0 ? "qps" : "qps_5xx");
		if (!json_is_number(v))
			return snprintf(now, size, "Prometheus has no figure for %s yet", p->a), false;
		double q = json_number_value(v);
		snprintf(now, size, "%.1f %s/s", q, strcmp(p->want, "qps") == 0 ? "answers" : "5xx answers");
		return strcmp(p->b, ">=") == 0 ? q >= p->percent : q <= p->percent;
	}
	case PRED_DAEMON:
		snprintf(now, size, "not known");
		json_array_foreach(json_object_get(n, "daemons"), i, x)
			if (strcmp(json_string_value(json_object_get(x, "name")), p->b) == 0) {
				/* stopped is gone, not on its way (a MariaDB may take
				 * 10 s); starting is not running yet */
				const char *st = json_string_value(json_object_get(x, "state")) ?: "";
				snprintf(now, size, "%s", strcmp(st, "exited") == 0 ? "stopped" : st);
			}
		return strcmp(now, p->want) == 0;
	default:
		return false;
	}
}

/* Traffic results of one kind (or all, kind NULL) between from and to. */
static size_t count(struct run *r, const char *kind, double from, double to)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_seen; i++) {
		const struct seen *s = &r->ring[i];
		if (strcmp(s->kind, "log") == 0 || s->t < from || s->t > to)
			continue;
		bool failed = strcmp(s->kind, "ok") != 0;
		n += !kind || (strcmp(kind, "failed") == 0 ? failed : strcmp(kind, s->kind) == 0);
	}
	return n;
}

static bool regex_finds(const char *re, const char *text)
{
	regex_t x;
	if (regcomp(&x, re, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	bool found = regexec(&x, text, 0, NULL, 0) == 0;
	regfree(&x);
	return found;
}

/* A predicate that asks the stacklab command (request, connect, trace,
 * capture, run): its words into w, and how many (script: room for
 * connect's). */
static int command_words(const struct pred *p, char **w, char *script, size_t size)
{
	switch (p->kind) {
	case PRED_REQUEST:
		w[0] = "request", w[1] = (char *)p->a;
		return 2;
	case PRED_CONNECT: {
		char host[64];
		snprintf(host, sizeof(host), "%s", p->b);
		char *colon = strrchr(host, ':');
		*colon = '\0';
		snprintf(script, size, "exec 3<>/dev/tcp/%s/%s", host, colon + 1);
		char *c[] = { "exec", (char *)p->a, "--", "timeout", "3", "bash", "-c", script };
		memcpy(w, c, sizeof(c));
		return 8;
	}
	case PRED_TRACE:
		w[0] = "trace", w[1] = "--json", w[2] = (char *)p->a;
		return 3;
	case PRED_CAPTURE: {
		char *c[] = { "capture", "--count", "2000", "--seconds", "2", (char *)p->a };
		memcpy(w, c, sizeof(c));
		return 6;
	}
	case PRED_RUN: {
		char *c[] = { "exec", (char *)p->a, "--", "sh", "-c", (char *)p->command };
		memcpy(w, c, sizeof(c));
		return 6;
	}
	default:
		return 0;
	}
}

/* Does p hold, by what its command said (out, written on) and its exit
 * status? */
static bool command_judge(struct run *r, const struct pred *p, int code, char *out, char *now, size_t size)
{
	switch (p->kind) {
	case PRED_REQUEST: {
		const char *arrow = strstr(out, "→ ");
		int status = arrow ? atoi(arrow + strlen("→ ")) : 0;
		if (status)
			snprintf(now, size, "%d", status);
		else
			snprintf(now, size, "%s", strstr(out, "timeout") || strstr(out, "timed out") ? "timeout" : "refused");
		return strcmp(now, p->want) == 0;
	}
	case PRED_CONNECT:
		snprintf(now, size, "%s", code == 0 ? "open" : code == 124 ? "timeout" : "refused");
		return strcmp(now, p->want) == 0;
	case PRED_TRACE: {
		json_t *t = code == 0 ? ctl_parse(out) : NULL, *h;
		size_t i;
		int k = 0;
		snprintf(now, size, "through");
		json_array_foreach(json_object_get(t, "hops"), i, h) {
			const char *node = json_string_value(json_object_get(h, "node"));
			snprintf(now + strlen(now), size - strlen(now), " %s", node ? node : "?");
			if (k < p->n_list && node && strcmp(node, p->list[k]) == 0)
				k++;
		}
		if (k == p->n_list)
			show_trace(r, t);
		json_decref(t);
		return k == p->n_list;
	}
	case PRED_CAPTURE:
		snprintf(now, size, "no such packet in 2 s");
		for (char *l = out, *nl; *l; l = nl + 1) {
			nl = strchr(l, '\n');
			if (nl)
				*nl = '\0';
			if (regex_finds(p->regex, l))
				return snprintf(now, size, "%.200s", l), true;
			if (!nl)
				break;
		}
		return false;
	case PRED_RUN: {
		snprintf(now, size, "%.*s", (int)strcspn(out, "\n"), out);
		text_clean(now); /* what a node's command printed */
		bool found = regex_finds(p->regex, out);
		if (found) {
			/* What the lesson ran, and what it printed: the
			 * evidence, on screen and in the journal. */
			evidence(r, "%s$ %s", p->a, p->command);
			int lines = 0;
			for (char *l = strtok(out, "\n"); l && lines < EVIDENCE_LINES; l = strtok(NULL, "\n"), lines++) {
				text_clean(l);
				evidence(r, "  %s", l);
			}
		}
		return found;
	}
	default:
		return false;
	}
}

static bool command_holds(struct run *r, const struct pred *p, char *now, size_t size)
{
	static char out[PROBE_OUT_MAX];
	char *w[8], script[160];
	int n = command_words(p, w, script, sizeof(script));
	int code = stacklab(r, w, n, out, sizeof(out));
	return command_judge(r, p, code, out, now, size);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The q-quantile (0.5, 0.99) of the latencies of the requests that
 * succeeded between from and to; NAN if none did. *n gets how many. */
static double quantile(struct run *r, double q, double from, double to, size_t *n)
{
	static double ms[RING];
	*n = 0;
	for (size_t i = 0; i < r->n_seen; i++)
		if (strcmp(r->ring[i].kind, "ok") == 0 && r->ring[i].t >= from && r->ring[i].t <= to)
			ms[(*n)++] = r->ring[i].ms;
	if (*n == 0)
		return NAN;
	qsort(ms, *n, sizeof(ms[0]), by_value);
	return ms[(size_t)(q * (double)(*n - 1) + 0.5)];
}

static bool holds(struct run *r, const struct pred *p, double since, char *now, size_t size)
{
	switch (p->kind) {
	case PRED_TRAFFIC: {
		double t = now_s();
		if (p->want[0] == 'p') { /* a latency: p50, p99 */
			size_t n;
			double v = quantile(r, strcmp(p->want, "p99") == 0 ? 0.99 : 0.5, t - p->over_s, t, &n);
			if (n == 0)
				return snprintf(now, size, "no request succeeded in the last %g s", p->over_s), false;
			snprintf(now, size, "%s %.0f ms over the last %g s (%zu requests)", p->want, v, p->over_s, n);
			return strcmp(p->b, ">=") == 0 ? v >= p->ms : v <= p->ms;
		}
		size_t all = count(r, NULL, t - p->over_s, t), some = count(r, p->want, t - p->over_s, t);
		if (all == 0 && r->traffic_why[0])
			return snprintf(now, size, "no traffic: it stopped (%s)", r->traffic_why), false;
		if (all == 0)
			return snprintf(now, size, "no traffic in the last %g s", p->over_s), false;
		snprintf(now, size, "%zu of %zu in the last %g s", some, all, p->over_s);
		return 100.0 * (double)some / (double)all >= p->percent;
	}
	case PRED_SHARE: {
		double t = now_s();
		size_t all = 0, mine = 0;
		for (size_t i = 0; i < r->n_seen; i++) {
			const struct seen *s = &r->ring[i];
			if (strcmp(s->kind, "ok") != 0 || s->t < t - p->over_s)
				continue;
			all++;
			mine += strcmp(s->node, p->a) == 0;
		}
		if (all == 0)
			return snprintf(now, size, "no answer in the last %g s", p->over_s), false;
		double pc = 100.0 * (double)mine / (double)all;
		snprintf(now, size, "%s gave %zu of %zu answers (%.0f%%) in the last %g s", p->a, mine, all, pc, p->over_s);
		return strcmp(p->b, ">=") == 0 ? pc >= p->percent : pc <= p->percent;
	}
	case PRED_LOG:
		snprintf(now, size, "no such line yet");
		for (size_t i = 0; i < r->n_seen; i++) {
			const struct seen *s = &r->ring[i];
			if (s->t >= since && strcmp(s->kind, "log") == 0 && strcmp(s->node, p->a) == 0 &&
			    strcmp(s->daemon, p->b) == 0 && regex_finds(p->regex, s->line))
				return snprintf(now, size, "%s", s->line), true;
		}
		return false;
	case PRED_REQUEST:
	case PRED_CONNECT:
	case PRED_TRACE:
	case PRED_RUN:
	case PRED_CAPTURE:
		return command_holds(r, p, now, size);
	default:
		return state_holds(r, p, now, size);
	}
}

/* Read from the lab's state (status, again at each change), not from
 * traffic or log events or a command. */
static bool stateful(const struct pred *p)
{
	switch (p->kind) {
	case PRED_VIP:
	case PRED_VRRP:
	case PRED_SERVER:
	case PRED_NODE:
	case PRED_DAEMON:
	case PRED_REPLICA:
	case PRED_PROM:
		return true;
	default:
		return false;
	}
}

/* Is `w` one of the words of `text` ("stop nginx" holds "stop")? */
static bool has_word(const char *text, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = text; (p = strstr(p, w)); p += n)
		if ((p == text || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}

/* Is fault f what the solve line asks ("fail lb1 crash", "fail partition
 * lb1 lb2", "fail lb1-eth0 down", "heal --all", "heal lb1")? */
static bool fault_is(const struct fault_seen *f, const struct words *w)
{
	if (w->argc < 2 || strcmp(f->action, w->argv[0]) != 0)
		return false;
	if (strcmp(w->argv[0], "heal") == 0)
		return strcmp(w->argv[1], "--all") == 0 || strcmp(w->argv[1], f->node) == 0 || strcmp(w->argv[1], f->link) == 0;
	if (strcmp(w->argv[1], "partition") == 0)
		return w->argc >= 4 && has_word(f->what, "partition") &&
		       ((strcmp(w->argv[2], f->node) == 0 && strcmp(w->argv[3], f->other) == 0) ||
			(strcmp(w->argv[3], f->node) == 0 && strcmp(w->argv[2], f->other) == 0));
	if (strcmp(w->argv[1], f->node) != 0 && strcmp(w->argv[1], f->link) != 0)
		return false;
	for (int k = 2; k < w->argc; k++) /* crash, stop nginx, down, rate 512 */
		if (!has_word(f->what, w->argv[k]))
			return false;
	return true;
}

/* Does fault f do what step s asks? A step that names no way to do it
 * takes anything. */
static bool solved_by_faults(const struct step *s);

static bool fault_asked(const struct step *s, const struct fault_seen *f)
{
	if (!solved_by_faults(s))
		return true;
	for (int k = 0; k < s->n_solve; k++)
		if (fault_is(f, &s->solve[k]))
			return true;
	return false;
}

/* Is each way to do step s a fail or a heal (what fault events show)? A
 * `set` step is answered by the lab's state alone. */
static bool solved_by_faults(const struct step *s)
{
	if (!s || s->n_solve == 0)
		return false;
	for (int k = 0; k < s->n_solve; k++)
		if (s->solve[k].argc < 1 || (strcmp(s->solve[k].argv[0], "fail") && strcmp(s->solve[k].argv[0], "heal")))
			return false;
	return true;
}

/* The first fault or heal since `since` that does what step s asks. */
static double first_fault(const struct run *r, const struct step *s, double since)
{
	double at = 0;
	for (int k = 0; k < (int)ARRAY_SIZE(r->faults) && k < r->n_faults; k++) {
		const struct fault_seen *f = &r->faults[k];
		if (f->t >= since && (!at || f->t < at) && fault_asked(s, f))
			at = f->t;
	}
	return at;
}

/* A student did something the step does not ask (crashed the client, not
 * lb1; froze it, not crashed it): say what, and what is asked, once. */
static void tell_wrong(struct run *r, const struct step *s, double since)
{
	for (; r->n_told < r->n_faults; r->n_told++) {
		const struct fault_seen *f = &r->faults[r->n_told % ARRAY_SIZE(r->faults)];
		if (f->t < since || fault_asked(s, f) || r->n_faults - r->n_told > (int)ARRAY_SIZE(r->faults))
			continue;
		tell(r, "note", "that was %s %s: %s%s%s, not what this step asks (%s); %s undoes it and lets you try again",
		     f->action, f->node, f->what, f->link[0] ? " on " : "", f->link, s->solve[0].text,
		     r->opt->mode == LESSON_FEED ? "u" : "r");
	}
}

/* r: undo what the student did since `since` that the step does not ask
 * (heal those nodes and links), and start the step's wait again. */
static void retry(struct run *r, const struct step *s, double since)
{
	char done[ARRAY_SIZE(r->faults)][40];
	int n_done = 0;
	for (int k = 0; k < (int)ARRAY_SIZE(r->faults) && k < r->n_faults; k++) {
		const struct fault_seen *f = &r->faults[k];
		if (f->t < since || fault_asked(s, f) || strcmp(f->action, "fail") != 0)
			continue;
		const char *target = f->link[0] ? f->link : f->node;
		bool again = false;
		for (int d = 0; d < n_done; d++)
			again |= strcmp(done[d], target) == 0;
		if (again)
			continue;
		snprintf(done[n_done++], sizeof(done[0]), "%s", target);
		char *words[] = { "heal", (char *)target };
		char out[1024];
		int code = stacklab(r, words, 2, out, sizeof(out));
		tell(r, "note", "undone: heal %s%s%.*s", target, code ? ": " : "", code ? (int)strcspn(out, "\n") : 0, out);
	}
	/* The wrong node may have been the client, and the lesson's traffic
	 * with it: once the nodes healed are up again, it starts again. */
	if (r->traffic_why[0] && r->traffic_start) {
		for (double until = now_s() + 20; now_s() < until && !interrupted;) {
			bool all_up = true;
			size_t i;
			json_t *n;
			json_array_foreach(json_object_get(r->status, "nodes"), i, n) {
				const char *state = json_string_value(json_object_get(n, "state"));
				for (int d = 0; d < n_done; d++)
					if (strcmp(json_string_value(json_object_get(n, "name")) ?: "", done[d]) == 0)
						all_up &= state && strcmp(state, "up") == 0;
			}
			if (all_up)
				break;
			if (pump(r, 100) < 0)
				break;
		}
		if (run_words(r, r->traffic_start, false))
			tell(r, "note", "the lesson's traffic runs again");
	}
	tell(r, "note", "try the step again: %s", s->ask ? s->ask : s->solve[0].text);
}

/* Wait until p holds or `within` seconds pass. *at gets the time it first
 * held (the event's, for state predicates). A student sees what it waits
 * for and what it sees now, and the step's hint after its delay or when
 * asked; with `skipped`, a skip (Enter in text) returns early with it set. */
static bool wait_for(struct run *r, const struct pred *p, double since, double within, double *at, char *now,
		     size_t size, const struct step *hinted, bool *skipped)
{
	double deadline = now_s() + within * r->opt->slack;
	/* A step that asks a student to act waits for the student: its time
	 * limit starts when they do what it asks (another fault is told, and
	 * r undoes it); p stops its clocks. */
	bool student = hinted && hinted->ask && r->opt->mode != LESSON_CHECK && skipped;
	bool hint_shown = false, told_other_way = false;
	double shown = 0, paused_at = now_s(), paused = 0; /* paused: the seconds the clocks stood still */
	char last[256] = "";
	if (student)
		r->n_told = r->n_faults; /* what came before the step is not the student's answer */
	for (;;) {
		double t = now_s();
		double acted = student ? first_fault(r, hinted, since) : 0;
		if (holds(r, p, since, now, size)) {
			/* What the lab shows, reached another way than the step
			 * asks (frozen, not crashed), is not the answer. */
			if (!student || acted || !solved_by_faults(hinted)) {
				/* The event it held after; not before we started looking. */
				if (at)
					*at = fmax(stateful(p) ? r->status_time : now_s(), since);
				return true;
			}
			if (!told_other_way)
				tell(r, "note", "the lab shows it, but not by what this step asks: %s undoes what you did",
				     r->opt->mode == LESSON_FEED ? "u" : "r");
			told_other_way = true;
		}
		if (student) {
			tell_wrong(r, hinted, since);
			deadline = acted ? acted + within * r->opt->slack : INFINITY;
		}
		if (r->paused) { /* the clocks stand still: the time paused is given back */
			paused += t - paused_at;
			paused_at = t;
		}
		if (t > deadline + paused || interrupted)
			return false;
		if (r->opt->mode != LESSON_CHECK) {
			/* What it sees now: for the TUI as it changes, in text
			 * every other second. */
			bool changed = strcmp(last, now) != 0;
			if (r->opt->mode == LESSON_FEED ? changed || t - shown > 1 : t - shown > 2) {
				emit(r, "waiting", true, p->text, now);
				shown = t;
				snprintf(last, sizeof(last), "%s", now);
			}
			enum in_key k = key_in(r, 0);
			if (hinted && hinted->hint && !hint_shown &&
			    (t - since - paused >= hinted->hint_after_s || k == IN_HINT)) {
				tell(r, "hint", "%s", hinted->hint);
				hint_shown = true;
			} else if (k == IN_HINT) {
				tell(r, "note", "this step has no hint%s", hint_shown ? " but the one shown" : "");
			}
			if (skipped && (k == IN_SKIP || (k == IN_ENTER && r->opt->mode == LESSON_TEXT))) {
				*skipped = true;
				return false;
			}
			if (k == IN_SKIP || k == IN_NEXT)
				tell(r, "note", "the lesson waits for %s (nothing to skip: it happens by itself)", p->text);
			if (k == IN_PAUSE) {
				r->paused = !r->paused;
				paused_at = t;
				tell(r, "note", r->paused ? "paused: the lesson's clocks stand still (%s again: go on)"
							  : "going on: the clocks run again", r->opt->mode == LESSON_FEED ? "P" : "p");
			}
			if (k == IN_RETRY && student) {
				retry(r, hinted, since);
				since = now_s();
				paused = 0;
				r->n_told = r->n_faults;
				hint_shown = told_other_way = false;
			} else if (k == IN_RETRY) {
				tell(r, "note", "nothing to retry: this step waits for the lab, not for you");
			}
		}
		int e = pump(r, stateful(p) || p->kind == PRED_TRAFFIC || p->kind == PRED_SHARE || p->kind == PRED_LOG
				       ? 100 : POLL_CMD_MS);
		if (e < 0) {
			snprintf(now, size, "the lab went away");
			return false;
		}
	}
}

/* --- marks and measures ------------------------------------------------------------------- */

/* The step that set `mark` is over: watch every later measure from it. */
static void watch_ahead(struct run *r, const struct step *s, double from)
{
	const struct lesson *l = r->l;
	for (int i = (int)(s - l->steps) + 1; i < l->n_steps; i++)
		for (int k = 0; k < l->steps[i].n_measures; k++) {
			const struct measure *m = &l->steps[i].measures[k];
			if (m->kind == MEASURE_UNTIL && strcmp(m->mark, s->mark) == 0 && r->n_ahead < LESSON_STEPS_MAX)
				r->ahead[r->n_ahead++] = (struct ahead){ m, from, NAN, 0, 0, -1, NULL, 0 };
		}
}

/* A command predicate probed ahead runs in the background, so that the
 * runner never waits on it (a request to a site that is down takes its
 * whole timeout): started here, read here as it prints, judged when it
 * ends. At most twice a second, and one that runs past PROBE_JOB_S is
 * killed. */
static void probe_stop(struct ahead *a)
{
	if (a->job > 0) {
		kill(a->job, SIGKILL);
		while (waitpid(a->job, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (a->job_fd >= 0)
		close(a->job_fd);
	a->job = 0;
	a->job_fd = -1;
	free(a->job_out);
	a->job_out = NULL;
}

static void probe_start(struct run *r, struct ahead *a)
{
	char *w[8], script[160], *args[ARGS_ROOM];
	int n = command_words(&a->m->until, w, script, sizeof(script));
	lab_args(r, w, n, args);
	int fd;
	pid_t pid = run_self_start(args, &fd);
	if (pid < 0)
		return;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	a->job = pid;
	a->job_fd = fd;
	a->job_out = xmalloc(PROBE_OUT_MAX);
	a->job_len = 0;
}

/* Read what the probe printed; once it has ended, judge it. */
static void probe_read(struct run *r, struct ahead *a)
{
	char sink[4096];
	while (a->job_fd >= 0) {
		size_t room = PROBE_OUT_MAX - 1 - a->job_len;
		ssize_t got = room ? read(a->job_fd, a->job_out + a->job_len, room) : read(a->job_fd, sink, sizeof(sink));
		if (got > 0) {
			if (room)
				a->job_len += (size_t)got;
		} else if (got < 0 && errno == EINTR) {
			continue;
		} else if (got < 0 && errno == EAGAIN) {
			break;
		} else { /* its end, or an error: nothing more will come */
			close(a->job_fd);
			a->job_fd = -1;
		}
	}
	int status = 0;
	pid_t done = a->job_fd < 0 ? waitpid(a->job, &status, WNOHANG) : 0;
	if (done < 0 && errno != EINTR) { /* not ours to wait for any more */
		a->job = 0;
		probe_stop(a);
		return;
	}
	if (done <= 0) { /* still running */
		if (now_s() - a->probed > PROBE_JOB_S)
			probe_stop(a);
		return;
	}
	a->job = 0;
	a->job_out[a->job_len] = '\0';
	char now[256];
	if (command_judge(r, &a->m->until, run_status(status), a->job_out, now, sizeof(now)))
		a->at = fmax(now_s(), a->from);
	probe_stop(a);
}

static bool is_command(const struct pred *p)
{
	char *w[8], script[160];
	return command_words(p, w, script, sizeof(script)) > 0;
}

static void look_ahead(struct run *r)
{
	if (r->looking)
		return;
	r->looking = true;
	for (int i = 0; i < r->n_ahead; i++) {
		struct ahead *a = &r->ahead[i];
		double t = now_s();
		bool command = is_command(&a->m->until);
		if (!isnan(a->at) || t - a->from > MEASURE_WITHIN_S * r->opt->slack) {
			probe_stop(a);
			continue;
		}
		if (a->job > 0) {
			probe_read(r, a);
			continue;
		}
		if (t - a->probed < (command ? PROBE_CMD_S : POLL_CMD_MS / 1000.0))
			continue;
		a->probed = t;
		if (command) {
			probe_start(r, a);
			continue;
		}
		char now[256];
		if (holds(r, &a->m->until, a->from, now, sizeof(now)))
			a->at = fmax(stateful(&a->m->until) ? r->status_time : now_s(), a->from);
	}
	r->looking = false;
}

/* Every probe still running, stopped: the lesson is over. */
static void look_ahead_stop(struct run *r)
{
	for (int i = 0; i < r->n_ahead; i++)
		probe_stop(&r->ahead[i]);
}

static double mark_time(struct run *r, const char *name)
{
	for (int i = r->n_marks - 1; i >= 0; i--)
		if (strcmp(r->marks[i].name, name) == 0)
			return r->marks[i].t;
	return NAN;
}

static const struct value *value_of(struct run *r, const char *name)
{
	for (int i = r->n_values - 1; i >= 0; i--)
		if (strcmp(r->values[i].name, name) == 0)
			return &r->values[i];
	return NULL;
}

static bool measure(struct run *r, const struct measure *m)
{
	double from = mark_time(r, m->mark), v = 0;
	char now[256];
	struct value *out = &r->values[r->n_values];
	snprintf(out->name, sizeof(out->name), "%s", m->name);
	const struct ahead *seen = NULL;
	for (int i = 0; i < r->n_ahead; i++)
		if (r->ahead[i].m == m && r->ahead[i].from == from && !isnan(r->ahead[i].at))
			seen = &r->ahead[i];
	if (m->kind == MEASURE_UNTIL && seen) {
		v = (seen->at - from) * 1000; /* it held while the class was still talking */
		out->unit = "ms";
	} else if (m->kind == MEASURE_UNTIL) {
		double at;
		if (!wait_for(r, &m->until, from, MEASURE_WITHIN_S, &at, now, sizeof(now), NULL, NULL)) {
			tap(r, false, "measure %s: %s never held (now %s)", m->name, m->until.text, now);
			return false;
		}
		v = (at - from) * 1000;
		out->unit = "ms";
	} else {
		/* The window must be over before it is counted. */
		while (now_s() < from + m->over_s && !interrupted)
			if (pump(r, 100) < 0)
				break;
		pump(r, 50);
		if (m->kind == MEASURE_COUNT) {
			v = (double)count(r, m->what, from, from + m->over_s);
			out->unit = "";
		} else {
			size_t n;
			v = quantile(r, strcmp(m->what, "p99") == 0 ? 0.99 : 0.5, from, from + m->over_s, &n);
			if (n == 0) {
				tap(r, false, "measure %s: no request succeeded in the %g s after @%s", m->name, m->over_s, m->mark);
				return false;
			}
			out->unit = "ms";
		}
	}
	out->v = v;
	r->n_values++;
	tell(r, "measure", "%s %.0f%s%s", m->name, v, *out->unit ? " " : "", out->unit);
	journal(r, json_pack("{s:s, s:s, s:f, s:s}", "kind", "measure", "name", m->name, "value", v, "unit", out->unit));
	return true;
}

static bool check(struct run *r, const struct check *c)
{
	const struct value *v = value_of(r, c->name);
	double x = v ? v->v : NAN;
	bool good = v && (strcmp(c->op, "<") == 0 ? x < c->value : strcmp(c->op, "<=") == 0 ? x <= c->value
					: strcmp(c->op, ">") == 0 ? x > c->value : strcmp(c->op, ">=") == 0 ? x >= c->value
					: x == c->value);
	tap(r, good, "check %s %s %g (it was %.0f%s%s)", c->name, c->op, c->value, x, v && *v->unit ? " " : "",
	    v ? v->unit : "");
	return good;
}

/* explain with each {name} as its value and unit. */
static void explain(struct run *r, const char *text)
{
	char out[1024];
	size_t o = 0;
	for (const char *p = text; *p && o < sizeof(out) - 64; p++) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		if (close) {
			char name[LESSON_NAME_MAX];
			snprintf(name, sizeof(name), "%.*s", (int)(close - p - 1), p + 1);
			const struct value *v = value_of(r, name);
			int n = v ? snprintf(out + o, sizeof(out) - o, "%.0f%s%s", v->v, *v->unit ? " " : "", v->unit)
				  : snprintf(out + o, sizeof(out) - o, "{%s}", name);
			/* snprintf says what it would have written: never past out */
			o = n < 0 ? o : o + (size_t)n < sizeof(out) - 1 ? o + (size_t)n : sizeof(out) - 1;
			p = close;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	tell(r, "explain", "%s", out);
}

/* Between steps, a student or a teacher goes on when ready (n, Enter);
 * the lab's events keep coming in meanwhile. */
static void next(struct run *r, const char *what)
{
	if (r->opt->mode == LESSON_CHECK)
		return;
	bool told = false;
	while (!interrupted && r->opt->in >= 0 && !r->in_done) {
		if (!told)
			tell(r, "pause", "%s", what);
		told = true;
		enum in_key k = key_in(r, 100);
		if (k == IN_NEXT || k == IN_ENTER || k == IN_SKIP)
			return;
		if (k == IN_HINT)
			tell(r, "note", "no hint here: the step is over (n or Enter: %s)", what);
		if (pump(r, 0) < 0)
			return;
	}
}

/* --- the lesson ----------------------------------------------------------------------------- */

static bool steady(struct run *r, const char *when)
{
	bool all = true;
	for (int i = 0; i < r->l->n_steady; i++) {
		char now[256];
		bool good = wait_for(r, &r->l->steady[i], now_s(), STEADY_WITHIN_S, NULL, now, sizeof(now), NULL, NULL);
		tap(r, good, "%s: %s%s%s", when, r->l->steady[i].text, good ? "" : " — now ", good ? "" : now);
		all &= good;
	}
	return all;
}

static bool step(struct run *r, const struct step *s)
{
	bool good = true;
	tell(r, "step", "%s", s->name);
	for (int k = 0; k < s->n_say; k++)
		tell(r, "say", "%s", s->say[k]);
	/* The mark is the moment the step acts: before its commands. */
	double start = now_s();
	if (s->mark[0] && r->n_marks < LESSON_STEPS_MAX) {
		snprintf(r->marks[r->n_marks].name, sizeof(r->marks[0].name), "%s", s->mark);
		r->marks[r->n_marks++].t = start;
	}
	const char *failed = NULL;
	for (int k = 0; k < s->n_do && good; k++)
		if (!(good = run_words(r, &s->do_[k], false)))
			failed = s->do_[k].text;
	bool acted = false;
	if (s->ask && r->opt->mode != LESSON_CHECK)
		tell(r, "ask", "%s", s->ask);
	if (s->ask && r->opt->mode == LESSON_CHECK) {
		for (int k = 0; k < s->n_solve && good; k++)
			if (!(good = run_words(r, &s->solve[k], false)))
				failed = s->solve[k].text;
		acted = true;
	}
	if (failed) {
		tap(r, false, "step %s: stacklab %s failed", s->name, failed);
		return false;
	}
	if (good && s->has_wait) {
		char now[256];
		bool skipped = false;
		good = wait_for(r, &s->wait, start, s->wait.within_s, NULL, now, sizeof(now), s, s->ask ? &skipped : NULL);
		if (skipped && !acted) {
			/* The student let the lesson act. */
			start = now_s();
			for (int k = 0; k < s->n_solve; k++)
				run_words(r, &s->solve[k], false);
			good = wait_for(r, &s->wait, start, s->wait.within_s, NULL, now, sizeof(now), NULL, NULL);
		}
		if (s->mark[0] && !acted) {
			/* Measured from when the student (or the skip) broke or healed
			 * something: the lab's own time of the first fault since. */
			double at = first_fault(r, s, start) ?: start;
			for (int k = 0; k < r->n_marks; k++)
				if (strcmp(r->marks[k].name, s->mark) == 0)
					r->marks[k].t = at;
		}
		tap(r, good, "step %s: %s%s%s", s->name, s->wait.text, good ? "" : " — now ", good ? "" : now);
	} else if (!s->has_wait) {
		tap(r, good, "step %s", s->name);
	}
	if (good && s->mark[0])
		watch_ahead(r, s, mark_time(r, s->mark));
	for (int k = 0; k < s->n_measures && good; k++)
		good = measure(r, &s->measures[k]);
	for (int k = 0; k < s->n_checks && good; k++)
		good = check(r, &s->checks[k]);
	if (good && s->explain)
		explain(r, s->explain);
	return good;
}

/* A run of lesson l, subscribed to its lab's events (*e: 0, or -errno). */
static struct run *run_new(const struct lesson *l, const struct lesson_options *opt, int *e)
{
	struct run *r = xcalloc(1, sizeof(*r));
	r->fd = -1;
	r->l = l;
	r->opt = opt;
	r->ring = xcalloc(RING, sizeof(*r->ring));
	r->rd = xcalloc(1, sizeof(*r->rd));
	*e = subscribe(r);
	return r;
}

static void run_free(struct run *r)
{
	if (r->journal)
		fclose(r->journal);
	if (r->fd >= 0)
		close(r->fd);
	json_decref(r->status);
	free(r->ring);
	free(r->rd);
	free(r);
}

int lesson_run(const struct lesson *l, const struct lesson_options *opt)
{
	int e;
	struct run *r = run_new(l, opt, &e);
	if (e == 0 && opt->journal) {
		r->journal = fopen(opt->journal, "we");
		if (!r->journal)
			tell(r, "note", "no journal: %s: %s", opt->journal, strerror(errno));
		journal(r, json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "start", "lesson", l->name, "title", l->title,
				     "path", l->path, "lab", opt->lab));
	}
	if (e < 0) {
		run_free(r);
		return e;
	}
	tell(r, "title", "%s", l->goal);
	/* A lesson that starts its own traffic cannot start it over the
	 * class's: that is stopped first, and said. */
	bool starts_traffic = false;
	for (int i = 0; i < l->n_steps; i++)
		for (int k = 0; k < l->steps[i].n_do; k++)
			starts_traffic |= l->steps[i].do_[k].argc >= 2 && strcmp(l->steps[i].do_[k].argv[0], "traffic") == 0 &&
					  strcmp(l->steps[i].do_[k].argv[1], "start") == 0;
	json_t *tr = NULL, *treq = json_pack("{s:s, s:s}", "cmd", "traffic", "action", "status");
	/* The class's own traffic: stopped for the lesson's, and started
	 * again, at its rate, once the lesson has cleaned up. */
	char class_rate[16] = "", class_path[128] = "";
	if (starts_traffic && ctl_call(opt->lab, treq, &tr) == 0 && json_is_true(json_object_get(tr, "running"))) {
		char *stop[] = { "traffic", "stop" };
		char out[1024];
		stacklab(r, stop, 2, out, sizeof(out));
		snprintf(class_rate, sizeof(class_rate), "%lld", (long long)json_integer_value(json_object_get(tr, "rate")));
		snprintf(class_path, sizeof(class_path), "%s", json_string_value(json_object_get(tr, "path")) ?: "/");
		tell(r, "note", "traffic was running: the lesson stopped it, and starts its own (yours starts again after it)");
	}
	json_decref(treq);
	json_decref(tr);
	bool good = steady(r, "before");
	int i = 0;
	if (good)
		next(r, "begin the lesson");
	for (; i < l->n_steps && good && !interrupted; i++)
		if ((good = step(r, &l->steps[i])))
			next(r, i + 1 < l->n_steps ? "next step" : "clean up and finish");
	for (; i < l->n_steps; i++) {
		const char *why = interrupted ? "interrupted" : "after a failed step";
		journal(r, json_pack("{s:s, s:s, s:s}", "kind", "skip", "step", l->steps[i].name, "why", why));
		if (opt->mode == LESSON_CHECK)
			fprintf(opt->out, "ok %d - step %s # SKIP %s\n", ++r->n_tap, l->steps[i].name, why);
		else
			tell(r, "note", "step %s not run (%s)", l->steps[i].name, why);
	}
	/* Cleanup whatever happened, then the lab must be as it was. */
	look_ahead_stop(r);
	r->cleaning = true;
	for (int k = 0; k < l->n_cleanup; k++)
		run_words(r, &l->cleanup[k], true);
	if (class_rate[0]) {
		char *again[] = { "traffic", "stop" }, *start[] = { "traffic", "start", "--rate", class_rate, "--path", class_path };
		char out[1024];
		stacklab(r, again, 2, out, sizeof(out)); /* the lesson's, if its cleanup left it */
		if (stacklab(r, start, 6, out, sizeof(out)) == 0)
			tell(r, "note", "the class's traffic runs again: %s requests/s to %s", class_rate, class_path);
		else
			tell(r, "note", "the class's traffic could not start again: %.*s", (int)strcspn(out, "\n"), out);
	}
	if (!interrupted)
		steady(r, "after cleanup");
	int failed = r->n_failed || interrupted;
	journal(r, json_pack("{s:s, s:i, s:i, s:b}", "kind", "end", "held", r->n_tap - r->n_failed, "of", r->n_tap,
			     "interrupted", interrupted != 0));
	if (opt->mode == LESSON_CHECK) {
		fprintf(opt->out, "1..%d\n", r->n_tap);
	} else {
		char end[64];
		snprintf(end, sizeof(end), "%s: %d of %d held", failed ? "not passed" : "passed", r->n_tap - r->n_failed,
			 r->n_tap);
		emit(r, "end", !failed, end, NULL);
		if (r->journal)
			tell(r, "note", "journal: %s", opt->journal);
	}
	run_free(r);
	return failed ? 1 : 0;
}

int lesson_grade(const char *lab, const struct pred *preds, int n, double slack, lesson_verdict_fn verdict, void *ctx)
{
	/* A run of no lesson, in check mode, whose narration goes nowhere:
	 * the waits are the lessons' own. */
	static const struct lesson none = { .name = "grade" };
	FILE *quiet = fopen("/dev/null", "we");
	if (!quiet)
		return -errno;
	struct lesson_options opt = { .mode = LESSON_CHECK, .lab = lab, .slack = slack, .out = quiet, .in = -1 };
	int e, failed = 0;
	struct run *r = run_new(&none, &opt, &e);
	double since = now_s();
	for (int i = 0; e == 0 && i < n && !interrupted; i++) {
		const struct pred *p = &preds[i];
		/* A share of the traffic is judged over a window the grade
		 * watched whole, not over the first few answers it saw. */
		while ((p->kind == PRED_TRAFFIC || p->kind == PRED_SHARE) && now_s() - since < p->over_s && !interrupted)
			if ((e = pump(r, 100)) < 0)
				break;
		char now[256] = "";
		/* Once one has failed, the rest are judged as they are now:
		 * a student who checks is told at once what else fails. */
		bool good = e >= 0 && wait_for(r, p, since, failed ? 0 : p->within_s, NULL, now, sizeof(now), NULL, NULL);
		if (e < 0)
			snprintf(now, sizeof(now), "the lab went away");
		failed += !good;
		verdict(ctx, p, good, now);
		e = e > 0 ? 0 : e;
	}
	run_free(r);
	fclose(quiet);
	return e < 0 ? e : failed;
}

int lesson_report(const char *path, FILE *out)
{
	char *errors = NULL;
	FILE *f = NULL;
	/* Bounded and regular, like every file a person hands in. */
	int e = inifile_open(path, 64 << 20, "a journal", &f, &errors);
	if (e < 0) {
		fputs(errors ? errors : "", stderr);
		free(errors);
		return e;
	}
	char line[16384];
	int held = -1, of = 0, n = 0;
	bool started = false;
	while (fgets(line, sizeof(line), f)) {
		json_t *j = ctl_parse(line);
		const char *kind = json_string_value(json_object_get(j, "kind"));
		n++;
		if (!kind) {
			fprintf(stderr, "%s:%d: not a journal line\n", path, n);
			json_decref(j);
			fclose(f);
			return -EINVAL;
		}
		time_t t = (time_t)json_real_value(json_object_get(j, "t"));
		struct tm *tm = localtime(&t);
		char when[32] = "?";
		if (tm)
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", tm);
		if (strcmp(kind, "start") == 0) {
			started = true;
			fprintf(out, "%s — %s\n  lab %s, %s\n", json_string_value(json_object_get(j, "lesson")),
				json_string_value(json_object_get(j, "title")), json_string_value(json_object_get(j, "lab")), when);
		} else if (strcmp(kind, "verdict") == 0) {
			fprintf(out, "  %s %s\n", json_is_true(json_object_get(j, "ok")) ? "ok    " : "NOT OK",
				json_string_value(json_object_get(j, "what")));
		} else if (strcmp(kind, "measure") == 0) {
			const char *unit = json_string_value(json_object_get(j, "unit"));
			fprintf(out, "         %s = %.0f%s%s\n", json_string_value(json_object_get(j, "name")),
				json_number_value(json_object_get(j, "value")), unit && *unit ? " " : "", unit ? unit : "");
		} else if (strcmp(kind, "skip") == 0) {
			fprintf(out, "  skip   step %s (%s)\n", json_string_value(json_object_get(j, "step")),
				json_string_value(json_object_get(j, "why")));
		} else if (strcmp(kind, "end") == 0) {
			held = (int)json_integer_value(json_object_get(j, "held"));
			of = (int)json_integer_value(json_object_get(j, "of"));
		}
		json_decref(j);
	}
	fclose(f);
	if (!started) {
		fprintf(stderr, "%s: no lesson run in it\n", path);
		return -EINVAL;
	}
	if (held < 0)
		fprintf(out, "  (the run did not end: interrupted, or still running)\n");
	else
		fprintf(out, "  %s: %d of %d held\n", held == of ? "passed" : "not passed", held, of);
	return held >= 0 && held == of ? 0 : 1;
}
