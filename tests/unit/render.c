/* Unit tests of template rendering: placeholders are filled in, and a value
 * that would change a config file's syntax is refused. */
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

int main(void)
{
	FILE *f = fmemopen((void *)lab, strlen(lab), "r");
	struct topo *t = NULL;
	char *errors = NULL;
	int r = topo_parse(f, "t.lab", &t, &errors);
	fclose(f);
	if (!ok(r == 0 && t, "the test topology parses")) {
		diag("%s", errors ? errors : "");
		free(errors);
		return done_testing();
	}
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
	return done_testing();
}
