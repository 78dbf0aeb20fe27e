/* watch.h — live state read from the daemons' own log lines: which VRRP
 * state keepalived is in, which web servers HAProxy sees UP or DOWN. */
#ifndef STACKLAB_WATCH_H
#define STACKLAB_WATCH_H

#include <stdbool.h>

enum watch_kind { WATCH_VRRP, WATCH_SERVER };

struct watch_event {
	enum watch_kind kind;
	char instance[32];   /* VRRP instance, or HAProxy backend */
	char server[32];     /* HAProxy server ("" for VRRP) */
	char state[16];      /* MASTER, BACKUP, FAULT; UP, DOWN */
};

/* Does `line`, printed by `daemon`, change live state? Fills *ev if so. */
bool watch_parse(const char *daemon, const char *line, struct watch_event *ev);

#endif
