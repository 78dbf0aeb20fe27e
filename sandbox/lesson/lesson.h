/* lesson.h — a lesson: one file that is a teacher's demo, a student's
 * self-check and a CI test (scenarios/lessons/NAME.lesson, INI). It names a
 * topology, narrates steps, runs stacklab commands, waits for live
 * predicates on the lab, measures what happened and checks the numbers.
 *
 *   [lesson]   title, topology (a scenarios/ name or a .lab path), goal,
 *              timing (fast, the default, or real: the daemons' stock timings)
 *   [steady]   expect = PRED            checked before step 1 and after cleanup
 *   [step N]   say = TEXT (repeatable)  do = CLI WORDS (repeatable)
 *              ask = TEXT               solve = CLI WORDS (repeatable): what
 *                                       check mode and "skip" run instead
 *              mark = NAME              wait = PRED within Ns
 *              measure = NAME = MEASURE (repeatable)
 *              check = NAME OP NUMBER (repeatable)
 *              hint = Ns TEXT           explain = TEXT with {NAME}
 *   [cleanup]  do = CLI WORDS (repeatable): always runs
 *
 * Predicates (PRED) read the lab's live state (the event stream, status)
 * or run one command in a node:
 *   vip NAME on NODE [NODE…]            vrrp NODE is MASTER|BACKUP|FAULT
 *   server LB/SERVER is UP|DOWN|DRAIN   node NODE is up|down|frozen|crashed
 *   daemon NODE/DAEMON is running|stopped
 *   request PATH -> CODE|timeout|refused
 *   connect NODE HOST:PORT -> open|refused|timeout
 *   traffic ok|failed|timeout|http5xx >= N% over Ds
 *   traffic p50|p99 >=|<= Nms over Ds   (of the requests that succeeded)
 *   traffic share WEB >=|<= N% over Ds (of the answers, those WEB gave)
 *   trace [PATH] passes NODE [NODE…]    log NODE/DAEMON ~ REGEX
 *   run NODE: COMMAND ~ REGEX
 *   replica NODE is replicating|broken  replica NODE lag >=|<= N (transactions
 *                                       the primary logged, not yet applied here)
 *   capture LINK ~ REGEX                (a packet of LINK, as stacklab capture
 *                                       tells it, within 2 s)
 *   prometheus WEB qps|5xx >=|<= N      (answers/s as the monitor's Prometheus
 *                                       computes them from HAProxy's counters)
 * Measures: "from @MARK until PRED" (ms), "traffic ok|failed|timeout|
 * http5xx since @MARK over Ds" (a count), "traffic p50|p99 since @MARK
 * over Ds" (ms). */
#ifndef STACKLAB_LESSON_H
#define STACKLAB_LESSON_H

#include <stdbool.h>
#include <stdio.h>

#include "topo.h"

#define LESSON_FILE_MAX (256 << 10)
#define LESSON_STEPS_MAX 32
#define LESSON_LINES_MAX 16        /* of one repeatable key in a step */
#define LESSON_NAME_MAX 32
#define LESSON_ARGS_MAX 8

enum pred_kind {
	PRED_VIP, PRED_VRRP, PRED_SERVER, PRED_NODE, PRED_DAEMON, PRED_REQUEST, PRED_CONNECT,
	PRED_TRAFFIC, PRED_TRACE, PRED_LOG, PRED_RUN, PRED_REPLICA, PRED_SHARE, PRED_CAPTURE, PRED_PROM,
};

/* A live predicate, parsed. Names are checked against the topology by
 * lesson_lint(). */
struct pred {
	enum pred_kind kind;
	char text[256];                /* as written, for messages */
	char a[64], b[64];             /* node, vip, lb, daemon, path, host:port… */
	char want[64];                 /* the state, code or result wanted */
	char list[LESSON_ARGS_MAX][32];   /* vip holders, trace nodes */
	int n_list;
	char regex[160], command[160]; /* log, run */
	double percent, over_s;        /* traffic; b holds >= or <= for a latency */
	double ms;                     /* traffic p50|p99: the latency */
	double within_s;               /* for wait: the deadline; 0 if none */
	int line;
};

enum measure_kind { MEASURE_UNTIL, MEASURE_COUNT, MEASURE_LATENCY };

struct measure {
	char name[LESSON_NAME_MAX];
	enum measure_kind kind;
	char mark[LESSON_NAME_MAX];
	struct pred until;             /* MEASURE_UNTIL */
	char what[16];                 /* ok, failed, timeout, http5xx, p50, p99 */
	double over_s;
	int line;
};

struct check {
	char name[LESSON_NAME_MAX];
	char op[3];                    /* <, <=, >, >=, == */
	double value;
	int line;
};

/* A line of stacklab CLI words ("fail lb1 crash"), split. */
struct words {
	char *argv[LESSON_ARGS_MAX + 1];
	int argc;
	char text[200];
	int line;
};

struct step {
	char name[LESSON_NAME_MAX];
	int line;
	char *say[LESSON_LINES_MAX];
	int n_say;
	struct words do_[LESSON_LINES_MAX];
	int n_do;
	char *ask;
	struct words solve[LESSON_LINES_MAX];
	int n_solve;
	char mark[LESSON_NAME_MAX];
	struct pred wait;
	bool has_wait;
	struct measure measures[LESSON_LINES_MAX];
	int n_measures;
	struct check checks[LESSON_LINES_MAX];
	int n_checks;
	double hint_after_s;
	char *hint;
	char *explain;
	int explain_line;
};

struct lesson {
	char *path;
	char name[64];                 /* the file's base name */
	char title[128];
	char topology[256];
	char goal[512];
	char timing[8];                /* "fast", "calm" or "real" */
	struct pred steady[LESSON_LINES_MAX];
	int n_steady;
	struct step steps[LESSON_STEPS_MAX];
	int n_steps;
	struct words cleanup[LESSON_LINES_MAX];
	int n_cleanup;
};

/* Parse the lesson in `f` (named `path` in messages). Returns 0 and a new
 * lesson in *out, or -EINVAL and every problem as "path:line: what" in
 * *errors (malloc'd). Checks the file's own grammar: keys, predicates,
 * measures, checks, marks and measures used before they exist. */
int lesson_parse(FILE *f, const char *path, struct lesson **out, char **errors);
/* lesson_parse on a file, refusing what is not a regular file of at most
 * LESSON_FILE_MAX bytes. */
int lesson_load(const char *path, struct lesson **out, char **errors);
void lesson_free(struct lesson *l);

/* Check a parsed lesson against its topology: nodes, VIPs, daemons
 * (rootfs/ROLE/etc/stacklab/services under `data`), links and the words of
 * each command. Appends "path:line: what" lines to *errors (malloc'd, or
 * NULL if none). Returns the number of problems. */
int lesson_lint(const struct lesson *l, const struct topo *t, const char *data, char **errors);

/* Parse one predicate (without "within"); false with why in `why`. */
bool pred_parse(const char *text, struct pred *p, char *why, size_t size);
/* Parse "PREDICATE within Ns" (a wait): within_s is set. */
bool pred_parse_wait(const char *text, struct pred *p, char *why, size_t size);
/* Check one parsed predicate's names against topology t, as lesson_lint
 * does; "path:LINE: what" lines (p->line) go to err. Returns how many. */
int pred_lint(const char *path, const struct pred *p, const struct topo *t, const char *data, FILE *err);

/* Where a lesson called `name_or_path` lives: a path if it holds '/' or
 * ends in ".lesson", else scenarios/lessons/NAME.lesson. Malloc'd. */
char *lesson_resolve(const char *name_or_path);
/* The same for any kind of scenario file: scenarios/FOLDER/NAME.EXT. */
char *scenario_resolve(const char *name_or_path, const char *folder, const char *ext);

#endif
