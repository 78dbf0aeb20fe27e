/* cgroup.c — the node freezer (see cgroup.h). */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "error.h"
#include "paths.h"
#include "util.h"

/* Where each kind of freezer lives, in the order they are tried. */
static const struct {
	enum cgroup_mode mode;
	const char *root, *probe;
} places[] = {
	{ CGROUP_V2, "/sys/fs/cgroup", "/sys/fs/cgroup/cgroup.controllers" },
	{ CGROUP_V2, "/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified/cgroup.controllers" },
	{ CGROUP_V1, "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/freezer/cgroup.procs" },
};

/* What one node may take of the machine, so a fork bomb or a runaway daemon
 * in a node stays in it: cgroup v2's files in the node's cgroup where the
 * host delegates the controller, else cgroup v1's hierarchy of its own. */
#define NODE_PIDS_MAX "1024"
#define NODE_MEMORY_MAX "1073741824"   /* 1 GiB */
#define CPU_V1_ROOT "/sys/fs/cgroup/cpu"  /* where a node's cpu = N goes on v1 */

static const struct {
	const char *controller, *v1_root, *v1_file, *v2_file, *value;
} limits[] = {
	{ "pids", "/sys/fs/cgroup/pids", "pids.max", "pids.max", NODE_PIDS_MAX },
	{ "memory", "/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.max", NODE_MEMORY_MAX },
};

/* Every hierarchy a lab may have a cgroup in: for joining and removing. */
static size_t roots(const char *out[], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(places) && n < max; i++)
		out[n++] = places[i].root;
	for (size_t i = 0; i < ARRAY_SIZE(limits) && n < max; i++)
		out[n++] = limits[i].v1_root;
	if (n < max) /* cgroup_cpu_limit's, on v1 */
		out[n++] = CPU_V1_ROOT;
	return n;
}

const char *cgroup_mode_name(enum cgroup_mode mode)
{
	return mode == CGROUP_V2 ? "cgroup v2 freezer" : mode == CGROUP_V1 ? "cgroup v1 freezer" : "SIGSTOP";
}

/* A user's lab: the cgroup v2 subtree systemd delegates to the user (a
 * cgroup of theirs they may write, e.g. a scope made with Delegate=yes),
 * where this process is. Its path in `dir`, or false. */
static bool delegated(char *dir, size_t size)
{
	const char *root = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "/sys/fs/cgroup"
			   : access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0 ? "/sys/fs/cgroup/unified" : NULL;
	_cleanup_free_ char *mine = read_file("/proc/self/cgroup", NULL);
	char *line = mine ? strstr(mine, "0::/") : NULL;
	if (!root || !line || (line != mine && line[-1] != '\n'))
		return false;
	line += 3;
	line[strcspn(line, "\n")] = '\0';
	if (snprintf(dir, size, "%s%s", root, strcmp(line, "/") == 0 ? "" : line) >= (int)size)
		return false;
	char procs[PATH_MAX + 16];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	return access(dir, W_OK) == 0 && access(procs, W_OK) == 0;
}

/* Where a user's lab's cgroup is, as its daemon recorded it (the user's
 * delegated subtree depends on where they ran `up`), or false. */
static bool recorded_base(const char *lab, char *base, size_t size)
{
	_cleanup_free_ char *path = ctl_lab_path(lab, "cgroup");
	_cleanup_free_ char *text = read_file(path, NULL);
	if (!text || strncmp(text, "/sys/fs/cgroup/", 15) != 0 || strstr(text, "/../"))
		return false;
	text[strcspn(text, "\n")] = '\0';
	return str_copy(base, size, text) == 0;
}

int cgroup_open(struct cgroups *cg, const char *lab)
{
	cg->mode = CGROUP_NONE;
	if (rootless()) {
		/* Without a delegated subtree a user has no cgroup to make:
		 * freezing is SIGSTOP, the bound on processes RLIMIT_NPROC. */
		char dir[PATH_MAX];
		if (!delegated(dir, sizeof(dir)) ||
		    snprintf(cg->base, sizeof(cg->base), "%s/stacklab-%s", dir, lab) >= (int)sizeof(cg->base) ||
		    (mkdir(cg->base, 0755) < 0 && errno != EEXIST))
			return 0;
		_cleanup_free_ char *path = ctl_lab_path(lab, "cgroup");
		_cleanup_free_ char *text = xasprintf("%s\n", cg->base);
		if (write_file(path, text, 0644) < 0) {
			rmdir(cg->base);
			return 0;
		}
		cg->mode = CGROUP_V2;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(places); i++) {
		if (access(places[i].probe, F_OK) < 0)
			continue;
		snprintf(cg->base, sizeof(cg->base), "%s/stacklab-%s", places[i].root, lab);
		if (mkdir(cg->base, 0755) < 0 && errno != EEXIST)
			continue; /* not writable here (a container): try the next */
		cg->mode = places[i].mode;
		return 0;
	}
	return 0;
}

static int write_to(const char *dir, const char *node, const char *file, const char *value, struct sl_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s/%s", dir, node, file);
	int r = write_file(path, value, 0644);
	return r < 0 ? sl_err(err, -r, "%s: %s", path, strerror(-r)) : 0;
}

/* Does the v2 cgroup `base` hand `controller` to its children? Asks for it
 * if it may. */
static bool v2_delegates(const char *base, const char *controller)
{
	char path[PATH_MAX], want[32];
	snprintf(path, sizeof(path), "%s/cgroup.controllers", base);
	_cleanup_free_ char *have = read_file(path, NULL);
	if (!have || !strstr(have, controller))
		return false;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", base);
	snprintf(want, sizeof(want), "+%s", controller);
	return write_file(path, want, 0644) == 0;
}

/* Node `node`'s directory in the v1 hierarchy at `root` (made if need be),
 * into lab as root/stacklab-LAB: 0, or -errno where that hierarchy is not
 * there to write. */
static int v1_node_dir(const char *root, const struct cgroups *cg, const char *node, char *lab, size_t size)
{
	char dir[PATH_MAX + 64];
	snprintf(lab, size, "%s/%s", root, strrchr(cg->base, '/') + 1);
	snprintf(dir, sizeof(dir), "%s/%s", lab, node);
	if (access(root, W_OK) < 0 || (mkdir(lab, 0755) < 0 && errno != EEXIST) || (mkdir(dir, 0755) < 0 && errno != EEXIST))
		return -errno;
	return 0;
}

/* Bound what node `node` (process pid) may take: pids and memory (its
 * topology's memory = MiB, or the default). */
static void limit_node(const struct cgroups *cg, const char *node, const char *pid, int memory_mib)
{
	char sized[32];
	snprintf(sized, sizeof(sized), "%llu", (unsigned long long)memory_mib << 20);
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		const char *value = memory_mib > 0 && strcmp(limits[i].controller, "memory") == 0 ? sized : limits[i].value;
		if (cg->mode == CGROUP_V2 && v2_delegates(cg->base, limits[i].controller)) {
			write_to(cg->base, node, limits[i].v2_file, value, NULL);
			continue;
		}
		char lab[PATH_MAX];
		if (v1_node_dir(limits[i].v1_root, cg, node, lab, sizeof(lab)) < 0)
			continue; /* no such controller here: the node goes without this bound */
		if (write_to(lab, node, limits[i].v1_file, value, NULL) == 0)
			write_to(lab, node, "cgroup.procs", pid, NULL);
	}
}

int cgroup_add(const struct cgroups *cg, const char *node, pid_t pid, int memory_mib, struct sl_error *err)
{
	char value[32];
	snprintf(value, sizeof(value), "%d", (int)pid);
	if (cg->mode == CGROUP_NONE)
		return 0;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", cg->base, node);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return sl_err(err, errno, "cgroup %s: %s", dir, strerror(errno));
	int r = write_to(cg->base, node, "cgroup.procs", value, err);
	if (r == 0)
		limit_node(cg, node, value, memory_mib);
	return r;
}

#define CPU_PERIOD_US 100000

int cgroup_cpu_limit(const struct cgroups *cg, const char *node, pid_t pid, double cores)
{
	char value[64];
	long quota = (long)(cores * CPU_PERIOD_US + 0.5);
	if (cg->mode == CGROUP_V2 && v2_delegates(cg->base, "cpu")) {
		snprintf(value, sizeof(value), "%ld %d", quota, CPU_PERIOD_US);
		return write_to(cg->base, node, "cpu.max", value, NULL);
	}
	char lab[PATH_MAX], p[32];
	if (cg->mode == CGROUP_NONE || access(CPU_V1_ROOT "/cpu.cfs_quota_us", W_OK) < 0)
		return -EOPNOTSUPP;
	int r = v1_node_dir(CPU_V1_ROOT, cg, node, lab, sizeof(lab));
	if (r < 0)
		return r;
	snprintf(value, sizeof(value), "%d", CPU_PERIOD_US);
	snprintf(p, sizeof(p), "%d", (int)pid);
	r = write_to(lab, node, "cpu.cfs_period_us", value, NULL);
	snprintf(value, sizeof(value), "%ld", quota);
	if (r == 0)
		r = write_to(lab, node, "cpu.cfs_quota_us", value, NULL);
	return r == 0 ? write_to(lab, node, "cgroup.procs", p, NULL) : r;
}

bool cgroup_memory_bounded(const struct cgroups *cg, const char *node)
{
	if (cg->mode == CGROUP_NONE)
		return false;
	char path[PATH_MAX];
	/* Where limit_node put it: v2's file if the lab's v2 cgroup hands
	 * out memory; else (v1, or a hybrid host whose v2 tree has no memory
	 * controller) the memory hierarchy's own directory. */
	if (cg->mode == CGROUP_V2 && v2_delegates(cg->base, "memory"))
		snprintf(path, sizeof(path), "%s/%s/memory.max", cg->base, node);
	else
		snprintf(path, sizeof(path), "/sys/fs/cgroup/memory/%s/%s/memory.limit_in_bytes", strrchr(cg->base, '/') + 1,
			 node);
	_cleanup_free_ char *text = read_file(path, NULL);
	return text && strtoull(text, NULL, 10) > 0 && strtoull(text, NULL, 10) <= strtoull(NODE_MEMORY_MAX, NULL, 10);
}

int cgroup_freeze(const struct cgroups *cg, const char *node, bool frozen)
{
	if (cg->mode == CGROUP_V2)
		return write_to(cg->base, node, "cgroup.freeze", frozen ? "1" : "0", NULL);
	if (cg->mode == CGROUP_V1)
		return write_to(cg->base, node, "freezer.state", frozen ? "FROZEN" : "THAWED", NULL);
	return -EOPNOTSUPP;
}

bool cgroup_exists(const char *lab)
{
	char base[PATH_MAX];
	if (rootless())
		return recorded_base(lab, base, sizeof(base)) && access(base, F_OK) == 0;
	const char *all[8];
	for (size_t i = 0, n = roots(all, ARRAY_SIZE(all)); i < n; i++) {
		snprintf(base, sizeof(base), "%s/stacklab-%s", all[i], lab);
		if (access(base, F_OK) == 0)
			return true;
	}
	return false;
}

int cgroup_join(const char *lab, const char *node, struct sl_error *err)
{
	char procs[PATH_MAX + 64];
	/* Root entering a user's lab: its cgroups are the user's (or none). */
	if (strchr(lab, '/'))
		return 0;
	if (rootless()) {
		char base[PATH_MAX];
		/* Only from inside the same delegated subtree: from another
		 * (a shell in a session scope of its own) the kernel refuses,
		 * and what runs there is not frozen with the node. */
		if (!recorded_base(lab, base, sizeof(base)))
			return 0;
		snprintf(procs, sizeof(procs), "%s/%s/cgroup.procs", base, node);
		int r = write_file(procs, "0", 0644);
		return r < 0 && r != -EACCES && r != -ENOENT ? sl_err(err, -r, "join %s: %s", procs, strerror(-r)) : 0;
	}
	const char *all[8];
	for (size_t i = 0, n = roots(all, ARRAY_SIZE(all)); i < n; i++) {
		snprintf(procs, sizeof(procs), "%s/stacklab-%s/%s/cgroup.procs", all[i], lab, node);
		if (access(procs, F_OK) < 0)
			continue;
		/* "0" is the writer itself. */
		int r = write_file(procs, "0", 0644);
		if (r < 0)
			return sl_err(err, -r, "join %s: %s", procs, strerror(-r));
	}
	return 0; /* where the host has no cgroup for it: nothing to join */
}

void cgroup_remove(const char *lab)
{
	const char *all[8];
	char own[PATH_MAX];
	size_t n = roots(all, ARRAY_SIZE(all));
	if (rootless()) {
		/* Its path is in the lab's directory: remove it before that. */
		n = recorded_base(lab, own, sizeof(own)) ? 1 : 0;
		all[0] = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		/* The freezers first: a frozen task cannot die. */
		enum cgroup_mode mode = rootless() ? CGROUP_V2 : i < ARRAY_SIZE(places) ? places[i].mode : CGROUP_NONE;
		char base[PATH_MAX];
		if (rootless())
			str_copy(base, sizeof(base), own);
		else
			snprintf(base, sizeof(base), "%s/stacklab-%s", all[i], lab);
		DIR *d = opendir(base);
		if (!d)
			continue;
		struct dirent *e;
		/* A cgroup is removed with rmdir, child first; its files go
		 * with it. A node a killed lab left frozen is thawed first, so
		 * that its processes (already sent SIGKILL) can finish dying. */
		while ((e = readdir(d)))
			if (e->d_type == DT_DIR && e->d_name[0] != '.') {
				char child[PATH_MAX + 256], file[PATH_MAX + 300];
				snprintf(child, sizeof(child), "%s/%s", base, e->d_name);
				snprintf(file, sizeof(file), "%s/%s", child, mode == CGROUP_V1 ? "freezer.state" : "cgroup.freeze");
				if (mode != CGROUP_NONE)
					write_file(file, mode == CGROUP_V1 ? "THAWED" : "0", 0644);
				for (int tries = 0; rmdir(child) < 0 && errno == EBUSY && tries < 100; tries++)
					usleep(10000); /* its last processes are still exiting */
			}
		closedir(d);
		rmdir(base);
	}
}
