/* watch.h — live state read from the daemons' own log lines: which VRRP
 * state keepalived is in, which web servers HAProxy sees UP or DOWN. */
#ifndef STACKLAB_WATCH_H
#define STACKLAB_WATCH_H

#include <stdbool.h>

/* WATCH_WORKER: HAProxy's master forked a new worker (at start, and at each
 * reload), which starts its servers UP without saying so. */
enum watch_kind { WATCH_VRRP, WATCH_SERVER, WATCH_REPLICA, WATCH_QPS, WATCH_WORKER };

/* A MariaDB replica's state, as rootfs/db/etc/mysql/replication-watch.sh says it. */
struct watch_replica {
	char io[16], sql[16]; /* its two threads: Yes, No, Connecting, - */
	char behind[16];     /* Seconds_Behind_Master, or NULL */
	char received[64];   /* last GTIDs fetched from the primary (one a domain), or - */
	char applied[64];    /* last GTIDs applied here, or - */
	char error[160];     /* the last error, or - */
	char binlog[64];     /* a primary: the last GTIDs in its binary log */
};

struct watch_event {
	enum watch_kind kind;
	char instance[32];   /* VRRP instance, or HAProxy backend */
	char server[32];     /* HAProxy server ("" for VRRP) */
	char state[16];      /* MASTER, BACKUP, FAULT; UP, DOWN */
	struct watch_replica replica;
	const char *qps;     /* WATCH_QPS: "web-01=10.0 web-02=9.9", in the line */
	bool errors;         /* WATCH_QPS: of the HTTP 5xx answers, not of all */
};

/* The sequence number of a GTID "domain-server-seq" (the last of a list), or
 * -1. Two positions of one replication stream differ by transactions. */
long long watch_gtid_seq(const char *gtid);

/* One "name=value" of a monitor's qps line. */
struct watch_qps {
	char name[32];
	double value;
};

/* The pairs of a qps line ("web-01=10.0 web-02=9.9", of any length, from a
 * node) into out, at most `max`: pairs that are not name=number, with a
 * name of at most 31 bytes and a finite value from 0 to 1e7, are skipped.
 * Returns how many it filled. */
int watch_qps_pairs(const char *pairs, struct watch_qps *out, int max);

/* Does `line`, printed by `daemon`, change live state? Fills *ev if so. */
bool watch_parse(const char *daemon, const char *line, struct watch_event *ev);

#endif
