/* cgroup.h — freezing a node with the kernel's cgroup freezer: cgroup v2's
 * cgroup.freeze (a unified hierarchy, or the unified part of a hybrid host)
 * or cgroup v1's freezer.state. Each node's init (and so everything in the
 * node) goes into the cgroup stacklab-LAB/NODE, which `down`, or the next
 * `up` after a crash, removes. */
#ifndef STACKLAB_CGROUP_H
#define STACKLAB_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

enum cgroup_mode { CGROUP_NONE, CGROUP_V2, CGROUP_V1 };

struct cgroups {
	enum cgroup_mode mode;
	char base[256];          /* …/stacklab-LAB */
};

/* Find a freezer on this host and make the lab's cgroup. CGROUP_NONE (and
 * 0) if there is none: freezing then falls back to SIGSTOP. */
int cgroup_open(struct cgroups *cg, const char *lab);

/* Put process `pid` (a node's init) in the node's cgroup, its memory
 * bounded to memory_mib (0: the default, 1 GiB). */
int cgroup_add(const struct cgroups *cg, const char *node, pid_t pid, int memory_mib, struct sl_error *err);

/* Give node `node` `cores` of CPU time (cpu.max, or v1's CFS quota).
 * 0, -EOPNOTSUPP where the lab has no cpu controller, or -errno. */
int cgroup_cpu_limit(const struct cgroups *cg, const char *node, pid_t pid, double cores);

/* Does the lab have a cgroup left anywhere? */
bool cgroup_exists(const char *lab);

/* Move the calling process into the node's cgroup (what exec and the lab's
 * probes start in a node belongs to it: freezing the node freezes them). 0
 * when the host has no freezer. */
int cgroup_join(const char *lab, const char *node, struct sl_error *err);

/* Is node `node`'s memory bounded (a memory.max, or v1's limit, in force)? */
bool cgroup_memory_bounded(const struct cgroups *cg, const char *node);

/* Freeze or thaw every process of the node. */
int cgroup_freeze(const struct cgroups *cg, const char *node, bool frozen);

/* Remove the lab's cgroups (their processes must be gone): after `down`, or
 * what a killed lab left. Quiet when there is nothing. */
void cgroup_remove(const char *lab);

const char *cgroup_mode_name(enum cgroup_mode mode);

#endif
