/* view.h — drawing the model into a curses window: the topology map, the
 * traffic panel, the event log, the help bar. The same code draws the live
 * screen and the `--once` text render. */
#ifndef STACKLAB_TUI_VIEW_H
#define STACKLAB_TUI_VIEW_H

#include <curses.h>
#include <stdbool.h>

#include "lessonpane.h"
#include "model.h"

struct view_state {
	int selected;                 /* index of the selected node */
	int scroll;                   /* event log: lines up from the newest */
	const char *filter;           /* event log: only lines naming this node */
	bool help;                    /* the full key list instead of the log */
	bool daemon_lines;            /* the log shows the daemons' own lines instead */
	bool incidents;               /* I: the incident cards instead of the log */
	bool color, unicode;
	char message[160];            /* the answer to the last key press */
	unsigned long long message_ms; /* when it was set: shown for a few seconds */
	struct { short y, x, w, h; } at[TM_NODES]; /* where each node was drawn (y < 0: not shown), h rows */
	char *inspect;                /* the open node's page (malloc'd), NULL when closed */
	json_t *trace;                /* the stepper's traced request, NULL when closed */
	int step;                     /* the hop shown */
	bool playing;                 /* the stepper walks the hops by itself */
	int speed;                    /* 1, 2 or 4 hops every 1.5 s */
	unsigned long long played_ms; /* when it last stepped */
	int inspect_top;              /* its first line on screen */
	struct lesson_pane *lesson;   /* a lesson running in the TUI, or NULL */
	bool lesson_events;           /* e: the event log instead of the lesson */
};

void view_colors(void);
void view_draw(WINDOW *w, struct tm_model *m, struct view_state *v, int rows, int cols);
/* The node drawn at screen position y, x, or -1. */
int view_node_at(const struct view_state *v, int n_nodes, int y, int x);

#endif
