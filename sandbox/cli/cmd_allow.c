/* cmd_allow.c — `stacklab allow`: whom a user's lab lets in besides its
 * owner. A student's lab is theirs alone; they may let the teacher (root of
 * the machine) watch it, or watch it and run lessons on it. */
#include <string.h>

#include "cli.h"
#include "ctl.h"
#include "options.h"
#include "paths.h"
#include "util.h"

static void allow_words(FILE *out)
{
	fprintf(out, "\n  none     only you (the default)\n"
		     "  watch    root may watch it: status, events, logs, trace, the TUI\n"
		     "           (stacklab tui --lab %s/NAME)\n"
		     "  lessons  root may watch it and change it: run a lesson on it, break and heal it\n",
		rootless() ? "YOU" : "USER");
}

int cmd_allow(int argc, char **argv)
{
	const char *given = NULL;
	const struct opt opts[] = { OPT_LAB(&given), { 0 } };
	const struct command_line cl = {
		.name = "allow",
		.usage = "stacklab allow [--lab NAME] [none|watch|lessons]",
		.about = "Say whether root of this machine (the teacher) may use your lab, a lab you\n"
			 "brought up without root. Nobody else can reach it: it lives in your runtime\n"
			 "directory. With no word, show what the lab allows now.",
		.more = allow_words,
		.opts = opts,
		.args_max = ARGS_ANY,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	const char *word = first < argc ? argv[first] : NULL;
	if (argc - first > 1 || (word && lab_allow_find(word) < 0)) {
		fprintf(stderr, "stacklab allow: expected none, watch or lessons%s%s%s (see stacklab allow --help)\n",
			word ? ", not '" : "", word ? word : "", word ? "'" : "");
		return EXIT_USAGE;
	}
	_cleanup_free_ char *lab = cli_pick_lab("allow", given);
	if (!lab)
		return EXIT_FAIL;
	json_t *reply;
	if (!word) {
		reply = cli_status("allow", lab);
		if (!reply)
			return EXIT_FAIL;
		const char *now = json_string_value(json_object_get(reply, "allow"));
		if (!now)
			fprintf(stderr, "stacklab allow: lab %s is root's: it is watched through its group (stacklab up --group)\n",
				lab);
		else
			printf("lab %s allows root of this machine: %s\n", lab, now);
		json_decref(reply);
		return now ? EXIT_OK : EXIT_FAIL;
	}
	json_t *req = json_pack("{s:s, s:s}", "cmd", "allow", "allow", word);
	reply = cli_request("allow", lab, req);
	json_decref(req);
	if (!reply)
		return EXIT_FAIL;
	static const char *const said[] = { "only you may use lab %s now\n",
					    "root of this machine may watch lab %s now (not change it)\n",
					    "root of this machine may watch lab %s and run lessons on it now\n" };
	printf(said[lab_allow_find(word)], lab);
	json_decref(reply);
	return EXIT_OK;
}
