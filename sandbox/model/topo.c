/* topo.c — load and validate a topology file (INI, read with libinih).
 *
 * Parsing happens in two passes: inih hands us key/value pairs, which are
 * filed by section with their line numbers; validate() then resolves names
 * and checks addresses, so sections may come in any order and every error
 * is reported with the line it comes from. */
#include "topo.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "inifile.h"
#include "util.h"

struct raw_vip {
	char network[TOPO_NAME_MAX];
	char address[64];
	char holders[256];
	int line_network, line_address, line_holders;
};

struct parser {
	struct topo *t;
	struct inifile in;             /* the file, its line, the messages */
	char subnet_text[TOPO_NETS_MAX][64];
	int subnet_line[TOPO_NETS_MAX];
	char iface_text[TOPO_NODES_MAX][TOPO_IFACES_MAX][128];
	bool node_has_role[TOPO_NODES_MAX];
	int www_line, https_line;
	struct raw_vip vips[TOPO_VIPS_MAX];
};

/* A problem at `line`, reported with the file's name (escaped). */
#define perr(p, line, ...) inifile_error(&(p)->in, (line), __VA_ARGS__)

static bool valid_name(const char *s)
{
	if (!*s || !islower((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static bool is_iface_key(const char *key)
{
	if (strncmp(key, "eth", 3) != 0 || !key[3])
		return false;
	for (const char *c = key + 3; *c; c++)
		if (!isdigit((unsigned char)*c))
			return false;
	return true;
}

/* Why `s` is not a DNS name of two labels or more, or NULL if it is one. */
static const char *hostname_problem(const char *s)
{
	if (strlen(s) > 253)
		return "a DNS name is at most 253 characters";
	if (!strchr(s, '.'))
		return "it needs two labels or more";
	for (const char *label = s; *label;) {
		size_t n = strcspn(label, ".");
		if (n == 0)
			return "a label is empty";
		if (n > 63)
			return "a label is longer than 63 characters";
		if (label[0] == '-' || label[n - 1] == '-')
			return "a label starts or ends with '-'";
		for (size_t i = 0; i < n; i++)
			if (!islower((unsigned char)label[i]) && !isdigit((unsigned char)label[i]) && label[i] != '-')
				return "labels hold only a-z, 0-9 and '-'";
		label += n;
		if (*label == '.' && !*++label)
			return "a label is empty";
	}
	return NULL;
}

/* What is wrong with a list of DNS zones ("." com foobar.com), or NULL. */
static const char *zones_problem(const char *s, size_t max)
{
	char buf[256], *save = NULL;
	if (strlen(s) > max || str_copy(buf, sizeof(buf), s) < 0)
		return "the list is too long";
	int n = 0;
	for (char *z = strtok_r(buf, " \t", &save); z; z = strtok_r(NULL, " \t", &save), n++) {
		char two[300];
		/* One label is a zone too (com): checked as a name by adding one. */
		snprintf(two, sizeof(two), "%s.x", z);
		if (n == TOPO_ZONES_MAX)
			return "more than four zones";
		if (strcmp(z, ".") != 0 && hostname_problem(two))
			return "expected zones like '.', 'com' or 'foobar.com' (lower-case, no trailing dot but the root's)";
	}
	return n ? NULL : "no zone named";
}

/* Is `s` a decimal integer from min to max? No sign but '-', no blanks, no
 * exponent: what keepalived and HAProxy read as a number. */
static bool int_in_range(const char *s, long min, long max)
{
	const char *digits = *s == '-' ? s + 1 : s;
	if (!isdigit((unsigned char)*digits))
		return false;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	return !*end && errno == 0 && v >= min && v <= max;
}

/* Check `value` against the type of setting `s` of `owner` ("lab", "node
 * lb1"), reporting what is wrong and what would be right. */
static bool check_value(struct parser *p, int line, const char *owner, const struct setting *s, const char *value)
{
	size_t len = strlen(value);
	const char *why;
	switch (s->type) {
	case SETTING_NAME:
		if (valid_name(value) && len <= (size_t)s->max)
			return true;
		perr(p, line, "%s %s '%s' must start with a lower-case letter and hold only a-z, 0-9 and '-' (at most %ld characters)",
		     owner, s->key, value, s->max);
		return false;
	case SETTING_TEXT:
		if (len > (size_t)s->max) {
			perr(p, line, "%s %s is longer than %ld characters", owner, s->key, s->max);
			return false;
		}
		if (inifile_printable(value))
			return true;
		perr(p, line, "%s %s '%s' holds a control character or is not UTF-8 (printable text only)", owner,
		     s->key, value);
		return false;
	case SETTING_HOSTNAME:
		if (len > (size_t)s->max) {
			perr(p, line, "%s %s is longer than %ld characters", owner, s->key, s->max);
			return false;
		}
		if (!(why = hostname_problem(value)))
			return true;
		perr(p, line, "%s %s '%s' is not a DNS name like example.com: %s", owner, s->key, value, why);
		return false;
	case SETTING_INT:
		if (int_in_range(value, s->min, s->max))
			return true;
		perr(p, line, "%s %s '%s' must be a whole number from %ld to %ld", owner, s->key, value, s->min, s->max);
		return false;
	case SETTING_ZONES:
		if (!(why = zones_problem(value, (size_t)s->max)))
			return true;
		perr(p, line, "%s %s '%s': %s", owner, s->key, value, why);
		return false;
	case SETTING_ENUM:
		for (const char *const *c = s->choices; *c; c++)
			if (strcmp(*c, value) == 0)
				return true;
		char list[256] = "";
		for (const char *const *c = s->choices; *c; c++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", c == s->choices ? "" : ", ", *c);
		perr(p, line, "%s %s '%s' must be one of %s", owner, s->key, value, list);
		return false;
	}
	return false;
}

/* The keys a role takes, for messages: "priority, balance" or "none". */
static const char *role_keys(const struct role *r, char *buf, size_t size)
{
	buf[0] = '\0';
	for (const struct setting *s = r->settings; s->key; s++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", s == r->settings ? "" : ", ", s->key);
	return buf[0] ? buf : "none";
}

/* Index of the entry called `name` in an array of structs whose name field
 * starts at `first` and repeats every `stride` bytes, or -1. */
static int find_named(const char *first, size_t stride, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		if (strcmp(first + (size_t)i * stride, name) == 0)
			return i;
	return -1;
}

/* The section `kind NAME`: its index, made on first sight with its name
 * copied into `first + i*stride`; -1 after reporting a bad or extra one. */
static int section(struct parser *p, char *first, size_t stride, int *count, int max,
		   const char *kind, const char *name, int *line)
{
	int i = find_named(first, stride, *count, name);
	if (i >= 0)
		return i;
	if (!valid_name(name)) {
		perr(p, p->in.line, "%s name '%s' must start with a lower-case letter and hold only a-z, 0-9 and '-'", kind, name);
		return -1;
	}
	if (strlen(name) >= TOPO_NAME_MAX) {
		perr(p, p->in.line, "%s name '%s' is longer than %d characters", kind, name, TOPO_NAME_MAX - 1);
		return -1;
	}
	if (*count >= max) {
		perr(p, p->in.line, "too many %ss (at most %d)", kind, max);
		return -1;
	}
	i = (*count)++;
	str_copy(first + (size_t)i * stride, TOPO_NAME_MAX, name);
	*(int *)((char *)line + (size_t)i * stride) = p->in.line;
	return i;
}

/* File a setting (its type is checked by the caller); NULL after reporting
 * a duplicate, one too many or one too long. */
static struct topo_setting *add_setting(struct parser *p, struct topo_setting *set, int *n, const char *key,
					const char *value)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(set[i].key, key) == 0) {
			perr(p, p->in.line, "'%s' is set twice (first on line %d)", key, set[i].line);
			return NULL;
		}
	if (*n >= TOPO_SETTINGS_MAX) {
		perr(p, p->in.line, "too many settings (at most %d)", TOPO_SETTINGS_MAX);
		return NULL;
	}
	struct topo_setting *s = &set[*n];
	if (str_copy(s->key, sizeof(s->key), key) < 0 || str_copy(s->value, sizeof(s->value), value) < 0) {
		perr(p, p->in.line, "'%s' or its value is too long", key);
		return NULL;
	}
	s->line = p->in.line;
	(*n)++;
	return s;
}

static const char *const yes_no[] = { "yes", "no", NULL };

#define TOPO_FIELD(f) offsetof(struct topo, f), sizeof(((struct topo *)0)->f)

/* The [lab] keys: their types, and where in struct topo they are kept. */
static const struct lab_key {
	struct setting s;
	size_t offset, size;
} lab_keys[] = {
	{ { .key = "name", .type = SETTING_NAME, .max = TOPO_NAME_MAX - 1 }, TOPO_FIELD(name) },
	{ { .key = "title", .type = SETTING_TEXT, .max = sizeof(((struct topo *)0)->title) - 1 }, TOPO_FIELD(title) },
	{ { .key = "domain", .type = SETTING_HOSTNAME, .max = SETTING_DOMAIN_MAX }, TOPO_FIELD(domain) },
	{ { .key = "www", .type = SETTING_NAME, .max = TOPO_NAME_MAX - 1 }, TOPO_FIELD(www) },
	{ { .key = "https", .type = SETTING_ENUM, .choices = yes_no }, TOPO_FIELD(https) },
};
_Static_assert(SETTING_DOMAIN_MAX < sizeof(((struct topo *)0)->domain), "a lab domain fits struct topo");

static void handle_lab(struct parser *p, const char *key, const char *value)
{
	for (size_t i = 0; i < ARRAY_SIZE(lab_keys); i++) {
		const struct lab_key *k = &lab_keys[i];
		if (strcmp(k->s.key, key) != 0)
			continue;
		if (strcmp(key, "www") == 0)
			p->www_line = p->in.line;
		if (strcmp(key, "https") == 0)
			p->https_line = p->in.line;
		/* Every max fits its field, so a value that passes is copied whole. */
		if (check_value(p, p->in.line, "lab", &k->s, value))
			str_copy((char *)p->t + k->offset, k->size, value);
		return;
	}
	perr(p, p->in.line, "unknown key '%s' in [lab] (known: name, title, domain, www, https)", key);
}

static void handle_network(struct parser *p, const char *name, const char *key, const char *value)
{
	struct topo *t = p->t;
	int i = section(p, t->nets[0].name, sizeof(t->nets[0]), &t->n_nets, TOPO_NETS_MAX,
			"network", name, &t->nets[0].line);
	if (i < 0)
		return;
	if (strcmp(key, "subnet") == 0) {
		str_copy(p->subnet_text[i], sizeof(p->subnet_text[i]), value);
		p->subnet_line[i] = p->in.line;
	} else {
		perr(p, p->in.line, "unknown key '%s' in [network %s] (known: subnet)", key, name);
	}
}

/* allow = tcp|udp PORT from SOURCE [SOURCE…]: the names are checked once
 * every node and network is known (validate_rules). */
static void parse_rule(struct parser *p, struct topo_node *n, const char *value)
{
	if (n->n_rules >= TOPO_RULES_MAX) {
		perr(p, p->in.line, "node %s has more than %d allow rules", n->name, TOPO_RULES_MAX);
		return;
	}
	struct topo_rule *r = &n->rules[n->n_rules];
	memset(r, 0, sizeof(*r));
	r->line = p->in.line;
	char buf[256], *save = NULL, *w[3 + TOPO_FROM_MAX + 1];
	int k = 0;
	if (str_copy(buf, sizeof(buf), value) < 0) {
		perr(p, p->in.line, "allow = '%.40s…': longer than %zu characters", value, sizeof(buf) - 1);
		return;
	}
	for (char *t = strtok_r(buf, " \t", &save); t && k < (int)ARRAY_SIZE(w); t = strtok_r(NULL, " \t", &save))
		w[k++] = t;
	char *end = NULL;
	long port = k >= 2 ? strtol(w[1], &end, 10) : 0;
	if (k < 4 || (strcmp(w[0], "tcp") != 0 && strcmp(w[0], "udp") != 0) || !end || *end || port < 1 || port > 65535 ||
	    strcmp(w[2], "from") != 0) {
		perr(p, p->in.line, "allow = '%s': expected 'tcp|udp PORT from NODE|NETWORK|any …' (e.g. allow = tcp 80 from lb1)",
		     value);
		return;
	}
	if (k - 3 > TOPO_FROM_MAX) {
		perr(p, p->in.line, "allow = '%s': more than %d sources", value, TOPO_FROM_MAX);
		return;
	}
	str_copy(r->proto, sizeof(r->proto), w[0]);
	r->port = (int)port;
	for (int i = 3; i < k; i++)
		if (str_copy(r->from[r->n_from++], TOPO_NAME_MAX, w[i]) < 0) {
			perr(p, p->in.line, "allow: '%s' is too long for a node or network name", w[i]);
			return;
		}
	n->n_rules++;
}

static void handle_node(struct parser *p, const char *name, const char *key, const char *value)
{
	struct topo *t = p->t;
	int i = section(p, t->nodes[0].name, sizeof(t->nodes[0]), &t->n_nodes, TOPO_NODES_MAX,
			"node", name, &t->nodes[0].line);
	if (i < 0)
		return;
	struct topo_node *n = &t->nodes[i];
	if (strcmp(key, "role") == 0) {
		if (p->node_has_role[i]) {
			perr(p, p->in.line, "'role' is set twice for node %s", name);
			return;
		}
		p->node_has_role[i] = true;
		/* One role, or several that one server runs together:
		 * role = web app db. The first tier is where the map puts it. */
		char buf[128];
		str_copy(buf, sizeof(buf), value);
		char *save = NULL;
		for (char *w = strtok_r(buf, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
			const struct role *r = role_find(w);
			if (!r) {
				char known[128];
				role_names(known, sizeof(known));
				const char *near = role_closest(w);
				perr(p, p->in.line, "unknown role '%s'%s%s%s (known: %s)", w, near ? ": did you mean '" : "",
				     near ? near : "", near ? "'?" : "", known);
				continue;
			}
			unsigned bit = 1u << (r - role_get(0));
			if (n->roles & bit) {
				perr(p, p->in.line, "node %s: role %s is named twice", name, w);
				continue;
			}
			n->roles |= bit;
			if (!n->role || r->tier < n->role->tier)
				n->role = r;
		}
		if (!n->roles) {
			char known[128];
			role_names(known, sizeof(known));
			perr(p, p->in.line, "node %s: 'role' names no role (known: %s)", name, known);
		}
		else if ((n->roles & (1u << ROLE_CLIENT)) && n->roles != 1u << ROLE_CLIENT)
			perr(p, p->in.line, "node %s: a client is a client only (it runs no daemons)", name);
		else if ((n->roles & (1u << ROLE_LB)) && (n->roles & (1u << ROLE_WEB)))
			perr(p, p->in.line, "node %s: an lb and a web server in one node would both want port 80, and the lb "
					    "would balance over itself: give each a node", name);
	} else if (strcmp(key, "allow") == 0) {
		parse_rule(p, n, value);
	} else if (strcmp(key, "cpu") == 0) {
		/* A server's size, the same on every machine: lessons about
		 * capacity hold on a fast laptop and on a class's server. */
		char *end;
		double v = strtod(value, &end);
		if (end == value || *end || !(v >= TOPO_CPU_MIN && v <= TOPO_CPU_MAX))
			perr(p, p->in.line, "node %s: cpu is the cores it may use, from %g to %g (e.g. cpu = 0.5), not '%s'",
			     name, TOPO_CPU_MIN, TOPO_CPU_MAX, value);
		else
			n->cpu = v;
	} else if (strcmp(key, "memory") == 0) {
		char *end;
		long v = strtol(value, &end, 10);
		if (end == value || *end || v < TOPO_MEMORY_MIN || v > TOPO_MEMORY_MAX)
			perr(p, p->in.line, "node %s: memory is the MiB it may use, from %d to %d (e.g. memory = 256), not '%s'",
			     name, TOPO_MEMORY_MIN, TOPO_MEMORY_MAX, value);
		else
			n->memory = (int)v;
	} else if (is_iface_key(key)) {
		for (int k = 0; k < n->n_ifaces; k++)
			if (strcmp(n->ifaces[k].name, key) == 0) {
				perr(p, p->in.line, "interface %s of node %s is defined twice", key, name);
				return;
			}
		if (n->n_ifaces >= TOPO_IFACES_MAX) {
			perr(p, p->in.line, "node %s has more than %d interfaces", name, TOPO_IFACES_MAX);
			return;
		}
		struct topo_iface *ifc = &n->ifaces[n->n_ifaces];
		if (str_copy(ifc->name, sizeof(ifc->name), key) < 0) {
			perr(p, p->in.line, "interface name '%s' is too long", key);
			return;
		}
		ifc->line = p->in.line;
		str_copy(p->iface_text[i][n->n_ifaces], sizeof(p->iface_text[i][0]), value);
		n->n_ifaces++;
	} else {
		/* Role settings are checked once the role is known (validate). */
		add_setting(p, n->settings, &n->n_settings, key, value);
	}
}

static void handle_vip(struct parser *p, const char *name, const char *key, const char *value)
{
	struct topo *t = p->t;
	int i = section(p, t->vips[0].name, sizeof(t->vips[0]), &t->n_vips, TOPO_VIPS_MAX,
			"vip", name, &t->vips[0].line);
	if (i < 0)
		return;
	struct raw_vip *rv = &p->vips[i];
	if (strcmp(key, "network") == 0) {
		str_copy(rv->network, sizeof(rv->network), value);
		rv->line_network = p->in.line;
	} else if (strcmp(key, "address") == 0) {
		str_copy(rv->address, sizeof(rv->address), value);
		rv->line_address = p->in.line;
	} else if (strcmp(key, "holders") == 0) {
		if (str_copy(rv->holders, sizeof(rv->holders), value) < 0)
			perr(p, p->in.line, "holders list is too long");
		rv->line_holders = p->in.line;
	} else {
		perr(p, p->in.line, "unknown key '%s' in [vip %s] (known: network, address, holders)", key, name);
	}
}

static void handle_role(struct parser *p, const char *name, const char *key, const char *value)
{
	const struct role *r = role_find(name);
	if (!r) {
		perr(p, p->in.line, "unknown role '%s' in section [role %s]", name, name);
		return;
	}
	const struct setting *s = role_setting(r, key);
	if (!s) {
		char keys[128];
		perr(p, p->in.line, "unknown setting '%s' for role %s (known: %s)", key, name, role_keys(r, keys, sizeof(keys)));
		return;
	}
	char owner[TOPO_NAME_MAX + 8];
	snprintf(owner, sizeof(owner), "role %s", r->name);
	enum role_id id = (enum role_id)(r - role_get(0));
	if (check_value(p, p->in.line, owner, s, value))
		add_setting(p, p->t->role_settings[id], &p->t->n_role_settings[id], key, value);
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parser *p = user;
	const char *space = strchr(section, ' ');
	char kind[16] = "";
	const char *name = "";
	if (space) {
		size_t n = (size_t)(space - section);
		if (n < sizeof(kind))
			memcpy(kind, section, n), kind[n] = '\0';
		name = space + 1;
		while (*name == ' ')
			name++;
	} else {
		str_copy(kind, sizeof(kind), section);
	}

	if (!*section)
		perr(p, p->in.line, "'%s' is outside any section", key);
	else if (strcmp(section, "lab") == 0)
		handle_lab(p, key, value);
	else if (strcmp(kind, "network") == 0 && *name)
		handle_network(p, name, key, value);
	else if (strcmp(kind, "node") == 0 && *name)
		handle_node(p, name, key, value);
	else if (strcmp(kind, "vip") == 0 && *name)
		handle_vip(p, name, key, value);
	else if (strcmp(kind, "role") == 0 && *name)
		handle_role(p, name, key, value);
	else
		perr(p, p->in.line, "unknown section [%s] (known: [lab], [network NAME], [node NAME], [vip NAME], [role NAME])", section);
	return 1; /* keep going: we want every error, not the first */
}

static bool parse_ipv4(const char *s, struct in_addr *out)
{
	return inet_pton(AF_INET, s, out) == 1;
}

static uint32_t prefix_mask(int prefix)
{
	return prefix == 0 ? 0 : htonl(~0u << (32 - prefix));
}

static bool in_subnet(const struct topo_net *n, struct in_addr a)
{
	return (a.s_addr & prefix_mask(n->prefix)) == n->subnet.s_addr;
}

/* Do a/pa and b/pb share an address? Either holds the other, so compare
 * under the shorter prefix. */
static bool nets_overlap(struct in_addr a, int pa, struct in_addr b, int pb)
{
	return ((a.s_addr ^ b.s_addr) & prefix_mask(pa < pb ? pa : pb)) == 0;
}

/* Ranges the kernel gives a meaning of their own: a lab network there would
 * not behave like a LAN (or would not come up at all). */
static const struct reserved_net {
	const char *addr;
	int prefix;
	const char *what;
} reserved_nets[] = {
	{ "0.0.0.0", 8, "0.0.0.0/8, 'this network'" },
	{ "127.0.0.0", 8, "127.0.0.0/8, loopback" },
	{ "224.0.0.0", 4, "224.0.0.0/4, multicast" },
	{ "240.0.0.0", 4, "240.0.0.0/4, reserved (with the broadcast address)" },
};

static bool host_address(const struct topo_net *n, struct in_addr a)
{
	uint32_t host = ntohl(a.s_addr) & ~ntohl(prefix_mask(n->prefix));
	uint32_t all = ~ntohl(prefix_mask(n->prefix));
	return n->prefix >= 31 || (host != 0 && host != all);
}

static int net_find(const struct topo *t, const char *name)
{
	return find_named(t->nets[0].name, sizeof(t->nets[0]), t->n_nets, name);
}

static int node_index(const struct topo *t, const char *name)
{
	return find_named(t->nodes[0].name, sizeof(t->nodes[0]), t->n_nodes, name);
}

struct addr_use {
	struct in_addr addr;
	int line;
};

static void check_unique_addr(struct parser *p, struct addr_use *used, int *n_used, struct in_addr a, int line)
{
	for (int i = 0; i < *n_used; i++)
		if (used[i].addr.s_addr == a.s_addr) {
			char buf[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &a, buf, sizeof(buf));
			perr(p, line, "address %s is already used on line %d", buf, used[i].line);
			return;
		}
	used[(*n_used)++] = (struct addr_use){ a, line };
}

static void validate_nets(struct parser *p)
{
	struct topo *t = p->t;
	for (int i = 0; i < t->n_nets; i++) {
		struct topo_net *n = &t->nets[i];
		if (!p->subnet_text[i][0]) {
			perr(p, n->line, "network %s has no subnet", n->name);
			continue;
		}
		char buf[64];
		str_copy(buf, sizeof(buf), p->subnet_text[i]);
		char *slash = strchr(buf, '/');
		char *end = NULL;
		long prefix = slash && isdigit((unsigned char)slash[1]) ? strtol(slash + 1, &end, 10) : -1;
		if (slash)
			*slash = '\0';
		if (!end || *end || prefix < 8 || prefix > 30 || !parse_ipv4(buf, &n->subnet)) {
			perr(p, p->subnet_line[i], "subnet '%s' is not an IPv4 network like 10.0.0.0/24 (prefix 8 to 30)", p->subnet_text[i]);
			continue;
		}
		n->prefix = (int)prefix;
		if (n->subnet.s_addr & ~prefix_mask(n->prefix))
			perr(p, p->subnet_line[i], "subnet '%s' has host bits set", p->subnet_text[i]);
		if (snprintf(n->bridge, sizeof(n->bridge), "br-%s", n->name) >= (int)sizeof(n->bridge))
			perr(p, n->line, "network name '%s' is too long for a bridge name (at most %d characters)",
			     n->name, IFNAMSIZ - 1 - 3);
		for (size_t r = 0; r < ARRAY_SIZE(reserved_nets); r++) {
			struct in_addr ra;
			parse_ipv4(reserved_nets[r].addr, &ra);
			if (nets_overlap(n->subnet, n->prefix, ra, reserved_nets[r].prefix))
				perr(p, p->subnet_line[i], "subnet '%s' is in %s: use a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
				     p->subnet_text[i], reserved_nets[r].what);
		}
		for (int k = 0; k < i; k++)
			if (t->nets[k].prefix && nets_overlap(n->subnet, n->prefix, t->nets[k].subnet, t->nets[k].prefix))
				perr(p, p->subnet_line[i], "subnet of network %s overlaps network %s", n->name, t->nets[k].name);
	}
}

static void validate_nodes(struct parser *p, struct addr_use *used, int *n_used)
{
	struct topo *t = p->t;
	for (int i = 0; i < t->n_nodes; i++) {
		struct topo_node *n = &t->nodes[i];
		if (!p->node_has_role[i])
			perr(p, n->line, "node %s has no role", n->name);
		if (n->n_ifaces == 0)
			perr(p, n->line, "node %s has no interface (add e.g. 'eth0 = NETWORK ADDRESS')", n->name);
		char owner[TOPO_NAME_MAX + 8];
		snprintf(owner, sizeof(owner), "node %s", n->name);
		for (int s = 0; n->roles && s < n->n_settings; s++) {
			const struct topo_setting *ts = &n->settings[s];
			const struct setting *spec = NULL;
			char keys[256] = "", roles[64];
			for (int r = 0; r < ROLE_COUNT && !spec; r++)
				if (topo_has_role(n, r) && !(spec = role_setting(role_get(r), ts->key))) {
					char k[128];
					if (strcmp(role_keys(role_get(r), k, sizeof(k)), "none") != 0)
						snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), "%s%s", keys[0] ? ", " : "", k);
				}
			if (!spec)
				perr(p, ts->line, "unknown key '%s' for node %s (role %s takes: %s)", ts->key, n->name,
				     topo_roles(n, roles, sizeof(roles)), keys[0] ? keys : "none");
			else
				check_value(p, ts->line, owner, spec, ts->value);
		}
		for (int k = 0; k < n->n_ifaces; k++) {
			struct topo_iface *ifc = &n->ifaces[k];
			char net[64] = "", addr[64] = "", extra[8] = "";
			int fields = sscanf(p->iface_text[i][k], "%63s %63s %7s", net, addr, extra);
			ifc->net = -1;
			if (fields != 2) {
				perr(p, ifc->line, "interface %s: expected 'NETWORK ADDRESS', got '%s'", ifc->name, p->iface_text[i][k]);
				continue;
			}
			if (snprintf(ifc->peer, sizeof(ifc->peer), "%s-%s", n->name, ifc->name) >= (int)sizeof(ifc->peer))
				perr(p, ifc->line, "'%s-%s' is too long for an interface name (node name plus interface at most %d characters)",
				     n->name, ifc->name, IFNAMSIZ - 2);
			ifc->net = net_find(t, net);
			if (ifc->net < 0) {
				perr(p, ifc->line, "interface %s of node %s is on network '%s', which does not exist", ifc->name, n->name, net);
				continue;
			}
			for (int o = 0; o < k; o++)
				if (n->ifaces[o].net == ifc->net)
					perr(p, ifc->line, "node %s has two interfaces on network %s", n->name, net);
			if (!parse_ipv4(addr, &ifc->addr)) {
				perr(p, ifc->line, "'%s' is not an IPv4 address", addr);
				continue;
			}
			const struct topo_net *tn = &t->nets[ifc->net];
			if (!tn->prefix)
				continue;
			if (!in_subnet(tn, ifc->addr))
				perr(p, ifc->line, "address %s is outside network %s (%s)", addr, tn->name, p->subnet_text[ifc->net]);
			else if (!host_address(tn, ifc->addr))
				perr(p, ifc->line, "address %s is the network or broadcast address of %s", addr, tn->name);
			check_unique_addr(p, used, n_used, ifc->addr, ifc->line);
		}
	}
}

static void validate_vips(struct parser *p, struct addr_use *used, int *n_used)
{
	struct topo *t = p->t;
	for (int i = 0; i < t->n_vips; i++) {
		struct topo_vip *v = &t->vips[i];
		struct raw_vip *rv = &p->vips[i];
		v->net = -1;
		if (!rv->network[0])
			perr(p, v->line, "vip %s has no network", v->name);
		else if ((v->net = net_find(t, rv->network)) < 0)
			perr(p, rv->line_network, "vip %s is on network '%s', which does not exist", v->name, rv->network);
		if (!rv->address[0]) {
			perr(p, v->line, "vip %s has no address", v->name);
		} else if (!parse_ipv4(rv->address, &v->addr)) {
			perr(p, rv->line_address, "'%s' is not an IPv4 address", rv->address);
		} else {
			if (v->net >= 0 && t->nets[v->net].prefix && !in_subnet(&t->nets[v->net], v->addr))
				perr(p, rv->line_address, "vip address %s is outside network %s", rv->address, rv->network);
			check_unique_addr(p, used, n_used, v->addr, rv->line_address);
		}
		if (!rv->holders[0]) {
			perr(p, v->line, "vip %s has no holders (e.g. 'holders = lb1 lb2')", v->name);
			continue;
		}
		char buf[256];
		str_copy(buf, sizeof(buf), rv->holders);
		char *save = NULL;
		for (char *h = strtok_r(buf, " \t,", &save); h; h = strtok_r(NULL, " \t,", &save)) {
			int ni = node_index(t, h);
			if (ni < 0) {
				perr(p, rv->line_holders, "vip %s: holder '%s' is not a node", v->name, h);
				continue;
			}
			if (v->n_holders >= TOPO_HOLDERS_MAX) {
				perr(p, rv->line_holders, "vip %s has more than %d holders", v->name, TOPO_HOLDERS_MAX);
				break;
			}
			for (int k = 0; k < v->n_holders; k++)
				if (v->holders[k] == ni)
					perr(p, rv->line_holders, "vip %s: holder %s is named twice", v->name, h);
			if (v->net >= 0 && !topo_node_addr(&t->nodes[ni], v->net))
				perr(p, rv->line_holders, "vip %s: holder %s has no interface on network %s", v->name, h, rv->network);
			v->holders[v->n_holders++] = ni;
		}
	}
}

/* A vip is held by keepalived, which only load balancers run. */
static void validate_holders(struct parser *p)
{
	struct topo *t = p->t;
	for (int v = 0; v < t->n_vips; v++)
		for (int h = 0; h < t->vips[v].n_holders; h++) {
			const struct topo_node *n = &t->nodes[t->vips[v].holders[h]];
			if (n->roles && !topo_has_role(n, ROLE_LB))
				perr(p, p->vips[v].line_holders, "vip %s: holder %s is not a load balancer (keepalived runs on lb nodes)",
				     t->vips[v].name, n->name);
		}
}

/* What www.DOMAIN names, the zone of the DNS node needs: a vip, or a node
 * when there is no cluster to hold one (one server, or one lb). */
static void validate_www(struct parser *p)
{
	struct topo *t = p->t;
	if (t->www[0] && find_named(t->vips[0].name, sizeof(t->vips[0]), t->n_vips, t->www) < 0 &&
	    node_index(t, t->www) < 0)
		perr(p, p->www_line, "www = %s: no vip or node of that name", t->www);
	for (int i = 0; i < t->n_nodes && !t->www[0] && t->n_vips == 0; i++)
		if (topo_has_role(&t->nodes[i], ROLE_DNS))
			perr(p, t->nodes[i].line,
			     "node %s is a DNS server, but www.%s points nowhere: add 'www = NODE' to [lab], or a [vip NAME]",
			     t->nodes[i].name, t->domain[0] ? t->domain : "foobar.com");
}

static int zone_line(const struct topo_node *n)
{
	for (int k = 0; k < n->n_settings; k++)
		if (strcmp(n->settings[k].key, "zone") == 0)
			return n->settings[k].line;
	return n->line;
}

/* The DNS chain: the lab's domain is served by an authoritative node, and
 * a resolver has a root to start from (it never asks outside the lab). */
static void validate_dns(struct parser *p)
{
	struct topo *t = p->t;
	int first_dns = -1, resolver = -1;
	bool domain = false, root = false;
	for (int i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		if (topo_has_role(n, ROLE_RESOLVER) && resolver < 0)
			resolver = i;
		if (!topo_has_role(n, ROLE_DNS))
			continue;
		if (first_dns < 0)
			first_dns = i;
		domain |= topo_serves(t, n, t->domain);
		/* The domain's own names: a server of it named www would add an
		 * address to www (its name in the zone is NODE.DOMAIN). */
		static const char *const taken[] = { "www", "mail", "blog" };
		for (size_t k = 0; k < ARRAY_SIZE(taken); k++) {
			char below[80];
			snprintf(below, sizeof(below), "%s.%s", taken[k], t->domain);
			if (topo_serves(t, n, t->domain) && strcmp(n->name, taken[k]) == 0)
				perr(p, n->line, "node %s serves %s, where %s.%s is the site's own record: name it ns1, ns2…", n->name,
				     t->domain, n->name, t->domain);
			if (topo_serves(t, n, below))
				perr(p, zone_line(n), "node %s: zone %s is a record of %s (the site's), not a zone of its own", n->name,
				     below, t->domain);
		}
		root |= topo_serves(t, n, ".");
		const char *zones = topo_setting(t, n, "zone", "");
		char seen[256] = " ";
		char buf[256], *save = NULL;
		str_copy(buf, sizeof(buf), zones);
		for (char *z = strtok_r(buf, " \t", &save); z; z = strtok_r(NULL, " \t", &save)) {
			char word[80];
			snprintf(word, sizeof(word), " %s ", z);
			if (strstr(seen, word))
				perr(p, zone_line(n), "node %s: zone %s is named twice", n->name, z);
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s ", z);
		}
	}
	if (first_dns >= 0 && !domain)
		perr(p, t->nodes[first_dns].line, "no DNS node serves %s: name it in a dns node's zone (zone = %s)",
		     t->domain, t->domain);
	if (resolver >= 0 && !root)
		perr(p, t->nodes[resolver].line,
		     "node %s is a resolver, but no dns node serves the root: add 'zone = .' to one (the lab has no way out)",
		     t->nodes[resolver].name);
}

/* A rule's sources are nodes or networks of this topology, or any. */
static void validate_rules(struct parser *p)
{
	struct topo *t = p->t;
	for (int i = 0; i < t->n_nodes; i++)
		for (int k = 0; k < t->nodes[i].n_rules; k++) {
			const struct topo_rule *r = &t->nodes[i].rules[k];
			for (int f = 0; f < r->n_from; f++)
				if (strcmp(r->from[f], "any") != 0 && node_index(t, r->from[f]) < 0 && net_find(t, r->from[f]) < 0)
					perr(p, r->line, "node %s: allow %s %d from %s: no node or network of that name", t->nodes[i].name,
					     r->proto, r->port, r->from[f]);
				else if (strcmp(r->from[f], t->nodes[i].name) == 0)
					perr(p, r->line, "node %s: allow from itself: its own traffic is always allowed", t->nodes[i].name);
		}
}

/* HTTPS ends at the load balancers (HAProxy holds the site's certificate):
 * the default where there is one; a lab without one serves plain HTTP. */
static void validate_https(struct parser *p)
{
	struct topo *t = p->t;
	bool lb = false;
	for (int i = 0; i < t->n_nodes; i++)
		lb |= topo_has_role(&t->nodes[i], ROLE_LB);
	if (!t->https[0])
		str_copy(t->https, sizeof(t->https), lb ? "yes" : "no");
	else if (strcmp(t->https, "yes") == 0 && !lb)
		perr(p, p->https_line, "https = yes needs a load balancer to end TLS (a node with role lb)");
}

/* A replica copies a primary: a database node that is not a replica
 * itself. */
static void validate_replicas(struct parser *p)
{
	struct topo *t = p->t;
	for (int i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		for (int s = 0; s < n->n_settings; s++) {
			if (strcmp(n->settings[s].key, "replica_of") != 0)
				continue;
			const char *to = n->settings[s].value;
			int k = node_index(t, to);
			if (k < 0)
				perr(p, n->settings[s].line, "node %s: replica_of %s: no node of that name", n->name, to);
			else if (k == i)
				perr(p, n->settings[s].line, "node %s: replica_of names itself", n->name);
			else if (!topo_has_role(&t->nodes[k], ROLE_DB))
				perr(p, n->settings[s].line, "node %s: replica_of %s: %s runs no database (role db)", n->name, to, to);
			else if (topo_setting(t, &t->nodes[k], "replica_of", NULL))
				perr(p, n->settings[s].line, "node %s: replica_of %s: %s is a replica itself (chains are not supported)",
				     n->name, to, to);
		}
	}
}

struct link_name {
	const char *name;
	int line;
	int net, node, iface;          /* a bridge: net; a veth: node and iface (net -1) */
};

static void link_what(const struct topo *t, const struct link_name *l, char *buf, size_t size)
{
	if (l->net >= 0)
		snprintf(buf, size, "the bridge of network %s", t->nets[l->net].name);
	else
		snprintf(buf, size, "the switch side of %s of node %s", t->nodes[l->node].ifaces[l->iface].name,
			 t->nodes[l->node].name);
}

/* Every bridge (br-NET) and the switch side of every veth (NODE-IFACE) live
 * in the one switch namespace: a network "eth0" and a node "br" with eth0
 * both want br-eth0, and the second would fail to be made at `up`. */
static void validate_link_names(struct parser *p)
{
	struct topo *t = p->t;
	struct link_name *links = xcalloc(TOPO_NETS_MAX + TOPO_NODES_MAX * TOPO_IFACES_MAX, sizeof(*links));
	int n = 0;
	for (int i = 0; i < t->n_nets; i++)
		links[n++] = (struct link_name){ t->nets[i].bridge, t->nets[i].line, i, -1, -1 };
	for (int i = 0; i < t->n_nodes; i++)
		for (int k = 0; k < t->nodes[i].n_ifaces; k++)
			links[n++] = (struct link_name){ t->nodes[i].ifaces[k].peer, t->nodes[i].ifaces[k].line, -1, i, k };
	for (int i = 0; i < n; i++)
		for (int k = 0; k < i && links[i].name[0]; k++)
			if (strcmp(links[i].name, links[k].name) == 0) {
				char a[2 * TOPO_NAME_MAX + 32], b[sizeof(a)];
				link_what(t, &links[i], a, sizeof(a));
				link_what(t, &links[k], b, sizeof(b));
				perr(p, links[i].line, "link name %s would be both %s and %s (line %d): rename one",
				     links[i].name, a, b, links[k].line);
				break;
			}
	free(links);
}

static void validate(struct parser *p)
{
	struct topo *t = p->t;
	static struct addr_use used[TOPO_NODES_MAX * TOPO_IFACES_MAX + TOPO_VIPS_MAX];
	int n_used = 0;
	if (t->n_nets == 0)
		perr(p, p->in.line, "no [network NAME] section: a lab needs at least one network");
	if (t->n_nodes == 0)
		perr(p, p->in.line, "no [node NAME] section: a lab needs at least one node");
	validate_nets(p);
	validate_nodes(p, used, &n_used);
	validate_vips(p, used, &n_used);
	validate_holders(p);
	validate_www(p);
	validate_dns(p);
	validate_replicas(p);
	validate_https(p);
	validate_rules(p);
	validate_link_names(p);
}

int topo_parse(FILE *f, const char *path, struct topo **out, char **errors)
{
	struct parser *p = xcalloc(1, sizeof(*p));
	p->t = xcalloc(1, sizeof(*p->t));
	inifile_parse(&p->in, f, path, TOPO_FILE_MAX, handler, p);
	struct topo *t = p->t;
	if (!t->domain[0])
		str_copy(t->domain, sizeof(t->domain), "foobar.com");
	validate(p);

	t->path = xstrdup(path);
	if (!t->name[0]) {
		/* Default the lab's topology name to the file's base name. */
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		size_t len = strcspn(base, ".");
		if (len < sizeof(t->name))
			memcpy(t->name, base, len), t->name[len] = '\0';
		if (!valid_name(t->name)) /* it names the lab in files the nodes read */
			str_copy(t->name, sizeof(t->name), "lab");
	}
	*errors = inifile_end(&p->in);
	*out = *errors ? NULL : t;
	if (*errors)
		topo_free(t);
	free(p);
	return *errors ? -EINVAL : 0;
}

int topo_load(const char *path, struct topo **out, char **errors)
{
	*out = NULL;
	FILE *f = NULL;
	int r = inifile_open(path, TOPO_FILE_MAX, "a topology", &f, errors);
	if (r < 0)
		return r;
	r = topo_parse(f, path, out, errors);
	fclose(f);
	return r;
}

char *topo_resolve(const char *name_or_path)
{
	size_t len = strlen(name_or_path);
	if (strchr(name_or_path, '/') || (len > 4 && strcmp(name_or_path + len - 4, ".lab") == 0))
		return xstrdup(name_or_path);
	return xasprintf("%s/scenarios/%s.lab", data_dir(), name_or_path);
}

void topo_free(struct topo *t)
{
	if (!t)
		return;
	free(t->path);
	free(t);
}

const struct topo_node *topo_node_find(const struct topo *t, const char *name)
{
	int i = node_index(t, name);
	return i < 0 ? NULL : &t->nodes[i];
}

const char *topo_setting(const struct topo *t, const struct topo_node *n, const char *key, const char *def)
{
	for (int i = 0; i < n->n_settings; i++)
		if (strcmp(n->settings[i].key, key) == 0)
			return n->settings[i].value;
	for (int id = 0; id < ROLE_COUNT; id++)
		for (int i = 0; topo_has_role(n, id) && i < t->n_role_settings[id]; i++)
			if (strcmp(t->role_settings[id][i].key, key) == 0)
				return t->role_settings[id][i].value;
	return def;
}

bool topo_serves(const struct topo *t, const struct topo_node *n, const char *zone)
{
	if (!topo_has_role(n, ROLE_DNS))
		return false;
	const char *zones = topo_setting(t, n, "zone", "");
	if (!*zones) /* an authoritative server serves the lab's domain unless told */
		return strcmp(zone, t->domain) == 0;
	size_t len = strlen(zone);
	for (const char *z = zones; *z;) {
		z += strspn(z, " \t");
		size_t w = strcspn(z, " \t");
		if (w && w == len && memcmp(z, zone, len) == 0)
			return true;
		z += w;
	}
	return false;
}

bool topo_has_role(const struct topo_node *n, enum role_id id)
{
	return (unsigned)id < ROLE_COUNT && (n->roles & (1u << id));
}

const char *topo_roles(const struct topo_node *n, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int id = 0; id < ROLE_COUNT; id++)
		if (topo_has_role(n, id))
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? " " : "", role_get(id)->name);
	return buf;
}

bool topo_monitored(const struct topo *t)
{
	for (int i = 0; i < t->n_nodes; i++)
		if (topo_has_role(&t->nodes[i], ROLE_MONITOR))
			return true;
	return false;
}

bool topo_is_server(const struct topo_node *n)
{
	return topo_has_role(n, ROLE_LB) || topo_has_role(n, ROLE_WEB) || topo_has_role(n, ROLE_APP) ||
	       topo_has_role(n, ROLE_DB);
}

const struct topo_vip *topo_held_vip(const struct topo *t, const struct topo_node *n, int *rank)
{
	int i = (int)(n - t->nodes);
	for (int v = 0; v < t->n_vips; v++)
		for (int h = 0; h < t->vips[v].n_holders; h++)
			if (t->vips[v].holders[h] == i) {
				if (rank)
					*rank = h;
				return &t->vips[v];
			}
	return NULL;
}

bool topo_vip_held_by(const struct topo *t, const struct topo_vip *v, const struct topo_node *n)
{
	for (int h = 0; h < v->n_holders; h++)
		if (&t->nodes[v->holders[h]] == n)
			return true;
	return false;
}

bool topo_holds_vip(const struct topo *t, const struct topo_node *n)
{
	return topo_held_vip(t, n, NULL) != NULL;
}

const struct in_addr *topo_www_addr(const struct topo *t)
{
	for (int v = 0; v < t->n_vips; v++)
		if (!t->www[0] || strcmp(t->vips[v].name, t->www) == 0)
			return &t->vips[v].addr;
	const struct topo_node *n = t->www[0] ? topo_node_find(t, t->www) : NULL;
	return n ? topo_client_addr(t, n) : NULL;
}

const struct in_addr *topo_client_addr(const struct topo *t, const struct topo_node *n)
{
	for (int c = 0; c < t->n_nodes; c++)
		for (int k = 0; topo_has_role(&t->nodes[c], ROLE_CLIENT) && k < t->nodes[c].n_ifaces; k++) {
			const struct in_addr *a = topo_node_addr(n, t->nodes[c].ifaces[k].net);
			if (a)
				return a;
		}
	return n->n_ifaces ? &n->ifaces[0].addr : NULL;
}

const char *topo_scheme(const struct topo *t)
{
	return strcmp(t->https, "no") == 0 ? "http" : "https";
}

int topo_site_port(const struct topo *t)
{
	return strcmp(t->https, "no") == 0 ? 80 : 443;
}

bool topo_is_primary(const struct topo *t, const struct topo_node *n)
{
	for (int i = 0; i < t->n_nodes; i++)
		if (topo_primary_of(t, &t->nodes[i]) == n)
			return true;
	return false;
}

const struct topo_node *topo_primary_of(const struct topo *t, const struct topo_node *n)
{
	const char *name = topo_has_role(n, ROLE_DB) ? topo_setting(t, n, "replica_of", NULL) : NULL;
	return name ? topo_node_find(t, name) : NULL;
}

const struct in_addr *topo_node_addr(const struct topo_node *n, int net)
{
	for (int i = 0; i < n->n_ifaces; i++)
		if (n->ifaces[i].net == net)
			return &n->ifaces[i].addr;
	return NULL;
}

void topo_write(const struct topo *t, FILE *out)
{
	char a[INET_ADDRSTRLEN];
	fprintf(out, "[lab]\nname = %s\n", t->name);
	if (t->title[0])
		fprintf(out, "title = %s\n", t->title);
	fprintf(out, "domain = %s\n", t->domain);
	if (t->www[0])
		fprintf(out, "www = %s\n", t->www);
	fprintf(out, "https = %s\n", t->https);
	for (int i = 0; i < t->n_nets; i++) {
		inet_ntop(AF_INET, &t->nets[i].subnet, a, sizeof(a));
		fprintf(out, "\n[network %s]\nsubnet = %s/%d\n", t->nets[i].name, a, t->nets[i].prefix);
	}
	for (int r = 0; r < ROLE_COUNT; r++) {
		if (!t->n_role_settings[r])
			continue;
		fprintf(out, "\n[role %s]\n", role_get(r)->name);
		for (int i = 0; i < t->n_role_settings[r]; i++)
			fprintf(out, "%s = %s\n", t->role_settings[r][i].key, t->role_settings[r][i].value);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		char roles[64];
		fprintf(out, "\n[node %s]\nrole = %s\n", n->name, topo_roles(n, roles, sizeof(roles)));
		for (int k = 0; k < n->n_ifaces; k++) {
			inet_ntop(AF_INET, &n->ifaces[k].addr, a, sizeof(a));
			fprintf(out, "%s = %s %s\n", n->ifaces[k].name, t->nets[n->ifaces[k].net].name, a);
		}
		for (int s = 0; s < n->n_settings; s++)
			fprintf(out, "%s = %s\n", n->settings[s].key, n->settings[s].value);
		for (int k = 0; k < n->n_rules; k++) {
			fprintf(out, "allow = %s %d from", n->rules[k].proto, n->rules[k].port);
			for (int f = 0; f < n->rules[k].n_from; f++)
				fprintf(out, " %s", n->rules[k].from[f]);
			fputc('\n', out);
		}
	}
	for (int i = 0; i < t->n_vips; i++) {
		const struct topo_vip *v = &t->vips[i];
		inet_ntop(AF_INET, &v->addr, a, sizeof(a));
		fprintf(out, "\n[vip %s]\nnetwork = %s\naddress = %s\nholders =", v->name, t->nets[v->net].name, a);
		for (int k = 0; k < v->n_holders; k++)
			fprintf(out, " %s", t->nodes[v->holders[k]].name);
		fputc('\n', out);
	}
}
