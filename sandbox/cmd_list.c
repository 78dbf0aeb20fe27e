/* cmd_list.c — `stacklab list`: the labs that are up on this machine. */
#include <string.h>

#include "cli.h"
#include "util.h"

int cmd_list(int argc, char **argv)
{
	if (argc > 1) {
		bool h = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
		fprintf(h ? stdout : stderr, "usage: stacklab list\n\nList the labs that are up: name, topology, nodes, daemon pid.\n");
		return h ? EXIT_OK : EXIT_USAGE;
	}
	char **labs = cli_labs_up();
	if (!labs[0])
		printf("no lab is up\n");
	else
		printf("%-16s %-16s %-6s %s\n", "LAB", "TOPOLOGY", "NODES", "PID");
	for (char **l = labs; *l; l++) {
		json_t *st = cli_status("list", *l);
		if (!st)
			continue;
		printf("%-16s %-16s %-6zu %lld\n", *l, json_string_value(json_object_get(st, "topology")),
		       json_array_size(json_object_get(st, "nodes")), json_integer_value(json_object_get(st, "pid")));
		json_decref(st);
	}
	cli_labs_free(labs);
	return EXIT_OK;
}
