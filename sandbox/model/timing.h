/* timing.h — the timing profiles of rootfs/timing.ini (fast, calm, real): the
 * VRRP advert interval, the health-check pace… handed to the templates. */
#ifndef STACKLAB_TIMING_H
#define STACKLAB_TIMING_H

#include <stddef.h>

#include "render.h"

#define TIMING_VARS_MAX 16

struct timing {
	char name[16];
	struct render_var vars[TIMING_VARS_MAX];   /* includes "timing" = name */
	size_t n_vars;
};

/* Load profile `name` from `path`. Returns 0, -ENOENT if there is no such
 * profile, or -errno. Free with timing_free(). */
int timing_load(const char *path, const char *name, struct timing *t, struct sl_error *err);
void timing_free(struct timing *t);

#endif
