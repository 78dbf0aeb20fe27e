/* service.h — the daemons a node's init starts and watches, read from the
 * node's /etc/stacklab/services (rendered from rootfs/ROLE/etc/stacklab/):
 *
 *   [NAME]
 *   command = /usr/sbin/daemon --foreground …   (indented lines continue it)
 *   ready = tcp ADDRESS:PORT | greets ADDRESS:PORT | running
 *           (it takes connections | it says something first on one, as
 *           MariaDB does | its process runs)
 *   rundir = DIR USER                           (optional: /run/DIR owned by USER)
 *   reload = HUP | USR1 | USR2                  (optional: the signal that makes it re-read its config)
 */
#ifndef STACKLAB_SERVICE_H
#define STACKLAB_SERVICE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SERVICES_MAX 8
#define SERVICE_ARGS_MAX 32

enum ready_kind { READY_RUNNING, READY_TCP, READY_GREETS };

/* How long a look for a greeting waits for its first byte: a look is a
 * moment of the init's loop, and a busy daemon is simply looked at again. */
#define SERVICE_GREETING_WAIT_MS 20

struct service {
	char name[32];
	char command[1024];
	char *argv[SERVICE_ARGS_MAX + 1];   /* point into command */
	char rundir[64];           /* made under /run before start, owned by rundir_user */
	char rundir_user[32];
	int reload_sig;            /* 0: it cannot reload */
	enum ready_kind ready_kind;
	struct sockaddr_in ready_addr;
	pid_t pid;
	int output;                /* its stdout and stderr (the lab's pipe), -1: /dev/null */
	bool ready;                /* it served once since it last started */
	uint64_t started_ms;       /* when it last started (the init's clock) */
	bool stopping;             /* asked to stop (stop, kill, crash), not reaped yet */
	uint64_t kill_at_ms;       /* asked to stop: when it is killed if still there; 0 none */
	bool restart;              /* a start came while it was stopping: start it once reaped */
	int status;                /* wait status once it exited */
};

struct service_set {
	struct service s[SERVICES_MAX];
	int n;
};

/* Read a services file. A missing file is an empty set. On bad content
 * returns -EINVAL with "path:line: what" in err. */
int service_load(const char *path, struct service_set *set, char *err, size_t errsize);

/* Start `s` in the foreground as a child, in a process group of its own,
 * its stdout and stderr on s->output. Returns 0 or -errno (err says why). */
int service_start(struct service *s, char *err, size_t errsize);

/* Is `s` accepting what it serves yet? */
bool service_is_ready(const struct service *s);

/* The service whose pid is `pid`, or NULL. */
struct service *service_by_pid(struct service_set *set, pid_t pid);

#endif
