/* tui.h — the ncurses front end: a client of a lab's control socket. */
#ifndef STACKLAB_TUI_H
#define STACKLAB_TUI_H

#include <stdbool.h>

struct tui_options {
	const char *lab;
	bool once;              /* render one screen of rows x cols as text */
	int rows, cols;
	const char *lesson;     /* a lesson file to run in a pane, or NULL */
	const char *lesson_title;
	int lesson_steps;
	const char *lesson_node; /* what its first step acts on (selected at start), or NULL */
	double slack;           /* the lesson's deadlines times this */
};

/* Run the TUI on a lab until the user quits (with a lesson: the lesson's
 * result once it ended, 1 if it was stopped). Returns an exit code. */
int tui_main(const struct tui_options *opt);

#endif
