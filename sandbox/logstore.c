/* logstore.c — the daemons' logs on the host: logs/NODE/DAEMON.log, opened
 * by the lab for the daemons it gave each node (never for a name a node
 * makes up), shared with the lab's watch group, and bounded: NAME.log and
 * NAME.log.1 of LOG_ROTATE bytes each (see lab.h); if a rotation fails,
 * NAME.log grows to twice that, then drops lines. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
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
		s->log_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s->log_fd < 0 || lab_share(lab, s->log_fd, NULL, 0640) < 0)
			return sl_err(err, errno, "node %s: %s: %s", ln->spec.node->name, path, strerror(errno));
		ln->n_services++;
	}
	return 0;
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

void logstore_close(struct lab_node *ln)
{
	for (int k = 0; k < ln->n_services; k++)
		if (ln->services[k].log_fd >= 0) {
			close(ln->services[k].log_fd);
			ln->services[k].log_fd = -1;
		}
}
