/* cmd_events.c — `stacklab events`: the lab's event stream, as readable text
 * or as the JSON lines the control socket carries. */
#include <errno.h>
#include <math.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "options.h"
#include "ctl.h"
#include "util.h"

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
	const char *given = NULL, *filter = NULL;
	bool json = false, traffic = false, logs = false, all = false;
	long count = -1;
	const struct opt opts[] = {
		OPT_LAB(&given),
		OPT_JSON(&json, "one JSON object per line, as the control socket sends them"),
		/* no -t: it is --topology elsewhere */
		{ .name = "traffic", .kind = OPT_FLAG, .dest = &traffic,
		  .help = "the traffic generator's results too (one per request)" },
		{ .name = "logs", .letter = 'L', .kind = OPT_FLAG, .dest = &logs, .help = "the daemons' log lines too" },
		{ .name = "all", .letter = 'a', .kind = OPT_FLAG, .dest = &all,
		  .help = "everything, link rates (each second) included" },
		{ .name = "filter", .letter = 'f', .kind = OPT_STRING, .dest = &filter, .value = "WHAT",
		  .help = "only events of these kinds (node, daemon, vrrp, vip, backend,\n"
			  "fault, incident, traffic, traffic-state, log, links) or\n"
			  "about these nodes, comma-separated: --filter fault,vrrp,lb1" },
		{ .name = "count", .letter = 'c', .kind = OPT_NUMBER, .dest = &count, .value = "N", .min = 1, .max = LONG_MAX,
		  .help = "stop after N events" },
		{ 0 },
	};
	const struct command_line cl = {
		.name = "events",
		.usage = "stacklab events [--lab NAME] [--json] [--traffic] [--logs] [--all]\n"
			 "               [--filter KIND|NODE] [--count N]",
		.about = "Print the lab's events as they happen: node and daemon states, VRRP\n"
			 "states and who holds the VIP, HAProxy's view of its servers, faults and\n"
			 "heals and their incident cards (stacklab incidents). Traffic results and\n"
			 "the daemons' own log lines come only when asked for.",
		.opts = opts,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
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
	_cleanup_free_ char *lab = cli_pick_lab("events", given);
	if (!lab)
		return EXIT_FAIL;
	_cleanup_close_ int fd = cli_subscribe("events", lab, filter ? filter : "");
	if (fd < 0)
		return EXIT_FAIL;
	struct show how = { json, all || (filter && strstr(filter, "links")), count };
	return cli_follow("events", lab, fd, show_event, &how);
}
