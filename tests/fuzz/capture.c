/* A libFuzzer target for the packet decoder `capture` and `trace` read the
 * switch with (`make fuzz`, `make fuzz-run`). Whatever a node sends, the
 * frame's description must be text (valid UTF-8 without control
 * characters: it goes into JSON and onto a terminal), with no crash, leak
 * or undefined behaviour. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame f;
	memset(&f, 0, sizeof(f));
	const unsigned char *payload = NULL;
	size_t plen = 0;
	if (!packet_decode(data, size, &f, &payload, &plen))
		return 0;
	if (payload && (payload < data || payload + plen > data + size))
		abort(); /* the payload is inside the frame */
	json_t *what = json_string(f.what);
	if (!what)
		abort(); /* not UTF-8: a trace would drop the hop */
	json_decref(what);
	for (const unsigned char *c = (const unsigned char *)f.what; *c; c++)
		if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
			abort(); /* a control character for the terminal */
	return 0;
}
