/* userns.c — id ranges and maps for the nodes' user namespace (see userns.h). */
#include "userns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <pwd.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/file.h>
#include <unistd.h>

#include "ctl.h"
#include "paths.h"
#include "util.h"

/* systemd's range for containers' ids (systemd's UIDS-GIDS.md): no host
 * user or service is given an id there. */
#define RANGE_FIRST 524288u
#define RANGE_SLOTS ((1879048191u - RANGE_FIRST + 1) / USERNS_IDS)

static bool slot_taken(uid_t base, const char *self)
{
	DIR *d = opendir(run_dir());
	struct dirent *e;
	bool taken = false;
	while (d && !taken && (e = readdir(d))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s/idmap", run_dir(), e->d_name);
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

bool userns_sub_range(const char *file, const char *name, unsigned id, unsigned long *start)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	char line[512], who[256];
	unsigned long first, count;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%255[^:]:%lu:%lu", who, &first, &count) == 3 && count >= USERNS_IDS + 0ul &&
		    (strcmp(who, name) == 0 || (who[strspn(who, "0123456789")] == '\0' && strtoul(who, NULL, 10) == id))) {
			*start = first;
			return true;
		}
	return false;
}

/* Does any line of /etc/subuid or /etc/subgid give [base, base+USERNS_IDS)
 * to a user? Those ids are that user's nodes', in their own labs. */
static bool ids_given(uid_t base)
{
	static const char *const files[] = { "/etc/subuid", "/etc/subgid" };
	bool given = false;
	for (size_t i = 0; i < ARRAY_SIZE(files) && !given; i++) {
		_cleanup_fclose_ FILE *f = fopen(files[i], "re");
		char line[512];
		unsigned long first, count;
		while (f && !given && fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');
			if (colon && sscanf(colon, ":%lu:%lu", &first, &count) == 2)
				given = first < (unsigned long)base + USERNS_IDS && first + count > base;
		}
	}
	return given;
}

const char *userns_why_forbidden(const char *max, const char *clone, const char *apparmor)
{
	if (max && atoi(max) == 0)
		return "this kernel allows no user namespaces: user.max_user_namespaces is 0 "
		       "(root can allow them: sysctl -w user.max_user_namespaces=15000)";
	if (clone && atoi(clone) == 0)
		return "this kernel forbids user namespaces to ordinary users: kernel.unprivileged_userns_clone is 0 "
		       "(root can allow them: sysctl -w kernel.unprivileged_userns_clone=1)";
	if (apparmor && atoi(apparmor) == 1)
		return "AppArmor forbids user namespaces to ordinary users: kernel.apparmor_restrict_unprivileged_userns "
		       "is 1, as on Ubuntu 24.04 (root can allow them: sudo make setup-users writes an AppArmor "
		       "profile for stacklab; or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)";
	return NULL;
}

static const char *userns_forbidden(void)
{
	_cleanup_free_ char *max = read_file("/proc/sys/user/max_user_namespaces", NULL);
	_cleanup_free_ char *clone = read_file("/proc/sys/kernel/unprivileged_userns_clone", NULL);
	_cleanup_free_ char *apparmor = read_file("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", NULL);
	return userns_why_forbidden(max, clone, apparmor);
}

#define NEWUIDMAP "/usr/bin/newuidmap"
#define NEWGIDMAP "/usr/bin/newgidmap"

struct own_ranges {
	unsigned long uid_start, gid_start;
};

static int own_ranges(struct own_ranges *o, struct sl_error *err)
{
	struct passwd *pw = getpwuid(lab_user());
	const char *name = pw ? pw->pw_name : "";
	if (!userns_sub_range("/etc/subuid", name, lab_user(), &o->uid_start) ||
	    !userns_sub_range("/etc/subgid", name, lab_user(), &o->gid_start))
		return sl_err(err, EPERM,
			      "user %s has no range of %d subordinate ids in /etc/subuid and /etc/subgid, which a lab's "
			      "daemons need for their own users (root gives every user one: sudo make setup-users)",
			      *name ? name : "?", USERNS_IDS);
	return 0;
}

/* What a user's lab needs (see userns_check_own), and their ranges. */
static int check_own(struct own_ranges *o, struct sl_error *err)
{
	const char *no = userns_forbidden();
	if (no)
		return sl_err(err, EPERM, "%s", no);
	if (access(NEWUIDMAP, X_OK) < 0 || access(NEWGIDMAP, X_OK) < 0)
		return sl_err(err, ENOENT, "%s and %s are missing: they come with Debian's uidmap (sudo make setup-users "
					   "installs it)", NEWUIDMAP, NEWGIDMAP);
	return own_ranges(o, err);
}

int userns_check_own(struct sl_error *err)
{
	struct own_ranges o;
	return check_own(&o, err);
}

/* newuidmap or newgidmap for process `pid`: the user's own id is root
 * inside, the subordinate range is ids 1…USERNS_IDS. */
static int run_map(const char *tool, pid_t pid, unsigned own, unsigned long start)
{
	char spid[16], sown[16], sstart[24], ids[16];
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	snprintf(sown, sizeof(sown), "%u", own);
	snprintf(sstart, sizeof(sstart), "%lu", start);
	snprintf(ids, sizeof(ids), "%d", USERNS_IDS);
	pid_t p = fork();
	if (p < 0)
		return -errno;
	if (p == 0) {
		execl(tool, tool, spid, "0", sown, "1", "1", sstart, ids, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(p, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

int userns_enter_own(struct sl_error *err)
{
	struct own_ranges o;
	int r = check_own(&o, err);
	if (r < 0)
		return r;
	uid_t uid = getuid();
	gid_t gid = getgid();
	pid_t self = getpid();
	/* The maps are written from outside the namespace, by a helper
	 * forked before it exists: it waits for the word to go. */
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return sl_err(err, errno, "pipe: %s", strerror(errno));
	pid_t helper = fork();
	if (helper < 0)
		return sl_err(err, errno, "fork: %s", strerror(errno));
	if (helper == 0) {
		close(go[1]);
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(run_map(NEWUIDMAP, self, uid, o.uid_start) == 0 && run_map(NEWGIDMAP, self, gid, o.gid_start) == 0
			      ? 0 : 2);
	}
	close(go[0]);
	int e = unshare(CLONE_NEWUSER) < 0 ? errno : 0;
	if (!e && write(go[1], "1", 1) != 1)
		e = errno;
	close(go[1]);
	int status = 0;
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	if (e) {
		const char *why = e == EPERM || e == ENOSPC ? userns_forbidden() : NULL;
		return sl_err(err, e, "a user namespace for the lab: %s", why ? why : strerror(e));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return sl_err(err, EPERM, "%s/%s could not give the lab's user namespace the ids of /etc/subuid and "
					  "/etc/subgid (what they said is above)", NEWUIDMAP, NEWGIDMAP);
	if (userns_become_root() < 0)
		return sl_err(err, errno, "become root of the lab's user namespace: %s", strerror(errno));
	return 0;
}

int userns_pick(const char *lab, const char *dir, struct idmap *m, struct sl_error *err)
{
	/* A user's lab: its own namespace has just the user's ids (0) and
	 * the user's subordinate range (1…USERNS_IDS), all for the nodes. */
	if (rootless()) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/idmap", dir);
		m->base = 1;
		int r = write_file(path, "1\n", 0644);
		return r < 0 ? sl_err(err, -r, "%s: %s", path, strerror(-r)) : 0;
	}
	/* The run directory's lock keeps two `up`s from taking one range. */
	_cleanup_close_ int lock = open(run_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		return sl_err(err, errno, "lock %s: %s", run_dir(), strerror(errno));
	/* Start where the lab's name points, so a lab tends to keep its ids. */
	unsigned h = 5381;
	for (const char *c = lab; *c; c++)
		h = h * 33 + (unsigned char)*c;
	for (unsigned k = 0; k < RANGE_SLOTS; k++) {
		uid_t base = RANGE_FIRST + ((h + k) % RANGE_SLOTS) * USERNS_IDS;
		if (slot_taken(base, lab) || ids_given(base) || ids_in_use(base))
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
