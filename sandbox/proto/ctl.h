/* ctl.h — the control protocol: one JSON object per line over a lab's Unix
 * socket, requests {"cmd": …} answered by {"ok": true, …} or
 * {"ok": false, "error": "…"}. Both the daemon and its clients use this. */
#ifndef STACKLAB_CTL_H
#define STACKLAB_CTL_H

#include <jansson.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "error.h"

#define CTL_LAB_NAME_MAX 32
#define CTL_USER_NAME_MAX 33

/* What a user's lab lets root of the host (the teacher) do besides its
 * owner: nothing, watch it, or watch it and run lessons on it (change it). */
enum lab_allow { ALLOW_NONE, ALLOW_WATCH, ALLOW_LESSONS };
extern const char *const lab_allow_names[]; /* "none", "watch", "lessons", NULL */
/* Which allow `word` names, or -1: the one reading of the word, for the
 * daemon, `allow` and `up --allow`. */
int lab_allow_find(const char *word);

/* Is `name` usable as a lab name (a-z, 0-9, '-', at most 31)? */
int ctl_lab_name_ok(const char *name);

/* Is `ref` a lab's name, or USER/NAME (another user's lab, for root and for
 * a teacher the user lets watch)? */
int ctl_lab_ref_ok(const char *ref);

/* "RUN/LAB" and "RUN/LAB/FILE", malloc'd, where RUN is run_dir() for a
 * lab's name and the user's run directory for USER/NAME. */
char *ctl_lab_dir(const char *lab);
char *ctl_lab_path(const char *lab, const char *file);

/* Listen on a fresh socket at `path` (an old one is removed), mode 0600,
 * or 0660 for group `gid` (the lab's watchers) when gid is not 0. */
int ctl_listen(const char *path, gid_t gid, struct sl_error *err);

/* Connect to lab `lab`; -ENOENT or -ECONNREFUSED when it is not up. */
int ctl_connect(const char *lab);

/* The pid of lab `lab`'s daemon, as the kernel tells who listens on its
 * socket; 0 if it does not answer. */
pid_t ctl_peer_pid(const char *lab);

/* The string `key` of object `o`, or "" when there is none: what a lab
 * daemon sent may lack anything (another user's daemon is theirs). */
static inline const char *ctl_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* Send `msg` as one line. Does not take ownership. */
int ctl_send(int fd, json_t *msg);

/* Buffered line reader for a stream socket. */
/* How stacklab writes JSON: numbers with at most 15 significant digits,
 * so a latency reads 5.902, not 5.9020000000000001 (and an epoch time
 * keeps its 10 microseconds). */
#define CTL_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))
#define CTL_JSON_PRETTY (JSON_INDENT(2) | JSON_REAL_PRECISION(15))

struct ctl_reader {
	char buf[65536];
	size_t len;
};

/* Next complete line from fd (without the newline) as a malloc'd string in
 * *line: returns 1, 0 at end of stream, -EAGAIN if no full line is there
 * yet on a non-blocking fd, -errno on error, -E2BIG for an overlong line. */
int ctl_read_line(int fd, struct ctl_reader *rd, char **line);

/* One line of the protocol as JSON, every string in it (keys too) made
 * safe for a terminal by text_clean: whatever a client prints of it came
 * from a lab daemon, which may be another user's, carrying what its nodes
 * wrote. NULL if the line is not JSON. */
json_t *ctl_parse(const char *line);

/* Connect to `lab`, send `req` and wait for its reply. On success *reply is
 * the reply (which may say ok:false). Returns -errno if the lab is not up. */
int ctl_call(const char *lab, json_t *req, json_t **reply);

/* ctl_call, and who answered as the kernel tells it (SO_PEERCRED): the
 * daemon's own word on its pid or user is never to be acted on. */
int ctl_call_peer(const char *lab, json_t *req, json_t **reply, struct ucred *peer);

/* ctl_call_peer, and a pidfd of the peer opened before the request is sent
 * (a daemon that exits on it, as after down, cannot have its pid taken by
 * another process meanwhile): *pidfd is -1 when there is none. */
int ctl_call_pidfd(const char *lab, json_t *req, json_t **reply, struct ucred *peer, int *pidfd);

/* The bounds of a traffic request: requests a second, and seconds. */
#define TRAFFIC_RATE_MAX 1000
#define TRAFFIC_SECONDS_MAX 3600

#endif
