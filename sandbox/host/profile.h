/* profile.h — a node's confinement in one place, for a reader to audit:
 * what it sees of the host (its file system, row by row, masks included),
 * its network sysctls, the capabilities every node keeps and what exec
 * adds, and the system calls its filter refuses, each with its reason.
 * The tables are in profile.c; node.c and filter.c apply them. */
#ifndef STACKLAB_PROFILE_H
#define STACKLAB_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>

/* One step of building a node's root, relative to the new root. */
enum root_op_kind {
	HOST_TREE,   /* the host's own /usr, /bin…: a bind, or the same symlink */
	NODE_BIND,   /* a directory of this node on the host (etc, var) */
	TMPFS,
	PROC,
	SYSFS,
	REBIND,      /* a path already in the new root, bound over itself to set its flags */
	DEV_BIND,    /* one host device node, e.g. /dev/null */
	DEVPTS,
	SYMLINK,
	MASK,        /* hidden, if the kernel has it: an empty read-only tmpfs or /dev/null */
};

/* Mount attributes (set, then cleared) applied to a bind and every mount
 * under it. Set only adds: a flag the host's mount has (nosuid on /dev, say)
 * stays, as the user namespace requires. */
#define MNT_RO (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
#define MNT_RW_DATA (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

struct root_op {
	enum root_op_kind kind;
	const char *path;
	const char *arg;           /* tmpfs options, symlink target, or which node dir */
	unsigned long long set, clr;
};

extern const struct root_op profile_root[];
extern const size_t profile_n_root;

/* A per network namespace sysctl every node gets. */
struct sysctl {
	const char *path, *value;
};
extern const struct sysctl profile_sysctls[];
extern const size_t profile_n_sysctls;

/* Capabilities every node keeps (daemons switch users, own files, signal),
 * beyond which a role adds its own (role.c); -1 ends each list. */
extern const int profile_caps[];
/* What `stacklab exec` adds for a teacher: ip, tc, tcpdump, nft, ping. */
extern const int profile_exec_caps[];

/* When a row refuses its call. libseccomp allows one comparison per
 * argument in a rule and or-s a call's rules, so a condition that is not
 * one comparison becomes several rules (see rule_add). */
enum when {
	ALWAYS,
	ANY_BIT,  /* the argument has any of the bits of `value` */
	EQ32,     /* the argument's low 32 bits equal `value` */
	OUTSIDE,  /* the argument has a bit outside `value` and is not 0xffffffff */
};

struct syscall_rule {
	const char *call;
	int err; /* EPERM, or ENOSYS where a caller should fall back */
	enum when when;
	unsigned arg;
	uint64_t value;
	const char *why;
};

extern const struct syscall_rule profile_syscalls[];
extern const size_t profile_n_syscalls;

#endif
