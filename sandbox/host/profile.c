/* profile.c — the tables of a node's confinement (see profile.h). */
#include "profile.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/personality.h>

#include "util.h"

/* --- what a node sees: its file system ---------------------------------------- */

/* The whole of a node's file system, in order: what it sees of the host,
 * what is its own, and what is hidden from it. */
const struct root_op profile_root[] = {
	{ HOST_TREE, "/usr", NULL, MNT_RO, 0 },
	{ HOST_TREE, "/bin", NULL, MNT_RO, 0 },
	{ HOST_TREE, "/sbin", NULL, MNT_RO, 0 },
	{ HOST_TREE, "/lib", NULL, MNT_RO, 0 },
	{ HOST_TREE, "/lib32", NULL, MNT_RO, 0 },
	{ HOST_TREE, "/lib64", NULL, MNT_RO, 0 },
	{ HOST_TREE, "/libx32", NULL, MNT_RO, 0 },
	{ NODE_BIND, "/etc", "etc", MNT_RW_DATA, MOUNT_ATTR_RDONLY },
	{ NODE_BIND, "/var", "var", MNT_RW_DATA, MOUNT_ATTR_RDONLY },
	{ TMPFS, "/run", "mode=0755,size=64m", 0, 0 },
	{ TMPFS, "/tmp", "mode=1777,size=256m", 0, 0 },
	{ PROC, "/proc", NULL, 0, 0 },
	/* Most of /proc/sys is the host's: read-only. The network part
	 * belongs to the node's own namespace: writable. */
	{ REBIND, "/proc/sys", NULL, MNT_RO | MOUNT_ATTR_NOEXEC, 0 },
	{ REBIND, "/proc/sys/net", NULL, 0, MOUNT_ATTR_RDONLY },
	{ REBIND, "/proc/sysrq-trigger", NULL, MNT_RO, 0 },
	/* What the host's kernel would tell about its hardware and timers
	 * (the masks runc and crun apply). */
	{ MASK, "/proc/acpi", NULL, 0, 0 },
	{ MASK, "/proc/bus", NULL, 0, 0 },
	{ MASK, "/proc/irq", NULL, 0, 0 },
	{ MASK, "/proc/scsi", NULL, 0, 0 },
	{ MASK, "/proc/asound", NULL, 0, 0 },
	{ MASK, "/proc/kcore", NULL, 0, 0 },
	{ MASK, "/proc/keys", NULL, 0, 0 },
	{ MASK, "/proc/key-users", NULL, 0, 0 },
	{ MASK, "/proc/timer_list", NULL, 0, 0 },
	{ MASK, "/proc/latency_stats", NULL, 0, 0 },
	{ MASK, "/proc/sched_debug", NULL, 0, 0 },
	{ SYSFS, "/sys", NULL, 0, 0 },
	{ MASK, "/sys/firmware", NULL, 0, 0 },
	{ MASK, "/sys/kernel/debug", NULL, 0, 0 },
	{ TMPFS, "/dev", "mode=0755,size=1m", 0, 0 },
	{ DEV_BIND, "/dev/null", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, MOUNT_ATTR_RDONLY },
	{ DEV_BIND, "/dev/zero", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, MOUNT_ATTR_RDONLY },
	{ DEV_BIND, "/dev/full", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, MOUNT_ATTR_RDONLY },
	{ DEV_BIND, "/dev/random", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, MOUNT_ATTR_RDONLY },
	{ DEV_BIND, "/dev/urandom", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, MOUNT_ATTR_RDONLY },
	{ DEV_BIND, "/dev/tty", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, MOUNT_ATTR_RDONLY },
	{ DEVPTS, "/dev/pts", NULL, 0, 0 },
	{ TMPFS, "/dev/shm", "mode=1777,size=64m", 0, 0 },
	{ SYMLINK, "/dev/ptmx", "pts/ptmx", 0, 0 },
	{ SYMLINK, "/dev/fd", "/proc/self/fd", 0, 0 },
	{ SYMLINK, "/dev/stdin", "/proc/self/fd/0", 0, 0 },
	{ SYMLINK, "/dev/stdout", "/proc/self/fd/1", 0, 0 },
	{ SYMLINK, "/dev/stderr", "/proc/self/fd/2", 0, 0 },
};

/* --- its network ------------------------------------------------------------------ */

/* Per network namespace sysctls every node gets. Written before the root is
 * built; /proc/sys/net always shows the writer's own namespace. */
const struct sysctl profile_sysctls[] = {
	/* daemons bind 53, 80, 443 without CAP_NET_BIND_SERVICE */
	{ "/proc/sys/net/ipv4/ip_unprivileged_port_start", "0" },
	/* the app opens a DB connection per request: without reuse, TIME_WAIT
	 * sockets pile up and throughput collapses (DAEMONS.md) */
	{ "/proc/sys/net/ipv4/tcp_tw_reuse", "1" },
	/* ping without raw sockets */
	{ "/proc/sys/net/ipv4/ping_group_range", "0 65535" },   /* every group the node maps */
	/* a node that starts again (a heal) has a new MAC address: a
	 * gratuitous ARP when its link comes up tells its neighbours */
	{ "/proc/sys/net/ipv4/conf/all/arp_notify", "1" },
	/* the lab is IPv4; no router solicitations or DAD noise on the links */
	{ "/proc/sys/net/ipv6/conf/all/disable_ipv6", "1" },
	{ "/proc/sys/net/ipv6/conf/default/disable_ipv6", "1" },
};

const size_t profile_n_root = ARRAY_SIZE(profile_root);
const size_t profile_n_sysctls = ARRAY_SIZE(profile_sysctls);

/* --- what it may do: capabilities ---------------------------------------------------- */

const int profile_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL,
	CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	CAP_AUDIT_WRITE, -1,
};

const int profile_exec_caps[] = { CAP_NET_ADMIN, CAP_NET_RAW, -1 };

/* --- what it may not ask the kernel: the seccomp filter ------------------------------ */

#define DENY(call, why) { call, EPERM, ALWAYS, 0, 0, why }
#define DENY_IF(call, err, when, arg, value, why) { call, err, when, arg, value, why }

#define CLONE_NEW_ANY                                                                                  \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
	 CLONE_NEWNET)
/* clone()'s flags come first, but second on s390 (CONFIG_CLONE_BACKWARDS2). */
#if defined(__s390__) || defined(__s390x__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

const struct syscall_rule profile_syscalls[] = {
	/* the kernel and the machine are the host's */
	DENY("init_module", "loads kernel code"),
	DENY("finit_module", "loads kernel code"),
	DENY("delete_module", "unloads kernel code"),
	DENY("kexec_load", "boots another kernel"),
	DENY("kexec_file_load", "boots another kernel"),
	DENY("reboot", "the machine is the host's"),
	DENY("swapon", "the host's memory"),
	DENY("swapoff", "the host's memory"),
	DENY("acct", "process accounting is host-wide"),
	DENY("quotactl", "quotas are the host's"),
	DENY("syslog", "the kernel log is the host's"),
	DENY("settimeofday", "the clock is the host's"),
	DENY("clock_settime", "the clock is the host's"),
	DENY("clock_adjtime", "the clock is the host's"),
	DENY("adjtimex", "the clock is the host's"),
	/* kernel interfaces no daemon here uses, each a known way in */
	DENY("keyctl", "keyrings are not namespaced"),
	DENY("add_key", "keyrings are not namespaced"),
	DENY("request_key", "keyrings are not namespaced"),
	DENY("bpf", "loads programs into the kernel"),
	DENY("perf_event_open", "kernel and CPU events"),
	DENY("userfaultfd", "holds the kernel on a page fault, the usual way to win a kernel race; "
			    "otherwise up to the host's vm.unprivileged_userfaultfd"),
	/* An io_uring runs its operations in the kernel, where this filter never
	 * sees them. ENOSYS reads "not in this kernel": MariaDB then says to
	 * check the seccomp filter (EPERM would blame a sysctl) and uses libaio. */
	DENY_IF("io_uring_setup", ENOSYS, ALWAYS, 0, 0, "its operations bypass this filter"),
	DENY_IF("io_uring_enter", ENOSYS, ALWAYS, 0, 0, "its operations bypass this filter"),
	DENY_IF("io_uring_register", ENOSYS, ALWAYS, 0, 0, "its operations bypass this filter"),
	/* other processes */
	DENY("ptrace", "another process's memory and registers"),
	DENY("process_vm_readv", "another process's memory"),
	DENY("process_vm_writev", "another process's memory"),
	DENY("pidfd_getfd", "takes another process's files, as ptrace would"),
	DENY("kcmp", "compares other processes' kernel objects, an oracle on kernel pointers"),
	/* Namespaces stay those the lab made. In a user namespace of its own a
	 * node process has every capability, and with a network or mount
	 * namespace of its own it reaches nf_tables, mounts and more kernel
	 * code to attack. */
	DENY("unshare", "new namespaces; no daemon here unshares anything"),
	DENY_IF("clone", EPERM, ANY_BIT, CLONE_FLAGS_ARG, CLONE_NEW_ANY, "new namespaces, as unshare"),
	DENY_IF("clone3", ENOSYS, ALWAYS, 0, 0,
		"its flags are in memory the filter cannot read; on ENOSYS glibc falls back to clone"),
	DENY("setns", "other namespaces"),
	/* the node's file system is fixed once its init is ready */
	DENY("mount", "the node's mounts are fixed"),
	DENY("umount2", "the node's mounts are fixed"),
	DENY("pivot_root", "the node's mounts are fixed"),
	DENY("move_mount", "the node's mounts are fixed"),
	DENY("open_tree", "the node's mounts are fixed"),
	DENY("fsopen", "the node's mounts are fixed"),
	DENY("fsconfig", "the node's mounts are fixed"),
	DENY("fsmount", "the node's mounts are fixed"),
	DENY("fspick", "the node's mounts are fixed"),
	DENY("mount_setattr", "the node's mounts are fixed"),
	DENY("chroot", "the node's root is fixed"),
	DENY("name_to_handle_at", "file handles name inodes, not paths"),
	DENY("open_by_handle_at", "opens an inode past the node's root (the 'shocker' escape)"),
	/* The request is an int to the kernel but a 64-bit word to seccomp:
	 * compare the low half only, or TIOCSTI | 1 << 32 gets through
	 * (CVE-2019-10063 in flatpak). */
	DENY_IF("ioctl", EPERM, EQ32, 1, TIOCSTI,
		"types into the terminal: into the teacher's shell, from stacklab exec (CVE-2017-5226)"),
	DENY_IF("ioctl", EPERM, EQ32, 1, TIOCLINUX, "pastes into a virtual console, the same way"),
	/* Docker's list: PER_LINUX, PER_LINUX32, UNAME26, their union and the
	 * query; never ADDR_NO_RANDOMIZE or READ_IMPLIES_EXEC. */
	DENY_IF("personality", EPERM, OUTSIDE, 0, PER_LINUX32 | UNAME26, "flags that turn off ASLR or NX"),
};

const size_t profile_n_syscalls = ARRAY_SIZE(profile_syscalls);
