/* topo.h — the topology model: networks, nodes with their interfaces, virtual
 * IPs and per-role settings, loaded from a .lab file in scenarios/. */
#ifndef STACKLAB_TOPO_H
#define STACKLAB_TOPO_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>

#include "role.h"

#define TOPO_NAME_MAX 32
#define TOPO_NETS_MAX 16
#define TOPO_NODES_MAX 254
#define TOPO_IFACES_MAX 8
#define TOPO_CPU_MIN 0.05  /* cores a node may be given: cpu = N */
#define TOPO_CPU_MAX 64.0
#define TOPO_MEMORY_MIN 64  /* MiB a node may be given: memory = N (the default bound is 1024) */
#define TOPO_MEMORY_MAX 1024
#define TOPO_VIPS_MAX 16
#define TOPO_HOLDERS_MAX 8
#define TOPO_SETTINGS_MAX 16
#define TOPO_RULES_MAX 16
#define TOPO_FROM_MAX 8
#define TOPO_ZONES_MAX 4              /* zones one DNS node serves */
#define TOPO_FILE_MAX (1 << 20)        /* bytes: a topology is a page of text, not a stream */

struct topo_setting {
	char key[TOPO_NAME_MAX];
	char value[128];
	int line;
};

struct topo_net {
	char name[TOPO_NAME_MAX];
	char bridge[IFNAMSIZ];         /* "br-NAME" in the switch namespace */
	struct in_addr subnet;         /* network address, host bits zero */
	int prefix;
	int line;
};

struct topo_iface {
	char name[IFNAMSIZ];           /* inside the node: eth0 … */
	char peer[IFNAMSIZ];           /* switch side: NODE-IFACE */
	int net;                       /* index into topo.nets */
	struct in_addr addr;
	int line;
};

/* A firewall rule of a node: `allow = tcp 80 from lb1` lets in what comes to
 * that port from those sources (nodes, networks, or any); a node with rules
 * drops everything else that is new (nftables, in its own namespace). */
struct topo_rule {
	char proto[4];                 /* tcp, udp */
	int port;
	char from[TOPO_FROM_MAX][TOPO_NAME_MAX];   /* node or network names, or "any" */
	int n_from;
	int line;
};

struct topo_node {
	char name[TOPO_NAME_MAX];
	const struct role *role;       /* its first tier: where the map puts it */
	unsigned roles;                /* every role it has: 1 << enum role_id */
	struct topo_iface ifaces[TOPO_IFACES_MAX];
	int n_ifaces;
	struct topo_setting settings[TOPO_SETTINGS_MAX];
	int n_settings;
	struct topo_rule rules[TOPO_RULES_MAX];
	int n_rules;                   /* > 0: the node has a firewall */
	double cpu;                    /* cores it may use (cpu = 0.5), 0: unbounded */
	int memory;                    /* MiB it may use (memory = 256), 0: the lab's default bound (1 GiB) */
	int line;
};

struct topo_vip {
	char name[TOPO_NAME_MAX];
	int net;
	struct in_addr addr;
	int holders[TOPO_HOLDERS_MAX]; /* indexes into topo.nodes, in priority order */
	int n_holders;
	int line;
};

struct topo {
	char *path;                    /* as given, for messages */
	char name[TOPO_NAME_MAX];
	char title[128];
	char domain[64];
	char www[TOPO_NAME_MAX];       /* what www.DOMAIN names: a vip or a node ("" = the first vip) */
	char https[4];                 /* "yes": the lbs end TLS on 443; "no": the site is plain HTTP on 80 */
	struct topo_net nets[TOPO_NETS_MAX];
	int n_nets;
	struct topo_node nodes[TOPO_NODES_MAX];
	int n_nodes;
	struct topo_vip vips[TOPO_VIPS_MAX];
	int n_vips;
	struct topo_setting role_settings[ROLE_COUNT][TOPO_SETTINGS_MAX];
	int n_role_settings[ROLE_COUNT];
};

/* Parse and validate the topology in `f`, named `path` in messages. On
 * success returns 0 and a new topo in *out (free with topo_free). On bad input
 * returns -EINVAL and a malloc'd text in *errors, one "path:line: what" per
 * line, listing every problem found, with bytes that are not printable
 * escaped as \xNN. Reads at most TOPO_FILE_MAX bytes of `f`; does no other
 * I/O. */
int topo_parse(FILE *f, const char *path, struct topo **out, char **errors);

/* topo_parse on a file. A missing file, one that is not a regular file (a
 * FIFO, device or directory would hang or make no sense) and one larger than
 * TOPO_FILE_MAX are reported in *errors too, with a negative errno. */
int topo_load(const char *path, struct topo **out, char **errors);

/* Where the topology called `name_or_path` lives: a path if it contains a
 * '/' or ends in ".lab", else scenarios/NAME.lab in the data directory.
 * Returns a malloc'd path. */
char *topo_resolve(const char *name_or_path);

void topo_free(struct topo *t);

/* The node called `name`, or NULL. */
const struct topo_node *topo_node_find(const struct topo *t, const char *name);
/* A setting of a node: its own [node] value, else its role's, else `def`. */
const char *topo_setting(const struct topo *t, const struct topo_node *n,
			 const char *key, const char *def);
/* Does node `n` have role `id` (alone or with others: role = web app db)? */
bool topo_has_role(const struct topo_node *n, enum role_id id);
/* Does DNS node `n` serve `zone` ("." for the root, "com", "foobar.com")?
 * Its [node] zone list, else the lab's domain. */
bool topo_serves(const struct topo *t, const struct topo_node *n, const char *zone);
/* Its roles as the topology writes them: "web app db". */
const char *topo_roles(const struct topo_node *n, char *buf, size_t size);
/* Does the lab have a monitor (a node of role monitor: Prometheus)? */
bool topo_monitored(const struct topo *t);
/* Is n a server a monitor scrapes (an lb, web, app or db node)? */
bool topo_is_server(const struct topo_node *n);
/* Does node `n` hold a virtual IP (and so run keepalived)? */
bool topo_holds_vip(const struct topo *t, const struct topo_node *n);
/* The first virtual IP node `n` holds, or NULL; its place among the VIP's
 * holders (0: the first, which starts as MASTER) in *rank unless NULL. */
const struct topo_vip *topo_held_vip(const struct topo *t, const struct topo_node *n, int *rank);
/* Is node `n` among the holders of virtual IP `v`? */
bool topo_vip_held_by(const struct topo *t, const struct topo_vip *v, const struct topo_node *n);
/* The address www.DOMAIN resolves to: the vip or node [lab] www names, else
 * the first vip. A node's is its address on the client's network (its
 * first interface otherwise). NULL if there is none. */
const struct in_addr *topo_www_addr(const struct topo *t);
/* The address a client reaches node n by: on a network a client is on,
 * else its first; NULL if it has no interface. */
const struct in_addr *topo_client_addr(const struct topo *t, const struct topo_node *n);
/* How the client reaches the site: "https" on 443 (TLS ends at the lbs) or
 * "http" on 80 (the designs before the secured one). */
const char *topo_scheme(const struct topo *t);
int topo_site_port(const struct topo *t);

/* Does a replica copy node n (so n keeps a binary log)? */
bool topo_is_primary(const struct topo *t, const struct topo_node *n);
/* The node a replica copies: [node] replica_of, or NULL. */
const struct topo_node *topo_primary_of(const struct topo *t, const struct topo_node *n);

/* The node's address on network `net`, or NULL if it has none there. */
const struct in_addr *topo_node_addr(const struct topo_node *n, int net);

/* Write the topology back in the file format (used by tests and `status`). */
void topo_write(const struct topo *t, FILE *out);

#endif
