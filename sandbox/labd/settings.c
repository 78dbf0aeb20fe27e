/* settings.c — `stacklab set`: change a running node's setting the way an
 * operator would, by rewriting its config and reloading the daemon.
 *
 * A load balancer's algorithm, and the domain's www record and TTL. HAProxy runs in master-worker
 * mode: on SIGUSR2 the master reads the new config, starts new workers and
 * lets the old ones finish the connections they hold, so a reload under
 * traffic loses nothing. The config is written from inside the node (it is
 * the node's file) and checked with `haproxy -c` before the master is told. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "lab.h"
#include "node.h"
#include "util.h"

const char *lab_balance(const struct lab *lab, const struct topo_node *n)
{
	const struct lab_node *ln = &lab->nodes[n - lab->topo->nodes];
	return ln->balance[0] ? ln->balance : topo_setting(lab->topo, n, "balance", "roundrobin");
}

/* Write `text` to `path` inside node i, check it with the daemon's own
 * checker (`check`, NULL-ended, given the new file as its last argument),
 * and only then put it in place. The file is the node's: written from
 * inside it, never by following a path in its tree from here. */
static int install_checked(struct lab *lab, int i, const char *path, const char *text, const char *const check[],
			   char *why, size_t size)
{
	static const char script[] =
		"f=$1\n"
		"printf '%s' \"$2\" > \"$f.new\" || exit 3\n"
		"shift 2\n"
		"\"$@\" \"$f.new\" 2>&1 || exit 4\n"
		"mv -f \"$f.new\" \"$f\" || exit 5\n";
	char *argv[16] = { "/bin/sh", "-c", (char *)script, "sh", (char *)path, (char *)text };
	int k = 6;
	for (const char *const *c = check; *c && k < 15; c++)
		argv[k++] = (char *)*c;
	argv[k] = NULL;
	struct node_door door = lab_door(lab, i);
	char out[512] = "";
	int r = node_run(&door, argv, out, sizeof(out), 3000);
	if (r == 0)
		return 0;
	text_clean(out);
	if (r == -ETIMEDOUT)
		snprintf(why, size, "the node did not answer in 3 s");
	else if (r < 0)
		snprintf(why, size, "%s", strerror(-r));
	else if (r == 4)
		snprintf(why, size, "%s", out[0] ? out : "its checker refused the new file");
	else
		snprintf(why, size, "could not write %s in the node", path);
	return -EIO;
}

static json_t *set_balance(struct lab *lab, int i, const char *value)
{
	const struct topo_node *n = &lab->topo->nodes[i];
	struct lab_node *ln = &lab->nodes[i];
	const struct setting *s = role_setting(role_get(ROLE_LB), "balance");
	bool known = false;
	char list[128] = "";
	for (const char *const *c = s->choices; *c; c++) {
		known |= strcmp(*c, value) == 0;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", c == s->choices ? "" : ", ", *c);
	}
	if (!known)
		return lab_reply_error("balance '%s' is not an algorithm HAProxy takes here (known: %s)", value, list);
	bool running = false;
	for (int k = 0; k < ln->n_services; k++)
		running |= strcmp(ln->services[k].name, "haproxy") == 0 && ln->services[k].pid > 0;
	if (!running) /* no master to reload: the config would wait for a restart, unsaid */
		return lab_reply_error("HAProxy on %s is not running: heal it first", n->name);
	char was[sizeof(ln->balance)];
	str_copy(was, sizeof(was), lab_balance(lab, n));
	str_copy(ln->balance, sizeof(ln->balance), value);
	struct sl_error err = { 0 };
	_cleanup_free_ char *cfg = lab_render_file(lab, i, "lb/etc/haproxy/haproxy.cfg", &err);
	char why[600] = "";
	static const char *const check[] = { "/usr/sbin/haproxy", "-c", "-q", "-f", NULL };
	int r = cfg ? install_checked(lab, i, "/etc/haproxy/haproxy.cfg", cfg, check, why, sizeof(why)) : -EINVAL;
	if (r == 0)
		r = node_command(ln->sync, "reload haproxy");
	if (r < 0) {
		str_copy(ln->balance, sizeof(ln->balance), was);
		return lab_reply_error("set %s balance %s: %s", n->name, value,
				       why[0] ? why : cfg ? strerror(-r) : sl_err_text(&err, r));
	}
	lab_emit(lab, json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "set", "node", n->name, "key", "balance", "value",
				value, "was", was));
	return json_pack("{s:b, s:s, s:s, s:s, s:s, s:s}", "ok", 1, "node", n->name, "key", "balance", "value", value, "was",
			 was, "reloaded", "HAProxy");
}

/* `set NS www ADDRESS|NODE|VIP` and `set NS ttl SECONDS`: the domain's zone
 * changes on every server of it (they hold the same zone), with a new
 * serial, and NSD reads it again (SIGHUP). Resolvers keep what they cached
 * until its TTL runs out: that is what a lesson shows. */
static json_t *set_zone(struct lab *lab, const char *key, const char *value)
{
	const struct topo *t = lab->topo;
	struct dns_zone_state was = lab->dns, now = lab->dns;
	char was_text[64], a[INET_ADDRSTRLEN];
	if (strcmp(key, "www") == 0) {
		const struct topo_node *n = topo_node_find(t, value);
		struct in_addr addr = { 0 };
		for (int v = 0; v < t->n_vips && !addr.s_addr; v++)
			if (strcmp(t->vips[v].name, value) == 0)
				addr = t->vips[v].addr;
		if (n)
			addr = *topo_client_addr(t, n);
		else if (!addr.s_addr && inet_pton(AF_INET, value, &addr) != 1)
			return lab_reply_error("www = '%s': expected an IPv4 address, a node or a vip of lab %s", value, lab->name);
		if (!addr.s_addr)
			return lab_reply_error("www = %s: 0.0.0.0 is no host's address", value);
		inet_ntop(AF_INET, was.www.s_addr ? &was.www : topo_www_addr(t), was_text, sizeof(was_text));
		now.www = addr;
	} else {
		char *end;
		long ttl = strtol(value, &end, 10);
		if (*end || end == value || ttl < 1 || ttl > 86400)
			return lab_reply_error("ttl = '%s': expected a whole number of seconds from 1 to 86400", value);
		snprintf(was_text, sizeof(was_text), "%d", dnszone_ttl(t, &was));
		now.ttl = (int)ttl;
	}
	now.serial = (was.serial ? was.serial : 1) + 1;
	_cleanup_free_ char *text = dnszone_text(t, t->domain, &now);
	char file[160], path[200];
	dnszone_file(t->domain, file, sizeof(file));
	snprintf(path, sizeof(path), "/etc/nsd/%s", file);
	const char *const check[] = { "/usr/sbin/nsd-checkzone", t->domain, NULL };
	char why[600] = "";
	int r = 0, done = 0;
	for (int i = 0; i < t->n_nodes && r == 0; i++) {
		if (!topo_serves(t, &t->nodes[i], t->domain))
			continue;
		if (lab->nodes[i].state != NODE_UP) {
			snprintf(why, sizeof(why), "%s is %s: heal it first (its zone would be left behind)", t->nodes[i].name,
				 lab_node_state_names[lab->nodes[i].state]);
			r = -EAGAIN;
		} else if ((r = install_checked(lab, i, path, text, check, why, sizeof(why))) == 0 &&
			   (r = node_command(lab->nodes[i].sync, "reload nsd")) == 0)
			done++;
	}
	if (r < 0) {
		/* The servers already changed keep the new zone file, so its
		 * serial is spent: the next change gets a higher one. The lab's
		 * www and TTL stay as they were, and the reply says so. */
		lab->dns.serial = now.serial;
		return lab_reply_error("set %s %s: %s%s", key, value, why[0] ? why : strerror(-r),
				       done ? " (the servers before it have the new zone)" : "");
	}
	lab->dns = now;
	const char *shown = value;
	if (strcmp(key, "www") == 0)
		shown = inet_ntop(AF_INET, &now.www, a, sizeof(a));
	lab_emit(lab, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "kind", "set", "node", t->domain, "key", key, "value",
				shown, "was", was_text, "serial", (json_int_t)now.serial));
	return json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:I}", "ok", 1, "node", t->domain, "key", key, "value", shown,
			 "was", was_text, "reloaded", "NSD", "serial", (json_int_t)now.serial);
}

json_t *set_request(struct lab *lab, json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "node"));
	const char *key = json_string_value(json_object_get(req, "key"));
	const char *value = json_string_value(json_object_get(req, "value"));
	if (!name || !key || !value)
		return lab_reply_error("set needs a node, a key and a value (stacklab set LB balance ALGORITHM)");
	const struct topo_node *n = topo_node_find(lab->topo, name);
	if (!n)
		return lab_reply_error("no node '%s' in lab %s", name, lab->name);
	int i = (int)(n - lab->topo->nodes);
	if (strcmp(key, "www") == 0 || strcmp(key, "ttl") == 0) {
		if (!topo_serves(lab->topo, n, lab->topo->domain))
			return lab_reply_error("%s does not serve %s: www and ttl are records of that zone, set on its server",
					       name, lab->topo->domain);
		return set_zone(lab, key, value);
	}
	if (strcmp(key, "balance") != 0)
		return lab_reply_error("'%s' cannot be set on a running lab (known: balance on an lb; www, ttl on the "
				       "server of %s)", key, lab->topo->domain);
	if (!topo_has_role(n, ROLE_LB))
		return lab_reply_error("%s is not a load balancer: balance is HAProxy's, on an lb node", name);
	if (lab->nodes[i].state != NODE_UP)
		return lab_reply_error("%s is %s: heal it first", name, lab_node_state_names[lab->nodes[i].state]);
	return set_balance(lab, i, value);
}
