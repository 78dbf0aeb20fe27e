/* node.h — one node of a lab: a process made with clone() into new net,
 * mount, pid, uts and ipc namespaces that becomes the node's init. */
#ifndef STACKLAB_NODE_H
#define STACKLAB_NODE_H

#include <sys/types.h>

#include "topo.h"

/* What a node's init needs, prepared by the lab before node_spawn(). */
struct node_spec {
	const struct topo *topo;
	const struct topo_node *node;
	char root[256];   /* empty host directory the node's root is built on */
	char etc[256];    /* rendered /etc on the host */
	char var[256];    /* the node's /var on the host */
	int log_fd;       /* where the init's own stdout and stderr go */
};

/* Messages a node init sends on its sync socket (SOCK_SEQPACKET). */
#define NODE_MSG_READY "ready"
#define NODE_MSG_FAIL "fail "   /* followed by what failed */
#define NODE_MSG_GO "go"

/* Clone the node's init. It waits, in its fresh namespaces, until
 * node_release(); meanwhile the caller moves its links in. On success returns
 * the init's pid and the caller's end of the sync socket in *sync_fd. */
pid_t node_spawn(const struct node_spec *spec, int *sync_fd);

/* Let the init go on: configure addresses, build and enter its root, drop
 * privileges, then report NODE_MSG_READY (or NODE_MSG_FAIL) on sync_fd. */
int node_release(int sync_fd);

/* Enter every namespace of the node whose init is `pid` and its root, fork,
 * and in the child limit privileges to the role's plus `extra_caps` and
 * install the node filter. Returns the child's pid in the parent, 0 in the
 * child, -errno on failure (in the parent, before anything ran). */
pid_t node_enter(pid_t pid, const struct role *role, const int *extra_caps);

#endif
