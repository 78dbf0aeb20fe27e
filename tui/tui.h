/* tui.h — the ncurses front end: a client of a lab's control socket. */
#ifndef STACKLAB_TUI_H
#define STACKLAB_TUI_H

#include <stdbool.h>

/* Run the TUI on lab `lab` until the user quits. With `once`, render one
 * screen of `rows` x `cols` as plain text on stdout instead. Returns an
 * exit code. */
int tui_main(const char *lab, bool once, int rows, int cols);

#endif
