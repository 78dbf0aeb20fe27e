/* firewall.h — a node's nftables ruleset, from its allow lines. */
#ifndef STACKLAB_FIREWALL_H
#define STACKLAB_FIREWALL_H

#include "topo.h"

/* The ruleset of node n (malloc'd): new connections are dropped but those
 * its allow lines let in; loopback, replies, ICMP and VRRP pass. */
char *firewall_ruleset(const struct topo *t, const struct topo_node *n);

#endif
