/* cmd_challenge.c — `stacklab challenge`: a broken stack for a student to
 * fix, graded on what the lab does. `start` brings up the challenge's own
 * lab and breaks it the student's way (a variant picked from a seed of
 * their user name); `check` grades the live lab with the challenge's
 * predicates; `hint`, `give-up`, `stop`; `test` proves a challenge file
 * (each break fails the grade, its solve passes it) for authors and CI.
 * What the student's lab is running is kept in CACHE/challenges/LAB.json,
 * what they did in CACHE/journals/challenge-NAME.jsonl, both on the host:
 * nothing of the grade or the break is inside a node. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "challenge.h"
#include "cli.h"
#include "ctl.h"
#include "lessonrun.h"
#include "options.h"
#include "paths.h"
#include "util.h"

#define CLASS_CONF "/etc/stacklab/class.conf" /* salt = WORD: the class's own variants */
#define LINE_TIMEOUT_S "30"                    /* a run or solve line, at most */

static const char *user_name(void)
{
	static char name[64];
	struct passwd *pw = getpwuid(getuid());
	snprintf(name, sizeof(name), "%s", pw ? pw->pw_name : "");
	if (!name[0])
		snprintf(name, sizeof(name), "uid%u", (unsigned)getuid());
	return name;
}

/* The class's salt: `salt = WORD` in CLASS_CONF, or "" (a teacher who
 * sets one gets variants no other class shares). */
static void class_salt(char *salt, size_t size)
{
	salt[0] = '\0';
	size_t len = 0;
	_cleanup_free_ char *text = read_file(CLASS_CONF, &len);
	for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		char word[128];
		if (sscanf(line, " salt = %127s", word) == 1)
			snprintf(salt, size, "%s", word);
	}
}

/* The challenge called `name`, parsed and checked against its topology;
 * NULL after printing what is wrong. */
static struct challenge *load(const char *name, struct topo **topo)
{
	_cleanup_free_ char *path = challenge_resolve(name);
	struct challenge *c = NULL;
	char *errors = NULL;
	int r = challenge_load(path, &c, &errors);
	if (r < 0) {
		if (r == -ENOENT && !strchr(name, '/'))
			fprintf(stderr, "stacklab challenge: no challenge '%s' (looked for %s; see stacklab challenge list)\n",
				name, path);
		else
			fputs(errors ? errors : "", stderr);
		free(errors);
		return NULL;
	}
	_cleanup_free_ char *tpath = topo_resolve(c->topology);
	if (topo_load(tpath, topo, &errors) < 0) {
		fprintf(stderr, "%s: topology %s:\n%s", c->path, c->topology, errors ? errors : "");
		free(errors);
		challenge_free(c);
		return NULL;
	}
	if (challenge_lint(c, *topo, data_dir(), &errors) > 0) {
		fputs(errors, stderr);
		free(errors);
		challenge_free(c);
		topo_free(*topo);
		*topo = NULL; /* the caller frees it too */
		return NULL;
	}
	return c;
}

/* --- the journal and the lab's record ----------------------------------------------------- */

static char *journal_path(const char *challenge)
{
	_cleanup_free_ char *dir = xasprintf("%s/journals", cache_dir());
	if (mkdir_p(dir, 0700) < 0)
		return NULL;
	return xasprintf("%s/challenge-%s.jsonl", dir, challenge);
}

/* One line of what the student did: who, which challenge and variant, when. */
static void journal(const struct challenge *c, const struct variant *v, const char *kind, json_t *more)
{
	_cleanup_free_ char *path = journal_path(c->name);
	FILE *f = path ? fopen(path, "ae") : NULL;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "kind", kind, "user", user_name(), "challenge", c->name,
			      "variant", v->id, "seed", "", "t", (double)now_ms() / 1000.0);
	char seed[24];
	snprintf(seed, sizeof(seed), "%" PRIu64, v->seed);
	json_object_set_new(j, "seed", json_string(seed));
	if (more)
		json_object_update(j, more);
	json_decref(more);
	char *line = json_dumps(j, JSON_COMPACT);
	if (f && line)
		fprintf(f, "%s\n", line);
	free(line);
	json_decref(j);
	if (f)
		fclose(f);
}

static char *record_path(const char *lab)
{
	_cleanup_free_ char *dir = xasprintf("%s/challenges", cache_dir());
	if (mkdir_p(dir, 0700) < 0)
		return NULL;
	return xasprintf("%s/%s.json", dir, lab);
}

/* The lab a challenge runs on: ch-NAME. */
static void lab_of(const struct challenge *c, const char *prefix, char *lab, size_t size)
{
	snprintf(lab, size, "%s%.*s", prefix, (int)(size - strlen(prefix) - 1), c->name);
	for (char *s = lab; *s; s++)
		if (*s == '_')
			*s = '-';
	size_t n = strlen(lab);
	while (n > 0 && lab[n - 1] == '-')
		lab[--n] = '\0';
}

/* What a started challenge is: its record, or NULL after saying why. The
 * lab is `given`, or the only challenge of the user's that is up. */
static json_t *record_read(const char *cmd, const char *given, char **lab_out)
{
	_cleanup_free_ char *dir = xasprintf("%s/challenges", cache_dir());
	char lab[CTL_LAB_NAME_MAX] = "";
	if (given) {
		snprintf(lab, sizeof(lab), "%s", given);
	} else {
		DIR *d = opendir(dir);
		int n = 0;
		for (struct dirent *e; d && (e = readdir(d));) {
			size_t len = strlen(e->d_name);
			if (len > 5 && len - 5 < sizeof(lab) && strcmp(e->d_name + len - 5, ".json") == 0) {
				snprintf(lab, sizeof(lab), "%.*s", (int)len - 5, e->d_name);
				n++;
			}
		}
		if (d)
			closedir(d);
		if (n != 1) {
			fprintf(stderr, "stacklab %s: %s\n", cmd,
				n ? "more than one challenge is started: say which (--lab NAME)"
				  : "no challenge is started (stacklab challenge start NAME; stacklab challenge list)");
			return NULL;
		}
	}
	if (!ctl_lab_name_ok(lab)) {
		fprintf(stderr, "stacklab %s: '%s' is not a lab's name\n", cmd, lab);
		return NULL;
	}
	_cleanup_free_ char *path = xasprintf("%s/%s.json", dir, lab);
	json_error_t err;
	json_t *rec = json_load_file(path, 0, &err);
	if (!rec) {
		fprintf(stderr, "stacklab %s: no challenge is started on lab %s\n", cmd, lab);
		return NULL;
	}
	*lab_out = xstrdup(lab);
	return rec;
}

/* The challenge and variant a record names (seeded as it was). */
static struct challenge *record_challenge(const char *cmd, json_t *rec, struct topo **topo, struct variant *v)
{
	const char *path = json_string_value(json_object_get(rec, "path"));
	const char *seed = json_string_value(json_object_get(rec, "seed"));
	struct challenge *c = path && seed ? load(path, topo) : NULL;
	if (!c) {
		fprintf(stderr, "stacklab %s: the started challenge cannot be read again\n", cmd);
		return NULL;
	}
	challenge_variant(c, strtoull(seed, NULL, 10), v);
	if (json_is_integer(json_object_get(rec, "break"))) { /* started as `test` starts it: a break of its own */
		int brk = (int)json_integer_value(json_object_get(rec, "break"));
		if (brk >= 0 && brk < c->n_breaks)
			challenge_variant_of_break(c, brk, v);
	}
	return c;
}

/* --- doing it --------------------------------------------------------------------------------- */

/* Run each line in its node, as root, through sh -c, bounded in time.
 * False after printing the failing line and its output (to `out`). */
static bool run_lines(const struct challenge *c, const struct variant *v, const char *lab, const struct node_line *l,
		      int n, FILE *out, const char *prefix)
{
	for (int i = 0; i < n; i++) {
		char node[64], command[CHALLENGE_COMMAND_MAX + 256];
		if (!challenge_expand(c, v, l[i].node, node, sizeof(node)) ||
		    !challenge_expand(c, v, l[i].command, command, sizeof(command))) {
			fprintf(out, "%s%s:%d: too long once its vars are put in\n", prefix, c->path, l[i].line);
			return false;
		}
		char result[8192] = "";
		int code = run_self((char *[]){ "exec", "--lab", (char *)lab, node, "--", "timeout", LINE_TIMEOUT_S, "sh",
						"-c", command, NULL },
				    result, sizeof(result));
		if (code != 0) {
			if (code < 0)
				fprintf(out, "%s%s:%d: %s: %s could not run: %s\n", prefix, c->path, l[i].line, node, command,
					strerror(-code));
			else
				fprintf(out, "%s%s:%d: %s: %s failed (exit %d)%s\n", prefix, c->path, l[i].line, node, command,
					code, code == 124 ? ": it ran past " LINE_TIMEOUT_S " s" : "");
			text_clean(result);
			for (char *line = strtok(result, "\n"); line; line = strtok(NULL, "\n"))
				fprintf(out, "%s  %s\n", prefix, line);
			return false;
		}
	}
	return true;
}

static bool up_lab(const struct challenge *c, const char *lab, FILE *out, const char *prefix)
{
	_cleanup_free_ char *tpath = topo_resolve(c->topology);
	char result[8192] = "";
	int code = run_self((char *[]){ "up", "--topology", tpath, "--lab", (char *)lab, "--timing", (char *)c->timing, NULL },
			    result, sizeof(result));
	if (code != 0) {
		fprintf(out, "%sthe challenge's lab %s did not come up:\n", prefix, lab);
		for (char *line = strtok(result, "\n"); line; line = strtok(NULL, "\n"))
			fprintf(out, "%s  %s\n", prefix, line);
	}
	return code == 0;
}

static void down_lab(const char *lab)
{
	char result[4096];
	run_self((char *[]){ "down", "--lab", (char *)lab, NULL }, result, sizeof(result));
}

struct grading {
	FILE *out;
	bool tap;        /* as TAP comments */
	int n, passed;
	json_t *failing; /* the lines that did not hold, for the journal */
};

static void say_verdict(void *ctx, const struct pred *p, bool good, const char *now)
{
	struct grading *g = ctx;
	g->n++;
	g->passed += good;
	char seen[256];
	snprintf(seen, sizeof(seen), "%s", now);
	text_clean(seen);
	if (g->tap)
		fprintf(g->out, "#   %s %s%s%s\n", good ? "held:    " : "not held:", p->text, good ? "" : " — now ", good ? "" : seen);
	else
		fprintf(g->out, "  %s %s%s%s\n", good ? "✓" : "✗", p->text, good ? "" : " — now ", good ? "" : seen);
	if (!good && g->failing)
		json_array_append_new(g->failing, json_string(p->text));
	fflush(g->out);
}

static bool needs_traffic(const struct pred *preds, int n)
{
	for (int i = 0; i < n; i++)
		if (preds[i].kind == PRED_TRAFFIC || preds[i].kind == PRED_SHARE)
			return true;
	return false;
}

/* Grade the lab: every expect line, in order. Traffic the grade needs is
 * started for it (and stopped after) unless some is running. Returns how
 * many did not hold, or -1 after saying why it could not grade. */
static int grade(const struct challenge *c, const struct variant *v, const char *lab, struct grading *g)
{
	struct pred preds[CHALLENGE_LINES_MAX];
	char why[512];
	int n = challenge_grade_preds(c, v, preds, why, sizeof(why));
	if (n < 0) {
		fprintf(stderr, "%s\n", why);
		return -1;
	}
	bool started = false;
	if (needs_traffic(preds, n)) {
		json_t *req = json_pack("{s:s, s:s}", "cmd", "traffic", "action", "status"), *st = NULL;
		bool running = ctl_call(lab, req, &st) == 0 && json_is_true(json_object_get(st, "running"));
		json_decref(req);
		json_decref(st);
		char result[1024];
		if (!running)
			started = run_self((char *[]){ "traffic", "--lab", (char *)lab, "start", "--rate", "20", "--seconds",
						       "120", NULL },
					   result, sizeof(result)) == 0;
	}
	int failed = lesson_grade(lab, preds, n, 1, say_verdict, g);
	if (started) {
		char result[1024];
		run_self((char *[]){ "traffic", "--lab", (char *)lab, "stop", NULL }, result, sizeof(result));
	}
	if (failed < 0)
		fprintf(stderr, "stacklab challenge: lab %s: %s\n", lab, strerror(-failed));
	return failed < 0 ? -1 : failed;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	lesson_interrupt();
}

static void trap_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void duration(double s, char *buf, size_t size)
{
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, size, "%ldh %02ldm", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, size, "%ldm %02lds", t / 60, t % 60);
	else
		snprintf(buf, size, "%ld s", t);
}

/* --- the actions --------------------------------------------------------------------------------- */

static int do_list(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/scenarios/challenges", data_dir());
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "stacklab challenge: %s: %s\n", dir, strerror(errno));
		return EXIT_FAIL;
	}
	printf("%-22s %-12s %8s  %-28s %s\n", "CHALLENGE", "TOPOLOGY", "VARIANTS", "SKILLS", "TITLE");
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		if (len > 10 && strcmp(names[i]->d_name + len - 10, ".challenge") == 0) {
			_cleanup_free_ char *path = xasprintf("%s/%s", dir, names[i]->d_name);
			struct challenge *c = NULL;
			char *errors = NULL;
			if (challenge_load(path, &c, &errors) == 0)
				printf("%-22s %-12s %8ld  %-28s %s\n", c->name, c->topology, challenge_variants(c), c->skills,
				       c->title);
			else
				printf("%-22.*s (broken: stacklab challenge lint %s)\n", (int)len - 10, names[i]->d_name, path);
			free(errors);
			challenge_free(c);
		}
		free(names[i]);
	}
	free(names);
	return EXIT_OK;
}

static int do_start(const char *name, const char *given_lab, const char *seed_text)
{
	struct topo *topo = NULL;
	struct challenge *c = load(name, &topo);
	if (!c)
		return EXIT_USAGE;
	char lab[CTL_LAB_NAME_MAX];
	if (given_lab && !ctl_lab_name_ok(given_lab)) {
		fprintf(stderr, "stacklab challenge: '%s' is not a lab's name (a-z, 0-9, '-', at most %d)\n", given_lab,
			CTL_LAB_NAME_MAX - 1);
		challenge_free(c);
		topo_free(topo);
		return EXIT_USAGE;
	}
	if (given_lab)
		snprintf(lab, sizeof(lab), "%s", given_lab);
	else
		lab_of(c, "ch-", lab, sizeof(lab));
	struct variant v;
	char salt[128];
	class_salt(salt, sizeof(salt));
	uint64_t seed = seed_text ? strtoull(seed_text, NULL, 10) : challenge_seed(user_name(), c->name, salt);
	challenge_variant(c, seed, &v);
	_cleanup_free_ char *record = record_path(lab);
	int rc = EXIT_FAIL;
	if (!record) {
		fprintf(stderr, "stacklab challenge: %s/challenges: cannot make it\n", cache_dir());
		goto out;
	}
	if (access(record, F_OK) == 0) {
		fprintf(stderr, "stacklab challenge: a challenge is started on lab %s already "
				"(stacklab challenge stop --lab %s ends it)\n", lab, lab);
		goto out;
	}
	printf("%s\n", c->title);
	printf("bringing up lab %s (%s)…\n", lab, c->topology);
	fflush(stdout);
	trap_signals();
	if (!up_lab(c, lab, stderr, "stacklab challenge: "))
		goto out;
	/* The break, as the challenge says; the student sees none of it. */
	if (interrupted || !run_lines(c, &v, lab, c->breaks[v.brk].run, c->breaks[v.brk].n_run, stderr,
				      "stacklab challenge: the challenge's break failed: ")) {
		down_lab(lab);
		if (interrupted)
			fprintf(stderr, "stacklab challenge: interrupted: lab %s is down again\n", lab);
		goto out;
	}
	char seed_s[24];
	snprintf(seed_s, sizeof(seed_s), "%" PRIu64, seed);
	/* The file again from anywhere: check may run in another directory. */
	char *abs = realpath(c->path, NULL);
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:b}", "challenge", c->name, "path", abs ? abs : c->path,
				"lab", lab, "seed", seed_s, "user", user_name(), "started", (double)now_ms() / 1000.0,
				"seed_given", seed_text != NULL);
	free(abs);
	if (json_dump_file(rec, record, 0) < 0) {
		fprintf(stderr, "stacklab challenge: %s: cannot write it\n", record);
		json_decref(rec);
		down_lab(lab);
		goto out;
	}
	json_decref(rec);
	/* A seed given rather than the user's own is said: a teacher's report
	 * should not take a chosen variant for the student's. */
	journal(c, &v, "start", json_pack("{s:s, s:b}", "lab", lab, "seed_given", seed_text != NULL));
	printf("\n%s\n\n", c->symptom);
	printf("The lab is %s: stacklab status, exec, logs, trace and the TUI all work on it.\n"
	       "stacklab challenge check   grades the live lab (as often as you like)\n"
	       "stacklab challenge hint    a hint, once its time has come\n"
	       "stacklab challenge give-up what was broken, and how to fix it\n"
	       "stacklab challenge stop    takes the lab down\n", lab);
	char *jpath = journal_path(c->name);
	if (jpath)
		printf("What you do is recorded in %s.\n", jpath);
	free(jpath);
	rc = EXIT_OK;
out:
	challenge_free(c);
	topo_free(topo);
	return rc;
}

static int do_check(const char *given_lab)
{
	_cleanup_free_ char *lab = NULL;
	json_t *rec = record_read("challenge check", given_lab, &lab);
	if (!rec)
		return EXIT_FAIL;
	struct topo *topo = NULL;
	struct variant v;
	struct challenge *c = record_challenge("challenge check", rec, &topo, &v);
	int rc = EXIT_FAIL;
	if (!c)
		goto out;
	trap_signals();
	printf("%s — checking lab %s…\n", c->title, lab);
	fflush(stdout);
	struct grading g = { .out = stdout, .failing = json_array() };
	int failed = grade(c, &v, lab, &g);
	double spent = (double)now_ms() / 1000.0 - json_real_value(json_object_get(rec, "started"));
	char took[32];
	duration(spent, took, sizeof(took));
	if (failed < 0 || interrupted) {
		if (interrupted)
			printf("\ninterrupted: nothing recorded\n");
		json_decref(g.failing);
	} else if (failed == 0) {
		json_decref(g.failing);
		printf("\npassed: %d of %d hold, %s after the start\n", g.passed, g.n, took);
		journal(c, &v, "pass", json_pack("{s:f, s:i}", "seconds", spent, "hints",
						(int)json_integer_value(json_object_get(rec, "hints"))));
		rc = EXIT_OK;
	} else {
		printf("\nnot yet: %d of %d hold (%s so far; stacklab challenge hint, when you are stuck)\n", g.passed, g.n,
		       took);
		journal(c, &v, "check", json_pack("{s:f, s:o}", "seconds", spent, "failing", g.failing));
	}
out:
	json_decref(rec);
	challenge_free(c);
	topo_free(topo);
	return rc;
}

static int do_hint(const char *given_lab)
{
	_cleanup_free_ char *lab = NULL;
	json_t *rec = record_read("challenge hint", given_lab, &lab);
	if (!rec)
		return EXIT_FAIL;
	struct topo *topo = NULL;
	struct variant v;
	struct challenge *c = record_challenge("challenge hint", rec, &topo, &v);
	int rc = EXIT_FAIL;
	if (!c)
		goto out;
	int shown = (int)json_integer_value(json_object_get(rec, "hints"));
	double spent = (double)now_ms() / 1000.0 - json_real_value(json_object_get(rec, "started"));
	if (shown >= c->n_hints) {
		printf("no more hints%s (stacklab challenge give-up shows the answer)\n", c->n_hints ? "" : ": this challenge has none");
		rc = EXIT_OK;
		goto out;
	}
	const struct challenge_hint *h = &c->hints[shown];
	if (spent < h->after_s) {
		char wait[32];
		duration(h->after_s - spent, wait, sizeof(wait));
		printf("the next hint comes in %s: look around first (stacklab status, logs, trace)\n", wait);
		rc = EXIT_OK;
		goto out;
	}
	printf("hint %d of %d: %s\n", shown + 1, c->n_hints, h->say);
	json_object_set_new(rec, "hints", json_integer(shown + 1));
	char *record = record_path(lab);
	if (record)
		json_dump_file(rec, record, 0);
	free(record);
	journal(c, &v, "hint", json_pack("{s:i, s:f}", "hint", shown + 1, "seconds", spent));
	rc = EXIT_OK;
out:
	json_decref(rec);
	challenge_free(c);
	topo_free(topo);
	return rc;
}

/* "  NODE: COMMAND" for each line, the variant's values put in. */
static void print_lines(const struct challenge *c, const struct variant *v, const struct node_line *l, int n)
{
	for (int i = 0; i < n; i++) {
		char node[64], command[CHALLENGE_COMMAND_MAX + 256];
		if (challenge_expand(c, v, l[i].node, node, sizeof(node)) &&
		    challenge_expand(c, v, l[i].command, command, sizeof(command)))
			printf("  %s: %s\n", node, command);
	}
}

static int do_give_up(const char *given_lab)
{
	_cleanup_free_ char *lab = NULL;
	json_t *rec = record_read("challenge give-up", given_lab, &lab);
	if (!rec)
		return EXIT_FAIL;
	struct topo *topo = NULL;
	struct variant v;
	struct challenge *c = record_challenge("challenge give-up", rec, &topo, &v);
	if (!c) {
		json_decref(rec);
		return EXIT_FAIL;
	}
	const struct challenge_break *b = &c->breaks[v.brk];
	printf("what was broken (%s):\n", v.id);
	print_lines(c, &v, b->run, b->n_run);
	printf("how to fix it:\n");
	print_lines(c, &v, b->solve, b->n_solve);
	printf("\n(recorded as given up; stacklab challenge check still grades the lab, stop takes it down)\n");
	journal(c, &v, "give-up", json_pack("{s:f}", "seconds", (double)now_ms() / 1000.0 -
							json_real_value(json_object_get(rec, "started"))));
	json_decref(rec);
	challenge_free(c);
	topo_free(topo);
	return EXIT_OK;
}

static int do_stop(const char *given_lab)
{
	_cleanup_free_ char *lab = NULL;
	json_t *rec = record_read("challenge stop", given_lab, &lab);
	if (!rec)
		return EXIT_FAIL;
	struct topo *topo = NULL;
	struct variant v;
	struct challenge *c = record_challenge("challenge stop", rec, &topo, &v);
	down_lab(lab);
	_cleanup_free_ char *record = record_path(lab);
	if (record)
		unlink(record);
	if (c)
		journal(c, &v, "stop", NULL);
	printf("lab %s is down; the challenge is stopped\n", lab);
	json_decref(rec);
	challenge_free(c);
	topo_free(topo);
	return EXIT_OK;
}

/* The variant a student gets (for a teacher): from a user's name, or a seed. */
static int do_variant(const char *name, const char *user, const char *seed_text)
{
	struct topo *topo = NULL;
	struct challenge *c = load(name, &topo);
	if (!c)
		return EXIT_USAGE;
	char salt[128];
	class_salt(salt, sizeof(salt));
	uint64_t seed = seed_text ? strtoull(seed_text, NULL, 10) : challenge_seed(user ? user : user_name(), c->name, salt);
	struct variant v;
	challenge_variant(c, seed, &v);
	printf("%s\t%" PRIu64 "\t%s\n", user ? user : seed_text ? "-" : user_name(), seed, v.id);
	challenge_free(c);
	topo_free(topo);
	return EXIT_OK;
}

/* One variant, proven: up, break, the grade fails, solve, it passes, down. */
static bool test_variant(const struct challenge *c, const struct variant *v, int *n_tap)
{
	char lab[CTL_LAB_NAME_MAX];
	lab_of(c, "cht-", lab, sizeof(lab));
	uint64_t t0 = now_ms();
	bool good = up_lab(c, lab, stdout, "# ");
	printf("%s %d - %s [%s]: its lab comes up\n", good ? "ok" : "not ok", ++*n_tap, c->name, v->id);
	if (!good)
		return false;
	good = !interrupted && run_lines(c, v, lab, c->breaks[v->brk].run, c->breaks[v->brk].n_run, stdout, "# ");
	printf("%s %d - %s [%s]: the break runs\n", good ? "ok" : "not ok", ++*n_tap, c->name, v->id);
	struct grading g = { .out = stdout, .tap = true };
	if (good) {
		int failed = grade(c, v, lab, &g);
		good = failed > 0;
		printf("%s %d - %s [%s]: broken, the grade fails (%d of %d hold)\n", good ? "ok" : "not ok", ++*n_tap,
		       c->name, v->id, g.passed, g.n);
	}
	if (good) {
		good = !interrupted && run_lines(c, v, lab, c->breaks[v->brk].solve, c->breaks[v->brk].n_solve, stdout, "# ");
		printf("%s %d - %s [%s]: the solve runs\n", good ? "ok" : "not ok", ++*n_tap, c->name, v->id);
	}
	if (good) {
		g = (struct grading){ .out = stdout, .tap = true };
		int failed = grade(c, v, lab, &g);
		good = failed == 0;
		printf("%s %d - %s [%s]: solved, the grade passes (%d of %d hold)\n", good ? "ok" : "not ok", ++*n_tap,
		       c->name, v->id, g.passed, g.n);
	}
	down_lab(lab);
	printf("# %s [%s]: %.1f s\n", c->name, v->id, (double)(now_ms() - t0) / 1000.0);
	fflush(stdout);
	return good;
}

static int do_test(char **names, int n, bool all)
{
	if (!cli_may_run_labs("challenge test"))
		return EXIT_FAIL;
	trap_signals();
	int n_tap = 0, worst = EXIT_OK;
	for (int i = 0; i < n && !interrupted; i++) {
		struct topo *topo = NULL;
		struct challenge *c = load(names[i], &topo);
		if (!c) {
			worst = EXIT_USAGE;
			continue;
		}
		printf("# %s (%s): %d break%s, %ld variants\n", c->title, c->path, c->n_breaks, c->n_breaks == 1 ? "" : "s",
		       challenge_variants(c));
		/* Every break with the first value of each var; with --all,
		 * each other value of each var the break uses, one at a time
		 * (as lint tries them). */
		for (int b = 0; b < c->n_breaks && !interrupted; b++) {
			struct variant v;
			challenge_variant_of_break(c, b, &v);
			if (!test_variant(c, &v, &n_tap))
				worst = worst == EXIT_OK ? EXIT_FAIL : worst;
			for (int k = 0; all && k < c->n_vars && !interrupted; k++)
				for (int val = 1; challenge_var_used(c, b, k) && val < c->vars[k].n_values && !interrupted; val++) {
					challenge_variant_of_break(c, b, &v);
					v.value[k] = val;
					challenge_variant_name(c, &v);
					if (!test_variant(c, &v, &n_tap))
						worst = worst == EXIT_OK ? EXIT_FAIL : worst;
				}
		}
		challenge_free(c);
		topo_free(topo);
	}
	printf("1..%d\n", n_tap);
	return interrupted ? EXIT_FAIL : worst;
}

int cmd_challenge(int argc, char **argv)
{
	const char *lab = NULL, *seed = NULL, *user = NULL;
	bool all = false;
	const struct opt opts[] = {
		{ .name = "lab", .letter = 'l', .kind = OPT_STRING, .dest = &lab, .value = "NAME",
		  .help = "the challenge's lab (default: ch-NAME at start, the only\n"
			  "one started for the others)" },
		{ .name = "seed", .kind = OPT_STRING, .dest = &seed, .value = "N",
		  .help = "start, variant: the variant of seed N (a teacher\n"
			  "reproducing a student's: stacklab challenge variant)" },
		{ .name = "user", .kind = OPT_STRING, .dest = &user, .value = "NAME",
		  .help = "variant: the variant user NAME gets" },
		{ .name = "all", .kind = OPT_FLAG, .dest = &all,
		  .help = "test: each break with other values of its vars too" },
		{ 0 },
	};
	const struct command_line cl = {
		.name = "challenge",
		.usage = "stacklab challenge list\n"
			 "stacklab challenge start [--seed N] [--lab NAME] NAME|FILE\n"
			 "stacklab challenge check|hint|give-up|stop [--lab NAME]\n"
			 "stacklab challenge lint NAME|FILE...\n"
			 "stacklab challenge test [--all] NAME|FILE...\n"
			 "stacklab challenge variant [--user NAME | --seed N] NAME|FILE",
		.about = "A challenge (scenarios/challenges/NAME.challenge) is a stack broken on purpose:\n"
			 "you are told what users see, and fix it as on a real server. It is graded\n"
			 "on what the lab does, not on its files. Each student gets a variant of it,\n"
			 "picked from their user name (and the class's salt in " CLASS_CONF ").\n\n"
			 "  list     every challenge: name, topology, variants, skills, title\n"
			 "  start    bring up the challenge's own lab, break it, tell the symptom\n"
			 "  check    grade the live lab: what still fails, in words; exit 0 passed,\n"
			 "           1 not yet\n"
			 "  hint     the next hint, once its time has come\n"
			 "  give-up  what was broken and the solution (recorded as given up)\n"
			 "  stop     take the challenge's lab down\n"
			 "  lint     every mistake in a challenge file, as file:line: what\n"
			 "  test     for authors and CI: each break's grade fails, its solve passes\n"
			 "           it; TAP; exit 0 passed, 1 failed, 2 a bad file\n"
			 "  variant  the variant a user (or a seed) gets, for a teacher\n\n"
			 "What you did is kept in the cache's journals/challenge-NAME.jsonl.",
		.opts = opts,
		.args_max = ARGS_ANY,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	const char *action = first < argc ? argv[first++] : NULL;
	int left = argc - first;
	errno = 0;
	if (seed && (seed[0] < '0' || seed[0] > '9' || strspn(seed, "0123456789") != strlen(seed) ||
		     (strtoull(seed, NULL, 10), errno == ERANGE))) {
		fprintf(stderr, "stacklab challenge: --seed takes a whole number, not '%s'\n", seed);
		return EXIT_USAGE;
	}
	if (!action) {
		fprintf(stderr, "stacklab challenge: expected list, start, check, hint, give-up, stop, lint, test or variant "
				"(see stacklab challenge --help)\n");
		return EXIT_USAGE;
	}
	static const char *const actions[] = { "list", "start", "check", "hint", "give-up", "stop", "lint", "test", "variant" };
	bool known = false;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		known |= strcmp(action, actions[i]) == 0;
	if (!known) {
		fprintf(stderr, "stacklab challenge: unknown action '%s' (known: list, start, check, hint, give-up, stop, "
				"lint, test, variant)\n", action);
		return EXIT_USAGE;
	}
	bool named = strcmp(action, "start") == 0 || strcmp(action, "variant") == 0;
	bool many = strcmp(action, "lint") == 0 || strcmp(action, "test") == 0;
	bool none = !named && !many;
	if ((named && left != 1) || (many && left < 1) || (none && left > 0)) {
		fprintf(stderr, "stacklab challenge %s: %s\n", action,
			named ? "which challenge? (one NAME or FILE; stacklab challenge list)"
			: many ? "which challenges? (NAME or FILE…; stacklab challenge list)"
			       : strcmp(action, "list") == 0 ? "takes no argument"
							      : "takes no argument (--lab NAME says which lab)");
		return EXIT_USAGE;
	}
	if (strcmp(action, "list") == 0)
		return do_list();
	if (strcmp(action, "start") == 0)
		return cli_may_run_labs("challenge start") ? do_start(argv[first], lab, seed) : EXIT_FAIL;
	if (strcmp(action, "check") == 0)
		return do_check(lab);
	if (strcmp(action, "hint") == 0)
		return do_hint(lab);
	if (strcmp(action, "give-up") == 0)
		return do_give_up(lab);
	if (strcmp(action, "stop") == 0)
		return do_stop(lab);
	if (strcmp(action, "variant") == 0)
		return do_variant(argv[first], user, seed);
	if (strcmp(action, "test") == 0)
		return do_test(argv + first, left, all);
	if (strcmp(action, "lint") == 0) {
		int worst = EXIT_OK;
		for (; first < argc; first++) {
			struct topo *topo = NULL;
			struct challenge *c = load(argv[first], &topo);
			if (!c)
				worst = EXIT_USAGE;
			challenge_free(c);
			topo_free(topo);
		}
		return worst;
	}
	fprintf(stderr, "stacklab challenge: unknown action '%s' (known: list, start, check, hint, give-up, stop, lint, "
			"test, variant)\n", action);
	return EXIT_USAGE;
}
