/* watch.c — recognise state changes in daemons' log lines (see watch.h).
 * keepalived: "… (www) Entering MASTER STATE"
 * HAProxy:    "… Server web/web1 is DOWN, reason: …",
 *             "… Server web/web1 enters drain state. …" (DRAIN) */
#include "watch.h"

#include <stdio.h>
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
	return false;
}
