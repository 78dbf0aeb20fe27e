/* lessonrun.h — running a lesson on a live lab. Like the TUI, the runner is
 * a client of the control socket and the event stream: it reads the lab's
 * state from `status` and its events, runs the lesson's commands as the
 * stacklab command itself, and never reaches into the engine. */
#ifndef STACKLAB_LESSONRUN_H
#define STACKLAB_LESSONRUN_H

#include <stdbool.h>
#include <stdio.h>

#include "lesson.h"

enum lesson_mode {
	LESSON_CHECK,   /* CI and self-check: every `solve` runs; TAP out */
	LESSON_TEXT,    /* a student at a terminal: asks, waits, hints; Enter skips
			 * an asked step, and goes on after each step */
	LESSON_FEED,    /* for the TUI: JSON lines out ({"kind", "text"}), and
			 * "next", "hint", "skip" lines in */
};

struct lesson_options {
	enum lesson_mode mode;
	const char *lab;          /* the lab the lesson runs on (up and running) */
	double slack;             /* deadlines are multiplied by it (slow machines) */
	FILE *out;
	int in;                   /* TEXT and FEED: the student's keys, or -1 */
	const char *journal;      /* where the run's journal goes (JSON lines), or NULL */
};

/* Print the summary of a run from its journal: the lesson, each verdict and
 * measure, and how many held. Returns 0 if the run passed, 1 if not, -errno
 * if the journal cannot be read, -EINVAL if it is not one. */
int lesson_report(const char *journal, FILE *out);

/* Run lesson `l` on lab `opt->lab`: steady expectations, each step, the
 * cleanup (always, even after a failure or an interrupt), the steady
 * expectations again. In check mode prints TAP ("ok N - step crash", and
 * "# takeover 41 ms" lines), and writes the journal if asked (it survives
 * the lab). Returns 0 if every wait and check held, 1 if one did not,
 * -errno if the lab could not be reached. */
int lesson_run(const struct lesson *l, const struct lesson_options *opt);

/* Grade a live lab (a challenge): wait for each of `preds` in turn, up to
 * its within_s (times slack) until one fails, the rest as they are then;
 * tell verdict() whether each held and what is seen now. A traffic
 * predicate is judged over a window watched whole.
 * Returns how many did not hold, or -errno if the lab cannot be reached. */
typedef void (*lesson_verdict_fn)(void *ctx, const struct pred *p, bool good, const char *now);
int lesson_grade(const char *lab, const struct pred *preds, int n, double slack, lesson_verdict_fn verdict, void *ctx);

/* Ask the runner to stop at the next chance (a signal handler may). */
void lesson_interrupt(void);

#endif
