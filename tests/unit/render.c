/* Unit tests of template rendering: placeholders are filled in, and a value
 * that would change a config file's syntax is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "tap.h"
#include "topo.h"
#include "util.h"

static const char lab[] =
	"[lab]\ndomain = example.org\n"
	"[network public]\nsubnet = 203.0.113.0/24\n"
	"[node lb1]\nrole = lb\neth0 = public 203.0.113.11\npriority = 150\n"
	"[vip www]\nnetwork = public\naddress = 203.0.113.100\nholders = lb1\n";

/* The topology in `text`, parsed, or NULL after a failed check. */
static struct topo *parse(const char *text, const char *name, const char *what)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct topo *t = NULL;
	char *errors = NULL;
	int r = topo_parse(f, name, &t, &errors);
	fclose(f);
	if (!ok(r == 0 && t, "%s", what)) {
		diag("%s", errors ? errors : "");
		free(errors);
		return NULL;
	}
	return t;
}

/* Servers of several roles use their own tier; a line may be conditional. */
static const char full[] =
	"[network n]\nsubnet = 10.0.0.0/24\n"
	"[node lb]\nrole = lb\neth0 = n 10.0.0.1\n"
	"[node s1]\nrole = web app db\neth0 = n 10.0.0.21\n"
	"[node s2]\nrole = web app db\neth0 = n 10.0.0.22\n";

static void test_roles(void)
{
	struct topo *t = parse(full, "full.lab", "a topology of full servers parses");
	if (!t)
		return;
	char *out = render_text(t, &t->nodes[0], "server {{web.name}} {{web.addr}}\n", "tpl", NULL, 0, NULL);
	is_str(out, "server s1 10.0.0.21\nserver s2 10.0.0.22\n", "the lb lists every web server");
	free(out);
	out = render_text(t, &t->nodes[2], "upstream {{app.addr}}\nroles {{role}}\n", "tpl", NULL, 0, NULL);
	is_str(out, "upstream 10.0.0.22\nroles web app db\n", "a full server's web server uses its own app server");
	free(out);
	struct render_var v[] = { { "replica", "yes" }, { "binlog", "no" } };
	out = render_text(t, &t->nodes[2], "a\n{{if replica}}b\n{{if !replica}}c\n{{if binlog}}d\n{{if !binlog}}e {{node}}\n", "tpl",
			  v, ARRAY_SIZE(v), NULL);
	is_str(out, "a\nb\ne s2\n", "{{if NAME}} and {{if !NAME}} keep or drop their line");
	free(out);
	struct sl_error err = { 0 };
	out = render_text(t, &t->nodes[2], "{{if nothing}}x\n", "tpl", v, ARRAY_SIZE(v), &err);
	ok(out == NULL && strstr(sl_err_text(&err, -EINVAL), "tpl:1: unknown condition {{if nothing}}"),
	   "an unknown condition is an error with its line");
	free(out);
	topo_free(t);
}

/* A VIP holder's peers: the other holders of its VIP, by their address on
 * the VIP's network (not their first), for keepalived's unicast adverts. */
static const char peers[] =
	"[network public]\nsubnet = 203.0.113.0/24\n[network private]\nsubnet = 10.0.0.0/24\n"
	"[node lb1]\nrole = lb\neth0 = private 10.0.0.11\neth1 = public 203.0.113.11\n"
	"[node lb2]\nrole = lb\neth0 = private 10.0.0.12\neth1 = public 203.0.113.12\n"
	"[node lb3]\nrole = lb\neth0 = private 10.0.0.13\neth1 = public 203.0.113.13\n"
	"[node lb4]\nrole = lb\neth0 = public 203.0.113.14\n"
	"[vip www]\nnetwork = public\naddress = 203.0.113.100\nholders = lb1 lb2 lb3\n";

static void test_peers(void)
{
	struct topo *t = parse(peers, "peers.lab", "a topology of three VIP holders parses");
	if (!t)
		return;
	const char *tpl = "unicast_peer {\n    {{peer.addr}} # {{peer.name}}\n}\n";
	char *out = render_text(t, &t->nodes[1], tpl, "tpl", NULL, 0, NULL);
	is_str(out, "unicast_peer {\n    203.0.113.11 # lb1\n    203.0.113.13 # lb3\n}\n",
	       "a holder's peers are the other holders, on the VIP's network");
	free(out);
	out = render_text(t, &t->nodes[3], tpl, "tpl", NULL, 0, NULL);
	is_str(out, "unicast_peer {\n}\n", "a node that holds no VIP has no peers");
	free(out);
	topo_free(t);
}

int main(void)
{
	struct topo *t = parse(lab, "t.lab", "the test topology parses");
	if (!t)
		return done_testing();
	struct topo_node *lb1 = &t->nodes[0];

	char *out = render_text(t, lb1, "priority {{priority}}\nserver_name www.{{domain}};\nvip {{vip}}\n", "tpl", NULL, 0, NULL);
	is_str(out, "priority 150\nserver_name www.example.org;\nvip 203.0.113.100\n", "placeholders are filled in");
	free(out);

	/* What the parser now refuses, put straight into the model. */
	static const char *const unsafe[] = { "100\nvrrp_script x", "100 } vrrp_script x {", "\"x\"", "1;2", "a\tb" };
	for (size_t i = 0; i < ARRAY_SIZE(unsafe); i++) {
		str_copy(lb1->settings[0].value, sizeof(lb1->settings[0].value), unsafe[i]);
		out = render_text(t, lb1, "priority {{priority}}\n", "tpl", NULL, 0, NULL);
		ok(out == NULL, "a value with config syntax is refused (%zu)", i);
		free(out);
	}
	struct render_var extra[] = { { "vrrp_state", "MASTER\n}" } };
	out = render_text(t, lb1, "state {{vrrp_state}}\n", "tpl", extra, ARRAY_SIZE(extra), NULL);
	ok(out == NULL, "so is an extra variable's");
	free(out);
	topo_free(t);
	test_roles();
	test_peers();
	return done_testing();
}
