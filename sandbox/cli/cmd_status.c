/* cmd_status.c — `stacklab status`: the lab's nodes, addresses and state. */
#include <string.h>
#include <time.h>

#include "cli.h"
#include "options.h"
#include "ctl.h"
#include "util.h"

/* A database's part in replication, on a line of its own. */
static void print_replication(json_t *r)
{
	if (!r)
		return;
	char paint[64], lag[64] = "";
	json_t *h;
	size_t k;
	if (strcmp(ctl_str(r, "role"), "primary") == 0) {
		printf("%-10s primary: copied by", "");
		json_array_foreach(json_object_get(r, "replicas"), k, h)
			printf(" %s", json_string_value(h));
		printf(" (binary log at %s)\n", json_string_value(json_object_get(r, "binlog")));
		return;
	}
	json_t *behind = json_object_get(r, "seconds_behind"), *n = json_object_get(r, "lag");
	if (json_is_integer(n))
		snprintf(lag, sizeof(lag), ", %lld transaction%s behind", json_integer_value(n),
			 json_integer_value(n) == 1 ? "" : "s");
	printf("%-10s replica of %s: io %s, sql %s, ", "", json_string_value(json_object_get(r, "primary")),
	       cli_paint(paint, sizeof(paint), json_string_value(json_object_get(r, "io")), 0),
	       json_string_value(json_object_get(r, "sql")));
	if (json_is_integer(behind))
		printf("%lld s late%s (applied %s)\n", json_integer_value(behind), lag,
		       json_string_value(json_object_get(r, "applied")));
	else
		printf("not replicating%s\n", lag);
	const char *e = json_string_value(json_object_get(r, "error"));
	if (e && strcmp(e, "-") != 0)
		printf("%-10s   last error: %s\n", "", e);
}

static void print_status(json_t *st)
{
	time_t started = (time_t)json_integer_value(json_object_get(st, "started"));
	long up = (long)(time(NULL) - started);
	printf("lab %s — topology %s: %s\n", json_string_value(json_object_get(st, "lab")),
	       json_string_value(json_object_get(st, "topology")), json_string_value(json_object_get(st, "title")));
	printf("daemon pid %lld, up %ldm%02lds\n", json_integer_value(json_object_get(st, "pid")), up / 60, up % 60);
	if (json_is_false(json_object_get(st, "memory_bounded")))
		printf("nodes' memory: not bounded (no memory cgroup for the lab: a node may take all of the machine's)\n");
	putchar('\n');

	size_t i, k;
	json_t *n, *ifc, *d;
	int rw = 7; /* a server of several roles: "web app db" */
	json_array_foreach(json_object_get(st, "nodes"), i, n)
		if ((int)strlen(ctl_str(n, "role")) > rw)
			rw = (int)strlen(ctl_str(n, "role"));
	printf("%-10s %-*s %-9s %-8s %s\n", "NODE", rw, "ROLE", "STATE", "PID", "INTERFACES");
	json_array_foreach(json_object_get(st, "nodes"), i, n) {
		char paint[64];
		printf("%-10s %-*s %s %-8lld", json_string_value(json_object_get(n, "name")), rw,
		       json_string_value(json_object_get(n, "role")),
		       cli_paint(paint, sizeof(paint), json_string_value(json_object_get(n, "state")), 9),
		       json_integer_value(json_object_get(n, "pid")));
		json_array_foreach(json_object_get(n, "interfaces"), k, ifc)
			printf(" %s %s/%lld (%s)", json_string_value(json_object_get(ifc, "name")),
			       json_string_value(json_object_get(ifc, "address")),
			       json_integer_value(json_object_get(ifc, "prefix")),
			       json_string_value(json_object_get(ifc, "network")));
		putchar('\n');
		if (json_array_size(json_object_get(n, "daemons")) || json_object_get(n, "vrrp")) {
			printf("%-10s", "");
			json_array_foreach(json_object_get(n, "daemons"), k, d)
				printf(" %s %s", json_string_value(json_object_get(d, "name")),
				       cli_paint(paint, sizeof(paint), json_string_value(json_object_get(d, "state")), 0));
			if (json_object_get(n, "vrrp"))
				printf(", vrrp %s", cli_paint(paint, sizeof(paint), json_string_value(json_object_get(n, "vrrp")), 0));
			json_array_foreach(json_object_get(n, "servers"), k, d)
				printf(", %s/%s %s", json_string_value(json_object_get(d, "backend")),
				       json_string_value(json_object_get(d, "server")),
				       cli_paint(paint, sizeof(paint), json_string_value(json_object_get(d, "state")), 0));
			if (json_object_get(n, "balance"))
				printf(", balance %s", json_string_value(json_object_get(n, "balance")));
			if (json_is_number(json_object_get(n, "qps")))
				printf(", %.1f requests/s, %.1f of them 5xx (Prometheus)", json_number_value(json_object_get(n, "qps")),
				       json_is_number(json_object_get(n, "qps_5xx")) ? json_number_value(json_object_get(n, "qps_5xx")) : 0.0);
			putchar('\n');
		}
		print_replication(json_object_get(n, "replication"));
		json_t *mem = json_object_get(n, "memory");
		if (mem)
			printf("%-10s memory %lld MiB%s\n", "", json_integer_value(json_object_get(mem, "mib")),
			       json_is_true(json_object_get(mem, "bounded")) ? "" : " asked, not in force (no memory cgroup here)");
		json_t *cpu = json_object_get(n, "cpu");
		if (cpu)
			printf("%-10s cpu %g cores%s\n", "", json_number_value(json_object_get(cpu, "cores")),
			       json_is_true(json_object_get(cpu, "capped")) ? "" : " asked, not in force (no cpu cgroup here)");
		json_t *fw = json_object_get(n, "firewall");
		if (fw) {
			printf("%-10s firewall %s: allows", "", cli_paint(paint, sizeof(paint),
									 strcmp(ctl_str(fw, "state"), "on") == 0
										 ? "on" : "OFF", 0));
			json_array_foreach(json_object_get(fw, "allow"), k, d)
				printf("%s %s", k ? "," : "", json_string_value(d));
			printf("; drops the rest\n");
		}
	}
	json_t *net;
	putchar('\n');
	json_array_foreach(json_object_get(st, "networks"), i, net)
		printf("network %-9s %-18s bridge %s\n", json_string_value(json_object_get(net, "name")),
		       json_string_value(json_object_get(net, "subnet")), json_string_value(json_object_get(net, "bridge")));
	json_t *vip, *h;
	json_array_foreach(json_object_get(st, "vips"), i, vip) {
		printf("vip %s %s (%s): held by", json_string_value(json_object_get(vip, "name")),
		       json_string_value(json_object_get(vip, "address")), json_string_value(json_object_get(vip, "network")));
		json_array_foreach(json_object_get(vip, "held_by"), k, h)
			printf(" %s", json_string_value(h));
		printf("%s; may move to", json_array_size(json_object_get(vip, "held_by")) == 0 ? " nobody"
				: json_array_size(json_object_get(vip, "held_by")) > 1 ? " (split brain)" : "");
		json_array_foreach(json_object_get(vip, "holders"), k, h)
			printf(" %s", json_string_value(h));
		putchar('\n');
		/* Where the clients send the VIP's packets: what users get. */
		json_array_foreach(json_object_get(vip, "neighbours"), k, h) {
			const char *to = json_string_value(json_object_get(h, "points_to"));
			printf("    %s sends %s to %s (%s, %s)\n", json_string_value(json_object_get(h, "node")),
			       json_string_value(json_object_get(vip, "address")), json_string_value(json_object_get(h, "mac")),
			       to ? to : "no holder's MAC", json_string_value(json_object_get(h, "state")));
		}
	}
	json_t *zone = json_object_get(st, "zone");
	if (json_is_object(zone)) {
		printf("zone %s: www %s, TTL %lld s, serial %lld, served by", json_string_value(json_object_get(zone, "name")),
		       json_string_value(json_object_get(zone, "www")), json_integer_value(json_object_get(zone, "ttl")),
		       json_integer_value(json_object_get(zone, "serial")));
		json_array_foreach(json_object_get(zone, "servers"), k, h)
			printf(" %s", json_string_value(h));
		printf("%s\n", json_is_true(json_object_get(zone, "changed")) ? " (changed by stacklab set)" : "");
	}
	json_t *f;
	json_array_foreach(json_object_get(st, "faults"), i, f)
		printf("fault   %s: %s%s%s\n", json_string_value(json_object_get(f, "node")),
		       json_string_value(json_object_get(f, "what")), json_object_get(f, "link") ? " on " : "",
		       json_object_get(f, "link") ? json_string_value(json_object_get(f, "link")) : "");
	json_t *pub = json_object_get(st, "publish");
	if (json_is_object(pub)) {
		printf("\nthe site on this host: %s\n", json_string_value(json_object_get(pub, "url")));
		if (json_object_get(pub, "prometheus_url"))
			printf("  the monitor's Prometheus: %s\n", json_string_value(json_object_get(pub, "prometheus_url")));
		bool tls = !json_is_false(json_object_get(st, "https"));
		printf("  curl --resolve %s%s%s %s\n", json_string_value(json_object_get(pub, "resolve")),
		       tls ? " --cacert " : "", tls ? json_string_value(json_object_get(pub, "ca")) : "",
		       json_string_value(json_object_get(pub, "url")));
		printf("  in a browser: add \"%s www.%s\" to /etc/hosts%s%s\n",
		       json_string_value(json_object_get(pub, "address")), json_string_value(json_object_get(st, "domain")),
		       tls ? " and import the lab CA " : "", tls ? json_string_value(json_object_get(pub, "ca")) : "");
	}
}

int cmd_status(int argc, char **argv)
{
	const char *given = NULL;
	bool json = false, names = false;
	const struct opt opts[] = {
		OPT_LAB(&given),
		OPT_JSON(&json, "print the daemon's answer as JSON"),
		{ .name = "nodes", .kind = OPT_FLAG, .dest = &names,
		  .help = "only the names of its nodes and links, one a line (what\n"
			  "fail, heal, exec and logs take; for completion)" },
		{ 0 },
	};
	const struct command_line cl = {
		.name = "status",
		.usage = "stacklab status [--lab NAME] [--json | --nodes]",
		.about = "Show a lab's nodes (role, state, init pid, addresses), networks and VIPs,\n"
			 "and where the clients send the VIP's packets (their ARP entry).",
		.opts = opts,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	_cleanup_free_ char *lab = cli_pick_lab("status", given);
	if (!lab)
		return EXIT_FAIL;
	json_t *st = cli_status("status", lab);
	if (!st)
		return EXIT_FAIL;
	if (names) {
		size_t i, k;
		json_t *n, *ifc;
		json_array_foreach(json_object_get(st, "nodes"), i, n)
			printf("%s\n", json_string_value(json_object_get(n, "name")));
		json_array_foreach(json_object_get(st, "nodes"), i, n)
			json_array_foreach(json_object_get(n, "interfaces"), k, ifc)
				printf("%s\n", json_string_value(json_object_get(ifc, "link")));
	} else if (json) {
		json_dumpf(st, stdout, CTL_JSON_PRETTY);
		putchar('\n');
	} else {
		print_status(st);
	}
	json_decref(st);
	return EXIT_OK;
}
