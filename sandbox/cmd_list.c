/* cmd_list.c — `stacklab list`: the labs that are up on this machine. */
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"
#include "util.h"

int cmd_list(int argc, char **argv)
{
	bool json = argc > 1 && (strcmp(argv[1], "--json") == 0 || strcmp(argv[1], "-j") == 0);
	if (argc > 2 || (argc > 1 && !json)) {
		bool h = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
		fprintf(h ? stdout : stderr, "usage: stacklab list [--json]\n\nList the labs that are up: name, topology, "
						"nodes, daemon pid.\n\n  -j, --json  as JSON\n");
		return h ? EXIT_OK : EXIT_USAGE;
	}
	char **labs = cli_labs_up();
	json_t *all = json_array();
	if (!labs[0] && !json && geteuid() != 0 && cli_any_lab_dir())
		fprintf(stderr, "stacklab list: needs root (or a lab's watch group) to see the labs that are up (try: sudo stacklab list)\n");
	else if (!labs[0] && !json)
		printf("no lab is up\n");
	else if (!json)
		printf("%-16s %-16s %-6s %s\n", "LAB", "TOPOLOGY", "NODES", "PID");
	for (char **l = labs; *l; l++) {
		json_t *st = cli_status("list", *l);
		if (!st)
			continue;
		if (json)
			json_array_append_new(all, json_pack("{s:s, s:s, s:i, s:I}", "lab", *l, "topology",
							     json_string_value(json_object_get(st, "topology")), "nodes",
							     (int)json_array_size(json_object_get(st, "nodes")), "pid",
							     json_integer_value(json_object_get(st, "pid"))));
		else
			printf("%-16s %-16s %-6zu %lld\n", *l, json_string_value(json_object_get(st, "topology")),
			       json_array_size(json_object_get(st, "nodes")), json_integer_value(json_object_get(st, "pid")));
		json_decref(st);
	}
	if (json) {
		json_dumpf(all, stdout, CTL_JSON_PRETTY);
		putchar('\n');
	}
	json_decref(all);
	cli_labs_free(labs);
	return EXIT_OK;
}
