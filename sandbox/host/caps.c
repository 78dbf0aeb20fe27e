/* caps.c — capability dropping (see caps.h). */
#include "caps.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/capability.h>

#include "util.h"

static bool kept(const int *const *lists, int n, int cap)
{
	for (int i = 0; i < n; i++)
		for (const int *c = lists[i]; *c >= 0; c++)
			if (*c == cap)
				return true;
	return false;
}

int caps_limit(const int *const *lists, int n, struct sl_error *err)
{
	int last = (int)cap_max_bits();
	cap_t have = cap_get_proc();
	cap_t caps = cap_init();
	if (!caps || !have) {
		cap_free(have);
		cap_free(caps);
		return sl_err(err, ENOMEM, "capabilities: %s", strerror(ENOMEM));
	}
	int r = 0;
	for (int cap = 0; cap < last; cap++) {
		cap_value_t v = cap;
		cap_flag_value_t had = CAP_CLEAR;
		cap_get_flag(have, v, CAP_PERMITTED, &had);
		/* A capability the host never gave us cannot be kept (some
		 * container hosts withhold CAP_SYS_RESOURCE, for one). */
		if (kept(lists, n, cap) && had == CAP_SET) {
			cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
		} else if (cap_drop_bound(v) < 0 && errno != EINVAL) {
			/* Dropping from the bounding set needs CAP_SETPCAP, which
			 * stays effective until cap_set_proc() below: every
			 * capability can be dropped from the set in this loop. */
			r = sl_err(err, errno, "drop capability %d from the bounding set: %s", cap, strerror(errno));
			break;
		}
	}
	if (r == 0 && cap_reset_ambient() < 0 && errno != EINVAL)
		r = sl_err(err, errno, "clear ambient capabilities: %s", strerror(errno));
	if (r == 0 && cap_set_proc(caps) < 0)
		r = sl_err(err, errno, "set capabilities: %s", strerror(errno));
	cap_free(caps);
	cap_free(have);
	return r;
}
