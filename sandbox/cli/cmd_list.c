/* cmd_list.c — `stacklab list`: the labs that are up on this machine. */
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "ctl.h"
#include "paths.h"
#include "util.h"

int cmd_list(int argc, char **argv)
{
	bool json = false, all = false;
	const struct opt opts[] = {
		{ .name = "all", .letter = 'a', .kind = OPT_FLAG, .dest = &all,
		  .help = "root: every user's labs too, as USER/NAME (a lab whose owner\n"
			  "has not let root watch it shows its name and pid only)" },
		OPT_JSON(&json, "as JSON"),
		{ 0 },
	};
	const struct command_line cl = {
		.name = "list",
		.usage = "stacklab list [--all] [--json]",
		.about = "List the labs that are up: name, topology, nodes, daemon pid. Your own labs,\n"
			 "and root's labs whose watch group you are in.",
		.opts = opts,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	if (all && rootless()) {
		fprintf(stderr, "stacklab list: --all is root's: a user sees their own labs (and root's they may watch)\n");
		return EXIT_FAIL;
	}
	char **labs = all ? cli_labs_all() : cli_labs_up();
	json_t *out = json_array();
	if (!labs[0] && !json && rootless())
		printf("no lab of yours is up (stacklab up starts one)\n");
	else if (!labs[0] && !json)
		printf("no lab is up\n");
	else if (!json)
		printf("%-24s %-16s %-6s %s\n", "LAB", "TOPOLOGY", "NODES", "PID");
	for (char **l = labs; *l; l++) {
		json_t *req = json_pack("{s:s}", "cmd", "status"), *st = NULL;
		struct ucred peer = { 0 };
		int r = ctl_call_peer(*l, req, &st, &peer);
		json_decref(req);
		bool shown = r == 0 && json_is_true(json_object_get(st, "ok"));
		/* Who listens is the kernel's word (SO_PEERCRED), never the
		 * daemon's: a user's daemon may say anything of itself. */
		long long pid = r == 0 ? peer.pid : ctl_peer_pid(*l);
		const char *topology = shown ? json_string_value(json_object_get(st, "topology")) : NULL;
		if (shown && !topology)
			topology = "?";
		int nodes = shown ? (int)json_array_size(json_object_get(st, "nodes")) : -1;
		if (r == 0 || all) {
			if (json) {
				json_t *o = json_pack("{s:s, s:I}", "lab", *l, "pid", (json_int_t)pid);
				if (shown)
					json_object_update_new(o, json_pack("{s:s, s:i}", "topology", topology, "nodes", nodes));
				json_array_append_new(out, o);
			} else if (shown) {
				printf("%-24s %-16s %-6d %lld\n", *l, topology, nodes, pid);
			} else {
				printf("%-24s %-16s %-6s %lld\n", *l, "(not shared)", "-", pid);
			}
		}
		json_decref(st);
	}
	if (json) {
		json_dumpf(out, stdout, CTL_JSON_PRETTY);
		putchar('\n');
	}
	json_decref(out);
	cli_labs_free(labs);
	return EXIT_OK;
}
