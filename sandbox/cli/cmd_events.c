/* cmd_events.c — `stacklab events`: the lab's event stream, as readable text
 * or as the JSON lines the control socket carries. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ctl.h"
#include "util.h"

static void help(FILE *out)
{
	fprintf(out, "usage: stacklab events [--lab NAME] [--json] [--traffic] [--logs] [--all]\n"
		     "                      [--filter KIND|NODE] [--count N]\n\n"
		     "Print the lab's events as they happen: node and daemon states, VRRP\n"
		     "states and who holds the VIP, HAProxy's view of its servers, faults and\n"
		     "heals and their incident cards (stacklab incidents). Traffic results and\n"
		     "the daemons' own log lines come only when asked for.\n\n"
		     "  -l, --lab NAME      the lab (default: the only lab that is up)\n"
		     "  -j, --json          one JSON object per line, as the control socket sends them\n"
		     "      --traffic       the traffic generator's results too (one per request)\n"
		     "  -L, --logs          the daemons' log lines too\n"
		     "  -a, --all           everything, link rates (each second) included\n"
		     "  -f, --filter WHAT   only events of these kinds (node, daemon, vrrp, vip, backend,\n"
		     "                      fault, incident, traffic, traffic-state, log, links) or\n"
		     "                      about these nodes, comma-separated: --filter fault,vrrp,lb1\n"
		     "  -c, --count N       stop after N events\n"
		     "  -h, --help          show this help\n");
}

static const char *str(json_t *ev, const char *key)
{
	const char *s = json_string_value(json_object_get(ev, key));
	return s ? s : "-";
}

static void print_text(json_t *ev)
{
	double t = json_real_value(json_object_get(ev, "time"));
	time_t secs = (time_t)t;
	struct tm tm;
	localtime_r(&secs, &tm);
	char when[32];
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	printf("%s.%03d  %-8s ", when, (int)((t - floor(t)) * 1000), str(ev, "kind"));
	const char *kind = str(ev, "kind");
	if (strcmp(kind, "node") == 0)
		printf("%-8s %s (was %s)\n", str(ev, "node"), str(ev, "state"), str(ev, "previous"));
	else if (strcmp(kind, "daemon") == 0)
		printf("%-8s %s %s%s%s\n", str(ev, "node"), str(ev, "daemon"), str(ev, "state"),
		       json_object_get(ev, "how") ? ": " : "", json_object_get(ev, "how") ? str(ev, "how") : "");
	else if (strcmp(kind, "vrrp") == 0)
		printf("%-8s %s %s (was %s)\n", str(ev, "node"), str(ev, "instance"), str(ev, "state"), str(ev, "previous"));
	else if (strcmp(kind, "vip") == 0) {
		json_t *h = json_object_get(ev, "holders");
		printf("%-8s %s held by", str(ev, "vip"), str(ev, "address"));
		size_t i;
		json_t *v;
		json_array_foreach(h, i, v) printf(" %s", json_string_value(v));
		printf("%s\n", json_array_size(h) == 0 ? " nobody" : json_array_size(h) > 1 ? "  (split brain)" : "");
	} else if (strcmp(kind, "backend") == 0)
		printf("%-8s %s/%s %s\n", str(ev, "node"), str(ev, "backend"), str(ev, "server"), str(ev, "state"));
	else if (strcmp(kind, "fault") == 0)
		printf("%-8s %s %s%s%s%s%s\n", str(ev, "node"), str(ev, "action"), str(ev, "what"),
		       json_object_get(ev, "link") ? " on " : "", json_object_get(ev, "link") ? str(ev, "link") : "",
		       json_object_get(ev, "other") ? " and " : "", json_object_get(ev, "other") ? str(ev, "other") : "");
	else if (strcmp(kind, "traffic-state") == 0) {
		if (json_object_get(ev, "rate"))
			printf("%s at %lld requests/s\n", str(ev, "state"), json_integer_value(json_object_get(ev, "rate")));
		else
			printf("%s\n", str(ev, "state"));
	} else if (strcmp(kind, "incident") == 0) {
		json_t *u = json_object_get(ev, "users"), *f = json_object_get(ev, "followed");
		json_t *last = json_array_get(f, json_array_size(f) - 1);
		printf("#%lld %s%s: %zu things followed%s%s%s, users %lld ok %lld failed\n",
		       json_integer_value(json_object_get(ev, "id")), str(ev, "what"),
		       json_is_true(json_object_get(ev, "open")) ? "" : " (closed)", json_array_size(f),
		       last ? " (last: " : "", last ? str(last, "what") : "", last ? ")" : "",
		       json_integer_value(json_object_get(u, "ok")), json_integer_value(json_object_get(u, "failed")));
	} else if (strcmp(kind, "log") == 0)
		printf("%-8s %s| %s\n", str(ev, "node"), str(ev, "daemon"), str(ev, "line"));
	else if (strcmp(kind, "traffic") == 0)
		printf("%-8s %3lld %6.1f ms  lb %s web %s app %s\n", str(ev, "result"),
		       json_integer_value(json_object_get(ev, "status")), json_real_value(json_object_get(ev, "ms")),
		       str(ev, "lb"), str(ev, "web"), str(ev, "app"));
	else if (strcmp(kind, "links") == 0) {
		size_t i;
		json_t *l;
		putchar('\n');
		json_array_foreach(json_object_get(ev, "links"), i, l) {
			char rx[16], tx[16];
			format_rate(rx, sizeof(rx), json_real_value(json_object_get(l, "rx_bps")));
			format_rate(tx, sizeof(tx), json_real_value(json_object_get(l, "tx_bps")));
			printf("    %-10s %-4s from node %7sbit/s  to node %7sbit/s\n", str(l, "link"),
			       json_is_true(json_object_get(l, "up")) ? "up" : "DOWN", rx, tx);
		}
	} else {
		char *s = json_dumps(ev, CTL_JSON_FLAGS);
		printf("%s\n", s ? s : "");
		free(s);
	}
}

struct show {
	bool json, links;
	long count;               /* events left to show, or -1 */
};

static bool show_event(json_t *ev, const char *line, void *ctx)
{
	struct show *how = ctx;
	/* Link rates come several times a second: text shows them only when
	 * asked for. */
	const char *kind = json_string_value(json_object_get(ev, "kind"));
	if (!how->json && !how->links && kind && strcmp(kind, "links") == 0)
		return true;
	if (how->json)
		printf("%s\n", line);
	else
		print_text(ev);
	return how->count < 0 || --how->count > 0;
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "filter", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ "traffic", no_argument, NULL, 't' },  /* -t is --topology elsewhere */
		{ "logs", no_argument, NULL, 'L' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *given = NULL, *filter = NULL;
	bool json = false, traffic = false, logs = false, all = false;
	long count = -1;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:jf:c:Lah", opts, NULL)) != -1) {
		switch (c) {
		case 'l': given = optarg; break;
		case 'j': json = true; break;
		case 'f': filter = optarg; break;
		case 'c':
			count = strtol(optarg, NULL, 10);
			if (count <= 0) {
				fprintf(stderr, "stacklab events: --count takes a positive number, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't': traffic = true; break;
		case 'L': logs = true; break;
		case 'a': all = true; break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	if (filter && (traffic || logs || all)) {
		fprintf(stderr, "stacklab events: --filter names what to show; add traffic or log to it instead of --traffic or --logs\n");
		return EXIT_USAGE;
	}
	/* The lab's own events by default: a traffic line a request would
	 * bury a state change. */
	char wanted[160];
	snprintf(wanted, sizeof(wanted), "node,daemon,vrrp,vip,backend,fault,incident,traffic-state%s%s",
		 traffic ? ",traffic" : "", logs ? ",log" : "");
	if (!filter && !all)
		filter = wanted;
	if (optind < argc) {
		fprintf(stderr, "stacklab events: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	_cleanup_free_ char *lab = cli_pick_lab("events", given);
	if (!lab)
		return EXIT_FAIL;
	_cleanup_close_ int fd = cli_subscribe("events", lab, filter ? filter : "");
	if (fd < 0)
		return EXIT_FAIL;
	struct show how = { json, all || (filter && strstr(filter, "links")), count };
	return cli_follow("events", lab, fd, show_event, &how);
}
