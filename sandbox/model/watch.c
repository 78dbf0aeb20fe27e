/* watch.c — recognise state changes in daemons' log lines (see watch.h).
 * keepalived: "… (www) Entering MASTER STATE"
 * HAProxy:    "… Server web/web1 is DOWN, reason: …",
 *             "… Server web/web1 enters drain state. …" (DRAIN),
 *             "[NOTICE]   (3) : New worker (14) forked" (a reload) */
#include "watch.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool watch_parse(const char *daemon, const char *line, struct watch_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (strcmp(daemon, "keepalived") == 0) {
		const char *p = strstr(line, ") Entering ");
		const char *open = p ? memrchr(line, '(', (size_t)(p - line)) : NULL;
		if (!open || (size_t)(p - open - 1) >= sizeof(ev->instance))
			return false;
		ev->kind = WATCH_VRRP;
		memcpy(ev->instance, open + 1, (size_t)(p - open - 1));
		return sscanf(p, ") Entering %15[A-Z] STATE", ev->state) == 1;
	}
	if (strcmp(daemon, "haproxy") == 0) {
		const char *w = strstr(line, "New worker (");
		int pid;
		char tail[8] = "";
		if (w && sscanf(w, "New worker (%d) %7s", &pid, tail) == 2 && strcmp(tail, "forked") == 0) {
			ev->kind = WATCH_WORKER;
			return true;
		}
		const char *p = strstr(line, "Server ");
		while (p) {
			if (sscanf(p, "Server %31[^/ ]/%31s is %15[A-Z]", ev->instance, ev->server, ev->state) == 3 &&
			    (strcmp(ev->state, "UP") == 0 || strcmp(ev->state, "DOWN") == 0)) {
				ev->kind = WATCH_SERVER;
				return true;
			}
			char what[16] = "";
			if (sscanf(p, "Server %31[^/ ]/%31s enters %15[a-z] state", ev->instance, ev->server, what) == 3 &&
			    strcmp(what, "drain") == 0) {
				ev->kind = WATCH_SERVER;
				snprintf(ev->state, sizeof(ev->state), "DRAIN");
				return true;
			}
			p = strstr(p + 1, "Server ");
		}
	}
	if (strcmp(daemon, "qps") == 0 && (strncmp(line, "qps ", 4) == 0 || strncmp(line, "5xx ", 4) == 0)) {
		ev->kind = WATCH_QPS;
		ev->qps = line + 4;
		ev->errors = line[0] == '5';
		return true;
	}
	/* A node's words: each field only of the characters it may hold, so
	 * nothing is cut mid-character and nothing odd reaches JSON. */
	if (strcmp(daemon, "replication") == 0 && sscanf(line, "primary binlog=%63[0-9,-]", ev->replica.binlog) == 1) {
		ev->kind = WATCH_REPLICA;
		return true;
	}
	if (strcmp(daemon, "replication") == 0 && strncmp(line, "replica ", 8) == 0) {
		struct watch_replica *r = &ev->replica;
		const char *e = strstr(line, " error=");
		if (sscanf(line, "replica io=%15[A-Za-z-] sql=%15[A-Za-z-] behind=%15[0-9NUL] received=%63[0-9,-] applied=%63[0-9,-]",
			   r->io, r->sql, r->behind, r->received, r->applied) != 5 || !e)
			return false;
		snprintf(r->error, sizeof(r->error), "%s", e + 7);
		utf8_trim(r->error);
		ev->kind = WATCH_REPLICA;
		return true;
	}
	return false;
}

long long watch_gtid_seq(const char *gtid)
{
	const char *last = strrchr(gtid, ',');
	last = last ? last + 1 : gtid;
	const char *dash = strrchr(last, '-');
	if (!dash || !dash[1])
		return -1;
	char *end;
	long long seq = strtoll(dash + 1, &end, 10);
	return *end == '\0' && seq >= 0 ? seq : -1;
}

int watch_qps_pairs(const char *pairs, struct watch_qps *out, int max)
{
	int n = 0;
	for (const char *w = pairs; *w && n < max;) {
		w += strspn(w, " ");
		size_t len = strcspn(w, " ");
		const char *eq = memchr(w, '=', len);
		if (eq && eq > w && (size_t)(eq - w) < sizeof(out->name)) {
			char num[32], *end;
			size_t vlen = len - (size_t)(eq + 1 - w);
			if (vlen > 0 && vlen < sizeof(num)) {
				memcpy(num, eq + 1, vlen);
				num[vlen] = '\0';
				double v = strtod(num, &end);
				if (!*end && isfinite(v) && v >= 0 && v <= 1e7) {
					memcpy(out[n].name, w, (size_t)(eq - w));
					out[n].name[eq - w] = '\0';
					out[n++].value = v;
				}
			}
		}
		w += len;
	}
	return n;
}
