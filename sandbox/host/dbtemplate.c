/* dbtemplate.c — the MariaDB template datadir (see dbtemplate.h). Made once
 * (about a second), it makes every later `up` pay a copy (milliseconds)
 * instead of mariadb-install-db. */
#include "dbtemplate.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "util.h"

#define INSTALL_DB "/usr/bin/mariadb-install-db"

int dbtemplate_ensure(const char *schema, char *datadir, size_t size, void (*progress)(const char *what),
		      struct sl_error *err)
{
	char dir[PATH_MAX], stamp[PATH_MAX + 16], tmp[PATH_MAX + 16], extra[PATH_MAX + 16], dirarg[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/mariadb", cache_dir());
	snprintf(datadir, size, "%s/datadir", dir);
	snprintf(stamp, sizeof(stamp), "%s/schema.sql", dir);
	snprintf(tmp, sizeof(tmp), "%s/datadir.new", dir);

	_cleanup_free_ char *want = read_file(schema, NULL);
	if (!want)
		return sl_err(err, errno, "database schema %s: %s", schema, strerror(errno));
	_cleanup_free_ char *have = read_file(stamp, NULL);
	if (have && strcmp(have, want) == 0 && access(datadir, F_OK) == 0)
		return 0;

	if (access(INSTALL_DB, X_OK) < 0)
		return sl_err(err, ENOENT, "%s not found: install mariadb-server-core (make up installs it)", INSTALL_DB);
	progress("initialising the MariaDB template datadir (once; later ups copy it)");
	int r = mkdir_p(dir, 0700);
	if (r == 0)
		r = rm_rf(tmp);
	if (r < 0)
		return sl_err(err, -r, "%s: %s", dir, strerror(-r));
	snprintf(dirarg, sizeof(dirarg), "--datadir=%s", tmp);
	snprintf(extra, sizeof(extra), "--extra-file=%s", schema);
	/* --force: without it the script insists that the host's own name or
	 * localhost resolve (resolveip), which a minimal machine without
	 * /etc/hosts fails; the template never uses a host name. */
	char *argv[] = { INSTALL_DB, "--no-defaults", dirarg, "--user=root", "--auth-root-authentication-method=normal",
			 "--skip-test-db", "--skip-name-resolve", "--force", "--innodb-log-file-size=16M", extra, NULL };
	r = run_argv(argv, err);
	if (r != 0) {
		rm_rf(tmp);
		if (r < 0)
			return sl_err(err, -r, "mariadb-install-db: %s", strerror(-r));
		return sl_err_wrap(err, "the database template from %s: ", schema);
	}
	/* Replace the old template only once the new one is whole. */
	rm_rf(datadir);
	if (rename(tmp, datadir) < 0)
		return sl_err(err, errno, "%s: %s", datadir, strerror(errno));
	r = write_file(stamp, want, 0600);
	return r < 0 ? sl_err(err, -r, "%s: %s", stamp, strerror(-r)) : 0;
}

int dbtemplate_copy(const char *datadir, const char *dst, uid_t uid, gid_t gid, struct sl_error *err)
{
	int r = copy_tree(datadir, dst, uid, gid);
	return r < 0 ? sl_err(err, -r, "copy the database template to %s: %s", dst, strerror(-r)) : 0;
}
