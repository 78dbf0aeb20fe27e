/* firewall.c — a node's nftables firewall, rendered from its `allow` lines.
 *
 * A node with rules drops every new connection but those its rules allow;
 * what it opened itself (replies: established, related), its loopback,
 * ICMP and VRRP always pass. The ruleset is made by the lab from the
 * topology and handed to the host's nft on its standard input, run by the
 * lab daemon in the node's network namespace only: nothing of the node's
 * files or processes is used, and the node cannot stop it. It is loaded
 * before the node's init goes on to start its daemons. `fail NODE firewall
 * off` deletes the table; heal loads it again. A node's own root may
 * change it, as a real server's root may (exec gives CAP_NET_ADMIN for ip,
 * tc and nft): status says what the lab loaded. */
#include "firewall.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* A source in nft's words: an address, a network, or nothing for any. */
static bool source(const struct topo *t, const char *name, char *buf, size_t size)
{
	char a[INET_ADDRSTRLEN];
	const struct topo_node *n = topo_node_find(t, name);
	buf[0] = '\0';
	if (strcmp(name, "any") == 0)
		return true;
	if (n) { /* every address it has */
		for (int k = 0; k < n->n_ifaces; k++) {
			inet_ntop(AF_INET, &n->ifaces[k].addr, a, sizeof(a));
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", k ? ", " : "", a);
		}
		return false;
	}
	for (int k = 0; k < t->n_nets; k++)
		if (strcmp(t->nets[k].name, name) == 0) {
			inet_ntop(AF_INET, &t->nets[k].subnet, a, sizeof(a));
			snprintf(buf, size, "%s/%d", a, t->nets[k].prefix);
		}
	return false;
}

char *firewall_ruleset(const struct topo *t, const struct topo_node *n)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	if (!f)
		die("out of memory");
	fprintf(f, "# The firewall of %s, from its allow lines (stacklab)\n"
		   "table inet stacklab {\n"
		   "\tchain input {\n"
		   "\t\ttype filter hook input priority 0; policy drop;\n"
		   "\t\tiifname \"lo\" accept\n"
		   "\t\tct state established,related accept\n"
		   "\t\tip protocol icmp accept\n"
		   "\t\tip protocol 112 accept comment \"VRRP\"\n",
		n->name);
	for (int k = 0; k < n->n_rules; k++) {
		const struct topo_rule *r = &n->rules[k];
		/* Built whole, never cut: a cut address would allow another host. */
		char *from = NULL, *what = NULL;
		size_t from_len = 0, what_len = 0;
		FILE *ff = open_memstream(&from, &from_len), *fw = open_memstream(&what, &what_len);
		if (!ff || !fw)
			die("out of memory");
		bool any = false, first = true;
		fprintf(fw, "allow %s %d from", r->proto, r->port);
		for (int s = 0; s < r->n_from; s++) {
			char one[TOPO_IFACES_MAX * (INET_ADDRSTRLEN + 4)];
			any |= source(t, r->from[s], one, sizeof(one));
			if (one[0])
				fprintf(ff, "%s%s", first ? "" : ", ", one), first = false;
			fprintf(fw, " %s", r->from[s]);
		}
		fclose(ff);
		fclose(fw);
		if (any)
			fprintf(f, "\t\t%s dport %d accept comment \"%s\"\n", r->proto, r->port, what);
		else
			fprintf(f, "\t\tip saddr { %s } %s dport %d accept comment \"%s\"\n", from, r->proto, r->port, what);
		free(from);
		free(what);
	}
	fprintf(f, "\t\tcounter comment \"dropped: new and not allowed\"\n"
		   "\t}\n"
		   "}\n");
	fclose(f);
	return text;
}
