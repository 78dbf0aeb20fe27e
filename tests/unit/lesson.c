/* Unit tests of the lesson parser and linter: the shipped lessons load and
 * lint clean against their topologies, and each kind of mistake is
 * reported with its line. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"
#include "tap.h"
#include "util.h"

static int parse(const char *text, struct lesson **l, char **errors)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r = lesson_parse(f, "t.lesson", l, errors);
	fclose(f);
	return r;
}

/* A valid base that each bad case appends to. */
static const char base[] =
	"[lesson]\ntitle = Kill the master\ntopology = scale-up\n"          /* 1-3 */
	"[steady]\nexpect = vip www on lb1\n"                               /* 4-5 */
	"[step crash]\n"                                                    /* 6 */
	"ask = Crash lb1\nsolve = fail lb1 crash\nmark = crashed\n"         /* 7-9 */
	"wait = vip www on lb2 within 5s\n"                                 /* 10 */
	"measure = takeover = from @crashed until vip www on lb2\n"         /* 11 */
	"measure = lost = traffic failed since @crashed over 5s\n"          /* 12 */
	"check = lost <= 20\n"                                              /* 13 */
	"hint = 20s Is lb1 selected?\n"                                     /* 14 */
	"explain = lb2 took the VIP in {takeover}; users lost {lost}.\n"    /* 15 */
	"[cleanup]\ndo = heal --all\n";                                     /* 16-17 */

static void bad(const char *extra, const char *want, const char *what)
{
	char *text = xasprintf("%s%s", base, extra);
	struct lesson *l = NULL;
	char *errors = NULL;
	int r = parse(text, &l, &errors);
	if (!ok(r < 0 && errors && strstr(errors, want), "%s", what))
		diag("want an error containing '%s', got: %s", want, errors ? errors : "(none)");
	free(errors);
	lesson_free(l);
	free(text);
}

static void test_base(void)
{
	struct lesson *l = NULL;
	char *errors = NULL;
	int r = parse(base, &l, &errors);
	if (!ok(r == 0 && l, "the base lesson parses"))
		diag("%s", errors ? errors : "");
	if (!l)
		return;
	const struct step *s = &l->steps[0];
	ok(l->n_steps == 1 && strcmp(s->name, "crash") == 0, "one step, called crash");
	ok(s->has_wait && s->wait.kind == PRED_VIP && s->wait.within_s == 5 && s->wait.n_list == 1 &&
		   strcmp(s->wait.list[0], "lb2") == 0,
	   "wait: vip www on lb2 within 5 s");
	ok(s->n_measures == 2 && s->measures[0].kind == MEASURE_UNTIL && strcmp(s->measures[0].mark, "crashed") == 0 &&
		   s->measures[1].kind == MEASURE_COUNT && s->measures[1].over_s == 5,
	   "measures: takeover from @crashed, lost over 5 s");
	ok(s->n_checks == 1 && strcmp(s->checks[0].op, "<=") == 0 && s->checks[0].value == 20, "check lost <= 20");
	ok(s->hint_after_s == 20 && strcmp(s->hint, "Is lb1 selected?") == 0, "hint after 20 s");
	ok(s->n_solve == 1 && s->solve[0].argc == 3 && strcmp(s->solve[0].argv[2], "crash") == 0, "solve is split in words");
	ok(l->n_cleanup == 1 && strcmp(l->cleanup[0].text, "heal --all") == 0, "cleanup heals all");
	lesson_free(l);
}

static void test_predicates(void)
{
	static const struct {
		const char *text;
		bool good;
	} cases[] = {
		{ "vrrp lb1 is MASTER", true },
		{ "vrrp lb1 is BOSS", false },
		{ "server lb1/web1 is DOWN", true },
		{ "server lb1 is DOWN", false },
		{ "node lb1 is frozen", true },
		{ "daemon web1/nginx is stopped", true },
		{ "daemon web1 is stopped", false },
		{ "request / -> 200", true },
		{ "request /x -> 999", false },
		{ "request / -> timeout", true },
		{ "connect client 10.0.0.41:3306 -> refused", true },
		{ "connect client 10.0.0.41 -> refused", false },
		{ "traffic ok >= 99% over 3s", true },
		{ "traffic ok >= 199% over 3s", false },
		{ "traffic ok >= 99 over 3s", false },
		{ "traffic p50 >= 100ms over 2s", true },
		{ "traffic p99 <= 50ms over 5s", true },
		{ "traffic p50 > 100ms over 2s", false },
		{ "traffic p50 >= 100 over 2s", false },
		{ "traffic p75 >= 100ms over 2s", false },
		{ "trace passes dns lb1 web1 app1 db1", true },
		{ "trace /static/x passes web1", true },
		{ "trace passes", false },
		{ "log lb1/haproxy ~ web1 is DOWN", true },
		{ "log lb1/haproxy ~ (unclosed", false },
		{ "run client: ip neigh show 203.0.113.100 ~ lladdr", true },
		{ "run client ip neigh ~ x", false },
		{ "explode lb1", false },
		{ "connect client 10.0.0.41:3306;reboot -> open", false },
		{ "connect client aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1 -> open", false },
		{ "run\tclient: true ~ x", true },
		/* What glibc's regcomp would write out for seconds: refused (found by the fuzzer). */
		{ "run client: dig ~ ^203\\.0+++++++++++++++++++++++++++++\\.113", false },
		{ "log lb1/haproxy ~ (x{99}){99}", false },
		{ "log lb1/haproxy ~ (((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+", false },
		{ "run client: dig +trace www.foobar.com ~ root-servers.*IN[[:space:]]+A[[:space:]]+203", true },
		{ "log lb1/haproxy ~ [+*]+ x{2,40} a\\++", true },
		/* Backreferences: exponential to match (39 s on HAProxy's log). */
		{ "log lb1/haproxy ~ (.*)(.*)(.*)(.*)(.*)\\5\\4\\3\\2\\1x", false },
		{ "log lb1/haproxy ~ (a)\\1", false },
		{ "log lb1/haproxy ~ [\\1] \\. a\\\\1", true }, /* in brackets, escaped dot, an escaped backslash */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pred p;
		char why[256] = "";
		bool got = pred_parse(cases[i].text, &p, why, sizeof(why));
		if (!ok(got == cases[i].good, "predicate '%s' is %s", cases[i].text, cases[i].good ? "good" : "refused"))
			diag("why: %s", why);
	}
	struct pred p;
	char why[256];
	pred_parse("run client: ip neigh ~ lladdr ([0-9a-f:]+)", &p, why, sizeof(why));
	ok(strcmp(p.a, "client") == 0 && strcmp(p.command, "ip neigh") == 0 && strcmp(p.regex, "lladdr ([0-9a-f:]+)") == 0,
	   "run: node, command and regex apart");
}

static void test_errors(void)
{
	bad("colour = red\n", "t.lesson:18: unknown key 'colour' in [cleanup]", "unknown key, with its line");
	bad("[step x]\nsay = hi\nwait = vip www on lb2\n", "t.lesson:20: wait: expected 'PREDICATE within Ns'",
	    "a wait without a deadline");
	bad("[step x]\nsay = hi\ncheck = nothing < 3\n", "t.lesson:20: check: no measure 'nothing'", "a check of no measure");
	bad("[step x]\nsay = hi\nmeasure = t = from @nowhere until node lb1 is up\n", "t.lesson:20: measure t: no mark '@nowhere'",
	    "a measure from no mark");
	bad("[step x]\nexplain = took {forever}\nsay = hi\n", "t.lesson:19: explain: {forever} is not a measure",
	    "explain names no measure");
	bad("[step x]\nask = do it\n", "t.lesson:19: step x asks the student to act but has no 'solve'", "ask without solve");
	bad("[step crash]\nsay = again\n", "step 'crash' comes twice (first on line 7)", "a step twice");
	bad("[stepx]\nsay = hi\n", "unknown section [stepx]", "an unknown section");
	bad("[step x]\nsay = hi\nwait = vip www on lb2 within 999s\n", "N from 0.1 to 600", "a deadline out of range");
	bad("[step x]\nsay = a\x1b[2Jb\n", "t.lesson:19: say holds a control character", "a control character");
	bad("[step x]\nsay = hi\nhint = soon look\n", "hint: expected 'Ns TEXT'", "a hint without its delay");
	bad("[step x]\nsay = hi\nmeasure = t = from @ until node lb1 is up\n", "is not a mark's name", "an empty mark");
	bad("[step x]\nsay = hi\nmark = crashed\n", "mark 'crashed' is set in step crash already", "a mark set twice");
	bad("[step x]\nsay = hi\nmeasure = lost = traffic ok since @crashed over 1s\n", "measure 'lost' is measured already",
	    "a measure measured twice");
	bad("[lesson]\ntiming = slow\n", "t.lesson:19: timing 'slow': expected fast, calm or real", "a timing profile that does not exist");
	struct lesson *l = NULL;
	char *errors = NULL;
	ok(parse("[step x]\nsay = hi\n", &l, &errors) < 0 && errors && strstr(errors, "t.lesson: no title") &&
		   strstr(errors, "t.lesson: no topology"),
	   "a lesson without title and topology: both said at once");
	free(errors);
}

/* Lint `text` against scale-up: it parses, lint finds `n` problems, and
 * each of want[] is among them. */
static void lint_finds(const char *text, int n, const char *const want[], size_t n_want, const char *what)
{
	struct topo *t = NULL;
	char *errors = NULL;
	if (topo_load("scenarios/scale-up.lab", &t, &errors) < 0) {
		ok(0, "scale-up loads");
		return;
	}
	struct lesson *l = NULL;
	ok(parse(text, &l, &errors) == 0, "a lesson with %s parses", what);
	char *lint = NULL;
	int found = l ? lesson_lint(l, t, ".", &lint) : 0;
	ok(found == n, "lint finds %d problems of %s (found %d)", n, what, found);
	for (size_t i = 0; i < n_want; i++)
		if (!ok(lint && strstr(lint, want[i]), "lint: %s", want[i]))
			diag("got: %s", lint ? lint : "(nothing)");
	free(lint);
	lesson_free(l);
	topo_free(t);
}

static void test_lint(void)
{
	const char *text = "[lesson]\ntitle = t\ntopology = scale-up\n"
			   "[step x]\nsay = hi\ndo = fail lb9 crash --lab other\ndo = reboot lb1\n"           /* 4-7 */
			   "wait = daemon web1/sshd is running within 1s\n"                        /* 8 */
			   "[cleanup]\ndo = heal lb1-eth7\n"                                     /* 9-10 */
			   "[steady]\nexpect = vip wwww on lb1\nexpect = server web1/web1 is UP\n"; /* 11-13 */
	static const char *const want[] = {
		"t.lesson:6: no node or link 'lb9' in topology scale-up",
		"t.lesson:6: '--lab': a lesson's commands take no such option",
		"t.lesson:7: 'reboot' is not a command a lesson runs",
		"t.lesson:8: node web1 runs no daemon 'sshd' (it runs: nginx)",
		"t.lesson:10: no node or link 'lb1-eth7'",
		"t.lesson:12: no vip 'wwww' in topology scale-up",
		"t.lesson:13: web1 is not a load balancer",
	};
	lint_finds(text, 7, want, ARRAY_SIZE(want), "wrong names");
}

/* A fail step's fault is one of the table's, on what it breaks, with as
 * many words as it takes. */
static void test_lint_faults(void)
{
	const char *text = "[lesson]\ntitle = t\ntopology = scale-up\n"
			   "[step x]\nsay = hi\n"
			   "do = fail web1 crsh\n"                 /* 6 */
			   "do = fail lb1-eth0 freeze\n"           /* 7 */
			   "do = fail lb1 delay 200\n"             /* 8: lb1 has two links */
			   "do = fail web1 crash now\n"            /* 9 */
			   "do = fail web1-eth0 delay 1 2 3\n"     /* 10 */
			   "do = fail partition lb1\n"             /* 11 */
			   "do = fail web1\n"                      /* 12 */
			   "do = fail web1 stop nginx\n"           /* 13: fine */
			   "do = fail web1-eth0 delay 200 20\n";   /* 14: fine */
	static const char *const want[] = {
		"t.lesson:6: 'crsh' is not a fault: did you mean 'crash'?",
		"t.lesson:7: 'lb1-eth0' is a link: freeze is a fault of a node",
		"t.lesson:8: node lb1 has 2 links: delay is a fault of a link, name one (e.g. lb1-eth0)",
		"t.lesson:9: 'crash' takes no word after it, not 1: crash",
		"t.lesson:10: 'delay' takes 1 or 2 words after it, not 3: delay MS [JITTER]",
		"t.lesson:11: 'partition' takes 2 words after it, not 1: partition A B",
		"t.lesson:12: fail web1 how? (known: crash, freeze, stop DAEMON",
	};
	lint_finds(text, 7, want, ARRAY_SIZE(want), "wrong faults");
}

/* Every shipped lesson parses and lints clean against its topology. */
static void test_shipped(void)
{
	DIR *d = opendir("scenarios/lessons");
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 8 || strcmp(e->d_name + len - 7, ".lesson") != 0)
			continue;
		_cleanup_free_ char *path = xasprintf("scenarios/lessons/%s", e->d_name);
		struct lesson *l = NULL;
		struct topo *t = NULL;
		char *errors = NULL, *lint = NULL;
		int r = lesson_load(path, &l, &errors);
		_cleanup_free_ char *tp = l ? xasprintf("scenarios/%s.lab", l->topology) : NULL;
		if (r == 0)
			r = topo_load(tp, &t, &errors);
		if (r == 0)
			r = lesson_lint(l, t, ".", &lint) ? -1 : 0;
		if (!ok(r == 0, "%s parses and lints clean", path))
			diag("%s%s", errors ? errors : "", lint ? lint : "");
		free(errors);
		free(lint);
		lesson_free(l);
		topo_free(t);
		n++;
	}
	if (d)
		closedir(d);
	ok(n > 0, "there are shipped lessons (%d)", n);
}

int main(void)
{
	test_base();
	test_predicates();
	test_errors();
	test_lint();
	test_lint_faults();
	test_shipped();
	return done_testing();
}
