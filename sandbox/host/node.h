/* node.h — one node of a lab: a process made with clone() into new net,
 * mount, pid, uts, ipc and cgroup namespaces, all owned by a user
 * namespace of its own, that becomes the node's init. */
#ifndef STACKLAB_NODE_H
#define STACKLAB_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "service.h"
#include "topo.h"
#include "userns.h"

/* At most this many processes per user in a node (RLIMIT_NPROC): the bound
 * where no cgroup bounds the node (a user's lab without a delegated
 * cgroup). A little above the cgroup's pids.max (1024), which bounds the
 * node as a whole where there is one, and so is met first there. */
#define NODE_PROCS_MAX 1050

/* The highest pid in a node's pid namespace, plus one: at most about this
 * many processes in the node, whatever their ids (a node's root may take
 * any of 65536, each with its own RLIMIT_NPROC count). After the first
 * wrap a namespace's pids start at 300, so a node holds 1100 at least;
 * above the cgroup's 1024, which is met first where there is one. */
#define NODE_PID_MAX "1400"

/* What a node's init needs, prepared by the lab before node_spawn(). */
struct node_spec {
	const struct topo *topo;
	const struct topo_node *node;
	char dir[256];    /* the host directory holding root, etc and var */
	char root[256];   /* empty host directory the node's root is built on */
	char etc[256];    /* rendered /etc on the host */
	char var[256];    /* the node's /var on the host */
	const struct idmap *idmap;   /* the lab's ids for the node's user namespace */
	/* The write ends of the lab's pipes, one for each daemon of the node's
	 * services file, in its order: each daemon's stdout and stderr. The
	 * lab reads the other ends itself; no init relays a line. */
	int outputs[SERVICES_MAX];
	int n_outputs;
};

/* Messages a node init sends on its sync socket (SOCK_SEQPACKET). */
#define NODE_MSG_READY "ready"
#define NODE_MSG_FAIL "fail "   /* followed by what failed */
#define NODE_MSG_GO "go"
#define NODE_MSG_EXIT "exit "   /* SERVICE HOW: a daemon exited after it was ready */
#define NODE_MSG_START "start " /* SERVICE PID: a daemon was started */
#define NODE_MSG_SERVING "serving " /* SERVICE: a daemon started again serves (its ready check holds) */
#define NODE_MSG_KILLED "killed " /* SERVICE: asked to stop, it had not gone in time: SIGKILL */

/* A daemon asked to stop (SIGTERM) that is still there this long after is
 * killed, as systemd does after TimeoutStopSec (node.c). */
#define NODE_STOP_TIMEOUT_MS 10000

/* Clone the node's init. It waits, in its fresh namespaces, until
 * node_release(); meanwhile the caller moves its links in. On success returns
 * the init's pid and the caller's end of the sync socket in *sync_fd. */
pid_t node_spawn(const struct node_spec *spec, int *sync_fd, struct sl_error *err);

/* Let the init go on: configure addresses, build and enter its root, drop
 * privileges, start the daemons of /etc/stacklab/services, then report
 * NODE_MSG_READY once they all serve (or NODE_MSG_FAIL) on sync_fd, and
 * NODE_MSG_START / SERVING / KILLED / EXIT after that. It takes the
 * commands of node_command(). */
int node_release(int sync_fd);

/* Ask a node's init to: "crash", "freeze", "thaw", "stop NAME", "kill NAME",
 * "start" (every daemon that is not running). */
int node_command(int sync_fd, const char *cmd);

/* The way into a running node, for exec, request, trace, traffic and the
 * lab's own probes. */
struct node_door {
	pid_t init;                 /* the node's init */
	pid_t daemon;               /* the lab daemon, its parent (checked), or 0 */
	uid_t owner;                /* who owns the node's user namespace (checked) when daemon > 0 */
	const char *lab, *node;     /* for its cgroup; lab NULL: none to join */
	unsigned roles;             /* its roles (1 << enum role_id): their capabilities */
	const int *extra_caps;      /* beyond the roles', or NULL */
};

/* Start a process inside a node: in its cgroup, then by pidfd in all its
 * namespaces (user first) as its root, in its root directory, with the
 * role's capabilities plus `extra_caps`, under the node filter, with
 * default signals and every descriptor beyond stdio close-on-exec. Returns
 * 0 in that process (which goes on to exec); in the caller, which stays on
 * the host, the pid of a waiter that exits with the process's status (126
 * if the node could not be entered), or -errno. */
pid_t node_enter(const struct node_door *d);

/* Run argv (argv[0] a path) inside the node as node_enter() does; its
 * stdout (up to size-1 bytes) lands in `out`, its stderr is dropped.
 * Returns its exit status, or -errno: -ETIMEDOUT (and the command killed)
 * when it is not over in max_ms, whatever the node does (stop it, hold its
 * output open). */
int node_run(const struct node_door *d, char *const argv[], char *out, size_t size, int max_ms);

/* node_run in steps, for a caller that must go on serving meanwhile (the
 * lab daemon tracing a request): start it, step it whenever convenient,
 * end it. */
struct node_job {
	pid_t waiter;
	int out, pidfd;
	char *buf;
	size_t size, n;
	uint64_t deadline;
	bool over, timed_out;
};
/* 0, or -errno (nothing to step or end then). */
int node_job_start(struct node_job *j, const struct node_door *d, char *const argv[], char *out, size_t size,
		   int max_ms);
/* Take in its output for up to wait_ms; true once it is over (its waiter
 * gone, every writer closed, or max_ms passed: then it is killed). */
bool node_job_step(struct node_job *j, int wait_ms);
/* Kill it now (the caller gives up on it). */
void node_job_kill(struct node_job *j);
/* Reap it and return as node_run does. If someone else reaped the waiter
 * (a SIGCHLD handler reaping every child), pass the status it got. */
int node_job_end(struct node_job *j, const int *reaped_status);

#endif
