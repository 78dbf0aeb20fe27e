/* settings.c — `stacklab set`: change a running node's setting the way an
 * operator would, by rewriting its config and reloading the daemon.
 *
 * Today that is a load balancer's algorithm. HAProxy runs in master-worker
 * mode: on SIGUSR2 the master reads the new config, starts new workers and
 * lets the old ones finish the connections they hold, so a reload under
 * traffic loses nothing. The config is written from inside the node (it is
 * the node's file) and checked with `haproxy -c` before the master is told. */
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

/* Write the config inside the node, check it, and put it in place. */
static int install_haproxy_cfg(struct lab *lab, int i, const char *cfg, char *why, size_t size)
{
	static const char script[] =
		"printf '%s' \"$1\" > /etc/haproxy/haproxy.cfg.new || exit 3\n"
		"/usr/sbin/haproxy -c -q -f /etc/haproxy/haproxy.cfg.new 2>&1 || exit 4\n"
		"mv -f /etc/haproxy/haproxy.cfg.new /etc/haproxy/haproxy.cfg || exit 5\n";
	char *argv[] = { "/bin/sh", "-c", (char *)script, "sh", (char *)cfg, NULL };
	struct node_door door = lab_door(lab, i);
	char out[512] = "";
	int r = node_run(&door, argv, out, sizeof(out), 3000);
	if (r == 0)
		return 0;
	text_clean(out);
	snprintf(why, size, "%s", r == -ETIMEDOUT ? "the node did not answer in 3 s"
			  : r < 0 ? strerror(-r)
			  : r == 4 ? (out[0] ? out : "haproxy -c refused the new config")
			  : "could not write /etc/haproxy/haproxy.cfg in the node");
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
	int r = cfg ? install_haproxy_cfg(lab, i, cfg, why, sizeof(why)) : -EINVAL;
	if (r == 0)
		r = node_command(ln->sync, "reload haproxy");
	if (r < 0) {
		str_copy(ln->balance, sizeof(ln->balance), was);
		return lab_reply_error("set %s balance %s: %s", n->name, value,
				       why[0] ? why : cfg ? strerror(-r) : sl_err_text(&err, r));
	}
	lab_emit(lab, json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "set", "node", n->name, "key", "balance", "value",
				value, "was", was));
	return json_pack("{s:b, s:s, s:s, s:s, s:s}", "ok", 1, "node", n->name, "key", "balance", "value", value, "was",
			 was);
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
	if (strcmp(key, "balance") != 0)
		return lab_reply_error("'%s' cannot be set on a running lab (known: balance)", key);
	if (!topo_has_role(n, ROLE_LB))
		return lab_reply_error("%s is not a load balancer: balance is HAProxy's, on an lb node", name);
	if (lab->nodes[i].state != NODE_UP)
		return lab_reply_error("%s is %s: heal it first", name, lab_node_state_names[lab->nodes[i].state]);
	return set_balance(lab, i, value);
}
