/* error.c — the error object (see error.h). */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void str_copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int sl_err(struct sl_error *err, int code, const char *fmt, ...)
{
	if (!err || err->code)
		return -(err && err->code ? err->code : code);
	err->code = code ? code : EIO;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -err->code;
}

int sl_err_wrap(struct sl_error *err, const char *fmt, ...)
{
	/* Called on a failure, so never 0: a caller that passed no error
	 * object (or a callee that recorded none) still fails. */
	if (!err)
		return -EIO;
	if (!err->code)
		sl_err(err, EIO, "%s", "failed");
	char old[sizeof(err->msg)];
	memcpy(old, err->msg, sizeof(old));
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(err->msg)) /* the prefix, then as much of the old as fits */
		str_copy_cut(err->msg + n, sizeof(err->msg) - (size_t)n, old);
	return -err->code;
}

const char *sl_err_text(const struct sl_error *err, int r)
{
	if (err && err->code)
		return err->msg;
	return strerror(r < 0 ? -r : r);
}
