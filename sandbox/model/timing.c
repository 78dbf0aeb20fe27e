/* timing.c — timing profiles (see timing.h). */
#include "timing.h"

#include <errno.h>
#include <ini.h>
#include <string.h>

#include "util.h"

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct timing *t = user;
	if (strcmp(section, t->name) != 0)
		return 1;
	if (t->n_vars >= TIMING_VARS_MAX)
		return 0;
	t->vars[t->n_vars].name = xstrdup(key);
	t->vars[t->n_vars].value = xstrdup(value);
	t->n_vars++;
	return 1;
}

int timing_load(const char *path, const char *name, struct timing *t, struct sl_error *err)
{
	memset(t, 0, sizeof(*t));
	if (str_copy(t->name, sizeof(t->name), name) < 0)
		return -ENOENT;
	t->vars[0].name = xstrdup("timing");
	t->vars[0].value = xstrdup(name);
	t->n_vars = 1;
	int r = ini_parse(path, handler, t);
	if (r < 0)
		return sl_err(err, errno ? errno : EIO, "%s: %s", path, strerror(errno ? errno : EIO));
	if (r > 0)
		return sl_err(err, EINVAL, "%s:%d: not a 'key = value' line", path, r);
	return t->n_vars > 1 ? 0 : -ENOENT;
}

void timing_free(struct timing *t)
{
	for (size_t i = 0; i < t->n_vars; i++) {
		free((char *)t->vars[i].name);
		free((char *)t->vars[i].value);
	}
	t->n_vars = 0;
}
