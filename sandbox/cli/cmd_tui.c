/* cmd_tui.c — `stacklab tui`: the lab live on one screen (tui/). */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "util.h"
#include "tui.h"

static void help(FILE *out)
{
	fprintf(out, "usage: stacklab tui [--lab NAME] [--once [--size COLSxROWS]]\n\n"
		     "The lab on one screen: nodes by tier with their state, addresses, VRRP\n"
		     "state, the VIP, HAProxy's view and link traffic; steady traffic with a\n"
		     "sparkline; the event log. Keys break and heal things; ? lists them.\n\n"
		     "  -l, --lab NAME       the lab (default: the only lab that is up)\n"
		     "  -1, --once, --dump   print one screen as plain text and exit\n"
		     "      --size WxH       the size of that screen (default 80x24)\n"
		     "  -h, --help           show this help\n");
}

int cmd_tui(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' },
		{ "once", no_argument, NULL, '1' },
		{ "dump", no_argument, NULL, '1' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *given = NULL;
	bool once = false;
	int cols = 80, rows = 24, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:1h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': given = optarg; break;
		case '1': once = true; break;
		case 's':
			if (sscanf(optarg, "%dx%d", &cols, &rows) != 2 || cols < 80 || rows < 24 || cols > 1000 || rows > 500) {
				fprintf(stderr, "stacklab tui: --size takes COLSxROWS, at least 80x24, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "stacklab tui: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	_cleanup_free_ char *lab = cli_pick_lab("tui", given);
	if (!lab)
		return EXIT_FAIL;
	struct tui_options opt = { .lab = lab, .once = once, .rows = rows, .cols = cols };
	return tui_main(&opt);
}
