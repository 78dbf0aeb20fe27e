/* view.h — drawing the model into a curses window: the topology map, the
 * traffic panel, the event log, the help bar. The same code draws the live
 * screen and the `--once` text render. */
#ifndef STACKLAB_TUI_VIEW_H
#define STACKLAB_TUI_VIEW_H

#include <curses.h>
#include <stdbool.h>

#include "model.h"

struct view_state {
	int selected;                 /* index of the selected node */
	int scroll;                   /* event log: lines up from the newest */
	const char *filter;           /* event log: only lines naming this node */
	bool help;                    /* the full key list instead of the log */
	bool daemon_lines;            /* the log shows the daemons' own lines too */
	bool color, unicode;
	char message[160];            /* the answer to the last key press */
	unsigned long long message_ms; /* when it was set: shown for a few seconds */
};

void view_colors(void);
void view_draw(WINDOW *w, struct tm_model *m, struct view_state *v, int rows, int cols);

#endif
