/* capture.c — the packets of one traced request (see capture.h). */
#include "capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <math.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "util.h"

#define SNAP 2048

int capture_start(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (c->fd < 0)
		return -errno;
	/* Room for a busy second of a lab with traffic running. */
	int size = 8 << 20, on = 1;
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	c->f = xcalloc(CAPTURE_MAX, sizeof(*c->f));
	return 0;
}

void capture_stop(struct capture *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->f);
	c->f = NULL;
}

/* The node a switch-side link belongs to, or -1. */
static int node_of_link(const struct lab *lab, const char *name)
{
	for (int i = 0; i < lab->n_links; i++) {
		const struct lab_link *l = &lab->links[i];
		if (strcmp(lab->topo->nodes[l->node].ifaces[l->iface].peer, name) == 0)
			return l->node;
	}
	return -1;
}

/* Read one frame; false when none is left. */
static bool take(struct capture *c, struct lab *lab, const char *rid)
{
	unsigned char buf[SNAP];
	struct sockaddr_ll from;
	char control[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = sizeof(control) };
	ssize_t n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return errno == EINTR;
	/* Each frame once: as it enters the switch from its sender. */
	if (from.sll_pkttype == PACKET_OUTGOING || c->n == CAPTURE_MAX)
		return true;
	char ifname[IF_NAMESIZE] = "";
	if_indextoname((unsigned)from.sll_ifindex, ifname);
	int node = node_of_link(lab, ifname);
	if (node < 0)
		return true;
	size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf);
	struct frame *f = &c->f[c->n];
	memset(f, 0, sizeof(*f));
	f->node = node;
	str_copy(f->link, sizeof(f->link), ifname);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			f->t = (double)ts.tv_sec + ts.tv_nsec / 1e9;
		}
	const unsigned char *payload;
	size_t plen;
	if (!packet_decode(buf, len, f, &payload, &plen))
		return true;
	f->payload_has_rid = plen && memmem(payload, plen, rid, strlen(rid)) != NULL;
	c->n++;
	return true;
}

static bool same_flow(const struct frame *a, const struct frame *b)
{
	return a->proto == b->proto && ((a->src == b->src && a->dst == b->dst && a->sport == b->sport && a->dport == b->dport) ||
				       (a->src == b->dst && a->dst == b->src && a->sport == b->dport && a->dport == b->sport));
}

/* Keep every frame of f's flow; true if the server ever answered it. */
static bool keep_flow(struct capture *c, const struct frame *f)
{
	bool answered = false;
	for (int k = 0; k < c->n; k++)
		if (same_flow(&c->f[k], f)) {
			c->f[k].keep = true;
			answered |= c->f[k].src == f->dst && c->f[k].proto == 6;
		}
	return answered;
}

/* The name of an address in the lab: a node, or the VIP. */
static void name_of(const struct lab *lab, uint32_t ip, uint16_t port, char *buf, size_t size)
{
	struct in_addr a = { ip };
	for (int v = 0; v < lab->topo->n_vips; v++)
		if (lab->topo->vips[v].addr.s_addr == ip) {
			snprintf(buf, size, "VIP:%u", port);
			return;
		}
	for (int i = 0; i < lab->topo->n_nodes; i++)
		for (int k = 0; k < lab->topo->nodes[i].n_ifaces; k++)
			if (lab->topo->nodes[i].ifaces[k].addr.s_addr == ip) {
				snprintf(buf, size, "%s:%u", lab->topo->nodes[i].name, port);
				return;
			}
	char s[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, s, sizeof(s));
	snprintf(buf, size, "%s:%u", s, port);
}

static int node_of_ip(const struct lab *lab, uint32_t ip)
{
	for (int i = 0; i < lab->topo->n_nodes; i++)
		for (int k = 0; k < lab->topo->nodes[i].n_ifaces; k++)
			if (lab->topo->nodes[i].ifaces[k].addr.s_addr == ip)
				return i;
	return -1;
}

/* The answer to DNS query q: from whom it asked, to its port, with its id
 * and question. -1 if none came. */
static int dns_reply(const struct capture *c, int q)
{
	const struct frame *f = &c->f[q];
	for (int k = q + 1; k < c->n; k++) {
		const struct frame *a = &c->f[k];
		if (a->proto == 17 && a->dns_kind != DNS_NONE && a->dns_kind != DNS_QUERY && a->src == f->dst &&
		    a->sport == f->dport && a->dport == f->sport && a->dns_id == f->dns_id && a->qtype == f->qtype &&
		    strcmp(a->qname, f->qname) == 0)
			return k;
	}
	return -1;
}

static void dns_step(struct capture *c, const struct lab *lab, int q, struct capture_path *path)
{
	if (path->n_dns == CAPTURE_DNS_MAX)
		return;
	const struct frame *f = &c->f[q];
	int a = dns_reply(c, q);
	struct capture_dns *d = &path->dns[path->n_dns++];
	*d = (struct capture_dns){ .asker = f->node, .server = node_of_ip(lab, f->dst), .t_query = f->t };
	str_copy(d->link, sizeof(d->link), f->link);
	str_copy(d->query, sizeof(d->query), f->what);
	keep_flow(c, f);
	if (a >= 0) {
		d->t_answer = c->f[a].t;
		d->kind = c->f[a].dns_kind;
		str_copy(d->answer, sizeof(d->answer), c->f[a].dns_info);
	}
}

/* The client's question q, and what its resolver asked on its behalf while
 * it waited: the resolver's own queries between q and the answer to q,
 * each paired with its answer by addresses, ports, id and question. */
static void dns_path(struct capture *c, const struct lab *lab, int q, struct capture_path *path)
{
	dns_step(c, lab, q, path);
	int a = dns_reply(c, q), resolver = path->dns[0].server;
	double until = a >= 0 ? c->f[a].t : c->f[q].t + 5;
	for (int k = q + 1; k < c->n && resolver >= 0 && c->f[k].t <= until; k++) {
		const struct frame *f = &c->f[k];
		if (f->proto == 17 && f->dns_kind == DNS_QUERY && f->node == resolver && f->dport == 53)
			dns_step(c, lab, k, path);
	}
}

json_t *capture_packets(struct capture *c, struct lab *lab, const char *rid, int client_port, double t0,
			struct capture_path *path)
{
	*path = (struct capture_path){ .lb = -1, .web = -1, .app = -1, .db = -1, .stuck = -1 };
	/* Bounded: a node that floods its link must not hold the lab here. */
	for (int reads = 0; c->fd >= 0 && c->n < CAPTURE_MAX && reads < 4 * CAPTURE_MAX && take(c, lab, rid); reads++)
		;
	/* The request's own connection to the site (the load balancer, or
	 * the web server where there is none), and the DNS query just before
	 * it. */
	int client = lab_node_of_role(lab, ROLE_CLIENT), query = -1, site = topo_site_port(lab->topo);
	bool lb = lab_node_of_role(lab, ROLE_LB) >= 0;
	double first_syn = 0;
	int own = -1; /* a frame of the client's own connection */
	for (int k = 0; k < c->n; k++) {
		struct frame *f = &c->f[k];
		if (f->proto == 6 && client_port && f->sport == client_port && f->dport == site && f->node == client) {
			if (!first_syn && (f->flags & 0x02))
				first_syn = f->t;
			bool request = strncmp(f->what, "encrypted request", 17) == 0 || (site == 80 && f->layer &&
											  strcmp(f->layer, "HTTP") == 0);
			if (!path->t_lb && request) {
				path->t_lb = f->t;
				own = k;
			}
			keep_flow(c, f);
		}
	}
	if (!lb && own >= 0) {
		/* No load balancer: the client's connection is the web tier's. */
		path->web = node_of_ip(lab, c->f[own].dst);
		path->t_web = path->t_lb;
		path->t_lb = 0;
	}
	/* The client's question for the site's name: the last one before the
	 * request's connection (traffic running on the same client asks too),
	 * taken at its first asking (a retry has the same port and id). Not
	 * the search list's www.foobar.com.foobar.com that follows a failure. */
	char site_name[128];
	snprintf(site_name, sizeof(site_name), "www.%s", lab->topo->domain);
	for (int k = 0; k < c->n; k++) {
		const struct frame *f = &c->f[k];
		if (f->proto == 17 && f->dport == 53 && f->node == client && (!first_syn || f->t <= first_syn) &&
		    f->dns_kind == DNS_QUERY && f->qtype == 1 /* A */ && strcmp(f->qname, site_name) == 0)
			query = k;
	}
	for (int k = 0; query >= 0 && k < query; k++)
		if (c->f[k].proto == 17 && c->f[k].dns_kind == DNS_QUERY && c->f[k].node == client &&
		    c->f[k].sport == c->f[query].sport && c->f[k].dns_id == c->f[query].dns_id &&
		    strcmp(c->f[k].qname, site_name) == 0) {
			query = k;
			break;
		}
	if (query >= 0)
		dns_path(c, lab, query, path);
	/* Each tier's connection that carried the request id; where one is
	 * missing, the attempts to open it from the tier before. */
	static const uint16_t tiers[] = { 80, 9000, 3306 };
	double since = first_syn;
	int from_node = lb ? -1 : path->web; /* the lb: the VIP the client spoke to is no node's own address */
	for (size_t t = lb ? 0 : 1; t < ARRAY_SIZE(tiers); t++) {
		int carried = -1;
		for (int k = 0; k < c->n && carried < 0; k++)
			if (c->f[k].proto == 6 && c->f[k].dport == tiers[t] && c->f[k].payload_has_rid &&
			    !(c->f[k].node == client && c->f[k].sport == client_port))
				carried = k;
		if (carried >= 0) {
			const struct frame *f = &c->f[carried];
			keep_flow(c, f);
			since = f->t;
			from_node = node_of_ip(lab, f->dst);
			if (t == 0)
				path->lb = f->node;
			for (int j = carried; t == 2 && j < c->n && !path->t_db_execute; j++)
				if (same_flow(&c->f[j], f) && strcmp(c->f[j].what, "execute") == 0)
					path->t_db_execute = c->f[j].t;
			*(t == 0 ? &path->web : t == 1 ? &path->app : &path->db) = from_node;
			*(t == 0 ? &path->t_web : t == 1 ? &path->t_app : &path->t_db) = f->t;
			continue;
		}
		/* Not carried: did the tier before try, and get no answer? */
		for (int k = 0; k < c->n; k++) {
			const struct frame *f = &c->f[k];
			if (f->proto != 6 || f->dport != tiers[t] || !(f->flags & 0x02) || (f->flags & 0x10) || f->t < since ||
			    (from_node >= 0 && f->node != from_node))
				continue;
			if (t == 0)
				path->lb = f->node;
			if (!keep_flow(c, f)) {
				char to[64];
				int tries = 0;
				for (int j = k; j < c->n; j++)
					tries += same_flow(&c->f[j], f) && (c->f[j].flags & 0x12) == 0x02;
				name_of(lab, f->dst, f->dport, to, sizeof(to));
				path->stuck = node_of_ip(lab, f->dst);
				path->t_stuck = f->t;
				snprintf(path->stuck_what, sizeof(path->stuck_what),
					 "%s sent SYN to %s %d time%s (TCP tries again after 1, 2, 4 s): no answer",
					 lab->topo->nodes[f->node].name, to, tries, tries == 1 ? "" : "s");
			}
			break;
		}
		break;
	}
	/* When the request began, and when its answer left the lb. */
	double answered = 0;
	for (int k = 0; k < c->n; k++) {
		const struct frame *f = &c->f[k];
		if (f->keep && !path->t_start)
			path->t_start = f->t;
		if (f->keep && f->sport == 80 && strncmp(f->what, "HTTP/", 5) == 0 && !answered)
			answered = f->t;
		if (f->keep && answered && !path->t_response && f->sport == site && f->dport == client_port)
			path->t_response = f->t;
	}
	json_t *a = json_array();
	for (int k = 0; k < c->n; k++) {
		const struct frame *f = &c->f[k];
		if (!f->keep)
			continue;
		char src[64], dst[64];
		name_of(lab, f->src, f->sport, src, sizeof(src));
		name_of(lab, f->dst, f->dport, dst, sizeof(dst));
		json_array_append_new(a, json_pack("{s:f, s:s, s:s, s:s, s:s, s:s}", "ms", (f->t - t0) * 1000, /* rounded once, by the caller */
						   "link", f->link, "from", src, "to", dst, "proto", f->layer ? f->layer : "?",
						   "what", f->what));
	}
	return a;
}
