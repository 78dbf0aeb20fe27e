/* lessonpane.h — a lesson in the TUI. The runner is a child process
 * (`stacklab lesson run --feed`): it tells what happens as JSON lines and
 * takes "next", "hint" and "skip" lines; the TUI only shows and forwards,
 * so its loop never waits on the lesson. */
#ifndef STACKLAB_TUI_LESSONPANE_H
#define STACKLAB_TUI_LESSONPANE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "ctl.h"

#define PANE_LINES 200

struct pane_line {
	char kind[10];                /* as the runner says: say, ask, verdict… */
	bool ok;
	char text[300];
};

struct lesson_pane {
	char path[256], title[128];
	pid_t pid;                    /* the runner, 0 once it is gone */
	int to, from;                 /* its stdin, its stdout (and stderr) */
	struct ctl_reader rd;
	struct pane_line lines[PANE_LINES];   /* oldest first */
	int n;
	char step[40];                /* the step now */
	int step_no, steps;
	char waiting[256], now[256];  /* what the step waits for, what is seen */
	char pause[64];               /* "next step" while it waits for n */
	bool stopping;                /* asked to stop: its cleanup is running */
	bool ended, passed;
	int status;                   /* the runner's exit status, once ended */
	unsigned long long done_ms;   /* when its output ended */
	json_t *trace;                /* a trace the lesson ran, not yet in the stepper */
};

/* Start the runner for lesson `path` (with `steps` steps) on `lab`. Returns
 * 0, or -errno and says why in `msg`. */
int pane_start(struct lesson_pane *p, const char *lab, const char *path, const char *title, int steps,
	       double slack, char *msg, size_t size);
/* Take in what the runner said; true if anything changed. */
bool pane_pump(struct lesson_pane *p);
/* Send the runner one word: next, hint or skip. */
void pane_say(struct lesson_pane *p, const char *word);
/* Ask the runner to stop: it cleans up (heal, traffic stop) and ends. */
void pane_stop(struct lesson_pane *p);
/* Reap a runner whose output ended, without waiting; true once it is. */
bool pane_check(struct lesson_pane *p);
/* Wait for a stopping runner, at most `ms`; then it is killed. */
void pane_reap(struct lesson_pane *p, int ms);

#endif
