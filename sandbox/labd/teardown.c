/* teardown.c — taking a lab apart: its nodes (and with them every
 * namespace, link and mount of theirs), its cgroups, its switch, its
 * files. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "lab.h"
#include "util.h"

/* Kill every node and wait for it: once a pid namespace's init is reaped,
 * every process of the node is gone, and with them its network and mount
 * namespaces, its veth ends and its mounts. */
static void kill_nodes(struct lab *lab)
{
	int left = 0;
	for (int i = 0; i < lab->topo->n_nodes; i++)
		if (lab->nodes[i].pid > 0) {
			kill(lab->nodes[i].pid, SIGKILL);
			left++;
		}
	/* Reap whatever child exits, not one pid after another: a node's pid
	 * namespace is only gone once every task of it is reaped, and some
	 * (a traffic generator whose waiter died) are our children as the
	 * subreaper, not the node init's. */
	while (left > 0) {
		pid_t pid = waitpid(-1, NULL, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (int i = 0; i < lab->topo->n_nodes; i++)
			if (lab->nodes[i].pid == pid) {
				lab->nodes[i].pid = 0;
				left--;
			}
	}
	for (int i = 0; i < lab->topo->n_nodes; i++) {
		struct lab_node *n = &lab->nodes[i];
		n->pid = 0;
		n->state = NODE_DOWN;
		if (n->sync >= 0)
			close(n->sync);
		n->sync = -1;
		logstore_close(lab, i);
	}
}

void lab_teardown(struct lab *lab)
{
	if (lab->torn_down)
		return;
	lab->torn_down = true;
	lab_traffic_stop(lab);
	/* A task frozen by the v1 freezer cannot die until it is thawed. */
	for (int i = 0; i < lab->topo->n_nodes; i++)
		if (lab->nodes[i].state == NODE_FROZEN)
			cgroup_freeze(&lab->cgroups, lab->topo->nodes[i].name, false);
	kill_nodes(lab);
	cgroup_remove(lab->name);
	net_free(lab->net);
	lab->net = NULL;
	/* The nodes' tmpfs exists only in the daemon's mount namespace. */
	_cleanup_free_ char *nodes = xasprintf("%s/nodes", lab->dir);
	umount2(nodes, MNT_DETACH);
	int r = rm_rf(lab->dir);
	if (r < 0)
		log_err("remove %s: %s", lab->dir, strerror(-r));
}
