/* A libFuzzer target for the lesson parser and linter (`make fuzz`,
 * `make fuzz-run`). Whatever the bytes, lesson_parse must give a lesson or
 * errors, never both, with no crash, leak or undefined behaviour; a lesson
 * it accepts is linted against the default topology. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lesson.h"

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
	struct lesson *l = NULL;
	char *errors = NULL;
	int r = lesson_parse(f, "fuzz.lesson", &l, &errors);
	fclose(f);
	if ((r == 0) != (l != NULL) || (r == 0) == (errors != NULL))
		abort();
	if (l) {
		char *lint = NULL;
		int n = lesson_lint(l, t, ".", &lint);
		if ((n == 0) != (lint == NULL))
			abort();
		free(lint);
	}
	free(errors);
	lesson_free(l);
	return 0;
}
