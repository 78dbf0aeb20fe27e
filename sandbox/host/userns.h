/* userns.h — the user namespace every node of a lab runs in: root inside
 * is an unprivileged range of ids outside, so root in a node (a student's
 * shell, a daemon) is never root of the host, even if something slips. */
#ifndef STACKLAB_USERNS_H
#define STACKLAB_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Ids 0…USERNS_IDS-1 inside a node are base…base+USERNS_IDS-1 outside:
 * room for every user a Debian daemon runs as, nobody (65534) included. */
#define USERNS_IDS 65536

struct idmap {
	uid_t base;       /* host uid (and gid) of root in the lab's nodes */
};

/* Give lab `lab` a range of host ids no other running lab has, from the
 * range systemd leaves to containers (524288…1879048191), none given to a
 * user in /etc/subuid or /etc/subgid, and record it in the lab's directory
 * `dir` (so other labs see it taken). A user's lab takes ids 1…USERNS_IDS
 * of its own namespace: the user's subordinate range. Returns 0, or
 * -errno with what failed in err (as do the others here). */
int userns_pick(const char *lab, const char *dir, struct idmap *m, struct sl_error *err);

/* Can this ordinary user have a lab? Checks what userns_enter_own needs
 * (the kernel's settings, newuidmap and newgidmap, a subordinate range of
 * ids) and says what is missing and how to get it. */
int userns_check_own(struct sl_error *err);

/* An ordinary user's `up`: make a user namespace whose root is the user
 * and whose ids 1…USERNS_IDS are the user's subordinate range (written by
 * Debian's setuid newuidmap and newgidmap, as rootless Podman does), and
 * become its root. The caller then runs itself again (exec), so that what
 * it forks (the lab daemon, the nodes' inits) has its memory in this
 * namespace: the daemon may then enter its nodes even though their inits
 * are not dumpable, while root in a node, one namespace below, still may
 * not. The daemon owns the switch and every node, and is nobody's root
 * outside. */
int userns_enter_own(struct sl_error *err);

/* Why the kernel's settings forbid an ordinary user a user namespace, from
 * the text of user.max_user_namespaces, kernel.unprivileged_userns_clone
 * and kernel.apparmor_restrict_unprivileged_userns (NULL where a kernel has
 * no such file), naming the setting and how root changes it; NULL if they
 * allow it. */
const char *userns_why_forbidden(const char *max, const char *clone, const char *apparmor);

/* The first range of user `name` (or uid `id`) in `file` (/etc/subuid or
 * /etc/subgid) with room for USERNS_IDS ids: its first id in *start. */
bool userns_sub_range(const char *file, const char *name, unsigned id, unsigned long *start);

/* Write the uid and gid maps of process `pid`, made with CLONE_NEWUSER. */
int userns_map(pid_t pid, const struct idmap *m, struct sl_error *err);

/* In a process that has just entered or made a user namespace with the map
 * above: become its root (uid and gid 0, no supplementary groups). */
int userns_become_root(void);

/* Give every file under `path` (not following links, not crossing mounts)
 * to the node's ids: host uid u becomes base+u. Files the daemon wrote as
 * root become root's inside the node; a database copied as mysql's becomes
 * mysql's inside. Returns 0 or -errno. */
int userns_shift_tree(const char *path, const struct idmap *m, struct sl_error *err);

#endif
