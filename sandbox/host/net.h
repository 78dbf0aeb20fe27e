/* net.h — netlink through libnl-route: bridges, veth pairs, link state and
 * addresses. A `struct net` talks to the network namespace it was opened in;
 * libnl's NLE_* codes never leave net.c, callers see -errno, and what
 * failed is in the error object `err` (error.h), which may be NULL. */
#ifndef STACKLAB_NET_H
#define STACKLAB_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct net;

/* Open a route socket bound to the caller's current network namespace. */
int net_open(struct net **out, struct sl_error *err);
void net_free(struct net *n);
/* Open a route socket in the network namespace of process `pid` (a node's
 * init); the caller stays in its own. */
int net_open_in(pid_t pid, struct net **out, struct sl_error *err);

/* The link-layer address of link `name` ("aa:bb:cc:dd:ee:ff"). */
int net_link_mac(struct net *n, const char *name, char mac[18]);
/* The neighbour entry of `addr` on link `name`: its link-layer address and
 * state (REACHABLE, STALE, DELAY, FAILED…). -ENOENT if there is none. */
int net_neigh_get(struct net *n, const char *name, struct in_addr addr, char mac[18], char state[16]);

/* Make bridge `name` and bring it up. */
int net_bridge_add(struct net *n, const char *name, struct sl_error *err);

/* Make a veth pair in one request: `name` here, enslaved to `master` and up;
 * its peer `peer` (down), with link-layer address `peer_mac`, inside the
 * network namespace of process `peer_pid`. The bridge port learns no
 * address: it holds one static entry, peer_mac. */
int net_veth_add(struct net *n, const char *name, const char *master,
		 const char *peer, const uint8_t peer_mac[6], pid_t peer_pid, struct sl_error *err);

/* Bring link `name` up or down. */
int net_link_set_up(struct net *n, const char *name, bool up, struct sl_error *err);

/* Wait until link `name` is running (operstate UP: the kernel passes its
 * packets now; a packet sent before that may be dropped). Returns the ms
 * waited, or -ETIMEDOUT after max_ms. */
int net_link_wait_running(struct net *n, const char *name, int max_ms);

/* Add address/prefix to link `name`. */
int net_addr_add(struct net *n, const char *name, struct in_addr addr, int prefix, struct sl_error *err);

/* Counters of one link, as the kernel keeps them. */
struct net_link_stat {
	char name[16];
	unsigned long long rx_bytes, tx_bytes, rx_packets, tx_packets;
	bool up;
};

/* Counters of every link of the namespace (one netlink dump): calls `fn`
 * for each. Returns 0 or -errno. */
int net_link_stats(struct net *n, void (*fn)(const struct net_link_stat *, void *), void *ctx);

/* Isolate a bridge port: isolated ports forward no frame to one another,
 * and still reach every port that is not isolated. */
int net_port_isolate(struct net *n, const char *name, bool isolated, struct sl_error *err);

/* Egress shaping on a link: a netem qdisc (delay, jitter in ms, loss in %),
 * or a tbf qdisc (rate in kbit/s); net_qdisc_clear() removes either.
 * -EOPNOTSUPP when the kernel lacks the qdisc. */
int net_qdisc_netem(struct net *n, const char *name, int delay_ms, int jitter_ms, double loss_pct,
		    struct sl_error *err);
int net_qdisc_rate(struct net *n, const char *name, int kbit, struct sl_error *err);
int net_qdisc_clear(struct net *n, const char *name, struct sl_error *err);

/* A percentage as netem's probability: a fraction of UINT32_MAX, rounded;
 * 0 for 0 % and below (and NaN), UINT32_MAX for 100 % and above. */
uint32_t net_netem_prob(double pct);

#endif
