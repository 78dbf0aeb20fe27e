/* cmd_allow.c — `stacklab allow`: whom a user's lab lets in besides its
 * owner. A student's lab is theirs alone; they may let the teacher (root of
 * the machine) watch it, or watch it and run lessons on it. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "ctl.h"
#include "paths.h"
#include "util.h"

static void allow_help(FILE *out)
{
	fprintf(out, "usage: stacklab allow [--lab NAME] [none|watch|lessons]\n\n"
		     "Say whether root of this machine (the teacher) may use your lab, a lab you\n"
		     "brought up without root. Nobody else can reach it: it lives in your runtime\n"
		     "directory. With no word, show what the lab allows now.\n\n"
		     "  none     only you (the default)\n"
		     "  watch    root may watch it: status, events, logs, trace, the TUI\n"
		     "           (stacklab tui --lab %s/NAME)\n"
		     "  lessons  root may watch it and change it: run a lesson on it, break and heal it\n\n"
		     "  -l, --lab NAME  the lab (default: the only lab that is up)\n"
		     "  -h, --help      show this help\n",
		rootless() ? "YOU" : "USER");
}

int cmd_allow(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *given = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': given = optarg; break;
		case 'h': allow_help(stdout); return EXIT_OK;
		default: allow_help(stderr); return EXIT_USAGE;
		}
	}
	const char *word = optind < argc ? argv[optind] : NULL;
	if (argc - optind > 1 || (word && strcmp(word, "none") != 0 && strcmp(word, "watch") != 0 &&
				  strcmp(word, "lessons") != 0)) {
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
	printf(said[strcmp(word, "none") == 0 ? 0 : strcmp(word, "watch") == 0 ? 1 : 2], lab);
	json_decref(reply);
	return EXIT_OK;
}
