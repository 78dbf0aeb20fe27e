/* requests.c — the control socket: one JSON request a line, each checked
 * against who is asking (SO_PEERCRED) before it is answered; the requests
 * of the lab as a whole (status, inspect, subscribe, down) are here, those
 * of faults, traffic and traces in their own files. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "lab.h"
#include "util.h"

#define INSPECT_FILE_MAX (256 << 10)   /* of one config file, for inspect */

static json_t *do_status(struct lab *lab, json_t *req)
{
	(void)req;
	return lab_status(lab);
}

/* Text files under dir (relative names into `files`), for inspect. */
static void collect_files(const char *root, const char *rel, json_t *files, int depth)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", root, rel);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) && json_array_size(files) < 32) {
		if (e->d_name[0] == '.')
			continue;
		char sub[PATH_MAX];
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
		if (e->d_type == DT_DIR && depth < 3)
			collect_files(root, sub, files, depth + 1);
		else if (e->d_type == DT_REG)
			json_array_append_new(files, json_string(sub));
	}
	if (d)
		closedir(d);
}

/* A node up close: its daemons, the config files its role renders (read
 * from the node's own /etc), and each daemon's last log lines. */
static json_t *do_inspect(struct lab *lab, json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "node"));
	int i;
	for (i = 0; name && i < lab->topo->n_nodes; i++)
		if (strcmp(lab->topo->nodes[i].name, name) == 0)
			break;
	if (!name || i == lab->topo->n_nodes)
		return lab_reply_error("no node '%s' in lab %s", name ? name : "", lab->name);
	const struct lab_node *ln = &lab->nodes[i];
	json_t *files = json_array(), *out = json_array(), *logs = json_object();
	char role_etc[PATH_MAX];
	snprintf(role_etc, sizeof(role_etc), "%s/rootfs/%s/etc", data_dir(), ln->spec.node->role->name);
	collect_files(role_etc, "", files, 0);
	size_t k;
	json_t *f;
	json_array_foreach(files, k, f) {
		/* The node's own /etc: it may have made any file a link, a FIFO
		 * or binary. Read what is a plain file under it, cleaned. */
		char *text = read_beneath(ln->spec.etc, json_string_value(f), INSPECT_FILE_MAX);
		char why[128];
		if (text)
			text_clean(text);
		else
			snprintf(why, sizeof(why), "(not shown: %s)",
				 errno == EINVAL ? "not a regular file" : errno == ELOOP || errno == EXDEV ? "a link" : strerror(errno));
		json_array_append_new(out, json_pack("{s:s+, s:s}", "path", "/etc/", json_string_value(f), "text",
						     text ? text : why));
		free(text);
	}
	json_decref(files);
	for (int d = 0; d < ln->n_services; d++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/logs/%s/%s.log", lab->dir, ln->spec.node->name, ln->services[d].name);
		_cleanup_free_ char *tail = tail_file(path, 40);
		json_object_set_new(logs, ln->services[d].name, json_string(tail ? tail : ""));
	}
	json_t *st = lab_status(lab);
	json_t *node = json_incref(json_array_get(json_object_get(st, "nodes"), (size_t)i));
	json_decref(st);
	return json_pack("{s:b, s:o, s:o, s:o}", "ok", 1, "node", node, "files", out, "logs", logs);
}

/* From now on this connection also carries the event stream. */
static json_t *do_subscribe(struct lab *lab, json_t *req, struct client *c)
{
	(void)lab;
	const char *filter = json_string_value(json_object_get(req, "filter"));
	c->subscribed = true;
	if (filter && str_copy(c->filter, sizeof(c->filter), filter) < 0)
		return lab_reply_error("filter is too long");
	/* Room for bursts (a busy lab logs hundreds of lines a second): a
	 * subscriber that still falls behind loses events, the lab never waits. */
	int size = SUBSCRIBER_BUFFER;
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	return json_pack("{s:b}", "ok", 1);
}

static json_t *do_down(struct lab *lab, json_t *req)
{
	(void)req;
	lab->stopping = true;
	lab_teardown(lab);
	return json_pack("{s:b, s:i}", "ok", 1, "pid", (int)getpid());
}

/* Who may ask what. Watching (status, events, inspect, trace) is for root
 * and the lab's watch group; changing the lab is for root alone. */
enum access { WATCH, CHANGE };

static const struct {
	const char *name;
	enum access access;
	json_t *(*fn)(struct lab *, json_t *);
} requests[] = {
	{ "status", WATCH, do_status },
	{ "inspect", WATCH, do_inspect },
	{ "trace", WATCH, trace_request },
	{ "down", CHANGE, do_down },
	{ "fail", CHANGE, fault_request },
	{ "heal", CHANGE, heal_request },
	{ "traffic", CHANGE, traffic_request },
};

/* Is the peer of `fd` root, or (for watching) in group `gid`? The kernel
 * says who connected (SO_PEERCRED, SO_PEERGROUPS): nothing the client
 * claims counts. Returns NULL if allowed, else why not. */
static const char *refused(const struct lab *lab, int fd, enum access access)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return "cannot tell who is asking";
	if (cred.uid == 0)
		return NULL;
	if (access == CHANGE)
		return "only root may change a lab";
	if (lab->watch_gid == 0)
		return "only root may watch this lab (it has no watch group)";
	if (cred.gid == lab->watch_gid)
		return NULL;
	gid_t groups[256];
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		for (size_t k = 0; k < len / sizeof(gid_t); k++)
			if (groups[k] == lab->watch_gid)
				return NULL;
	return "only root and the lab's watch group may watch it";
}

static json_t *dispatch(struct lab *lab, struct client *c, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr);
	if (!req)
		return lab_reply_error("request is not JSON: %s", jerr.text);
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *reply = NULL;
	const char *no = NULL;
	if (cmd && strcmp(cmd, "subscribe") == 0)
		reply = (no = refused(lab, c->fd, WATCH)) ? NULL : do_subscribe(lab, req, c);
	for (size_t i = 0; cmd && i < ARRAY_SIZE(requests) && !reply && !no; i++) {
		if (strcmp(requests[i].name, cmd) != 0)
			continue;
		/* `traffic` only looks when it asks for the status. */
		const char *action = json_string_value(json_object_get(req, "action"));
		enum access need = requests[i].fn == traffic_request && (!action || strcmp(action, "status") == 0)
					   ? WATCH : requests[i].access;
		if (!(no = refused(lab, c->fd, need)))
			reply = requests[i].fn(lab, req);
	}
	if (no)
		reply = lab_reply_error("%s: %s", cmd, no);
	if (!reply)
		reply = cmd ? lab_reply_error("unknown request '%s'", cmd) : lab_reply_error("request has no \"cmd\"");
	json_decref(req);
	return reply;
}

static void client_close(struct lab *lab, int i)
{
	lab_unwatch(lab, lab->clients[i]->fd);
	free(lab->clients[i]->rest);
	free(lab->clients[i]);
	lab->clients[i] = NULL;
}

static void on_client(struct lab *lab, void *ctx);

static void on_accept(struct lab *lab, void *ctx)
{
	(void)ctx;
	int fd = accept4(lab->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (!lab->clients[i]) {
			lab->clients[i] = xcalloc(1, sizeof(struct client));
			lab->clients[i]->fd = fd;
			if (lab_watch(lab, fd, on_client, (void *)(intptr_t)i, false) < 0)
				client_close(lab, i);
			return;
		}
	close(fd); /* too many clients */
}

static void on_client(struct lab *lab, void *ctx)
{
	int i = (int)(intptr_t)ctx;
	struct client *c = lab->clients[i];
	if (!c)
		return;
	for (;;) {
		char *line = NULL;
		int r = ctl_read_line(c->fd, &c->rd, &line);
		if (r == -EAGAIN)
			return;
		if (r <= 0) {
			client_close(lab, i);
			return;
		}
		json_t *reply = dispatch(lab, c, line);
		free(line);
		ctl_send(c->fd, reply);
		json_decref(reply);
		if (lab->stopping)
			return;
	}
}

int requests_listen(struct lab *lab, struct sl_error *err)
{
	_cleanup_free_ char *sock = ctl_lab_path(lab->name, "ctl.sock");
	lab->ctl_fd = ctl_listen(sock, lab->watch_gid, err);
	if (lab->ctl_fd < 0)
		return lab->ctl_fd;
	int r = lab_watch(lab, lab->ctl_fd, on_accept, NULL, false);
	return r < 0 ? sl_err(err, -r, "control socket: %s", strerror(-r)) : 0;
}
