/* Unit tests of the challenge parser, linter and variants: the shipped
 * challenges load and lint clean; each kind of mistake is reported with
 * its line; vars are put in where they are named, and only there; seeds
 * differ by user and by class, and pick the same variant every time. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "challenge.h"
#include "tap.h"
#include "util.h"

static int parse(const char *text, struct challenge **c, char **errors)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r = challenge_parse(f, "t.challenge", c, errors);
	fclose(f);
	return r;
}

static const char base[] =
	"[challenge]\ntitle = The site answers 503\ntopology = scale-up\n"       /* 1-3 */
	"symptom = www answers 503.\nsymptom = Fix it.\nskills = haproxy\n"      /* 4-6 */
	"[vars]\nport = 8080 8081\nweb = web1\n"                                /* 7-9 */
	"[break wrong-port]\n"                                                  /* 10 */
	"run = lb1: sed -i 's/:80 /:{port} /' /etc/haproxy/haproxy.cfg\n"       /* 11 */
	"solve = lb1: sed -i 's/:{port} /:80 /' /etc/haproxy/haproxy.cfg\n"     /* 12 */
	"[break sed-interval]\n"                                                /* 13 */
	"run = {web}: echo 'a\\{1,\\}' ${HOME}\nsolve = web1: true\n"           /* 14-15 */
	"[grade]\nexpect = request / -> 200 within 5s\n"                        /* 16-17 */
	"expect = server lb1/{web} is UP\n"                                     /* 18 */
	"[hint 2]\nafter = 120s\nsay = Look at the config.\n"                   /* 19-21 */
	"[hint 1]\nafter = 60s\nsay = Which tier\nsay = answers?\n";            /* 22-25 */

static void bad(const char *extra, const char *want, const char *what)
{
	char *text = xasprintf("%s%s", base, extra);
	struct challenge *c = NULL;
	char *errors = NULL;
	int r = parse(text, &c, &errors);
	if (!ok(r < 0 && errors && strstr(errors, want), "%s", what))
		diag("want an error containing '%s', got: %s", want, errors ? errors : "(none)");
	free(errors);
	challenge_free(c);
	free(text);
}

static void test_base(void)
{
	struct challenge *c = NULL;
	char *errors = NULL;
	int r = parse(base, &c, &errors);
	if (!ok(r == 0 && c, "the base challenge parses"))
		diag("%s", errors ? errors : "");
	if (!c)
		return;
	ok(strcmp(c->symptom, "www answers 503. Fix it.") == 0, "a second symptom line goes on with the first");
	ok(c->n_breaks == 2 && c->breaks[0].n_run == 1 && c->breaks[0].n_solve == 1 &&
		   strcmp(c->breaks[0].run[0].node, "lb1") == 0,
	   "two breaks; the first runs in lb1");
	ok(c->n_hints == 2 && c->hints[0].after_s == 60 && strcmp(c->hints[0].say, "Which tier answers?") == 0,
	   "hints are kept in the order of their delays; say goes on over lines");
	ok(challenge_variants(c) == 2 + 1, "variants: wrong-port takes port's 2 values, sed-interval web's 1");

	struct variant v;
	challenge_variant_of_break(c, 0, &v);
	v.value[0] = 1;
	challenge_variant_name(c, &v);
	ok(strcmp(v.id, "wrong-port port=8081 web=web1") == 0, "a variant is named by its break and the vars it uses (%s)",
	   v.id);
	char buf[256];
	ok(challenge_expand(c, &v, c->breaks[0].run[0].command, buf, sizeof(buf)) &&
		   strcmp(buf, "sed -i 's/:80 /:8081 /' /etc/haproxy/haproxy.cfg") == 0,
	   "{port} is put in");
	ok(challenge_expand(c, &v, c->breaks[1].run[0].command, buf, sizeof(buf)) &&
		   strcmp(buf, "echo 'a\\{1,\\}' ${HOME}") == 0,
	   "a sed interval and a shell's ${HOME} are left alone");
	ok(!challenge_expand(c, &v, c->breaks[0].run[0].command, buf, 10), "an expansion that does not fit says so");

	struct pred preds[CHALLENGE_LINES_MAX];
	char why[256];
	int n = challenge_grade_preds(c, &v, preds, why, sizeof(why));
	ok(n == 2 && preds[0].within_s == 5 && preds[1].within_s == CHALLENGE_GRADE_WITHIN_S &&
		   strcmp(preds[1].b, "web1") == 0 && preds[1].line == 18,
	   "the grade: its own deadline, or 10 s; {web} put in; its line kept");

	/* Seeds: by user, challenge and salt; the same every time. */
	uint64_t a = challenge_seed("alice", "lb-503", ""), b = challenge_seed("bob", "lb-503", "");
	ok(a != b, "two users' seeds differ");
	ok(a == challenge_seed("alice", "lb-503", ""), "a user's seed is the same every time");
	ok(a != challenge_seed("alice", "lb-503", "spring"), "a class's salt changes it");
	ok(challenge_seed("ab", "c", "") != challenge_seed("a", "bc", ""), "the parts do not run into each other");
	/* Over a class, every variant comes up. */
	bool seen[CHALLENGE_BREAKS_MAX][CHALLENGE_VALUES_MAX] = { { false } };
	for (int i = 0; i < 40; i++) {
		char user[16];
		snprintf(user, sizeof(user), "student%02d", i);
		challenge_variant(c, challenge_seed(user, c->name, ""), &v);
		seen[v.brk][v.value[0]] = true;
	}
	ok(seen[0][0] && seen[0][1] && (seen[1][0] || seen[1][1]), "40 students get every variant");
	challenge_free(c);
	free(errors);
}

static void test_errors(void)
{
	bad("[challenge]\ntitle = again\n", "t.challenge:27: 'title' is set twice", "a key set twice");
	bad("[break nosolve]\nrun = lb1: true\n", "t.challenge:27: [break nosolve] has no solve line", "a break without solve");
	bad("[break norun]\nsolve = lb1: true\n", "t.challenge:27: [break norun] has no run line", "a break without run");
	bad("[break x]\nrun = lb1 true\nsolve = lb1: true\n", "t.challenge:27: run: expected 'NODE: COMMAND'",
	    "a run line without its node");
	bad("[break x]\nrun = lb1: echo {nosuch}\nsolve = lb1: true\n", "t.challenge:27: run: {nosuch} is not a var",
	    "a var used but not defined");
	bad("[grade]\nexpect = server lb1/{who} is UP\n", "t.challenge:27: expect: {who} is not a var",
	    "a var used in the grade but not defined");
	bad("[grade]\nexpect = vip www in lb1\n", "t.challenge:27: expect:", "a predicate that does not parse");
	bad("[vars]\nport = 1\n", "t.challenge:27: var 'port' is defined twice", "a var defined twice");
	bad("[vars]\nx = a;b\n", "t.challenge:27: var x: value 'a;b'", "a value that would be shell code");
	bad("[hint 3]\nsay = no delay\n", "t.challenge:27: [hint 3] has no 'after = Ns'", "a hint without its delay");
	bad("[hint 3]\nafter = soon\nsay = x\n", "t.challenge:27: after: expected seconds", "a hint's delay in words");
	bad("[teacher]\nanswer = 42\n", "t.challenge:27: unknown section [teacher]", "an unknown section");
	bad("[break wrong-port]\nrun = lb1: true\nsolve = lb1: true\n", "t.challenge:27: [break wrong-port] is there twice",
	    "a break named twice");

	struct challenge *c = NULL;
	char *errors = NULL;
	ok(parse("[challenge]\ntitle = x\n", &c, &errors) < 0 && errors && strstr(errors, "no topology") &&
		   strstr(errors, "no symptom") && strstr(errors, "no [break NAME]") && strstr(errors, "no [grade]"),
	   "every missing part is said at once");
	free(errors);
}

static void test_lint(void)
{
	struct topo *t = NULL;
	char *errors = NULL;
	if (topo_load("scenarios/scale-up.lab", &t, &errors) < 0) {
		ok(0, "scale-up loads: %s", errors ? errors : "");
		return;
	}
	struct challenge *c = NULL;
	char *text = xasprintf("%s%s", base,
			       "[vars]\nlb = lb1 lb9\n"                                        /* 26-27 */
			       "[break on-lb]\nrun = {lb}: true\nsolve = lb1: true\n"          /* 28-30 */
			       "[grade]\nexpect = daemon web1/haproxy is running\n");          /* 31-32 */
	int r = parse(text, &c, &errors);
	ok(r == 0, "a challenge naming a node the topology lacks parses (the linter finds it)");
	if (c) {
		int n = challenge_lint(c, t, ".", &errors);
		ok(n == 2 && errors && strstr(errors, "t.challenge:29: no node 'lb9'") &&
			   strstr(errors, "t.challenge:32: node web1 runs no daemon 'haproxy'"),
		   "lint: each value of each var is tried; a predicate's names are checked (%d)", n);
		if (n != 2)
			diag("%s", errors ? errors : "");
	}
	free(errors);
	challenge_free(c);
	free(text);
	topo_free(t);
}

static void test_shipped(void)
{
	DIR *d = opendir("scenarios/challenges");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len < 11 || strcmp(e->d_name + len - 10, ".challenge") != 0)
			continue;
		char *path = xasprintf("scenarios/challenges/%s", e->d_name);
		struct challenge *c = NULL;
		struct topo *t = NULL;
		char *errors = NULL;
		int r = challenge_load(path, &c, &errors);
		if (r == 0) {
			char *tp = xasprintf("scenarios/%s.lab", c->topology);
			r = topo_load(tp, &t, &errors);
			if (r == 0 && challenge_lint(c, t, ".", &errors) > 0)
				r = -1;
			free(tp);
		}
		if (!ok(r == 0, "shipped %s loads and lints clean", e->d_name))
			diag("%s", errors ? errors : "");
		ok(c && c->n_breaks >= 2 && c->n_hints >= 1, "shipped %s: at least two breaks, and a hint", e->d_name);
		n++;
		free(errors);
		challenge_free(c);
		topo_free(t);
		free(path);
	}
	if (d)
		closedir(d);
	ok(n >= 2, "challenges are shipped (%d)", n);
}

int main(void)
{
	test_base();
	test_errors();
	test_lint();
	test_shipped();
	return done_testing();
}
