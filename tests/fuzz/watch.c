/* A libFuzzer target for the daemons' lines the lab daemon reads live state
 * from (`make fuzz`, `make fuzz-run`): keepalived's, HAProxy's, the
 * monitor's qps watcher's and the replication watcher's, which a node's
 * root writes as it likes. Each field it fills is a string within its
 * buffer, with no crash or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const daemons[] = { "keepalived", "haproxy", "qps", "replication", "nginx" };
	if (size < 1)
		return 0;
	char *line = malloc(size);
	if (!line)
		abort();
	memcpy(line, data + 1, size - 1); /* the first byte picks the daemon */
	line[size - 1] = '\0';
	struct watch_event ev;
	memset(&ev, 0x5a, sizeof(ev)); /* not strings until watch_parse makes them so */
	if (watch_parse(daemons[data[0] % 5], line, &ev)) {
		if (ev.kind == WATCH_QPS) {
			struct watch_qps q[8];
			int n = watch_qps_pairs(ev.qps, q, 8);
			for (int k = 0; k < n; k++)
				if (!TERMINATED(q[k].name) || !(q[k].value >= 0 && q[k].value <= 1e7))
					abort();
		} else if (ev.kind == WATCH_REPLICA) {
			const struct watch_replica *r = &ev.replica;
			if (!TERMINATED(r->io) || !TERMINATED(r->sql) || !TERMINATED(r->behind) || !TERMINATED(r->received) ||
			    !TERMINATED(r->applied) || !TERMINATED(r->error) || !TERMINATED(r->binlog))
				abort();
		} else if (!TERMINATED(ev.instance) || !TERMINATED(ev.server) || !TERMINATED(ev.state)) {
			abort();
		}
	}
	free(line);
	return 0;
}
