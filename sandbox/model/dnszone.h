/* dnszone.h — the lab's DNS, written from the topology: the zone file of
 * each zone an authoritative node serves (the root, com, foobar.com), the
 * zone list NSD reads, and the root hints the resolver starts from.
 *
 * Each zone delegates to the served zones just below it (the root to com,
 * com to foobar.com) with the addresses of their servers as glue, so a
 * resolver that knows only the lab's root walks down to the answer, as it
 * would on the internet. The servers' names are the ones students meet in
 * `dig +trace`: a.root-servers.net, a.gtld-servers.net, ns1.foobar.com. */
#ifndef STACKLAB_DNSZONE_H
#define STACKLAB_DNSZONE_H

#include <netinet/in.h>
#include <stdbool.h>

#include "topo.h"

/* What a running lab changed of its domain's zone (`stacklab set`): 0 for
 * "as the topology says". */
struct dns_zone_state {
	struct in_addr www;            /* where www and the apex point */
	int ttl;                       /* the records' TTL, seconds */
	unsigned serial;               /* the SOA serial: 1, and one more each change */
};

#define DNS_TTL_DEFAULT 60         /* the domain's records: short enough for a lesson to see expire */
#define DNS_TTL_UPPER 3600         /* the root's and com's: delegations change rarely */

/* The TTL of the domain's records: the state's, else the serving node's
 * `ttl`, else DNS_TTL_DEFAULT. */
int dnszone_ttl(const struct topo *t, const struct dns_zone_state *st);
/* Call fn(zone, ctx) for each zone node n serves. */
void dnszone_each(const struct topo *t, const struct topo_node *n, void (*fn)(const char *zone, void *ctx), void *ctx);
/* The file a zone lives in, under /etc/nsd: "root.zone", "com.zone". */
void dnszone_file(const char *zone, char *buf, size_t size);
/* The zone file of `zone` (malloc'd). */
char *dnszone_text(const struct topo *t, const char *zone, const struct dns_zone_state *st);
/* NSD's `zone:` blocks for the zones node n serves (malloc'd). */
char *dnszone_nsd_conf(const struct topo *t, const struct topo_node *n);
/* Unbound's root hints: the lab's root servers (malloc'd). */
char *dnszone_root_hints(const struct topo *t);

#endif
