/* firewall.c — a node's nftables firewall, rendered from its `allow` lines.
 *
 * A node with rules drops every new connection but those its rules allow;
 * what it opened itself (replies: established, related), its loopback,
 * ICMP and VRRP always pass. The ruleset is made by the lab from the
 * topology and handed to nft on its standard input, run inside the node's
 * network namespace with CAP_NET_ADMIN for that one command: the node's
 * own root cannot change its firewall (it lacks the capability), and
 * nothing the node wrote is read. `fail NODE firewall off` deletes the
 * table; heal loads it again. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <string.h>

#include "lab.h"
#include "node.h"
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
		   "\t\tiif \"lo\" accept\n"
		   "\t\tct state established,related accept\n"
		   "\t\tip protocol icmp accept\n"
		   "\t\tip protocol vrrp accept\n",
		n->name);
	for (int k = 0; k < n->n_rules; k++) {
		const struct topo_rule *r = &n->rules[k];
		char from[512] = "", what[160];
		bool any = false;
		snprintf(what, sizeof(what), "allow %s %d from", r->proto, r->port);
		for (int s = 0; s < r->n_from; s++) {
			char one[256];
			any |= source(t, r->from[s], one, sizeof(one));
			if (one[0])
				snprintf(from + strlen(from), sizeof(from) - strlen(from), "%s%s", from[0] ? ", " : "", one);
			snprintf(what + strlen(what), sizeof(what) - strlen(what), " %s", r->from[s]);
		}
		if (any)
			fprintf(f, "\t\t%s dport %d accept comment \"%s\"\n", r->proto, r->port, what);
		else
			fprintf(f, "\t\tip saddr { %s } %s dport %d accept comment \"%s\"\n", from, r->proto, r->port, what);
	}
	fprintf(f, "\t\tcounter comment \"dropped: new and not allowed\"\n"
		   "\t}\n"
		   "}\n");
	fclose(f);
	return text;
}

int lab_firewall(struct lab *lab, int i, bool on, struct sl_error *err)
{
	const struct topo_node *n = &lab->topo->nodes[i];
	if (n->n_rules == 0)
		return 0;
	static const int net_admin[] = { CAP_NET_ADMIN, -1 };
	struct node_door door = lab_door(lab, i);
	door.extra_caps = net_admin;
	_cleanup_free_ char *rules = on ? firewall_ruleset(lab->topo, n) : NULL;
	/* Loading replaces: the table goes first if it is there. */
	char *argv[] = { "/bin/sh", "-c",
			 on ? "{ nft list table inet stacklab >/dev/null 2>&1 && nft delete table inet stacklab; "
			      "printf '%s' \"$1\" | nft -f /dev/stdin; } 2>&1"
			    : "nft delete table inet stacklab 2>&1",
			 "sh", rules, NULL };
	char out[512] = "";
	int r = node_run(&door, argv, out, sizeof(out), 3000);
	if (r == 0) {
		lab->nodes[i].firewall = on ? FIREWALL_ON : FIREWALL_OFF;
		return 0;
	}
	text_clean(out);
	return sl_err(err, r < 0 ? -r : EIO, "node %s: nft %s: %s", n->name, on ? "load" : "delete",
		      r == -ETIMEDOUT ? "no answer in 3 s" : r < 0 ? strerror(-r) : out[0] ? out : r == 126 ? "could not enter the node" : "failed (no output)");
}
