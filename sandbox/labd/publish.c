/* publish.c — `up --publish [ADDR:]PORT`: the site on the host, for a real
 * browser. The listening socket is made on the host's loopback before the
 * daemon leaves the host's network namespace; each connection is relayed to
 * the site's port (443, or 80 in a design without HTTPS) on the address www
 * resolves to (the VIP), from a socket made inside the client node's namespace,
 * so to the lab it is the client that connects. Nothing else of the host's
 * network is touched. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "lab.h"
#include "util.h"

/* What a listening socket publishes: its watch's tag. */
enum { PUBLISH_SITE, PUBLISH_HTTP, PUBLISH_PROMETHEUS };

static void publish_accept(struct lab *lab, void *ctx);
static void publish_relay(struct lab *lab, void *ctx);

static int listen_on(const char *addr, int port, struct sl_error *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return sl_err(err, EINVAL, "--publish: '%s' is not an IPv4 address", addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 32) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return sl_err(err, e, "--publish: cannot listen on %s:%d: %s", addr, port, strerror(e));
	}
	return fd;
}

int publish_listen(struct lab *lab, const char *addr, int port, int http_port, int prom_port, struct sl_error *err)
{
	int fd = listen_on(addr, port, err);
	if (fd < 0)
		return fd;
	lab->publish.fd = fd;
	lab->publish.port = port;
	str_copy(lab->publish.addr, sizeof(lab->publish.addr), addr);
	int r = lab_watch(lab, fd, publish_accept, (void *)(intptr_t)PUBLISH_SITE, false);
	if (r == 0 && http_port && strcmp(lab->topo->https, "yes") != 0)
		return sl_err(err, EINVAL, "--publish: HTTPPORT is the plain HTTP that redirects to HTTPS, and topology %s "
					   "serves plain HTTP already: publish PORT alone",
			      lab->topo->name);
	if (r == 0 && http_port) {
		/* Plain HTTP too, as the real site has: HAProxy answers it with a
		 * redirect to the published HTTPS port. */
		if ((fd = listen_on(addr, http_port, err)) < 0)
			return fd;
		lab->publish.http_fd = fd;
		lab->publish.http_port = http_port;
		r = lab_watch(lab, fd, publish_accept, (void *)(intptr_t)PUBLISH_HTTP, false);
	}
	if (r == 0 && prom_port) {
		/* The monitor's Prometheus, for its own web page. */
		if (!topo_monitored(lab->topo))
			return sl_err(err, EINVAL, "--publish: a third port publishes the monitor's Prometheus, and topology %s "
						   "has no monitor node", lab->topo->name);
		if ((fd = listen_on(addr, prom_port, err)) < 0)
			return fd;
		lab->publish.prom_fd = fd;
		lab->publish.prom_port = prom_port;
		r = lab_watch(lab, fd, publish_accept, (void *)(intptr_t)PUBLISH_PROMETHEUS, false);
	}
	return r < 0 ? sl_err(err, -r, "--publish: %s", strerror(-r)) : 0;
}

/* A socket in the client node's network namespace, connected (or
 * connecting) to the site's `port` (the monitor's for 9090). */
static int connect_from_client(struct lab *lab, int port)
{
	int client = lab_node_of_role(lab, ROLE_CLIENT), monitor = lab_node_of_role(lab, ROLE_MONITOR);
	const struct in_addr *www = port == 9090 ? (monitor >= 0 ? &lab->topo->nodes[monitor].ifaces[0].addr : NULL)
						 : topo_www_addr(lab->topo);
	if (client < 0 || lab->nodes[client].state != NODE_UP || !www)
		return -ENETUNREACH;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)lab->nodes[client].pid);
	_cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
		return -errno;
	/* A socket stays in the namespace it was made in: make it, go home. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int e = errno;
	if (setns(lab->switch_ns, CLONE_NEWNET) < 0)
		die("cannot return to the switch namespace: %s", strerror(errno)); /* nothing sane is left */
	if (fd < 0)
		return -e;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = *www };
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static void conn_close(struct lab *lab, int i)
{
	struct publish_conn *c = &lab->publish.conns[i];
	lab_unwatch(lab, c->fd[0]);
	lab_unwatch(lab, c->fd[1]);
	c->fd[0] = c->fd[1] = -1;
	for (int k = 0; k < 2; k++) {
		free(c->pend[k]);
		c->pend[k] = NULL;
		c->pend_len[k] = 0;
	}
}

/* Every local user can reach a published port: slots held by connections
 * that carry nothing must not lock the others out. A connection idle for
 * PUBLISH_IDLE_MS is closed (the publish tick), and when every slot is
 * taken a new connection takes the slot of the one idle longest, if it has
 * been idle PUBLISH_EVICT_MS (else the newcomer is refused: no one may cut
 * a connection in use by connecting). */
#define PUBLISH_IDLE_MS (60 * 1000)
#define PUBLISH_EVICT_MS (5 * 1000)   /* idle that long, a full relay's connection gives way */

static int free_slot(struct lab *lab)
{
	int idlest = 0;
	for (int i = 0; i < PUBLISH_CONNS_MAX; i++) {
		if (lab->publish.conns[i].fd[0] < 0)
			return i;
		if (lab->publish.conns[i].active_ms < lab->publish.conns[idlest].active_ms)
			idlest = i;
	}
	if (now_ms() - lab->publish.conns[idlest].active_ms < PUBLISH_EVICT_MS)
		return -1; /* every one is in use: the newcomer is refused */
	conn_close(lab, idlest);
	return idlest;
}

void publish_tick(struct lab *lab)
{
	uint64_t now = now_ms();
	for (int i = 0; i < PUBLISH_CONNS_MAX; i++)
		if (lab->publish.conns[i].fd[0] >= 0 && now - lab->publish.conns[i].active_ms > PUBLISH_IDLE_MS)
			conn_close(lab, i);
}

static void publish_accept(struct lab *lab, void *ctx)
{
	int what = (int)(intptr_t)ctx;
	int port = what == PUBLISH_PROMETHEUS ? 9090 : what == PUBLISH_HTTP ? 80 : topo_site_port(lab->topo);
	int a = accept4(what == PUBLISH_PROMETHEUS ? lab->publish.prom_fd : what == PUBLISH_HTTP ? lab->publish.http_fd
							  : lab->publish.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (a < 0)
		return;
	int i = free_slot(lab);
	int b = i < 0 ? -EMFILE : connect_from_client(lab, port);
	if (b < 0) {
		close(a);
		return;
	}
	struct publish_conn *c = &lab->publish.conns[i];
	c->fd[0] = a;
	c->fd[1] = b;
	c->active_ms = now_ms();
	/* Each side's watch is handed its tag: connection * 2 + side. */
	lab_watch(lab, a, publish_relay, (void *)(intptr_t)(i * 2), false);
	lab_watch(lab, b, publish_relay, (void *)(intptr_t)(i * 2 + 1), false);
}

/* Send what side `from` is owed to the other side, as far as it takes it
 * now: 1 once all went, 0 if some waits, -1 if the other side is gone. */
static int pass_pending(struct publish_conn *c, int from)
{
	while (c->pend_len[from]) {
		ssize_t w = send(c->fd[!from], c->pend[from], c->pend_len[from], MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == ENOTCONN || errno == EINTR))
			return 0;
		if (w < 0)
			return -1;
		memmove(c->pend[from], c->pend[from] + w, c->pend_len[from] - (size_t)w);
		c->pend_len[from] -= (size_t)w;
	}
	return 1;
}

/* What each side is watched for: to be read while what it sent has gone,
 * to take what the other side sent while some waits. */
static void rewatch(struct lab *lab, struct publish_conn *c)
{
	for (int k = 0; k < 2; k++)
		lab_watch_events(lab, c->fd[k], (c->pend_len[k] ? 0 : EPOLLIN) | (c->pend_len[!k] ? EPOLLOUT : 0));
}

/* Side `side` of connection `i` is ready: to read, or to take what the
 * other side sent. Nothing waits: what a side does not take now is kept,
 * and the side it came from is not read until it has gone (a slow reader
 * slows its own connection, never the lab). */
static void publish_relay(struct lab *lab, void *ctx)
{
	int tag = (int)(intptr_t)ctx, i = tag / 2, side = tag % 2;
	struct publish_conn *c = &lab->publish.conns[i];
	if (c->fd[0] < 0)
		return;
	/* Into this side first: what the other side sent. */
	size_t owed = c->pend_len[!side];
	int p = pass_pending(c, !side);
	if (p < 0) {
		conn_close(lab, i);
		return;
	}
	bool passed = c->pend_len[!side] < owed;
	if (p == 1 && c->pend[!side]) {
		free(c->pend[!side]);
		c->pend[!side] = NULL;
	}
	if (c->pend_len[side]) {
		/* Not read until the other side takes what it sent: woken
		 * for no input, a wake that passed nothing in is a hang-up or
		 * an error (its unread data would show to a peek). */
		if (!passed)
			conn_close(lab, i);
		else
			rewatch(lab, c);
		return;
	}
	char buf[16384];
	ssize_t n = recv(c->fd[side], buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		rewatch(lab, c); /* woken to take the other side's: it has */
		return;
	}
	if (n <= 0) {
		conn_close(lab, i);
		return;
	}
	c->active_ms = now_ms();
	c->pend[side] = xmalloc((size_t)n);
	memcpy(c->pend[side], buf, (size_t)n);
	c->pend_len[side] = (size_t)n;
	p = pass_pending(c, side);
	if (p < 0) {
		conn_close(lab, i);
		return;
	}
	if (p == 1) {
		free(c->pend[side]);
		c->pend[side] = NULL;
	}
	rewatch(lab, c);
}

json_t *publish_json(struct lab *lab)
{
	if (lab->publish.fd < 0)
		return json_null();
	char url[160], resolve[160];
	snprintf(url, sizeof(url), "%s://www.%s:%d/", topo_scheme(lab->topo), lab->topo->domain, lab->publish.port);
	snprintf(resolve, sizeof(resolve), "www.%s:%d:%s", lab->topo->domain, lab->publish.port, lab->publish.addr);
	json_t *j = json_pack("{s:s, s:i, s:s, s:s, s:s}", "address", lab->publish.addr, "port", lab->publish.port, "url",
			      url, "resolve", resolve, "ca", lab->ca_public);
	if (lab->publish.http_fd >= 0) {
		char http[160];
		snprintf(http, sizeof(http), "http://www.%s:%d/", lab->topo->domain, lab->publish.http_port);
		json_object_set_new(j, "http_port", json_integer(lab->publish.http_port));
		json_object_set_new(j, "http_url", json_string(http));
	}
	if (lab->publish.prom_fd >= 0) {
		char prom[160];
		snprintf(prom, sizeof(prom), "http://%s:%d/", lab->publish.addr, lab->publish.prom_port);
		json_object_set_new(j, "prometheus_url", json_string(prom));
	}
	return j;
}
