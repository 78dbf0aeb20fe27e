/* cmd_list.c — `stacklab list`: the labs that are up on this machine. */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"
#include "paths.h"
#include "util.h"

static void list_help(FILE *out)
{
	fprintf(out, "usage: stacklab list [--all] [--json]\n\n"
		     "List the labs that are up: name, topology, nodes, daemon pid. Your own labs,\n"
		     "and root's labs whose watch group you are in.\n\n"
		     "  -a, --all   root: every user's labs too, as USER/NAME (a lab whose owner\n"
		     "              has not let root watch it shows its name and pid only)\n"
		     "  -j, --json  as JSON\n"
		     "  -h, --help  show this help\n");
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, all = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ajh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'j': json = true; break;
		case 'h': list_help(stdout); return EXIT_OK;
		default: list_help(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "stacklab list: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
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
