/* dbtemplate.h — the MariaDB datadir every db node starts from: made once
 * with mariadb-install-db and the schema of rootfs/db/schema.sql, kept under
 * cache_dir()/mariadb/, copied into each db node at `up`. */
#ifndef STACKLAB_DBTEMPLATE_H
#define STACKLAB_DBTEMPLATE_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Make the template unless one made from the same schema is there (telling
 * `progress`: it is slow); fill `datadir` with its path. Returns 0, or
 * -errno with what failed in err. */
int dbtemplate_ensure(const char *schema, char *datadir, size_t size, void (*progress)(const char *what),
		      struct sl_error *err);

/* Copy the template datadir to `dst`, owned by uid:gid (the node's mysql). */
int dbtemplate_copy(const char *datadir, const char *dst, uid_t uid, gid_t gid, struct sl_error *err);

#endif
