/* error.h — what went wrong, as an object (crun's libcrun_error_t): the
 * engine fills one where a failure happens, naming the operation and the
 * object, and returns; whoever speaks to a person prints it once — the CLI
 * on stderr, the lab daemon on the `up` client's pipe, in its log, or in a
 * JSON reply. Engine functions never print. */
#ifndef STACKLAB_ERROR_H
#define STACKLAB_ERROR_H

struct sl_error {
	int code;        /* an errno value; 0 while nothing failed */
	char msg[1024];
};

/* Record a failure (code: a positive errno) unless one is recorded already
 * (the first, deepest one names the cause). NULL err is fine. Returns
 * -code, so `return sl_err(err, ENOENT, "...")` reads as it does. */
int sl_err(struct sl_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Put context in front of a recorded failure ("node web1: " + its
 * message). Returns -err->code, and never 0: called with no error object,
 * or none recorded, it still reports a failure (-EIO). */
int sl_err_wrap(struct sl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message, or strerror(-r) when nothing was recorded for r < 0. */
const char *sl_err_text(const struct sl_error *err, int r);

#endif
