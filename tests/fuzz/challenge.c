/* A libFuzzer target for the challenge parser, linter and variants (`make
 * fuzz`, `make fuzz-run`). Whatever the bytes, challenge_parse must give a
 * challenge or errors, never both, with no crash, leak or undefined
 * behaviour; a challenge it accepts is linted against its topology if that
 * is a shipped one, and a variant of it is expanded and graded. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "challenge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct topo *t;
	if (!t) {
		char *errors = NULL;
		if (topo_load("scenarios/scale-up.lab", &t, &errors) < 0)
			abort(); /* run from the source tree */
	}
	if (size == 0)
		return 0; /* fmemopen refuses an empty buffer */
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		abort();
	struct challenge *c = NULL;
	char *errors = NULL;
	int r = challenge_parse(f, "fuzz.challenge", &c, &errors);
	fclose(f);
	if ((r == 0) != (c != NULL) || (r == 0) == (errors != NULL))
		abort();
	if (c) {
		char *lint = NULL;
		int n = challenge_lint(c, t, ".", &lint);
		if ((n == 0) != (lint == NULL))
			abort();
		free(lint);
		struct variant v;
		challenge_variant(c, size * 2654435761u, &v);
		struct pred preds[CHALLENGE_LINES_MAX];
		char why[256], buf[CHALLENGE_COMMAND_MAX + 256];
		challenge_grade_preds(c, &v, preds, why, sizeof(why));
		for (int k = 0; k < c->breaks[v.brk].n_run; k++)
			challenge_expand(c, &v, c->breaks[v.brk].run[k].command, buf, sizeof(buf));
	}
	free(errors);
	challenge_free(c);
	return 0;
}
