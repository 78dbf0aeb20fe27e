/* proc.h — running programs and waiting for them. */
#ifndef STACKLAB_PROC_H
#define STACKLAB_PROC_H

#include <stddef.h>

#include "error.h"

/* Run argv[0] (a path) and wait. Its output is dropped unless it fails,
 * then its stderr is in `err`. Returns its exit status, or -errno. */
int run_argv(char *const argv[], struct sl_error *err);

/* Run this program with args (NULL-terminated, without argv[0]), stdin
 * /dev/null; its stdout and stderr (the first size-1 bytes) land in out.
 * Returns its exit status, or -errno. */
int run_self(char *const args[], char *out, size_t size);

#endif
