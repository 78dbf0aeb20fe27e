/* cmd_tui.c — `stacklab tui`: the lab live on one screen (tui/). */
#include <string.h>

#include "cli.h"
#include "options.h"
#include "util.h"
#include "tui.h"

struct size {
	int cols, rows;
};

static bool parse_size(const char *cmd, const char *value, void *dest)
{
	struct size *size = dest;
	char tail;
	if (sscanf(value, "%dx%d%c", &size->cols, &size->rows, &tail) != 2 || size->cols < 80 || size->rows < 24 ||
	    size->cols > 1000 || size->rows > 500) {
		fprintf(stderr, "stacklab %s: --size takes COLSxROWS, at least 80x24, not '%s'\n", cmd, value);
		return false;
	}
	return true;
}

int cmd_tui(int argc, char **argv)
{
	const char *given = NULL;
	bool once = false;
	struct size size = { 80, 24 };
	const struct opt opts[] = {
		OPT_LAB(&given),
		{ .name = "once", .letter = '1', .kind = OPT_FLAG, .dest = &once,
		  .help = "print one screen as plain text and exit" },
		{ .name = "dump", .kind = OPT_FLAG, .dest = &once, .help = "the same as --once" },
		{ .name = "size", .kind = OPT_PARSE, .dest = &size, .parse = parse_size, .value = "WxH",
		  .help = "the size of that screen (default 80x24)" },
		{ 0 },
	};
	const struct command_line cl = {
		.name = "tui",
		.usage = "stacklab tui [--lab NAME] [--once [--size COLSxROWS]]",
		.about = "The lab on one screen: nodes by tier with their state, addresses, VRRP\n"
			 "state, the VIP, HAProxy's view and link traffic; steady traffic with a\n"
			 "sparkline; the event log. Keys break and heal things; ? lists them.",
		.opts = opts,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	_cleanup_free_ char *lab = cli_pick_lab("tui", given);
	if (!lab)
		return EXIT_FAIL;
	struct tui_options opt = { .lab = lab, .once = once, .rows = size.rows, .cols = size.cols };
	return tui_main(&opt);
}
