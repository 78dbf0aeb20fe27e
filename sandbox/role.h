/* role.h — what each kind of node is: its tier on the map, the capabilities
 * its daemons need, the host /etc entries it reads, the settings it takes. */
#ifndef STACKLAB_ROLE_H
#define STACKLAB_ROLE_H

#include <stdbool.h>
#include <stdint.h>

enum role_id { ROLE_CLIENT, ROLE_DNS, ROLE_LB, ROLE_WEB, ROLE_APP, ROLE_DB, ROLE_COUNT };

struct role {
	const char *name;
	int tier;                      /* left-to-right position of the tier: client=0 … db=4 */
	const int *caps;               /* capabilities kept beyond the common set, -1 ends */
	const char *const *host_etc;   /* host /etc entries bound read-only, NULL ends */
	const char *const *settings;   /* keys a [role X] or [node X] section may set, NULL ends */
};

/* The role named `name`, or NULL. */
const struct role *role_find(const char *name);
const struct role *role_get(enum role_id id);
bool role_has_setting(const struct role *r, const char *key);

/* Capabilities every node keeps (daemons switch users, own files, signal). */
extern const int role_common_caps[];
/* What `stacklab exec` adds for a teacher: ip, tc, tcpdump, nft, ping. */
extern const int role_exec_caps[];

#endif
