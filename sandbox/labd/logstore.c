/* logstore.c — the daemons' logs on the host: logs/NODE/DAEMON.log, opened
 * by the lab for the daemons it gave each node (never for a name a node
 * makes up), shared with the lab's watch group, and bounded: NAME.log and
 * NAME.log.1 of LOG_ROTATE bytes each (see lab.h); if a rotation fails,
 * NAME.log grows to twice that, then drops lines.
 *
 * Each daemon's stdout and stderr is a pipe the lab made: the node holds
 * the write end, the lab reads the other in its loop, a read's worth of
 * lines at a time. Nothing in between copies a line (a busy HAProxy and
 * Nginx print a line per request). What comes down a pipe is a node's:
 * any bytes, cleaned before a file, a terminal or an event sees them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lab.h"
#include "service.h"
#include "util.h"

int lab_share(const struct lab *lab, int fd, const char *path, mode_t mode)
{
	if (!lab->watch_gid)
		mode &= 0700;
	int r = fd >= 0 ? fchown(fd, 0, lab->watch_gid) | fchmod(fd, mode) : chown(path, 0, lab->watch_gid) | chmod(path, mode);
	return r < 0 ? -errno : 0;
}

static const char *tn_name(const struct lab *lab, int i)
{
	return lab->topo->nodes[i].name;
}

struct lab_service *lab_service_find(struct lab *lab, int i, const char *name, size_t n)
{
	struct lab_node *ln = &lab->nodes[i];
	for (int k = 0; k < ln->n_services; k++)
		if (strlen(ln->services[k].name) == n && memcmp(ln->services[k].name, name, n) == 0)
			return &ln->services[k];
	return NULL;
}

/* The services file was rendered by the lab before the node existed, so
 * the node had no say in it. Each log file is opened now: logs/NODE/NAME.log. */
int logstore_register(struct lab *lab, int i, const char *logs, struct sl_error *err)
{
	struct lab_node *ln = &lab->nodes[i];
	static struct service_set set;
	char path[PATH_MAX + 64], why[512];
	snprintf(path, sizeof(path), "%s/stacklab/services", ln->spec.etc);
	int r = service_load(path, &set, why, sizeof(why));
	if (r < 0)
		return sl_err(err, -r, "node %s: %s", ln->spec.node->name, r == -EINVAL ? why : strerror(-r));
	for (int k = 0; k < set.n; k++) {
		struct lab_service *s = &ln->services[ln->n_services];
		str_copy(s->name, sizeof(s->name), set.s[k].name);
		snprintf(path, sizeof(path), "%s/%s.log", logs, s->name);
		s->node = i;
		s->output = s->output_w = -1;
		s->log_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s->log_fd < 0 || lab_share(lab, s->log_fd, NULL, 0640) < 0)
			return sl_err(err, errno, "node %s: %s: %s", ln->spec.node->name, path, strerror(errno));
		ln->n_services++;
	}
	return 0;
}

/* The lab stops reading s's pipe (the node is gone, or the lab is). */
static void logstore_unwatch(struct lab *lab, struct lab_service *s)
{
	if (s->watched)
		lab_unwatch(lab, s->output); /* closes it */
	else if (s->output >= 0)
		close(s->output);
	s->output = -1;
	s->watched = false;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* n bytes of whole lines (the last ends in '\n', text[n] is writable)
 * from node i's daemon s: cleaned once, for its log, the events and
 * whoever follows them. A NUL would cut what the checks see from what
 * is written: it becomes '?' too. */
static void take_lines(struct lab *lab, struct lab_service *s, char *text, size_t n)
{
	for (char *z = memchr(text, '\0', n); z; z = memchr(z, '\0', n - (size_t)(z - text)))
		*z = '?';
	text[n] = '\0';
	text_clean(text); /* byte for byte, so n holds */
	logstore_append(lab, s->node, s, text, n);
	lab_daemon_output(lab, s->node, s->name, text, n);
}

/* The unfinished line s printed, as a line of its own: its writer is gone.
 * Copied out, as take_lines needs room for a '\n' and a NUL after it. */
static void flush_part(struct lab *lab, struct lab_service *s)
{
	char line[sizeof(s->part) + 2];
	if (!s->part_len)
		return;
	memcpy(line, s->part, s->part_len);
	line[s->part_len] = '\n';
	take_lines(lab, s, line, s->part_len + 1);
	s->part_len = 0;
}

/* A busy pipe rests: a daemon that prints a line per request would wake
 * the lab for each, and the lab's waking, not its work, costs what the
 * daemons then lack (measured: a third of the lab's throughput). A pipe
 * the lab found lines in less than LOG_BUSY_MS ago (hundreds of lines a
 * second) is left out of the loop for LOG_REST_MS, then read with all it
 * gathered meanwhile. A pipe at a lesson's pace (a hundred requests a
 * second) is read as each line comes: its events keep their time. */
#define LOG_BUSY_MS 2

static void on_rested(struct lab *lab, void *ctx)
{
	(void)ctx;
	uint64_t ticks;
	/* EAGAIN too: rest() may have armed the timer again since it rang */
	(void)!read(lab->rest_fd, &ticks, sizeof(ticks));
	for (int i = 0; i < lab->topo->n_nodes; i++)
		for (int k = 0; k < lab->nodes[i].n_services; k++) {
			struct lab_service *s = &lab->nodes[i].services[k];
			if (s->resting && s->watched)
				lab_watch_pause(lab, s->output, false);
			s->resting = false;
		}
}

static void rest(struct lab *lab, struct lab_service *s)
{
	if (lab->rest_fd < 0) {
		lab->rest_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (lab->rest_fd < 0 || lab_watch(lab, lab->rest_fd, on_rested, NULL, true) < 0) {
			if (lab->rest_fd >= 0)
				close(lab->rest_fd);
			lab->rest_fd = -1;
			return; /* no rest, then: every line wakes the lab, as it can */
		}
	}
	struct itimerspec armed;
	if (timerfd_gettime(lab->rest_fd, &armed) < 0 || lab_watch_pause(lab, s->output, true) < 0)
		return;
	s->resting = true;
	if (armed.it_value.tv_sec == 0 && armed.it_value.tv_nsec == 0) {
		struct itimerspec its = { .it_value = { 0, LOG_REST_MS * 1000000L } };
		timerfd_settime(lab->rest_fd, 0, &its, NULL);
	}
}

/* Read what s printed: whole lines go on, an unfinished one waits in
 * s->part for its end (or goes on as it is, once it fills s->part). */
static void drain(struct lab *lab, struct lab_service *s)
{
	enum { CHUNK = 64 << 10, CHUNKS = 16 };
	static char buf[sizeof(s->part) + CHUNK + 2];
	/* At most CHUNKS reads a call: a node writing without end (its root
	 * can) must not keep the lab here; epoll calls again for the rest. */
	for (int round = 0; round < CHUNKS && s->output >= 0; round++) {
		memcpy(buf, s->part, s->part_len);
		ssize_t r = read(s->output, buf + s->part_len, CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0 || errno != EAGAIN) { /* the node is gone, every writer with it */
				flush_part(lab, s);
				logstore_unwatch(lab, s);
			}
			return;
		}
		size_t len = s->part_len + (size_t)r;
		const char *nl = memrchr(buf, '\n', len);
		size_t whole = nl ? (size_t)(nl - buf) + 1 : 0;
		s->part_len = len - whole;
		if (s->part_len >= sizeof(s->part)) { /* an overlong line: on in one piece */
			buf[len] = '\n';
			whole = len + 1;
			s->part_len = 0;
		}
		if (s->part_len)
			memmove(s->part, buf + whole, s->part_len);
		if (whole)
			take_lines(lab, s, buf, whole);
		if ((size_t)r < CHUNK) { /* the pipe is empty: no read just to hear EAGAIN */
			uint64_t now = now_ms();
			if (s->watched && !s->resting && now - s->read_ms < LOG_BUSY_MS)
				rest(lab, s);
			s->read_ms = now;
			return;
		}
	}
}

static void on_output(struct lab *lab, void *ctx)
{
	drain(lab, ctx);
}

int logstore_open_pipes(struct lab *lab, int i, struct sl_error *err)
{
	struct lab_node *ln = &lab->nodes[i];
	ln->spec.n_outputs = 0;
	for (int k = 0; k < ln->n_services; k++) {
		struct lab_service *s = &ln->services[k];
		/* A node started again: what its last life printed comes first. */
		drain(lab, s);
		flush_part(lab, s);
		logstore_unwatch(lab, s);
		close_fd(&s->output_w);
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return sl_err(err, errno, "node %s: a pipe for %s: %s", ln->spec.node->name, s->name, strerror(errno));
		s->output = p[0];
		s->output_w = p[1];
		/* The node's root owns it, as if its init had made it: a daemon
		 * that opens /dev/stdout (Nginx's access_log) opens it again
		 * through /proc, and needs a pipe it may open. */
		uid_t root = ln->spec.idmap ? ln->spec.idmap->base : 0;
		if (fchown(p[1], root, root) < 0)
			return sl_err(err, errno, "node %s: the pipe for %s: %s", ln->spec.node->name, s->name,
				      strerror(errno));
		/* Room for a burst while the lab is busy elsewhere (a daemon
		 * blocks on a full pipe); the default 64 KiB if refused. */
		(void)fcntl(p[0], F_SETPIPE_SZ, LOG_PIPE_SIZE);
		if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0)
			return sl_err(err, errno, "node %s: %s", ln->spec.node->name, strerror(errno));
		ln->spec.outputs[k] = p[1];
		ln->spec.n_outputs = k + 1;
	}
	return 0;
}

int logstore_watch(struct lab *lab, int i, struct sl_error *err)
{
	struct lab_node *ln = &lab->nodes[i];
	for (int k = 0; k < ln->n_services; k++) {
		struct lab_service *s = &ln->services[k];
		close_fd(&s->output_w);
		int r = lab_watch(lab, s->output, on_output, s, true);
		if (r < 0)
			return sl_err(err, -r, "node %s: %s", ln->spec.node->name, strerror(-r));
		s->watched = true;
	}
	ln->spec.n_outputs = 0;
	return 0;
}

void logstore_drain(struct lab *lab, int i)
{
	struct lab_node *ln = &lab->nodes[i];
	for (int k = 0; k < ln->n_services; k++)
		drain(lab, &ln->services[k]);
}

void logstore_append(struct lab *lab, int i, struct lab_service *s, const char *text, size_t n)
{
	if (s->log_size + (off_t)n > LOG_ROTATE) {
		/* The new file first, then the renames: a failure leaves the old
		 * file where it was, never a lost or unbounded one. */
		char path[PATH_MAX], fresh[PATH_MAX + 8], old[PATH_MAX + 8];
		snprintf(path, sizeof(path), "%s/logs/%s/%s.log", lab->dir, tn_name(lab, i), s->name);
		snprintf(fresh, sizeof(fresh), "%s.new", path);
		snprintf(old, sizeof(old), "%s.1", path);
		unlink(fresh);
		int fd = open(fresh, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 && lab_share(lab, fd, NULL, 0640) == 0 && rename(path, old) == 0 && rename(fresh, path) == 0) {
			close(s->log_fd);
			s->log_fd = steal_fd(&fd);
			s->log_size = 0;
		}
		if (fd >= 0) {
			close(fd);
			unlink(fresh);
		}
	}
	/* Whatever happened above, a log never grows past twice its bound:
	 * past it, lines are dropped. */
	if (s->log_size + (off_t)n <= 2 * (off_t)LOG_ROTATE && write_all(s->log_fd, text, n) == 0)
		s->log_size += (off_t)n;
}

void logstore_close(struct lab *lab, int i)
{
	struct lab_node *ln = &lab->nodes[i];
	for (int k = 0; k < ln->n_services; k++) {
		struct lab_service *s = &ln->services[k];
		logstore_unwatch(lab, s);
		close_fd(&s->output_w);
		close_fd(&s->log_fd);
	}
	ln->spec.n_outputs = 0;
}
