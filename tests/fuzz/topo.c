/* A libFuzzer target for the topology parser (`make fuzz`, `make fuzz-run`).
 * Whatever the bytes, topo_parse must give a topology or errors, never both,
 * with no crash, leak or undefined behaviour; and a topology it accepts must
 * come back the same after topo_write and a second parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *written(const struct topo *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		abort();
	topo_write(t, f);
	fclose(f);
	return text;
}

static int parse(const void *data, size_t size, struct topo **t, char **errors)
{
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		abort();
	int r = topo_parse(f, "fuzz.lab", t, errors);
	fclose(f);
	if ((r == 0) != (*t != NULL) || (r == 0) == (*errors != NULL))
		abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0; /* fmemopen refuses an empty buffer */
	struct topo *t = NULL;
	char *errors = NULL;
	if (parse(data, size, &t, &errors) == 0) {
		char *a = written(t);
		struct topo *t2 = NULL;
		char *errors2 = NULL;
		if (parse(a, strlen(a), &t2, &errors2) < 0) {
			fprintf(stderr, "a topology it accepted, written out, does not parse:\n%s\n%s", a, errors2);
			abort();
		}
		char *b = written(t2);
		if (strcmp(a, b) != 0) {
			fprintf(stderr, "the round trip changed the topology:\n%s\n---\n%s", a, b);
			abort();
		}
		free(a);
		free(b);
		topo_free(t2);
	}
	free(errors);
	topo_free(t);
	return 0;
}
