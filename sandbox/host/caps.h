/* caps.h — dropping capabilities with libcap. */
#ifndef STACKLAB_CAPS_H
#define STACKLAB_CAPS_H

#include "error.h"

/* Keep only the capabilities named in `lists` (n arrays, each ending in -1):
 * everything else leaves the bounding, permitted, effective, inheritable and
 * ambient sets, so no later exec can get it back. Capabilities the caller
 * does not have are not kept either. Returns 0 or -errno. */
int caps_limit(const int *const *lists, int n, struct sl_error *err);

#endif
