/* userns.c — id ranges and maps for the nodes' user namespace (see userns.h). */
#include "userns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

/* systemd's range for containers' ids (systemd's UIDS-GIDS.md): no host
 * user or service is given an id there. */
#define RANGE_FIRST 524288u
#define RANGE_SLOTS ((1879048191u - RANGE_FIRST + 1) / USERNS_IDS)

static bool slot_taken(uid_t base, const char *self)
{
	DIR *d = opendir(CTL_RUN_DIR);
	struct dirent *e;
	bool taken = false;
	while (d && !taken && (e = readdir(d))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s/idmap", CTL_RUN_DIR, e->d_name);
		_cleanup_free_ char *text = read_file(path, NULL);
		taken = text && strtoul(text, NULL, 10) == base;
	}
	if (d)
		closedir(d);
	return taken;
}

/* Does any running process's user namespace map host ids into
 * [base, base+USERNS_IDS)? (systemd-nspawn, rootless containers and labs
 * of stacklab alike take ids from the same range.) */
static bool ids_in_use(uid_t base)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool used = false;
	while (d && !used && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300], line[128];
		snprintf(path, sizeof(path), "/proc/%s/uid_map", e->d_name);
		FILE *f = fopen(path, "re");
		unsigned long inside, outside, count;
		while (f && !used && fgets(line, sizeof(line), f))
			if (sscanf(line, "%lu %lu %lu", &inside, &outside, &count) == 3 && outside != 0)
				used = outside < (unsigned long)base + USERNS_IDS && outside + count > base;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return used;
}

int userns_pick(const char *lab, const char *dir, struct idmap *m, struct sl_error *err)
{
	/* The run directory's lock keeps two `up`s from taking one range. */
	_cleanup_close_ int lock = open(CTL_RUN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		return sl_err(err, errno, "lock %s: %s", CTL_RUN_DIR, strerror(errno));
	/* Start where the lab's name points, so a lab tends to keep its ids. */
	unsigned h = 5381;
	for (const char *c = lab; *c; c++)
		h = h * 33 + (unsigned char)*c;
	for (unsigned k = 0; k < RANGE_SLOTS; k++) {
		uid_t base = RANGE_FIRST + ((h + k) % RANGE_SLOTS) * USERNS_IDS;
		if (slot_taken(base, lab) || ids_in_use(base))
			continue;
		char path[PATH_MAX], text[32];
		snprintf(path, sizeof(path), "%s/idmap", dir);
		snprintf(text, sizeof(text), "%u\n", (unsigned)base);
		int r = write_file(path, text, 0644);
		if (r < 0)
			return sl_err(err, -r, "%s: %s", path, strerror(-r));
		m->base = base;
		return 0;
	}
	return sl_err(err, EUSERS, "no free range of ids for the nodes' user namespace");
}

int userns_map(pid_t pid, const struct idmap *m, struct sl_error *err)
{
	static const char *const maps[] = { "uid_map", "gid_map" };
	char line[64];
	snprintf(line, sizeof(line), "0 %u %u\n", (unsigned)m->base, USERNS_IDS);
	for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, maps[i]);
		int r = write_file(path, line, 0644);
		if (r < 0)
			return sl_err(err, -r, "%s: %s", path, strerror(-r));
	}
	return 0;
}

int userns_become_root(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return -errno;
	return 0;
}

static uid_t shift_base;
static struct sl_error *shift_err;

static int shift_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)type;
	(void)ftw;
	if (st->st_uid >= USERNS_IDS || st->st_gid >= USERNS_IDS)
		return 0; /* already the node's */
	if (lchown(path, shift_base + st->st_uid, shift_base + st->st_gid) < 0)
		return sl_err(shift_err, errno, "give %s to the node's ids: %s", path, strerror(errno));
	return 0;
}

int userns_shift_tree(const char *path, const struct idmap *m, struct sl_error *err)
{
	shift_base = m->base;
	shift_err = err;
	int r = nftw(path, shift_one, 16, FTW_PHYS | FTW_MOUNT);
	return r < 0 ? sl_err(err, errno, "%s: %s", path, strerror(errno)) : r;
}
