/* requests.c — the control socket: one JSON request a line, each checked
 * against who is asking (SO_PEERCRED) before it is answered; the requests
 * of the lab as a whole (status, inspect, subscribe, down) are here, those
 * of faults, traffic and traces in their own files. */
#include <dirent.h>
#include <errno.h>
#include <sys/epoll.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "lab.h"
#include "render.h"
#include "paths.h"
#include "util.h"

#define INSPECT_FILE_MAX (256 << 10)   /* of one config file, for inspect */

static json_t *do_status(struct lab *lab, json_t *req)
{
	(void)req;
	return lab_status(lab);
}

static json_t *do_incidents(struct lab *lab, json_t *req)
{
	(void)req;
	return json_pack("{s:b, s:o}", "ok", 1, "incidents", lab_incidents_json(lab));
}

static bool listed(json_t *files, const char *name)
{
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f)
		if (strcmp(json_string_value(f), name) == 0)
			return true;
	return false;
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
		else if (e->d_type == DT_REG && !listed(files, sub)) /* layers share stacklab/services */
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
	const char *layers[ROLE_COUNT + 3];
	int n_layers = render_layers(lab->topo, ln->spec.node, layers);
	/* Not common: what its roles render, then keepalived's (vrrp). */
	for (int pass = 0; pass < 2; pass++)
		for (int l = 1; l < n_layers; l++) {
			char etc[PATH_MAX];
			if ((strcmp(layers[l], "vrrp") == 0) != pass)
				continue;
			snprintf(etc, sizeof(etc), "%s/rootfs/%s/etc", data_dir(), layers[l]);
			collect_files(etc, "", files, 0);
		}
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
/* From now on this connection also carries the event stream. */
static json_t *do_subscribe(struct lab *lab, json_t *req, struct client *c)
{
	(void)lab;
	const char *filter = json_string_value(json_object_get(req, "filter"));
	if (filter && str_copy(c->filter, sizeof(c->filter), filter) < 0)
		return lab_reply_error("filter is too long");
	c->subscribed = true;
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

static void client_close(struct lab *lab, int i);

/* `allow`: whom the owner of a user's lab lets in. */
static json_t *do_allow(struct lab *lab, json_t *req)
{
	const char *who = json_string_value(json_object_get(req, "allow"));
	if (!rootless())
		return lab_reply_error("allow: root's labs are shared through a watch group (stacklab up --group)");
	int k = lab_allow_find(who);
	if (k < 0)
		return lab_reply_error("allow: \"allow\" must be none, watch or lessons");
	lab->allow = (enum lab_allow)k;
	/* Taken back: root's TUI, events and logs that follow the lab end
	 * now, not at their next request. */
	for (int i = 0; k == ALLOW_NONE && i < MAX_CLIENTS; i++)
		if (lab->clients[i] && lab->clients[i]->uid != 0) {
			if (lab->clients[i]->busy) /* in a trace: let go once it is answered */
				lab->clients[i]->gone = true;
			else
				client_close(lab, i);
		}
	return json_pack("{s:b, s:s}", "ok", 1, "allow", who);
}

/* Who may ask what. Watching (status, events, inspect, trace, the traffic's
 * figures) is for root and the lab's watch group; changing the lab is for
 * root alone. A user's lab is its owner's (root in the lab's user
 * namespace); root of the host watches it, or changes it, only as its
 * owner allows. A row with an action applies to that action only. */
enum access { WATCH, CHANGE, OWNER };

static const struct {
	const char *name, *action;
	enum access access;
	json_t *(*fn)(struct lab *, json_t *);
} requests[] = {
	{ "status", NULL, WATCH, do_status },
	{ "incidents", NULL, WATCH, do_incidents },
	{ "inspect", NULL, WATCH, do_inspect },
	{ "trace", NULL, WATCH, trace_request },
	{ "subscribe", NULL, WATCH, NULL },         /* do_subscribe: it needs the client */
	{ "traffic", "status", WATCH, traffic_request },
	{ "traffic", NULL, CHANGE, traffic_request },
	{ "down", NULL, CHANGE, do_down },
	{ "fail", NULL, CHANGE, fault_request },
	{ "heal", NULL, CHANGE, heal_request },
	{ "set", NULL, CHANGE, set_request },
	{ "allow", NULL, OWNER, do_allow },
};

/* Watchers may ask for a trace this often at most: a trace takes the
 * client node's curl and the switch's capture for up to 6 s (when the node
 * stops its curl), and one trace runs at a time. */
#define WATCHER_TRACE_GAP_MS 10000

static bool peer(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) == 0;
}

/* Is the peer of `fd` root, or (for watching) in group `gid`? The kernel
 * says who connected (SO_PEERCRED, SO_PEERGROUPS): nothing the client
 * claims counts. Returns NULL if allowed, else why not. */
static const char *refused(const struct lab *lab, int fd, enum access access)
{
	struct ucred cred;
	if (!peer(fd, &cred))
		return "cannot tell who is asking";
	if (cred.uid == 0)
		return NULL;
	if (rootless()) {
		/* The user's runtime directory is theirs alone (0700): whoever
		 * else reaches the socket is root of the host, whose id the
		 * lab's namespace does not map (it reads as nobody). */
		if (access == OWNER)
			return "only the lab's owner may say who else may use it";
		if (access == CHANGE && lab->allow < ALLOW_LESSONS)
			return "the lab's owner has not let others change it (they may: stacklab allow lessons)";
		if (lab->allow < ALLOW_WATCH)
			return "the lab's owner has not let others watch it (they may: stacklab allow watch)";
		return NULL;
	}
	if (access != WATCH)
		return "only root may change a lab";
	if (lab->watch_gid == 0)
		return "only root may watch this lab (it has no watch group)";
	if (cred.gid == lab->watch_gid)
		return NULL;
	gid_t groups[256];
	socklen_t len = sizeof(groups);
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
	const char *action = json_string_value(json_object_get(req, "action"));
	json_t *reply = NULL;
	size_t i;
	for (i = 0; cmd && i < ARRAY_SIZE(requests); i++)
		if (strcmp(requests[i].name, cmd) == 0 &&
		    (!requests[i].action || (action ? strcmp(requests[i].action, action) == 0
						    : strcmp(requests[i].action, "status") == 0)))
			break;
	if (!cmd) {
		reply = lab_reply_error("request has no \"cmd\"");
	} else if (i == ARRAY_SIZE(requests)) {
		reply = lab_reply_error("unknown request '%s'", cmd);
	} else {
		const char *no = refused(lab, c->fd, requests[i].access);
		struct ucred cred;
		if (!no && requests[i].fn == trace_request && lab->tracing)
			no = "another trace is under way; try again in a moment";
		if (!no && requests[i].fn == trace_request && peer(c->fd, &cred) && cred.uid != 0) {
			if (now_ms() - lab->watcher_trace_ms < WATCHER_TRACE_GAP_MS)
				no = "a watcher may trace once every 10 s";
			else
				lab->watcher_trace_ms = now_ms();
		}
		if (no)
			reply = lab_reply_error("%s: %s", cmd, no);
		else if (!requests[i].fn)
			reply = do_subscribe(lab, req, c);
		else if (requests[i].fn == fault_request || requests[i].fn == heal_request) {
			/* An incident card opens before the fault acts. */
			lab_incident_begin(lab);
			reply = requests[i].fn(lab, req);
			lab_incident_end(lab);
		} else
			reply = requests[i].fn(lab, req);
	}
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

/* A few slots are root's: watchers filling the others cannot lock the
 * teacher out. */
#define ROOT_SLOTS 8
#define SLOTS_PER_UID 16

static void on_client(struct lab *lab, void *ctx);

static void on_accept(struct lab *lab, void *ctx)
{
	(void)ctx;
	int fd = accept4(lab->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	struct ucred cred;
	if (!peer(fd, &cred)) {
		close(fd);
		return;
	}
	int others = 0, same = 0;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (lab->clients[i] && lab->clients[i]->uid != 0) {
			others++;
			same += lab->clients[i]->uid == cred.uid;
		}
	if (cred.uid != 0 && (others >= MAX_CLIENTS - ROOT_SLOTS || same >= SLOTS_PER_UID)) {
		close(fd);
		return;
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (!lab->clients[i]) {
			lab->clients[i] = xcalloc(1, sizeof(struct client));
			lab->clients[i]->fd = fd;
			lab->clients[i]->uid = cred.uid;
			if (lab_watch(lab, fd, on_client, (void *)(intptr_t)i, false) < 0)
				client_close(lab, i);
			return;
		}
	close(fd); /* too many clients */
}

/* Fairness: a client is served at most REQUESTS_PER_TURN requests, then
 * the others have their turn (its own comes back as soon as the loop goes
 * round: it is watched for room to write, which it has). A client that is
 * not root makes WATCHER_REQUESTS_PER_S at most; past that it is not read
 * until the next second. A client that does not read its replies is not
 * read either (nothing is ever waited for): a watcher pipelining requests
 * it never reads costs the lab nothing but its slot. */
#define REQUESTS_PER_TURN 4
#define WATCHER_REQUESTS_PER_S 50

/* Whether c may make one more request now (counted once it is read). */
static bool within_rate(struct client *c)
{
	uint64_t now = now_ms();
	if (now - c->window_ms >= 1000) {
		c->window_ms = now;
		c->in_window = 0;
	}
	return c->uid == 0 || c->in_window < WATCHER_REQUESTS_PER_S;
}

void requests_tick(struct lab *lab)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = lab->clients[i];
		if (c && c->held && now_ms() - c->window_ms >= 1000) {
			c->held = false;
			lab_watch_events(lab, c->fd, EPOLLOUT); /* ready at once: its handler reads on */
		}
	}
}

static void on_client(struct lab *lab, void *ctx)
{
	int i = (int)(intptr_t)ctx;
	struct client *c = lab->clients[i];
	if (!c || c->busy)
		return;
	if (c->held) { /* watched for nothing: only a hang-up or an error wakes it */
		client_close(lab, i);
		return;
	}
	/* What it is owed first: until it has read that, it is not read. */
	int f = lab_client_flush(c);
	if (f <= 0) {
		if (f < 0)
			client_close(lab, i);
		else
			lab_watch_events(lab, c->fd, EPOLLOUT);
		return;
	}
	for (int served = 0;; served++) {
		if (served == REQUESTS_PER_TURN || !within_rate(c)) {
			c->held = served < REQUESTS_PER_TURN;
			lab_watch_events(lab, c->fd, c->held ? 0 : EPOLLOUT);
			return;
		}
		char *line = NULL;
		int r = ctl_read_line(c->fd, &c->rd, &line);
		if (r == -EAGAIN) {
			lab_watch_events(lab, c->fd, EPOLLIN);
			return;
		}
		if (r <= 0) {
			client_close(lab, i);
			return;
		}
		c->in_window++;
		/* A request may serve others while it waits (trace): this
		 * client is left out of the loop, hang-ups included, until its
		 * reply is sent; nothing else closes a client. */
		c->busy = true;
		lab_watch_pause(lab, c->fd, true);
		json_t *reply = dispatch(lab, c, line);
		lab_watch_pause(lab, c->fd, false);
		c->busy = false;
		free(line);
		/* After what it is owed; what the socket does not take now is
		 * owed too. */
		int e = lab_client_reply(c, reply);
		json_decref(reply);
		if (e < 0) {
			client_close(lab, i);
			return;
		}
		if (c->rest) {
			lab_watch_events(lab, c->fd, EPOLLOUT);
			return;
		}
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
