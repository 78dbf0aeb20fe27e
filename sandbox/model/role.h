/* role.h — what each kind of node is: its tier on the map, the capabilities
 * its daemons need, the host /etc entries it reads, the settings it takes. */
#ifndef STACKLAB_ROLE_H
#define STACKLAB_ROLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum role_id { ROLE_CLIENT, ROLE_DNS, ROLE_LB, ROLE_WEB, ROLE_APP, ROLE_DB, ROLE_MONITOR, ROLE_RESOLVER, ROLE_COUNT };

/* The kind of value a setting holds; topo.c checks it when it parses. */
enum setting_type {
	SETTING_NAME,                  /* a lower-case letter, then a-z, 0-9 and '-' */
	SETTING_TEXT,                  /* printable UTF-8: no control characters */
	SETTING_HOSTNAME,              /* a DNS name of two labels or more: example.com */
	SETTING_INT,                   /* a decimal integer from min to max */
	SETTING_ENUM,                  /* one of choices */
	SETTING_ZONES,                 /* DNS zones: "." (the root), "com", "foobar.com", space-separated */
};

struct setting {
	const char *key;
	enum setting_type type;
	long min, max;                 /* INT: the range; NAME, TEXT, HOSTNAME: max is the longest */
	const char *const *choices;    /* ENUM: the values allowed, NULL ends */
};

/* The longest lab domain: www.DOMAIN is the site certificate's common name,
 * which X.509 caps at 64 characters. */
#define SETTING_DOMAIN_MAX 60

struct role {
	const char *name;
	int tier;                      /* left-to-right position of the tier: client=0 … db=4 */
	const int *caps;               /* capabilities kept beyond the common set, -1 ends */
	const char *const *host_etc;   /* host /etc entries bound read-only, NULL ends */
	const struct setting *settings; /* what a [role X] or [node X] section may set, NULL key ends */
};

/* What a VIP holder keeps beyond its roles' capabilities (keepalived). */
extern const int role_vrrp_caps[];

/* The role named `name`, or NULL. */
const struct role *role_find(const char *name);
const struct role *role_get(enum role_id id);
/* "client, dns, lb, …": every role's name, from the table, for errors. */
void role_names(char *buf, size_t size);
/* The role closest to a mistyped one ("did you mean"), or NULL. */
const char *role_closest(const char *word);
/* The roles named in `words` ("web app db") as a mask of 1 << enum role_id;
 * 0 if one is unknown or there is none. */
unsigned role_mask(const char *words);
/* Every capability the roles of `mask` keep: fills lists[] with up to
 * ROLE_COUNT lists (each ends with -1) and returns how many. */
int role_caps(unsigned mask, const int **lists);
/* The setting `key` of role `r`, or NULL if the role takes no such setting. */
const struct setting *role_setting(const struct role *r, const char *key);


#endif
