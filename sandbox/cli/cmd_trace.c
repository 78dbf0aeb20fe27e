/* cmd_trace.c — `stacklab trace [PATH]`: one request, hop by hop, stitched
 * from the real daemons' log lines. */
#include <string.h>

#include "cli.h"
#include "options.h"
#include "ctl.h"
#include "util.h"

int cmd_trace(int argc, char **argv)
{
	const char *given = NULL;
	bool json = false, packets = false;
	const struct opt opts[] = {
		OPT_LAB(&given),
		{ .name = "packets", .letter = 'p', .kind = OPT_FLAG, .dest = &packets,
		  .help = "also every packet of the request, as the switch saw it:\n"
			  "time, link, from, to, protocol (DNS, ARP, TCP, TLS, HTTP,\n"
			  "FastCGI, SQL) and what it carried" },
		OPT_JSON(&json, "the trace as JSON (packets included)"),
		{ 0 },
	};
	const struct command_line cl = {
		.name = "trace",
		.usage = "stacklab trace [--lab NAME] [--json] [PATH]",
		.about = "Send one HTTPS request from the client with a fresh X-Request-ID and show\n"
			 "its path through the lab: the DNS query, the load balancer, the web server,\n"
			 "the application and its SQL, and the response. Each hop shows its node, the\n"
			 "link it crossed, its time and the daemon's own log line, with a short\n"
			 "explanation (scenarios/trace.ini). A request that failed shows where it\n"
			 "stopped.",
		.opts = opts,
		.args_max = 1,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	const char *path = first < argc ? argv[first] : "/";
	_cleanup_free_ char *lab = cli_pick_lab("trace", given);
	if (!lab)
		return EXIT_FAIL;
	json_t *req = json_pack("{s:s, s:s}", "cmd", "trace", "path", path);
	json_t *t = cli_request("trace", lab, req);
	json_decref(req);
	if (!t)
		return EXIT_FAIL;
	if (json) {
		json_dumpf(t, stdout, CTL_JSON_PRETTY);
		putchar('\n');
	} else {
		const char *stopped = json_string_value(json_object_get(t, "stopped_at"));
		printf("trace %s  GET %s → ", json_string_value(json_object_get(t, "rid")),
		       json_string_value(json_object_get(t, "url")));
		if (json_integer_value(json_object_get(t, "status")))
			printf("%lld in %.1f ms", json_integer_value(json_object_get(t, "status")),
			       json_real_value(json_object_get(t, "ms")));
		else
			printf("no answer (curl exit %lld)", json_integer_value(json_object_get(t, "curl")));
		printf("%s%s\n", stopped ? ", stopped at " : "", stopped ? stopped : "");
		size_t i;
		json_t *h;
		json_array_foreach(json_object_get(t, "hops"), i, h) {
			printf("\n%2zu  %-8s %-6s %s", i + 1, json_string_value(json_object_get(h, "hop")),
			       json_string_value(json_object_get(h, "node")), json_string_value(json_object_get(h, "link")));
			if (json_object_get(h, "at_ms"))
				printf("  at +%.1f ms", json_real_value(json_object_get(h, "at_ms")));
			if (json_object_get(h, "ms"))
				printf("  (%.1f ms)", json_real_value(json_object_get(h, "ms")));
			char raw[2048];
			snprintf(raw, sizeof(raw), "%s", json_string_value(json_object_get(h, "line")));
			for (char *ch = raw; *ch; ch++) /* MariaDB's log has tabs */
				if (*ch == '\t')
					*ch = ' ';
			printf("\n    %s\n    | %s\n", json_string_value(json_object_get(h, "explain")), raw);
		}
		json_t *list = json_object_get(t, "packets"), *p;
		if (packets && json_array_size(list)) {
			printf("\npackets, as the switch saw them:\n%9s  %-12s %-20s %-20s %-8s %s\n", "ms", "link", "from", "to",
			       "proto", "what");
			json_array_foreach(list, i, p)
				printf("%9.1f  %-12s %-20s %-20s %-8s %.70s\n", json_real_value(json_object_get(p, "ms")),
				       json_string_value(json_object_get(p, "link")), json_string_value(json_object_get(p, "from")),
				       json_string_value(json_object_get(p, "to")), json_string_value(json_object_get(p, "proto")),
				       json_string_value(json_object_get(p, "what")));
		} else if (packets) {
			printf("\nno packet was seen\n");
		} else if (json_array_size(list)) {
			printf("\n(%zu packets: stacklab trace --packets)\n", json_array_size(list));
		}
	}
	int status = (int)json_integer_value(json_object_get(t, "status"));
	json_decref(t);
	return status >= 200 && status < 400 ? EXIT_OK : EXIT_FAIL;
}
