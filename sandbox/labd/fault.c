/* fault.c — failures injected into a running lab, and their heals.
 *
 *   crash NODE        every process of the node dies and its links go dark,
 *                     as a machine that lost power; heal: links up, daemons
 *                     start again
 *   freeze NODE       every process stops (the cgroup freezer, or SIGSTOP
 *                     where there is none) but keeps its state and its
 *                     addresses; heal: they go on
 *   stop NODE DAEMON  one daemon is asked to stop (SIGTERM); heal: it starts
 *   down LINK         the switch side of the veth goes down (no carrier)
 *   delay/loss LINK   a netem qdisc on the switch side (toward the node)
 *   rate LINK         a tbf qdisc on the switch side
 *   partition A B     their bridge ports are isolated from each other: A and
 *                     B stay up but exchange nothing, not even VRRP adverts
 *   drain WEB         every load balancer's HAProxy sends web server WEB no
 *                     new request (a deploy without errors); heal: ready
 * Every fault is recorded, so it can be healed one by one or all at once,
 * and is an event. Bad requests get a message that names what is wrong. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "util.h"


static int node_find(struct lab *lab, const char *name)
{
	for (int i = 0; i < lab->topo->n_nodes; i++)
		if (strcmp(lab->topo->nodes[i].name, name) == 0)
			return i;
	return -1;
}

int lab_link_find(struct lab *lab, const char *name)
{
	int node = node_find(lab, name);
	for (int i = 0; i < lab->n_links; i++) {
		const struct lab_link *l = &lab->links[i];
		const struct topo_node *tn = &lab->topo->nodes[l->node];
		char colon[64];
		snprintf(colon, sizeof(colon), "%s:%s", tn->name, tn->ifaces[l->iface].name);
		if (strcmp(tn->ifaces[l->iface].peer, name) == 0 || strcmp(colon, name) == 0 ||
		    (node == l->node && tn->n_ifaces == 1))
			return i;
	}
	return -1;
}

static const char *link_name(struct lab *lab, int link)
{
	const struct lab_link *l = &lab->links[link];
	return lab->topo->nodes[l->node].ifaces[l->iface].peer;
}

static json_t *unknown_target(struct lab *lab, const char *target)
{
	char nodes[1024] = "";
	const char *names[TOPO_NODES_MAX + LINKS_MAX];
	size_t n = 0;
	for (int i = 0; i < lab->topo->n_nodes; i++) {
		snprintf(nodes + strlen(nodes), sizeof(nodes) - strlen(nodes), "%s%s", i ? " " : "",
			 lab->topo->nodes[i].name);
		names[n++] = lab->topo->nodes[i].name;
	}
	for (int i = 0; i < lab->n_links && n < sizeof(names) / sizeof(names[0]); i++)
		names[n++] = link_name(lab, i);
	const char *near = str_closest(target, names, n);
	char mean[96] = "";
	if (near)
		snprintf(mean, sizeof(mean), ": did you mean '%s'?", near);
	return lab_reply_error("no node or link '%s' in lab %s%s (nodes: %s; a link is NODE-IFACE, e.g. %s)", target,
			       lab->name, mean, nodes, link_name(lab, 0));
}

/* Is the node able to take a fault? NULL if so, else why not. */
static json_t *node_unfit(struct lab *lab, int node)
{
	enum node_state s = lab->nodes[node].state;
	if (s == NODE_UP)
		return NULL;
	return lab_reply_error("node %s is %s: heal it first (stacklab heal %s)", lab->topo->nodes[node].name,
			       lab_node_state_names[s], lab->topo->nodes[node].name);
}

static struct lab_fault *record(struct lab *lab, enum fault_kind kind, int node, int link, const char *what)
{
	if (lab->n_faults == FAULTS_MAX)
		return NULL;
	struct lab_fault *f = &lab->faults[lab->n_faults++];
	*f = (struct lab_fault){ .kind = kind, .node = node, .other = -1, .link = link };
	str_copy(f->what, sizeof(f->what), what);
	return f;
}

static void fault_event(struct lab *lab, const char *action, const struct lab_fault *f)
{
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "kind", "fault", "action", action, "node",
			       lab->topo->nodes[f->node].name, "what", f->what);
	if (f->link >= 0)
		json_object_set_new(ev, "link", json_string(link_name(lab, f->link)));
	if (f->kind == FAULT_PARTITION)
		json_object_set_new(ev, "other", json_string(lab->topo->nodes[f->other].name));
	lab_emit(lab, ev);
	lab->links_stale = true; /* status reads the links afresh */
}

static bool link_faulted(struct lab *lab, int link, enum fault_kind kind)
{
	for (int i = 0; i < lab->n_faults; i++)
		if (lab->faults[i].link == link && lab->faults[i].kind == kind)
			return true;
	return false;
}

/* Set every link of a node up or down, except those down on their own. */
static int node_links(struct lab *lab, int node, bool up)
{
	int r = 0;
	for (int i = 0; i < lab->n_links; i++)
		if (lab->links[i].node == node && !(up && link_faulted(lab, i, FAULT_LINK_DOWN)))
			r = net_link_set_up(lab->net, link_name(lab, i), up, NULL) < 0 ? -1 : r;
	return r;
}

static json_t *ok_reply(struct lab *lab, const struct lab_fault *f, const char *action)
{
	fault_event(lab, action, f);
	return json_pack("{s:b, s:s, s:s}", "ok", 1, "node", lab->topo->nodes[f->node].name, "what", f->what);
}

/* Parse a whole number in [lo, hi] from args[i]; false if absent or bad. */
static bool arg_num(json_t *args, size_t i, double lo, double hi, double *out)
{
	const char *s = json_string_value(json_array_get(args, i));
	char *end;
	if (!s || !*s)
		return false;
	*out = strtod(s, &end);
	return *end == '\0' && isfinite(*out) && *out >= lo && *out <= hi;
}

/* Tell every load balancer's HAProxy (its stats socket, from inside the
 * node) to put web server `web` in `state` (drain, ready). */
static int set_server_state(struct lab *lab, const char *web, const char *state)
{
	char cmd[160], out[512];
	snprintf(cmd, sizeof(cmd), "echo 'set server web/%s state %s' | /usr/bin/socat stdio /run/haproxy.sock", web, state);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int told = 0;
	for (int i = 0; i < lab->topo->n_nodes; i++) {
		if (!topo_has_role(&lab->topo->nodes[i], ROLE_LB) || lab->nodes[i].state != NODE_UP)
			continue;
		struct node_door door = lab_door(lab, i);
		int r = node_run(&door, argv, out, sizeof(out), 3000);
		if (r != 0)
			return r < 0 ? r : -EIO;
		told++;
	}
	return told ? 0 : -ENODEV;
}

static json_t *fail_node(struct lab *lab, int node, const struct fault_word *w, json_t *args)
{
	json_t *unfit = node_unfit(lab, node);
	if (unfit)
		return unfit;
	struct lab_node *ln = &lab->nodes[node];
	const char *name = lab->topo->nodes[node].name;
	struct lab_fault *f;
	switch (w->kind) {
	case FAULT_CRASH:
		if (!(f = record(lab, FAULT_CRASH, node, -1, "crash")))
			return lab_reply_error("too many faults at once");
		node_links(lab, node, false);
		node_command(ln->sync, "crash");
		lab_node_state(lab, node, NODE_CRASHED);
		return ok_reply(lab, f, "fail");
	case FAULT_FREEZE: {
		char what[64];
		snprintf(what, sizeof(what), "freeze (%s)", cgroup_mode_name(lab->cgroups.mode));
		if (!(f = record(lab, FAULT_FREEZE, node, -1, what)))
			return lab_reply_error("too many faults at once");
		/* The kernel's freezer stops the whole node, its init too, at
		 * once; without one, the init stops everything else. */
		if (cgroup_freeze(&lab->cgroups, name, true) < 0)
			node_command(ln->sync, "freeze");
		lab_node_state(lab, node, NODE_FROZEN);
		return ok_reply(lab, f, "fail");
	}
	case FAULT_FIREWALL: {
		const char *how = json_string_value(json_array_get(args, 0));
		if (!how || strcmp(how, "off") != 0 || json_array_size(args) != 1)
			return lab_reply_error("firewall takes one word: off (stacklab fail %s firewall off; heal turns it on)", name);
		if (lab->topo->nodes[node].n_rules == 0)
			return lab_reply_error("%s has no firewall (no allow lines in its [node] section)", name);
		if (ln->firewall == FIREWALL_OFF)
			return lab_reply_error("the firewall of %s is off already", name);
		struct sl_error err = { 0 };
		int r = lab_firewall(lab, node, false, &err);
		if (r < 0)
			return lab_reply_error("%s", sl_err_text(&err, r));
		if (!(f = record(lab, FAULT_FIREWALL, node, -1, "firewall off"))) {
			lab_firewall(lab, node, true, &err);
			return lab_reply_error("too many faults at once");
		}
		return ok_reply(lab, f, "fail");
	}
	case FAULT_DRAIN: {
		if (!topo_has_role(ln->spec.node, ROLE_WEB))
			return lab_reply_error("%s is not a web server: drain takes a web server out of the load balancers' rotation", name);
		if (!(f = record(lab, FAULT_DRAIN, node, -1, "drain")))
			return lab_reply_error("too many faults at once");
		int r = set_server_state(lab, name, "drain");
		if (r < 0) {
			/* Some load balancers may have taken it: none keeps it. */
			set_server_state(lab, name, "ready");
			lab->n_faults--;
			return lab_reply_error("drain %s: %s", name, strerror(-r));
		}
		return ok_reply(lab, f, "fail");
	}
	case FAULT_STOP:
		break;
	default: /* fault_request sends only a node's faults here */
		return lab_reply_error("%s is not a fault of a node", w->name);
	}
	/* stop DAEMON */
	const char *daemon = json_string_value(json_array_get(args, 0));
	if (!daemon)
		return lab_reply_error("stop which daemon of %s? (stacklab fail %s stop DAEMON)", name, name);
	for (int k = 0; k < ln->n_services; k++) {
		if (strcmp(ln->services[k].name, daemon) != 0)
			continue;
		if (!ln->services[k].pid)
			return lab_reply_error("%s on %s is not running", daemon, name);
		char what[64];
		snprintf(what, sizeof(what), "stop %s", daemon);
		if (!(f = record(lab, FAULT_STOP, node, -1, what)))
			return lab_reply_error("too many faults at once");
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "stop %s", daemon);
		node_command(ln->sync, cmd);
		lab_daemon_stopping(lab, node, &ln->services[k], "asked to stop (SIGTERM)");
		return ok_reply(lab, f, "fail");
	}
	char known[256] = "";
	for (int k = 0; k < ln->n_services; k++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", k ? ", " : "", ln->services[k].name);
	return lab_reply_error("node %s has no daemon '%s' (it runs: %s)", name, daemon, known[0] ? known : "none");
}

static json_t *fail_link(struct lab *lab, int link, const char *fault, json_t *args)
{
	int node = lab->links[link].node;
	json_t *unfit = node_unfit(lab, node);
	if (unfit)
		return unfit;
	const char *name = link_name(lab, link);
	char what[96];
	struct sl_error err = { 0 };
	int r;
	if (strcmp(fault, "down") == 0) {
		if (link_faulted(lab, link, FAULT_LINK_DOWN))
			return lab_reply_error("link %s is already down", name);
		if ((r = net_link_set_up(lab->net, name, false, &err)) < 0)
			return lab_reply_error("%s", sl_err_text(&err, r));
		struct lab_fault *f = record(lab, FAULT_LINK_DOWN, node, link, "link down");
		return f ? ok_reply(lab, f, "fail") : lab_reply_error("too many faults at once");
	}
	if (link_faulted(lab, link, FAULT_SHAPE))
		return lab_reply_error("link %s is already shaped: heal it first (stacklab heal %s)", name, name);
	double a = 0, b = 0;
	if (strcmp(fault, "delay") == 0) {
		if (!arg_num(args, 0, 1, 10000, &a))
			return lab_reply_error("delay takes milliseconds from 1 to 10000 (stacklab fail %s delay MS [JITTER])", name);
		if (json_array_size(args) > 1 && !arg_num(args, 1, 0, a, &b))
			return lab_reply_error("jitter takes milliseconds from 0 to the delay (%g)", a);
		r = net_qdisc_netem(lab->net, name, (int)a, (int)b, 0, &err);
		snprintf(what, sizeof(what), b > 0 ? "delay %g ms ± %g ms" : "delay %g ms", a, b);
	} else if (strcmp(fault, "loss") == 0) {
		if (!arg_num(args, 0, 0.1, 100, &a))
			return lab_reply_error("loss takes a percentage from 0.1 to 100 (stacklab fail %s loss PCT)", name);
		r = net_qdisc_netem(lab->net, name, 0, 0, a, &err);
		snprintf(what, sizeof(what), "loss %g %%", a);
	} else if (strcmp(fault, "rate") == 0) {
		if (!arg_num(args, 0, 8, 10000000, &a))
			return lab_reply_error("rate takes kbit/s from 8 to 10000000 (stacklab fail %s rate KBIT)", name);
		r = net_qdisc_rate(lab->net, name, (int)a, &err);
		snprintf(what, sizeof(what), "rate %g kbit/s", a);
	} else { /* a link's word of the table this function does not know */
		return lab_reply_error("%s is not a fault of a link", fault);
	}
	if (r == -EOPNOTSUPP)
		return lab_reply_error("this kernel has no %s qdisc, so '%s' cannot be injected here (CONFIG_NET_SCH_%s)",
				       strcmp(fault, "rate") == 0 ? "tbf" : "netem", fault,
				       strcmp(fault, "rate") == 0 ? "TBF" : "NETEM");
	if (r < 0)
		return lab_reply_error("%s", sl_err_text(&err, r));
	struct lab_fault *f = record(lab, FAULT_SHAPE, node, link, what);
	return f ? ok_reply(lab, f, "fail") : lab_reply_error("too many faults at once");
}

/* Isolate (or free) the bridge ports of A and B on the networks they share. */
static int isolate_pair(struct lab *lab, int a, int b, bool on, struct sl_error *err)
{
	int shared = 0;
	for (int i = 0; i < lab->n_links; i++) {
		const struct lab_link *l = &lab->links[i];
		if (l->node != a && l->node != b)
			continue;
		int net = lab->topo->nodes[l->node].ifaces[l->iface].net;
		if (!topo_node_addr(&lab->topo->nodes[l->node == a ? b : a], net))
			continue;
		shared++;
		if (net_port_isolate(lab->net, link_name(lab, i), on, err) < 0)
			return -EIO;
	}
	return shared;
}

static json_t *fail_partition(struct lab *lab, json_t *args)
{
	const char *an = json_string_value(json_array_get(args, 0)), *bn = json_string_value(json_array_get(args, 1));
	if (!an || !bn || json_array_size(args) != 2)
		return lab_reply_error("partition takes two nodes (stacklab fail partition A B)");
	int a = node_find(lab, an), b = node_find(lab, bn);
	if (a < 0)
		return unknown_target(lab, an);
	if (b < 0)
		return unknown_target(lab, bn);
	if (a == b)
		return lab_reply_error("a node cannot be partitioned from itself");
	json_t *unfit = node_unfit(lab, a);
	if (!unfit)
		unfit = node_unfit(lab, b);
	if (unfit)
		return unfit;
	/* Isolated bridge ports cannot reach any other isolated port: a
	 * second pair would cut more than asked. One partition at a time. */
	for (int i = 0; i < lab->n_faults; i++)
		if (lab->faults[i].kind == FAULT_PARTITION)
			return lab_reply_error("%s and %s are already partitioned: one partition at a time (stacklab heal %s)",
					       lab->topo->nodes[lab->faults[i].node].name,
					       lab->topo->nodes[lab->faults[i].other].name,
					       lab->topo->nodes[lab->faults[i].node].name);
	struct sl_error err = { 0 };
	int r = isolate_pair(lab, a, b, true, &err);
	if (r == 0)
		return lab_reply_error("%s and %s share no network: they cannot reach each other anyway", an, bn);
	if (r < 0) {
		isolate_pair(lab, a, b, false, NULL);
		return lab_reply_error("partition %s %s: %s", an, bn, sl_err_text(&err, r));
	}
	char what[96];
	snprintf(what, sizeof(what), "partition from %s", bn);
	struct lab_fault *f = record(lab, FAULT_PARTITION, a, -1, what);
	if (!f)
		return lab_reply_error("too many faults at once");
	f->other = b;
	return ok_reply(lab, f, "fail");
}

json_t *fault_request(struct lab *lab, json_t *req)
{
	const char *target = json_string_value(json_object_get(req, "target"));
	const char *fault = json_string_value(json_object_get(req, "fault"));
	json_t *args = json_object_get(req, "args");
	if (!json_is_array(args))
		args = NULL;
	char known[256], why[128];
	fault_words_list(known, sizeof(known));
	if (!fault)
		return lab_reply_error("which fault? (%s)", known);
	const struct fault_word *w = fault_word_find(fault);
	if (!w)
		return lab_reply_error("unknown fault '%s' (known: %s)", fault, known);
	/* Each fault checks its own words' values; too many is the table's. */
	int n = args ? (int)json_array_size(args) : 0;
	if (n > w->max_args && !fault_args_fit(w, n, why, sizeof(why)))
		return lab_reply_error("%s", why);
	if (w->on == FAULT_ON_PAIR)
		return fail_partition(lab, args);
	if (!target)
		return lab_reply_error("fail what? (stacklab fail NODE|LINK FAULT)");
	if (w->on == FAULT_ON_NODE) {
		int node = node_find(lab, target);
		if (node < 0)
			return lab_link_find(lab, target) >= 0
				       ? lab_reply_error("'%s' is a link: %s is a fault of a node", target, fault)
				       : unknown_target(lab, target);
		return fail_node(lab, node, w, args);
	}
	int link = lab_link_find(lab, target);
	if (link < 0) {
		int node = node_find(lab, target);
		if (node >= 0)
			return lab_reply_error("node %s has %d links: name one (e.g. %s)", target,
					       lab->topo->nodes[node].n_ifaces, lab->topo->nodes[node].ifaces[0].peer);
		return unknown_target(lab, target);
	}
	return fail_link(lab, link, fault, args);
}

/* Undo fault i and forget it. */
static void undo(struct lab *lab, int i)
{
	struct lab_fault f = lab->faults[i];
	memmove(&lab->faults[i], &lab->faults[i + 1], sizeof(f) * (size_t)(lab->n_faults - i - 1));
	lab->n_faults--;
	struct lab_node *ln = &lab->nodes[f.node];
	/* A node whose init died took its processes and links along: there
	 * is nothing to undo, only to forget (it starts again whole). */
	bool dead = ln->pid == 0 || (f.kind == FAULT_PARTITION && lab->nodes[f.other].pid == 0);
	switch (dead ? -1 : (int)f.kind) {
	case FAULT_CRASH:
		node_links(lab, f.node, true);
		node_command(ln->sync, "start");
		lab_node_state(lab, f.node, NODE_UP);
		break;
	case FAULT_FREEZE:
		if (cgroup_freeze(&lab->cgroups, lab->topo->nodes[f.node].name, false) < 0)
			node_command(ln->sync, "thaw");
		lab_node_state(lab, f.node, NODE_UP);
		break;
	case FAULT_STOP:
		node_command(ln->sync, "start");
		break;
	case FAULT_DRAIN:
		set_server_state(lab, lab->topo->nodes[f.node].name, "ready");
		break;
	case FAULT_FIREWALL: {
		struct sl_error err = { 0 };
		if (lab_firewall(lab, f.node, true, &err) < 0) /* the node is up: say so, not fail the heal */
			lab_emit(lab, json_pack("{s:s, s:s, s:s}", "kind", "error", "node", lab->topo->nodes[f.node].name, "what",
						sl_err_text(&err, -EIO)));
		break;
	}
	case FAULT_LINK_DOWN:
		if (ln->state != NODE_CRASHED)
			net_link_set_up(lab->net, link_name(lab, f.link), true, NULL);
		break;
	case FAULT_SHAPE:
		net_qdisc_clear(lab->net, link_name(lab, f.link), NULL);
		break;
	case FAULT_PARTITION:
		isolate_pair(lab, f.node, f.other, false, NULL);
		break;
	}
	fault_event(lab, "heal", &f);
}

json_t *heal_request(struct lab *lab, json_t *req)
{
	bool all = json_is_true(json_object_get(req, "all"));
	const char *target = json_string_value(json_object_get(req, "target"));
	if (!all && !target)
		return lab_reply_error("heal what? (stacklab heal NODE|LINK, or stacklab heal --all)");
	int node = -1, link = -1;
	if (!all) {
		node = node_find(lab, target);
		link = node < 0 ? lab_link_find(lab, target) : -1;
		if (node < 0 && link < 0)
			return unknown_target(lab, target);
	}
	int healed = 0;
	/* A node whose init died comes back whole: its faults go with the
	 * old init (its links vanished with its namespace). */
	for (int i = 0; i < lab->topo->n_nodes; i++) {
		if ((!all && i != node) || lab->nodes[i].pid > 0 || lab->nodes[i].state != NODE_DOWN)
			continue;
		for (int k = lab->n_faults - 1; k >= 0; k--)
			if (lab->faults[k].node == i || lab->faults[k].other == i)
				undo(lab, k);
		struct sl_error err = { 0 };
		int r = lab_node_respawn(lab, i, &err);
		if (r < 0)
			return lab_reply_error("node %s cannot start again: %s", lab->topo->nodes[i].name, sl_err_text(&err, r));
		healed++;
	}
	/* Newest first: a link downed during a crash comes back after it. */
	for (int i = lab->n_faults - 1; i >= 0; i--) {
		const struct lab_fault *f = &lab->faults[i];
		if (all || (node >= 0 && (f->node == node || f->other == node)) || (link >= 0 && f->link == link)) {
			undo(lab, i);
			healed++;
		}
	}
	if (!healed)
		return all ? lab_reply_error("nothing to heal: the lab has no fault")
			   : lab_reply_error("%s is healthy: nothing to heal", target);
	return json_pack("{s:b, s:i}", "ok", 1, "healed", healed);
}
