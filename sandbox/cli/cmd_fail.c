/* cmd_fail.c — `stacklab fail` and `stacklab heal`: inject a failure into a
 * running lab, and undo it. The daemon checks the request and says what is
 * wrong with it. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "faults.h"
#include "util.h"

static void fail_help(FILE *out)
{
	fault_words_help(out);
	fprintf(out, "\n"
		     "  -l, --lab NAME  the lab (default: the only lab that is up)\n"
		     "      --list      the faults' words, one a line (for scripts)\n"
		     "  -h, --help      show this help\n");
}

static void heal_help(FILE *out)
{
	char node[128] = "", link[128] = "";
	for (size_t i = 0; i < fault_words_n; i++) {
		const struct fault_word *w = &fault_words[i];
		char *list = w->on == FAULT_ON_LINK ? link : node;
		snprintf(list + strlen(list), sizeof(node) - strlen(list), "%s%s", *list ? ", " : "", w->name);
	}
	fprintf(out, "usage: stacklab heal [--lab NAME] NODE|LINK\n"
		     "       stacklab heal [--lab NAME] --all\n\n"
		     "Undo the faults on a node (%s)\n"
		     "or a link (%s), or every fault of the lab.\n\n", node, link);
	fprintf(out, "  -a, --all       heal everything\n"
		     "  -l, --lab NAME  the lab (default: the only lab that is up)\n"
		     "  -h, --help      show this help\n");
}

static int send_request(const char *cmd, const char *given, json_t *req)
{
	_cleanup_free_ char *lab = cli_pick_lab(cmd, given);
	if (!lab) {
		json_decref(req);
		return EXIT_FAIL;
	}
	json_t *reply = cli_request(cmd, lab, req);
	json_decref(req);
	if (!reply)
		return EXIT_FAIL;
	if (json_object_get(reply, "healed"))
		printf("healed %lld fault%s\n", json_integer_value(json_object_get(reply, "healed")),
		       json_integer_value(json_object_get(reply, "healed")) == 1 ? "" : "s");
	else
		printf("%s: %s\n", json_string_value(json_object_get(reply, "node")),
		       json_string_value(json_object_get(reply, "what")));
	json_decref(reply);
	return EXIT_OK;
}

int cmd_fail(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' },
		{ "list", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *given = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': given = optarg; break;
		case 'L':
			for (size_t i = 0; i < fault_words_n; i++)
				puts(fault_words[i].name);
			return EXIT_OK;
		case 'h': fail_help(stdout); return EXIT_OK;
		default: fail_help(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "stacklab fail: expected NODE|LINK FAULT [ARGS], or partition A B\n");
		return EXIT_USAGE;
	}
	json_t *args = json_array();
	json_t *req;
	if (strcmp(argv[optind], "partition") == 0) {
		for (int i = optind + 1; i < argc; i++)
			json_array_append_new(args, json_string(argv[i]));
		req = json_pack("{s:s, s:s, s:o}", "cmd", "fail", "fault", "partition", "args", args);
	} else {
		for (int i = optind + 2; i < argc; i++)
			json_array_append_new(args, json_string(argv[i]));
		req = json_pack("{s:s, s:s, s:s, s:o}", "cmd", "fail", "target", argv[optind], "fault", argv[optind + 1],
				"args", args);
	}
	return send_request("fail", given, req);
}

int cmd_heal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *given = NULL;
	bool all = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:ah", opts, NULL)) != -1) {
		switch (c) {
		case 'l': given = optarg; break;
		case 'a': all = true; break;
		case 'h': heal_help(stdout); return EXIT_OK;
		default: heal_help(stderr); return EXIT_USAGE;
		}
	}
	if (all == (optind < argc) || argc - optind > 1) {
		fprintf(stderr, "stacklab heal: expected NODE|LINK, or --all\n");
		return EXIT_USAGE;
	}
	json_t *req = all ? json_pack("{s:s, s:b}", "cmd", "heal", "all", 1)
			  : json_pack("{s:s, s:s}", "cmd", "heal", "target", argv[optind]);
	return send_request("heal", given, req);
}
