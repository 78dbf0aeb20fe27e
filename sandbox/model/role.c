/* role.c — the table of node roles. Adding a role is adding a row here and a
 * folder under rootfs/. */
#include "role.h"

#include <linux/capability.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static const int no_caps[] = { -1 };
/* keepalived adds and removes the VIP and speaks VRRP on a raw socket:
 * only a VIP holder runs it (role_vrrp_caps); HAProxy needs nothing more. */
const int role_vrrp_caps[] = { CAP_NET_ADMIN, CAP_NET_RAW, -1 };
/* MariaDB raises its open-files limit at start. */
static const int db_caps[] = { CAP_SYS_RESOURCE, -1 };

/* Not /etc/ssl: a node trusts the lab's own CA, and nothing else. */
static const char *const etc_common[] = { "alternatives", "ld.so.cache", NULL };
static const char *const etc_app[] = { "alternatives", "ld.so.cache", "php", NULL };

/* Settings are typed so that a value cannot carry config syntax into the
 * files it is rendered into (keepalived.conf, haproxy.cfg, the DNS zone). */
static const struct setting set_none[] = { { .key = NULL } };
/* HAProxy's balance algorithms that need no argument. */
static const char *const balance_choices[] = { "roundrobin", "leastconn", "source", "first", "static-rr", "uri", NULL };
static const struct setting set_lb[] = {
	/* A VRRP priority: 255 is reserved for the owner of the address. */
	{ .key = "priority", .type = SETTING_INT, .min = 1, .max = 254 },
	{ .key = "balance", .type = SETTING_ENUM, .choices = balance_choices },
	{ .key = NULL },
};
/* An authoritative server (NSD): the zones it serves, the TTL of the lab
 * domain's records, and whether www is an A record or a CNAME of the apex. */
static const char *const record_choices[] = { "A", "CNAME", NULL };
static const struct setting set_dns[] = {
	{ .key = "zone", .type = SETTING_ZONES, .max = 127 },
	{ .key = "ttl", .type = SETTING_INT, .min = 1, .max = 86400 },
	{ .key = "www_record", .type = SETTING_ENUM, .choices = record_choices },
	{ .key = NULL },
};

static const struct setting set_db[] = {
	/* A replica: the database node whose writes it copies (GTID). */
	{ .key = "replica_of", .type = SETTING_NAME, .max = 31 },
	{ .key = NULL },
};

static const struct role roles[ROLE_COUNT] = {
	[ROLE_CLIENT] = { "client", 0, no_caps, etc_common, set_none },
	[ROLE_DNS] = { "dns", 0, no_caps, etc_common, set_dns },
	[ROLE_LB] = { "lb", 1, no_caps, etc_common, set_lb },
	[ROLE_WEB] = { "web", 2, no_caps, etc_common, set_none },
	[ROLE_APP] = { "app", 3, no_caps, etc_app, set_none },
	[ROLE_DB] = { "db", 4, db_caps, etc_common, set_db },
	/* Prometheus, scraping every server's exporters: beside the stack,
	 * with the clients. */
	[ROLE_MONITOR] = { "monitor", 0, no_caps, etc_common, set_none },
	/* Unbound: the recursive resolver the client asks, which walks the
	 * lab's root, com and foobar.com servers. */
	[ROLE_RESOLVER] = { "resolver", 0, no_caps, etc_common, set_none },
};

const struct role *role_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
		if (strcmp(roles[i].name, name) == 0)
			return &roles[i];
	return NULL;
}

const struct role *role_get(enum role_id id)
{
	return (unsigned)id < ROLE_COUNT ? &roles[id] : NULL;
}

void role_names(char *buf, size_t size)
{
	size_t at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(roles) && at < size; i++) {
		int n = snprintf(buf + at, size - at, "%s%s", i ? ", " : "", roles[i].name);
		if (n < 0)
			break;
		at += (size_t)n;
	}
}

const char *role_closest(const char *word)
{
	const char *names[ROLE_COUNT];
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
		names[i] = roles[i].name;
	return str_closest(word, names, ARRAY_SIZE(roles));
}

unsigned role_mask(const char *words)
{
	unsigned mask = 0;
	char buf[128];
	if (!words || str_copy(buf, sizeof(buf), words) < 0)
		return 0;
	char *save = NULL;
	for (char *w = strtok_r(buf, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		const struct role *r = role_find(w);
		if (!r)
			return 0;
		mask |= 1u << (r - roles);
	}
	return mask;
}

int role_caps(unsigned mask, const int **lists)
{
	int n = 0;
	for (int i = 0; i < ROLE_COUNT; i++)
		if (mask & (1u << i))
			lists[n++] = roles[i].caps;
	return n;
}

const struct setting *role_setting(const struct role *r, const char *key)
{
	for (const struct setting *s = r->settings; s->key; s++)
		if (strcmp(s->key, key) == 0)
			return s;
	return NULL;
}
