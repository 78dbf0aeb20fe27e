/* cmd_lesson.c — `stacklab lesson list|lint|check|run`: the lessons of
 * scenarios/lessons/, each a demo, a self-check and a test. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "ctl.h"
#include "lesson.h"
#include "lessonrun.h"
#include "paths.h"
#include "util.h"
#include "tui.h"

static bool parse_slack(const char *cmd, const char *value, void *dest)
{
	char *end;
	double *slack = dest;
	*slack = strtod(value, &end);
	if (*end || end == value || !(*slack >= 0.5 && *slack <= 20)) {
		fprintf(stderr, "stacklab %s: --slack takes a factor from 0.5 to 20, not '%s'\n", cmd, value);
		return false;
	}
	return true;
}

#define JOURNALS_KEPT 200

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Keep the newest JOURNALS_KEPT journals of lesson `lesson` (their names
 * sort by time): a class's worth, not a disk's. */
static void prune(const char *dir, const char *lesson)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, by_name), mine = 0;
	size_t len = strlen(lesson);
	for (int i = n - 1; i >= 0; i--) {
		const char *f = names[i]->d_name;
		if (strncmp(f, lesson, len) == 0 && f[len] == '-' && ++mine > JOURNALS_KEPT) {
			_cleanup_free_ char *path = xasprintf("%s/%s", dir, f);
			unlink(path);
		}
		free(names[i]);
	}
	free(names);
}

/* Where this run's journal goes: CACHE/journals/LESSON-WHEN.jsonl. */
static char *journal_path(const char *lesson)
{
	_cleanup_free_ char *dir = xasprintf("%s/journals", cache_dir());
	if (mkdir_p(dir, 0700) < 0)
		return NULL;
	prune(dir, lesson);
	char when[32];
	time_t t = time(NULL);
	strftime(when, sizeof(when), "%Y%m%d-%H%M%S", localtime(&t));
	return xasprintf("%s/%s-%s-%d.jsonl", dir, lesson, when, (int)getpid());
}

/* Load and lint a lesson and its topology; print what is wrong. */
/* What the lesson's first acting step acts on: the node or link of its
 * first solve line (fail NODE …, fail partition A B, heal NODE), or NULL. */
static const char *first_target(const struct lesson *l)
{
	for (int i = 0; i < l->n_steps; i++) {
		const struct words *w = l->steps[i].n_solve ? &l->steps[i].solve[0] : NULL;
		if (!w || w->argc < 2 || strcmp(w->argv[1], "--all") == 0)
			continue;
		if (strcmp(w->argv[1], "partition") == 0)
			return w->argc >= 3 ? w->argv[2] : NULL;
		return w->argv[1];
	}
	return NULL;
}

static struct lesson *load(const char *name, struct topo **topo)
{
	_cleanup_free_ char *path = lesson_resolve(name);
	struct lesson *l = NULL;
	char *errors = NULL;
	int r = lesson_load(path, &l, &errors);
	if (r < 0) {
		if (r == -ENOENT && !strchr(name, '/')) {
			/* A typo: the shipped lesson it is closest to. */
			_cleanup_free_ char *dir = xasprintf("%s/scenarios/lessons", data_dir());
			struct dirent **names = NULL;
			int n = scandir(dir, &names, NULL, alphasort);
			const char *cand[128];
			char base[128][64];
			size_t k = 0;
			for (int i = 0; i < n; i++) {
				size_t len = strlen(names[i]->d_name);
				if (k < 128 && len > 7 && len < 64 && strcmp(names[i]->d_name + len - 7, ".lesson") == 0) {
					snprintf(base[k], sizeof(base[k]), "%.*s", (int)len - 7, names[i]->d_name);
					cand[k] = base[k];
					k++;
				}
				free(names[i]);
			}
			free(names);
			const char *near = str_closest(name, cand, k);
			if (near)
				fprintf(stderr, "stacklab lesson: no lesson '%s': did you mean '%s'? (stacklab lesson list)\n", name, near);
			else
				fprintf(stderr, "stacklab lesson: no lesson '%s' (looked for %s; see stacklab lesson list)\n", name, path);
		} else {
			fputs(errors ? errors : "", stderr);
		}
		free(errors);
		return NULL;
	}
	_cleanup_free_ char *tpath = topo_resolve(l->topology);
	if (topo_load(tpath, topo, &errors) < 0) {
		fprintf(stderr, "%s: topology %s:\n%s", l->path, l->topology, errors ? errors : "");
		free(errors);
		lesson_free(l);
		return NULL;
	}
	if (lesson_lint(l, *topo, data_dir(), &errors) > 0) {
		fputs(errors, stderr);
		free(errors);
		lesson_free(l);
		topo_free(*topo);
		*topo = NULL; /* the caller frees it too */
		return NULL;
	}
	return l;
}

static int list(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/scenarios/lessons", data_dir());
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "stacklab lesson: %s: %s\n", dir, strerror(errno));
		return EXIT_FAIL;
	}
	printf("%-22s %-12s %5s  %s\n", "LESSON", "TOPOLOGY", "STEPS", "TITLE");
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		if (len > 7 && strcmp(names[i]->d_name + len - 7, ".lesson") == 0) {
			_cleanup_free_ char *path = xasprintf("%s/%s", dir, names[i]->d_name);
			struct lesson *l = NULL;
			char *errors = NULL;
			if (lesson_load(path, &l, &errors) == 0)
				printf("%-22s %-12s %5d  %s\n", l->name, l->topology, l->n_steps, l->title);
			else
				printf("%-22.*s (broken: stacklab lesson lint %s)\n", (int)len - 7, names[i]->d_name, path);
			free(errors);
			lesson_free(l);
		}
		free(names[i]);
	}
	free(names);
	return EXIT_OK;
}

static void on_signal(int sig)
{
	(void)sig;
	lesson_interrupt();
}

/* Bring up the lesson's own lab, run it, take the lab down (always). */
static int check(const char *name, double slack)
{
	struct topo *topo = NULL;
	struct lesson *l = load(name, &topo);
	if (!l)
		return EXIT_USAGE;
	char lab[CTL_LAB_NAME_MAX];
	snprintf(lab, sizeof(lab), "lesson-%.*s", CTL_LAB_NAME_MAX - 8, l->name);
	for (char *c = lab; *c; c++)
		if (*c == '_')
			*c = '-';
	printf("# %s (%s), on lab %s\n", l->title, l->path, lab);
	fflush(stdout);
	_cleanup_free_ char *tpath = topo_resolve(l->topology);
	char out[8192];
	int code = run_self((char *[]){ "up", "--topology", tpath, "--lab", lab, "--timing", l->timing, NULL }, out,
				sizeof(out));
	int result;
	if (code != 0) {
		/* up rolled back what it made; a lab of that name that was up
		 * already is someone else's: it is not taken down. */
		printf("Bail out! the lesson's lab did not come up:\n");
		for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
			printf("# %s\n", line);
		lesson_free(l);
		topo_free(topo);
		return EXIT_FAIL;
	} else {
		_cleanup_free_ char *journal = journal_path(l->name);
		struct lesson_options opt = { .mode = LESSON_CHECK, .lab = lab, .slack = slack, .out = stdout, .in = -1,
					      .journal = journal };
		int r = lesson_run(l, &opt);
		if (journal)
			printf("# journal: %s (stacklab lesson report %s)\n", journal, journal);
		result = r == 0 ? EXIT_OK : EXIT_FAIL;
		if (r < 0)
			printf("Bail out! lab %s: %s\n", lab, strerror(-r));
	}
	run_self((char *[]){ "down", "--lab", lab, NULL }, out, sizeof(out));
	lesson_free(l);
	topo_free(topo);
	return result;
}

int cmd_lesson(int argc, char **argv)
{
	double slack = 1;
	const char *lab = NULL;
	bool text = false, feed = false;
	const struct opt opts[] = {
		{ .name = "slack", .kind = OPT_PARSE, .dest = &slack, .parse = parse_slack, .value = "F",
		  .help = "multiply every deadline by F (a slow machine; default 1)" },
		{ .name = "lab", .letter = 'l', .kind = OPT_STRING, .dest = &lab, .value = "NAME",
		  .help = "the lab to run on (run)" },
		{ .name = "text", .kind = OPT_FLAG, .dest = &text,
		  .help = "run in this terminal, line by line (over SSH, for a screen\n"
			  "reader, for a transcript): Enter goes on or does the asked\n"
			  "step, ? and Enter shows the hint" },
		{ .name = "feed", .kind = OPT_FLAG, .dest = &feed,
		  .help = "run as JSON lines on stdout, keys on stdin: how the TUI\n"
			  "runs a lesson (for a program, not a person)" },
		{ 0 },
	};
	const struct command_line cl = {
		.name = "lesson",
		.usage = "stacklab lesson list\n"
			 "stacklab lesson lint NAME|FILE...\n"
			 "stacklab lesson check [--slack F] NAME|FILE...\n"
			 "stacklab lesson run [--text] [--lab NAME] NAME|FILE\n"
			 "stacklab lesson report JOURNAL",
		.about = "A lesson (scenarios/lessons/NAME.lesson) narrates steps on a live lab, waits for\n"
			 "what should happen, measures it and checks the numbers.\n\n"
			 "  list    every lesson: name, title, topology, steps\n"
			 "  lint    every mistake in a lesson file, as file:line: what\n"
			 "  check   bring up the lesson's own lab, run each step's solution, print TAP,\n"
			 "          take the lab down: exit 0 passed, 1 a wait or check failed, 2 a bad file\n"
			 "  run     the lesson in the TUI, on a lab that is up (the only one, or --lab\n"
			 "          NAME; it must be of the lesson's topology): a pane tells each step,\n"
			 "          what it waits for and sees now, the numbers measured; n or Enter\n"
			 "          goes on, ? shows the hint, > lets the lesson do the asked step,\n"
			 "          every fault key still works; q stops it (its cleanup runs)\n"
			 "  report  the summary of a run from its journal (check and run write one, in\n"
			 "          the cache's journals/ folder, and print where)",
		.opts = opts,
		.args_max = ARGS_ANY,
	};
	int first, parsed = cli_options(&cl, argc, argv, &first);
	if (parsed != OPTIONS_GO)
		return parsed;
	if (text && feed) {
		fprintf(stderr, "stacklab lesson: --text or --feed, not both\n");
		return EXIT_USAGE;
	}
	enum { RUN_TUI, RUN_TEXT, RUN_FEED } how = text ? RUN_TEXT : feed ? RUN_FEED : RUN_TUI;
	const char *action = first < argc ? argv[first++] : NULL;
	if (!action) {
		fprintf(stderr, "stacklab lesson: expected list, lint, check, run or report (see stacklab lesson --help)\n");
		return EXIT_USAGE;
	}
	if (strcmp(action, "list") == 0)
		return list();
	if (strcmp(action, "report") == 0) {
		if (first + 1 != argc) {
			fprintf(stderr, "stacklab lesson report: which journal? (check and run print where they wrote it)\n");
			return EXIT_USAGE;
		}
		int r = lesson_report(argv[first], stdout);
		return r < 0 ? EXIT_USAGE : r ? EXIT_FAIL : EXIT_OK;
	}
	if (first >= argc) {
		fprintf(stderr, "stacklab lesson %s: which lesson? (stacklab lesson list)\n", action);
		return EXIT_USAGE;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	/* Output into a closed pipe (| head) must not kill us before down. */
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (strcmp(action, "lint") == 0) {
		int worst = EXIT_OK;
		for (; first < argc; first++) {
			struct topo *topo = NULL;
			struct lesson *l = load(argv[first], &topo);
			if (!l)
				worst = EXIT_USAGE;
			lesson_free(l);
			topo_free(topo);
		}
		return worst;
	}
	if (strcmp(action, "check") == 0) {
		if (!cli_may_run_labs("lesson check"))
			return EXIT_FAIL;
		int worst = EXIT_OK;
		for (; first < argc; first++) {
			int r = check(argv[first], slack);
			worst = r > worst ? r : worst;
		}
		return worst;
	}
	if (strcmp(action, "run") == 0) {
		struct topo *topo = NULL;
		struct lesson *l = load(argv[first], &topo);
		if (!l)
			return EXIT_USAGE;
		_cleanup_free_ char *picked = cli_pick_lab("lesson run", lab);
		int r = EXIT_FAIL;
		/* A lab that is up, and that the caller may watch: or say why not. */
		json_t *st = picked ? cli_status("lesson run", picked) : NULL;
		if (st && strcmp(json_string_value(json_object_get(st, "topology")) ?: "", topo->name) != 0)
			fprintf(stderr, "stacklab lesson run: lab %s runs topology %s, the lesson needs %s (stacklab up --topology %s)\n",
				picked, json_string_value(json_object_get(st, "topology")), topo->name, l->topology);
		else if (st && how == RUN_TUI && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
			fprintf(stderr, "stacklab lesson run: the TUI needs a terminal (--text runs the lesson line by line)\n");
		else if (st && how == RUN_TUI) {
			/* The TUI runs the lesson as its child, in --feed. */
			struct tui_options tui = { .lab = picked, .lesson = l->path, .lesson_title = l->title,
						   .lesson_steps = l->n_steps, .lesson_node = first_target(l), .slack = slack };
			r = tui_main(&tui) == 0 ? EXIT_OK : EXIT_FAIL;
		} else if (st) {
			_cleanup_free_ char *journal = journal_path(l->name);
			struct lesson_options opt = { .mode = how == RUN_FEED ? LESSON_FEED : LESSON_TEXT, .lab = picked,
						      .slack = slack, .out = stdout, .in = STDIN_FILENO, .journal = journal };
			int e = lesson_run(l, &opt);
			if (e < 0)
				fprintf(stderr, "stacklab lesson run: lab %s: %s\n", picked, strerror(-e));
			r = e == 0 ? EXIT_OK : EXIT_FAIL;
		}
		json_decref(st);
		lesson_free(l);
		topo_free(topo);
		return r;
	}
	fprintf(stderr, "stacklab lesson: unknown action '%s' (known: list, lint, check, run, report)\n", action);
	return EXIT_USAGE;
}
