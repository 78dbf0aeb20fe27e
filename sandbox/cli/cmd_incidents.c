/* cmd_incidents.c — `stacklab incidents`: every fault and heal of the lab as
 * a card, with what followed and what users felt (incidents.c). */
#include <math.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "options.h"
#include "ctl.h"
#include "util.h"

/* One card as text (also what a teacher copies into notes). */
static void card(json_t *i)
{
	time_t at = (time_t)json_real_value(json_object_get(i, "at"));
	int ms = (int)fmod(json_real_value(json_object_get(i, "at")) * 1000, 1000);
	char when[16];
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&at));
	printf("#%lld  %s.%03d  %s%s\n", json_integer_value(json_object_get(i, "id")), when, ms,
	       json_string_value(json_object_get(i, "what")), json_is_true(json_object_get(i, "open")) ? "  (still open)" : "");
	size_t k;
	json_t *f;
	json_array_foreach(json_object_get(i, "followed"), k, f)
		printf("    %+8.0f ms  %s\n", json_real_value(json_object_get(f, "ms")), json_string_value(json_object_get(f, "what")));
	json_t *u = json_object_get(i, "users");
	json_int_t ok = json_integer_value(json_object_get(u, "ok")), failed = json_integer_value(json_object_get(u, "failed"));
	if (ok + failed == 0) {
		printf("    users: no traffic ran (stacklab traffic start)\n");
		return;
	}
	printf("    users: %lld of %lld requests failed, longest gap between answers %.0f ms", failed, ok + failed,
	       json_real_value(json_object_get(u, "longest_gap_ms")));
	if (json_is_true(json_object_get(u, "still_failing")))
		printf(", %s", json_is_true(json_object_get(i, "open")) ? "still failing" : "still failing when the card closed");
	else if (json_is_number(json_object_get(u, "recovered_ms")))
		printf(", answered again after the last failure at +%.0f ms", json_number_value(json_object_get(u, "recovered_ms")));
	printf("\n");
}

int cmd_incidents(int argc, char **argv)
{
	const char *given = NULL;
	bool json = false;
	const struct opt opts[] = { OPT_LAB(&given), OPT_JSON(&json, "the cards as JSON"), { 0 } };
	const struct command_line cl = {
		.name = "incidents",
		.usage = "stacklab incidents [--lab NAME] [--json]",
		.about = "Every fault and heal of the lab (the last 32), each as a card: what was\n"
			 "done and when, what followed in the lab with its delay measured from the\n"
			 "lab's own events (lb2 MASTER +24 ms, lb1 sees web1 DOWN +160 ms), and what\n"
			 "users felt: requests answered and failed, the longest gap between two\n"
			 "answers, when they were answered again. A card stays open 10 s.",
		.opts = opts,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	_cleanup_free_ char *lab = cli_pick_lab("incidents", given);
	if (!lab)
		return EXIT_FAIL;
	json_t *req = json_pack("{s:s}", "cmd", "incidents");
	json_t *r = cli_request("incidents", lab, req);
	json_decref(req);
	if (!r)
		return EXIT_FAIL;
	json_t *list = json_object_get(r, "incidents"), *i;
	size_t k;
	if (json) {
		json_dumpf(list, stdout, CTL_JSON_PRETTY);
		putchar('\n');
	} else if (json_array_size(list) == 0) {
		printf("no incident yet: every fault and heal makes one (stacklab fail --help)\n");
	} else {
		json_array_foreach(list, k, i) {
			if (k)
				putchar('\n');
			card(i);
		}
	}
	json_decref(r);
	return EXIT_OK;
}
