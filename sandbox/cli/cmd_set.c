/* cmd_set.c — `stacklab set`: change a setting of a running lab, as an
 * operator changes a live system (config rewritten, daemon reloaded). */
#include <string.h>

#include "cli.h"
#include "options.h"
#include "util.h"

int cmd_set(int argc, char **argv)
{
	const char *given = NULL;
	const struct opt opts[] = { OPT_LAB(&given), { 0 } };
	const struct command_line cl = {
		.name = "set",
		.usage = "stacklab set [--lab NAME] LB balance ALGORITHM\n"
			 "stacklab set [--lab NAME] NS www ADDRESS|NODE|VIP\n"
			 "stacklab set [--lab NAME] NS ttl SECONDS",
		.about = "Change a running lab as an operator would: the config is rewritten in the\n"
			 "node, checked, and the daemon told to read it again.\n\n"
			 "balance, on a load balancer LB: how HAProxy spreads requests over the web\n"
			 "servers. It is checked (haproxy -c) and reloaded by HAProxy's master: new\n"
			 "workers take new connections, the old ones finish theirs, so no request is lost.\n"
			 "  roundrobin    each server in turn\n"
			 "  leastconn     the server with the fewest connections open\n"
			 "  source        a hash of the client's address: one client, one server\n"
			 "  first, static-rr, uri\n\n"
			 "www and ttl, on NS, a server of the lab's domain: where www and the apex point\n"
			 "(an address, or a node's or vip's), and the TTL of the domain's records. The\n"
			 "zone gets a new serial on every server of it, is checked (nsd-checkzone) and\n"
			 "NSD reads it again. Resolvers keep their cached answer until its TTL runs out:\n"
			 "`stacklab dns cache` shows how long.",
		.opts = opts,
		.args_max = ARGS_ANY,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	if (argc - first != 3) {
		fprintf(stderr, "stacklab set: expected NODE KEY VALUE: LB balance ALGORITHM, or NS www|ttl VALUE "
				"(see stacklab set --help)\n");
		return EXIT_USAGE;
	}
	_cleanup_free_ char *lab = cli_pick_lab("set", given);
	if (!lab)
		return EXIT_FAIL;
	json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "cmd", "set", "node", argv[first], "key", argv[first + 1], "value",
				argv[first + 2]);
	json_t *reply = cli_request("set", lab, req);
	json_decref(req);
	if (!reply)
		return EXIT_FAIL;
	printf("%s: %s %s (was %s), %s reloaded", json_string_value(json_object_get(reply, "node")),
	       json_string_value(json_object_get(reply, "key")), json_string_value(json_object_get(reply, "value")),
	       json_string_value(json_object_get(reply, "was")), json_string_value(json_object_get(reply, "reloaded")));
	if (json_object_get(reply, "serial"))
		printf(", zone serial %lld", (long long)json_integer_value(json_object_get(reply, "serial")));
	printf("\n");
	json_decref(reply);
	return EXIT_OK;
}
