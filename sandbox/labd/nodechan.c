/* nodechan.c — what a node's init tells the lab on its sync socket (see
 * node.h for the messages). A node is hostile: every daemon name must be
 * one the lab gave it, numbers are checked, and text is cleaned before it
 * reaches a terminal, a log or an event. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab.h"
#include "node.h"
#include "util.h"

/* A node failed while starting: say what, with its daemon's last lines.
 * `why` comes from the node: cleaned, and its first word is believed only
 * if it names one of the node's daemons. */
static void node_failed(struct lab *lab, int i, char *why)
{
	const char *node = lab->topo->nodes[i].name;
	text_clean(why);
	log_err("node %s: %s", node, why);
	struct lab_service *s = lab_service_find(lab, i, why, strcspn(why, " "));
	if (s) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/logs/%s/%s.log", lab->dir, node, s->name);
		_cleanup_free_ char *tail = tail_file(path, 8);
		if (tail && *tail) {
			log_err("the last lines %s printed:", s->name);
			text_clean(tail);
			for (char *line = strtok(tail, "\n"); line; line = strtok(NULL, "\n"))
				dprintf(STDERR_FILENO, "    %s\n", line);
		}
	}
	lab->failed = 1;
}

/* "NAME REST": the node's daemon NAME and where REST starts, or NULL when the
 * node names no daemon the lab gave it (a hostile node: ignored). */
static struct lab_service *named_service(struct lab *lab, int i, const char *body, size_t len, const char **rest)
{
	const char *space = memchr(body, ' ', len);
	size_t n = space ? (size_t)(space - body) : len;
	struct lab_service *s = lab_service_find(lab, i, body, n);
	if (!s)
		log_err("node %s named a daemon it does not have: ignored", lab->topo->nodes[i].name);
	*rest = space ? space + 1 : body + len;
	return s;
}

/* A message from node i's init. Nothing in it is trusted: every daemon name
 * must be one the lab gave the node, numbers are checked, text is cleaned
 * before it reaches a terminal or an event. */
static void on_node_message(struct lab *lab, int i, char *msg, size_t len)
{
	struct lab_node *ln = &lab->nodes[i];
	const char *rest;
	struct lab_service *s;
	if (str_has_prefix(msg, NODE_MSG_START)) {
		const char *body = msg + strlen(NODE_MSG_START);
		char *end;
		if (!(s = named_service(lab, i, body, len - strlen(NODE_MSG_START), &rest)))
			return;
		long pid = strtol(rest, &end, 10);
		if (end != rest && *end == '\0' && pid > 0 && pid < (1L << 22))
			lab_daemon_started(lab, i, s->name, (pid_t)pid);
	} else if (str_has_prefix(msg, NODE_MSG_SERVING)) {
		const char *body = msg + strlen(NODE_MSG_SERVING);
		if ((s = named_service(lab, i, body, len - strlen(NODE_MSG_SERVING), &rest)) && !*rest)
			lab_daemon_serving(lab, i, s);
	} else if (str_has_prefix(msg, NODE_MSG_KILLED)) {
		const char *body = msg + strlen(NODE_MSG_KILLED);
		if ((s = named_service(lab, i, body, len - strlen(NODE_MSG_KILLED), &rest)) && !*rest && s->pid) {
			char how[96];
			snprintf(how, sizeof(how), "not gone %d s after its SIGTERM: killed (SIGKILL)",
				 NODE_STOP_TIMEOUT_MS / 1000);
			log_err("node %s: %s %s, as systemd does at its stop timeout", ln->spec.node->name, s->name, how);
			lab_daemon_stopping(lab, i, s, how);
		}
	} else if (strcmp(msg, NODE_MSG_READY) == 0 && ln->state == NODE_STARTING) {
		/* each of its daemons serves */
		for (int k = 0; k < ln->n_services; k++)
			lab_daemon_serving(lab, i, &ln->services[k]);
		if (lab->serving)
			lab_node_state(lab, i, NODE_UP); /* started again by a heal */
		else
			ln->state = NODE_UP;
		lab->n_ready++;
	} else if (str_has_prefix(msg, NODE_MSG_FAIL)) {
		node_failed(lab, i, msg + strlen(NODE_MSG_FAIL));
	} else if (str_has_prefix(msg, NODE_MSG_EXIT)) {
		char *what = msg + strlen(NODE_MSG_EXIT);
		if (!(s = named_service(lab, i, what, len - strlen(NODE_MSG_EXIT), &rest)))
			return;
		char how[64];
		snprintf(how, sizeof(how), "%s", rest);
		text_clean(how);
		lab_daemon_exited(lab, i, s->name, how);
		/* During a fault a daemon's death is expected; while
		 * starting, it fails the lab. */
		if (!lab->serving)
			node_failed(lab, i, what);
		else if (ln->state == NODE_UP)
			log_err("node %s: %s %s", ln->spec.node->name, s->name, how);
	}
}

static void on_node(struct lab *lab, void *ctx)
{
	struct lab_node *ln = ctx;
	int i = (int)(ln - lab->nodes);
	static char msg[1024];
	for (;;) {
		ssize_t len = recv(ln->sync, msg, sizeof(msg) - 1, MSG_DONTWAIT);
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* Before news of a death (a daemon's exit, a failed start, the
		 * init gone): the last lines it printed come first, as they
		 * were written first. Not before "start": a daemon's first
		 * lines must not come before the news that it started. */
		if (len > 0)
			msg[len] = '\0';
		if (len <= 0 || str_has_prefix(msg, NODE_MSG_EXIT) || str_has_prefix(msg, NODE_MSG_FAIL))
			logstore_drain(lab, i);
		if (len <= 0) {
			if (ln->state == NODE_STARTING)
				node_failed(lab, i, (char[]){ "its init died while starting" });
			lab_unwatch(lab, ln->sync);
			ln->sync = -1;
			return;
		}
		/* A NUL inside would cut what checks see from what is used. */
		on_node_message(lab, i, msg, strnlen(msg, (size_t)len));
	}
}

int nodechan_watch(struct lab *lab, int i)
{
	return lab_watch(lab, lab->nodes[i].sync, on_node, &lab->nodes[i], true);
}
