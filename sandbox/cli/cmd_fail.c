/* cmd_fail.c — `stacklab fail` and `stacklab heal`: inject a failure into a
 * running lab, and undo it. The daemon checks the request and says what is
 * wrong with it. */
#include <string.h>

#include "cli.h"
#include "options.h"
#include "faults.h"
#include "util.h"

/* The names of the faults of each kind of target, for heal's help. */
static void heal_about(char *buf, size_t size)
{
	char node[128] = "", link[128] = "";
	for (size_t i = 0; i < fault_words_n; i++) {
		const struct fault_word *w = &fault_words[i];
		char *list = w->on == FAULT_ON_LINK ? link : node;
		snprintf(list + strlen(list), sizeof(node) - strlen(list), "%s%s", *list ? ", " : "", w->name);
	}
	snprintf(buf, size, "Undo the faults on a node (%s)\nor a link (%s), or every fault of the lab.", node, link);
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
	const char *given = NULL;
	bool list = false;
	const struct opt opts[] = {
		OPT_LAB(&given),
		{ .name = "list", .kind = OPT_FLAG, .dest = &list, .help = "the faults' words, one a line (for scripts)" },
		{ 0 },
	};
	char usage[512];
	fault_words_usage(usage, sizeof(usage));
	const struct command_line cl = {
		.name = "fail",
		.usage = usage,
		.about = "Break part of a running lab on purpose; `stacklab heal` undoes it.",
		.more = fault_words_help,
		.opts = opts,
		.args_max = ARGS_ANY,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	if (list) {
		for (size_t i = 0; i < fault_words_n; i++)
			puts(fault_words[i].name);
		return EXIT_OK;
	}
	if (argc - first < 2) {
		fprintf(stderr, "stacklab fail: expected NODE|LINK FAULT [ARGS], or partition A B\n");
		return EXIT_USAGE;
	}
	json_t *args = json_array();
	json_t *req;
	if (strcmp(argv[first], "partition") == 0) {
		for (int i = first + 1; i < argc; i++)
			json_array_append_new(args, json_string(argv[i]));
		req = json_pack("{s:s, s:s, s:o}", "cmd", "fail", "fault", "partition", "args", args);
	} else {
		for (int i = first + 2; i < argc; i++)
			json_array_append_new(args, json_string(argv[i]));
		req = json_pack("{s:s, s:s, s:s, s:o}", "cmd", "fail", "target", argv[first], "fault", argv[first + 1],
				"args", args);
	}
	return send_request("fail", given, req);
}

int cmd_heal(int argc, char **argv)
{
	const char *given = NULL;
	bool all = false;
	const struct opt opts[] = {
		{ .name = "all", .letter = 'a', .kind = OPT_FLAG, .dest = &all, .help = "heal everything" },
		OPT_LAB(&given),
		{ 0 },
	};
	char about[512];
	heal_about(about, sizeof(about));
	const struct command_line cl = {
		.name = "heal",
		.usage = "stacklab heal [--lab NAME] NODE|LINK\n"
			 "stacklab heal [--lab NAME] --all",
		.about = about,
		.opts = opts,
		.args_max = ARGS_ANY,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	if (all == (first < argc) || argc - first > 1) {
		fprintf(stderr, "stacklab heal: expected NODE|LINK, or --all\n");
		return EXIT_USAGE;
	}
	json_t *req = all ? json_pack("{s:s, s:b}", "cmd", "heal", "all", 1)
			  : json_pack("{s:s, s:s}", "cmd", "heal", "target", argv[first]);
	return send_request("heal", given, req);
}
