/* cgroup.c — the node freezer (see cgroup.h). */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

const char *cgroup_mode_name(enum cgroup_mode mode)
{
	return mode == CGROUP_V2 ? "cgroup v2 freezer" : mode == CGROUP_V1 ? "cgroup v1 freezer" : "SIGSTOP";
}

int cgroup_open(struct cgroups *cg, const char *lab)
{
	cg->mode = CGROUP_NONE;
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

static int write_to(const char *dir, const char *node, const char *file, const char *value)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s/%s", dir, node, file);
	int r = write_file(path, value, 0644);
	if (r < 0)
		log_err("%s: %s", path, strerror(-r));
	return r;
}

int cgroup_add(const struct cgroups *cg, const char *node, pid_t pid)
{
	if (cg->mode == CGROUP_NONE)
		return 0;
	char dir[PATH_MAX], value[32];
	snprintf(dir, sizeof(dir), "%s/%s", cg->base, node);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_err("cgroup %s: %s", dir, strerror(errno));
		return -errno;
	}
	snprintf(value, sizeof(value), "%d", (int)pid);
	return write_to(cg->base, node, "cgroup.procs", value);
}

int cgroup_freeze(const struct cgroups *cg, const char *node, bool frozen)
{
	if (cg->mode == CGROUP_V2)
		return write_to(cg->base, node, "cgroup.freeze", frozen ? "1" : "0");
	if (cg->mode == CGROUP_V1)
		return write_to(cg->base, node, "freezer.state", frozen ? "FROZEN" : "THAWED");
	return -EOPNOTSUPP;
}

bool cgroup_exists(const char *lab)
{
	for (size_t i = 0; i < ARRAY_SIZE(places); i++) {
		char base[PATH_MAX];
		snprintf(base, sizeof(base), "%s/stacklab-%s", places[i].root, lab);
		if (access(base, F_OK) == 0)
			return true;
	}
	return false;
}

int cgroup_join(const char *lab, const char *node)
{
	for (size_t i = 0; i < ARRAY_SIZE(places); i++) {
		char procs[PATH_MAX];
		snprintf(procs, sizeof(procs), "%s/stacklab-%s/%s/cgroup.procs", places[i].root, lab, node);
		if (access(procs, F_OK) < 0)
			continue;
		/* "0" is the writer itself. */
		int r = write_file(procs, "0", 0644);
		if (r < 0)
			log_err("join %s: %s", procs, strerror(-r));
		return r;
	}
	return 0; /* no freezer here: nothing to join */
}

void cgroup_remove(const char *lab)
{
	for (size_t i = 0; i < ARRAY_SIZE(places); i++) {
		char base[PATH_MAX];
		snprintf(base, sizeof(base), "%s/stacklab-%s", places[i].root, lab);
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
				snprintf(file, sizeof(file), "%s/%s", child,
					 places[i].mode == CGROUP_V1 ? "freezer.state" : "cgroup.freeze");
				write_file(file, places[i].mode == CGROUP_V1 ? "THAWED" : "0", 0644);
				for (int tries = 0; rmdir(child) < 0 && errno == EBUSY && tries < 100; tries++)
					usleep(10000); /* its last processes are still exiting */
			}
		closedir(d);
		rmdir(base);
	}
}
