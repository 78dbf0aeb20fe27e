/* dnszone.c — the lab's zone files, NSD's zone list and the resolver's root
 * hints, from the topology (see dnszone.h). */
#include "dnszone.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ZONE_MAX 128
#define HOST_BUF 192               /* a server's name: ZONE_MAX and a node's name */
#define NAME_BUF 256               /* a name with its final dot, and a little more */

/* Is `name` in `zone` (at it or below it)? Every name is in the root. */
static bool within(const char *name, const char *zone)
{
	if (strcmp(zone, ".") == 0)
		return true;
	size_t n = strlen(name), z = strlen(zone);
	return n == z ? strcmp(name, zone) == 0 : n > z && name[n - z - 1] == '.' && strcmp(name + n - z, zone) == 0;
}

/* Call `fn` for each zone a node serves. */
void dnszone_each(const struct topo *t, const struct topo_node *n, void (*fn)(const char *, void *), void *ctx)
{
	const char *zones = topo_setting(t, n, "zone", t->domain);
	char buf[256], *save = NULL;
	str_copy(buf, sizeof(buf), zones);
	for (char *z = strtok_r(buf, " \t", &save); z; z = strtok_r(NULL, " \t", &save))
		fn(z, ctx);
}

struct zone_list {
	char z[TOPO_NODES_MAX][ZONE_MAX];
	int n;
};

static void add_zone(const char *zone, void *ctx)
{
	struct zone_list *l = ctx;
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->z[i], zone) == 0)
			return;
	if (l->n < TOPO_NODES_MAX)
		str_copy(l->z[l->n++], ZONE_MAX, zone);
}

/* Every zone served in the lab, each once. */
static struct zone_list *served(const struct topo *t)
{
	struct zone_list *l = xcalloc(1, sizeof(*l));
	for (int i = 0; i < t->n_nodes; i++)
		if (topo_has_role(&t->nodes[i], ROLE_DNS))
			dnszone_each(t, &t->nodes[i], add_zone, l);
	return l;
}

/* The deepest served zone other than `zone` that holds it: who delegates
 * `zone`. NULL for the root, or where nothing served holds it. */
static const char *parent(const struct zone_list *l, const char *zone)
{
	const char *best = NULL;
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->z[i], zone) != 0 && within(zone, l->z[i]) && (!best || within(l->z[i], best)))
			best = l->z[i];
	return best;
}

/* The name of node n as a server of `zone`: the root's and com's servers
 * are lettered as on the internet, the others are named in their zone. */
static void ns_host(const struct topo *t, const struct topo_node *n, const char *zone, char *buf, size_t size)
{
	int k = 0;
	for (const struct topo_node *m = t->nodes; m < n; m++)
		k += topo_serves(t, m, zone);
	char letter = (char)('a' + k % 26);
	if (strcmp(zone, ".") == 0)
		snprintf(buf, size, "%c.root-servers.net", letter);
	else if (strcmp(zone, "com") == 0)
		snprintf(buf, size, "%c.gtld-servers.net", letter);
	else if (!strchr(zone, '.'))
		snprintf(buf, size, "%c.nic.%s", letter, zone);
	else
		snprintf(buf, size, "%s.%s", n->name, zone);
}

static const char *addr_of(const struct topo_node *n, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &n->ifaces[0].addr, buf, INET_ADDRSTRLEN);
}

/* "foobar.com." — the root is "." already. */
static const char *fqdn(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", name, strcmp(name, ".") == 0 ? "" : ".");
	return buf;
}

int dnszone_ttl(const struct topo *t, const struct dns_zone_state *st)
{
	if (st && st->ttl > 0)
		return st->ttl;
	for (int i = 0; i < t->n_nodes; i++)
		if (topo_serves(t, &t->nodes[i], t->domain)) {
			const char *v = topo_setting(t, &t->nodes[i], "ttl", NULL);
			if (v)
				return atoi(v); /* typed 1…86400 by topo.c */
		}
	return DNS_TTL_DEFAULT;
}

void dnszone_file(const char *zone, char *buf, size_t size)
{
	snprintf(buf, size, "%s.zone", strcmp(zone, ".") == 0 ? "root" : zone);
}

/* The NS records of `zone` and, where a server's name lies in `in` (the
 * zone being written), its address: glue below a delegation, or the
 * zone's own data. */
static void servers_of(FILE *out, const struct topo *t, const char *zone, const char *in, bool addresses)
{
	char host[HOST_BUF], name[NAME_BUF], a[INET_ADDRSTRLEN];
	for (int i = 0; i < t->n_nodes; i++)
		if (topo_serves(t, &t->nodes[i], zone)) {
			ns_host(t, &t->nodes[i], zone, host, sizeof(host));
			if (!addresses)
				fprintf(out, "%-24s IN NS     %s.\n", fqdn(zone, name, sizeof(name)), host);
			else if (within(host, in))
				fprintf(out, "%-24s IN A      %s\n", fqdn(host, name, sizeof(name)), addr_of(&t->nodes[i], a));
		}
}

char *dnszone_text(const struct topo *t, const char *zone, const struct dns_zone_state *st)
{
	struct zone_list *l = served(t);
	bool domain = strcmp(zone, t->domain) == 0;
	int ttl = domain ? dnszone_ttl(t, st) : DNS_TTL_UPPER;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (!out)
		die("open_memstream: out of memory");
	char name[NAME_BUF], first[HOST_BUF] = "", a[INET_ADDRSTRLEN];
	for (int i = 0; i < t->n_nodes && !first[0]; i++)
		if (topo_serves(t, &t->nodes[i], zone))
			ns_host(t, &t->nodes[i], zone, first, sizeof(first));
	fprintf(out, "; The zone %s of lab %s, written by stacklab from the topology.\n", fqdn(zone, name, sizeof(name)),
		t->name);
	fprintf(out, "; Every name is written whole, with its final dot.\n");
	fprintf(out, "$TTL %d\n\n", ttl);
	fprintf(out, "; who is in charge: the first server, the admin's mailbox, the serial, and\n"
		     "; refresh, retry, expire and the TTL of a 'no such name' answer\n");
	fprintf(out, "%-24s IN SOA    %s. hostmaster.%s. %u 3600 600 86400 %d\n", fqdn(zone, name, sizeof(name)), first,
		strcmp(zone, ".") == 0 ? "root-servers.net" : zone, st && st->serial ? st->serial : 1, ttl);
	fprintf(out, "\n; the servers of this zone\n");
	servers_of(out, t, zone, zone, false);
	bool delegates = false;
	for (int c = 0; c < l->n; c++) {
		const char *p = parent(l, l->z[c]);
		if (!p || strcmp(p, zone) != 0)
			continue;
		if (!delegates)
			fprintf(out, "\n; delegations: who serves the zones below this one\n");
		delegates = true;
		servers_of(out, t, l->z[c], zone, false);
	}
	fprintf(out, "\n; the servers' addresses (below a delegation: glue, so a resolver can reach them)\n");
	servers_of(out, t, zone, zone, true);
	for (int c = 0; c < l->n; c++) {
		const char *p = parent(l, l->z[c]);
		if (p && strcmp(p, zone) == 0)
			servers_of(out, t, l->z[c], zone, true);
	}
	if (domain) {
		struct in_addr www = st && st->www.s_addr ? st->www : topo_www_addr(t) ? *topo_www_addr(t) : (struct in_addr){ 0 };
		inet_ntop(AF_INET, &www, a, sizeof(a));
		const char *d = t->domain;
		fprintf(out, "\n; the site\n");
		fprintf(out, "%-24s IN A      %s\n", fqdn(d, name, sizeof(name)), a);
		char www_name[NAME_BUF];
		snprintf(www_name, sizeof(www_name), "www.%s.", d);
		bool cname = false;
		for (int i = 0; i < t->n_nodes; i++)
			if (topo_serves(t, &t->nodes[i], d))
				cname = strcmp(topo_setting(t, &t->nodes[i], "www_record", "A"), "CNAME") == 0;
		if (cname)
			fprintf(out, "%-24s IN CNAME  %s.\n", www_name, d);
		else
			fprintf(out, "%-24s IN A      %s\n", www_name, a);
		fprintf(out, "blog.%-19s IN CNAME  www.%s.\n", fqdn(d, name, sizeof(name)), d);
		fprintf(out, "\n; mail for @%s goes to mail.%s\n", d, d);
		fprintf(out, "%-24s IN MX     10 mail.%s.\n", fqdn(d, name, sizeof(name)), d);
		fprintf(out, "mail.%-19s IN A      %s\n", fqdn(d, name, sizeof(name)), a);
	}
	fclose(out);
	free(l);
	return text;
}

struct conf_ctx {
	FILE *out;
};

static void conf_zone(const char *zone, void *ctx)
{
	struct conf_ctx *c = ctx;
	char file[NAME_BUF];
	dnszone_file(zone, file, sizeof(file));
	fprintf(c->out, "zone:\n\tname: \"%s\"\n\tzonefile: \"/etc/nsd/%s\"\n\n", zone, file);
}

char *dnszone_nsd_conf(const struct topo *t, const struct topo_node *n)
{
	char *text = NULL;
	size_t size = 0;
	struct conf_ctx c = { open_memstream(&text, &size) };
	if (!c.out)
		die("open_memstream: out of memory");
	fprintf(c.out, "# The zones %s serves (written by stacklab from the topology).\n\n", n->name);
	dnszone_each(t, n, conf_zone, &c);
	fclose(c.out);
	return text;
}

char *dnszone_root_hints(const struct topo *t)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (!out)
		die("open_memstream: out of memory");
	fprintf(out, "; The root servers this resolver starts from: the lab's own, never the\n"
		     "; internet's (the lab has no way out).\n");
	char host[HOST_BUF], a[INET_ADDRSTRLEN];
	for (int i = 0; i < t->n_nodes; i++)
		if (topo_serves(t, &t->nodes[i], ".")) {
			ns_host(t, &t->nodes[i], ".", host, sizeof(host));
			fprintf(out, ".                        3600000 IN NS %s.\n", host);
			char name[NAME_BUF];
			fprintf(out, "%-24s 3600000 IN A  %s\n", fqdn(host, name, sizeof(name)), addr_of(&t->nodes[i], a));
		}
	fclose(out);
	return text;
}
