/* capture.h — the packets of one traced request, as the switch saw them.
 *
 * The lab owns every link: its daemon lives in the switch's network
 * namespace, where one packet socket sees each frame as it enters the
 * switch from the node that sent it (once, on that node's link). A trace
 * opens it before the request and reads it after; capture_packets() keeps
 * the frames of the request's own flows: its DNS query and answer, its TCP
 * connection to the load balancer, and each connection further in that
 * carried its request id (HTTP, FastCGI, SQL), or, where the request got
 * stuck, the connection attempts that got no answer. */
#ifndef STACKLAB_CAPTURE_H
#define STACKLAB_CAPTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "packet.h"

struct lab;

struct capture {
	int fd;
	struct frame *f;
	int n;
};

/* Open the switch's packet socket (the caller is in the switch's network
 * namespace). 0, or -errno. */
int capture_start(struct capture *c);
/* How far the request got, as the packets tell: the node of each tier it
 * reached (-1: not reached) and when it got there; where a tier opened a
 * connection that was never answered, that node and what happened. */
/* One DNS question and its answer, as the packets show them: the client's
 * to its resolver, then each the resolver asked on its behalf. */
#define CAPTURE_DNS_MAX 8
struct capture_dns {
	int asker, server;         /* topology indexes (server: -1 if no node has its address) */
	char link[16];             /* the asker's link */
	double t_query, t_answer;  /* t_answer 0: no answer came */
	int kind;                  /* the answer's: DNS_ANSWER, DNS_REFERRAL, DNS_EMPTY */
	char query[160], answer[160];
};

struct capture_path {
	int lb, web, app, db;
	double t_start;            /* the request's first packet (its DNS query) */
	double t_lb, t_web, t_app, t_db;
	double t_db_execute;       /* a prepared statement's second step */
	double t_response;         /* the answer left the load balancer */
	int stuck;
	double t_stuck;            /* its first SYN */
	char stuck_what[160];
	struct capture_dns dns[CAPTURE_DNS_MAX];   /* the name's resolution, in the order asked */
	int n_dns;
};

/* Read what arrived, classify it, keep the request's frames (see above) and
 * return them as a JSON array of {ms, link, from, to, proto, what} (ms from
 * t0), oldest first; the path it took into *path. */
json_t *capture_packets(struct capture *c, struct lab *lab, const char *rid, int client_port, double t0,
			struct capture_path *path);
void capture_stop(struct capture *c);

#endif
