/* cmd_traffic.c — `stacklab traffic [start|stop]`: steady HTTPS traffic from
 * the client node, and a summary of how it fares. */
#include <string.h>

#include "cli.h"
#include "options.h"
#include "ctl.h"
#include "util.h"

static void print_summary(json_t *s)
{
	bool running = json_is_true(json_object_get(s, "running"));
	if (!running && json_integer_value(json_object_get(s, "total")) == 0) {
		printf("no traffic has run (stacklab traffic start)\n");
		return;
	}
	printf("traffic %s", running ? "running" : "stopped");
	if (!running && json_string_value(json_object_get(s, "why")))
		printf(" (%s)", json_string_value(json_object_get(s, "why")));
	if (running)
		printf(": %lld requests/s to %s", json_integer_value(json_object_get(s, "rate")),
		       json_string_value(json_object_get(s, "path")));
	printf("\nlast %llds: %.1f requests/s, %lld ok, %lld failed", json_integer_value(json_object_get(s, "window_s")),
	       json_real_value(json_object_get(s, "window_rate")), json_integer_value(json_object_get(s, "window_ok")),
	       json_integer_value(json_object_get(s, "window_errors")));
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(s, "errors"), k, v)
		printf(", %s %lld", k, json_integer_value(v));
	printf("\n  latency p50 %.1f ms, p99 %.1f ms\n", json_real_value(json_object_get(s, "p50_ms")),
	       json_real_value(json_object_get(s, "p99_ms")));
	/* The load balancers' spread over the web servers. */
	json_int_t served = 0;
	json_object_foreach(json_object_get(s, "by_web"), k, v)
		served += json_integer_value(v);
	if (json_object_size(json_object_get(s, "by_web")) > 1 && served > 0) {
		printf("  answered by");
		const char *sep = " ";
		json_object_foreach(json_object_get(s, "by_web"), k, v) {
			printf("%s%s %lld (%.0f%%)", sep, k, json_integer_value(v), 100.0 * (double)json_integer_value(v) / (double)served);
			sep = ", ";
		}
		putchar('\n');
	}
	printf("since start: %lld requests, %lld ok", json_integer_value(json_object_get(s, "total")),
	       json_integer_value(json_object_get(s, "total_ok")));
	json_object_foreach(json_object_get(s, "total_errors"), k, v)
		printf(", %s %lld", k, json_integer_value(v));
	putchar('\n');
}

int cmd_traffic(int argc, char **argv)
{
	const char *given = NULL, *path = "/";
	long rate = 10, seconds = 600, lease = 0;
	bool json = false;
	const struct opt opts[] = {
		{ .name = "rate", .letter = 'r', .kind = OPT_NUMBER, .dest = &rate, .value = "N", .min = 1,
		  .max = TRAFFIC_RATE_MAX, .help = "requests a second, 1 to 1000 (default 10)" },
		{ .name = "path", .kind = OPT_STRING, .dest = &path, .value = "P", .help = "the path to ask for (default /)" },
		{ .name = "seconds", .letter = 's', .kind = OPT_NUMBER, .dest = &seconds, .value = "S", .min = 1,
		  .max = TRAFFIC_SECONDS_MAX, .help = "stop by itself after S seconds (default 600, at most 3600)" },
		{ .name = "lease", .kind = OPT_NUMBER, .dest = &lease, .value = "L", .min = 0, .max = TRAFFIC_SECONDS_MAX,
		  .help = "and sooner, unless renewed (stacklab traffic renew) within L\n"
			  "seconds: traffic that lasts as long as what keeps it (a lesson)" },
		OPT_JSON(&json, "the answer as JSON"),
		OPT_LAB(&given),
		{ 0 },
	};
	const struct command_line cl = {
		.name = "traffic",
		.usage = "stacklab traffic [--lab NAME]                      show how the traffic fares\n"
			 "stacklab traffic [--lab NAME] start [--rate N] [--path P] [--seconds S] [--lease L]\n"
			 "stacklab traffic [--lab NAME] stop\n"
			 "stacklab traffic [--lab NAME] renew",
		.about = "A steady stream of HTTPS requests from the client node to www.DOMAIN,\n"
			 "resolved through the lab's DNS, each on a fresh connection; every result\n"
			 "is an event (stacklab events --filter traffic).",
		.opts = opts,
		.args_max = ARGS_ANY,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	const char *action = first < argc ? argv[first++] : "status";
	if (first < argc ||
	    (strcmp(action, "start") && strcmp(action, "stop") && strcmp(action, "renew") && strcmp(action, "status"))) {
		fprintf(stderr, "stacklab traffic: expected start, stop, renew or nothing, not '%s'\n",
			first < argc ? argv[first] : action);
		return EXIT_USAGE;
	}
	_cleanup_free_ char *lab = cli_pick_lab("traffic", given);
	if (!lab)
		return EXIT_FAIL;
	json_t *req = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I}", "cmd", "traffic", "action", action, "rate",
				(json_int_t)rate, "path", path, "seconds", (json_int_t)seconds, "lease", (json_int_t)lease);
	json_t *reply = cli_request("traffic", lab, req);
	json_decref(req);
	if (!reply)
		return EXIT_FAIL;
	if (json) {
		json_object_del(reply, "ok");
		json_dumpf(reply, stdout, CTL_JSON_PRETTY);
		putchar('\n');
	} else if (strcmp(action, "start") == 0) {
		printf("traffic started: %lld requests/s from %s to %s for at most %lld s",
		       json_integer_value(json_object_get(reply, "rate")), json_string_value(json_object_get(reply, "node")),
		       json_string_value(json_object_get(reply, "url")), json_integer_value(json_object_get(reply, "seconds")));
		if (json_integer_value(json_object_get(reply, "lease")) > 0)
			printf(", and %lld s after its last renewal (stacklab traffic renew)",
			       json_integer_value(json_object_get(reply, "lease")));
		putchar('\n');
	} else if (strcmp(action, "renew") == 0)
		printf("traffic renewed: it goes on %lld s more, unless renewed again\n", json_integer_value(json_object_get(reply, "lease")));
	else
		print_summary(reply);
	json_decref(reply);
	return EXIT_OK;
}
