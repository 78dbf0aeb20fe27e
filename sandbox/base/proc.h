/* proc.h — running programs and waiting for them. */
#ifndef STACKLAB_PROC_H
#define STACKLAB_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Run argv[0] (a path) and wait. Its output is dropped unless it fails,
 * then its stderr is in `err`. Returns its exit status, or -errno. */
int run_argv(char *const argv[], struct sl_error *err);

/* Run this program with args (NULL-terminated, without argv[0]), stdin
 * /dev/null; its stdout and stderr (the first size-1 bytes) land in out.
 * Returns its exit status, or -errno. */
int run_self(char *const args[], char *out, size_t size);

/* run_self without waiting: the child's pid, or -errno; its stdout and
 * stderr on *out (close-on-exec, blocking). The caller reads *out to its
 * end, closes it and reaps the pid (run_status turns what waitpid gives
 * into an exit status as run_self returns it). */
pid_t run_self_start(char *const args[], int *out);
int run_status(int status);

#endif
