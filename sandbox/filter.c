/* filter.c — the node seccomp filter, built with libseccomp (see filter.h).
 * A deny list rather than an allow list: the real daemons of many versions
 * run inside, and the list names what no node needs. */
#include "filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>

#include "util.h"

/* When a row refuses its call. libseccomp allows one comparison per
 * argument in a rule and or-s a call's rules, so a condition that is not
 * one comparison becomes several rules (see rule_add). */
enum when {
	ALWAYS,
	ANY_BIT,  /* the argument has any of the bits of `value` */
	EQ32,     /* the argument's low 32 bits equal `value` */
	OUTSIDE,  /* the argument has a bit outside `value` and is not 0xffffffff */
};

struct rule {
	const char *call;
	int err; /* EPERM, or ENOSYS where a caller should fall back */
	enum when when;
	unsigned arg;
	uint64_t value;
	const char *why;
};

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

static const struct rule rules[] = {
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

#define ARG(a, op, x, y) SCMP_CMP((a), (op), (x), (y))

/* OUTSIDE: refuse unless every bit of the argument is in `keep`, or it is
 * personality()'s query 0xffffffff. As rules that each match refused
 * values only:
 *  - above 32 bits;
 *  - a refused bit set and the next refused bit (cyclically) clear: a value
 *    with some but not all of the refused bits set has such a pair;
 *  - every refused bit set and a kept bit clear.
 * A value of kept bits has no refused bit set; the query has no bit clear. */
static int outside_add(scmp_filter_ctx ctx, uint32_t act, int nr, unsigned a, uint32_t keep)
{
	int refused[32], n = 0;
	for (int b = 0; b < 32; b++)
		if (!(keep & 1u << b))
			refused[n++] = b;
	int r = seccomp_rule_add(ctx, act, nr, 1, ARG(a, SCMP_CMP_GT, 0xffffffffu, 0));
	/* With one refused bit there is no "some but not all". */
	for (int i = 0; n > 1 && i < n && r == 0; i++) {
		uint32_t set = 1u << refused[i], clear = 1u << refused[(i + 1) % n];
		r = seccomp_rule_add(ctx, act, nr, 1, ARG(a, SCMP_CMP_MASKED_EQ, set | clear, set));
	}
	for (int b = 0; n > 0 && b < 32 && r == 0; b++)
		if (keep & 1u << b)
			r = seccomp_rule_add(ctx, act, nr, 1, ARG(a, SCMP_CMP_MASKED_EQ, ~keep | 1u << b, ~keep));
	return r;
}

static int rule_add(scmp_filter_ctx ctx, int nr, const struct rule *row)
{
	uint32_t act = SCMP_ACT_ERRNO(row->err);
	unsigned a = row->arg;
	int r = 0;
	switch (row->when) {
	case ALWAYS:
		return seccomp_rule_add(ctx, act, nr, 0);
	case ANY_BIT:
		for (int b = 0; b < 64 && r == 0; b++) {
			uint64_t bit = (uint64_t)1 << b;
			if (row->value & bit)
				r = seccomp_rule_add(ctx, act, nr, 1, ARG(a, SCMP_CMP_MASKED_EQ, bit, bit));
		}
		return r;
	case EQ32:
		return seccomp_rule_add(ctx, act, nr, 1, ARG(a, SCMP_CMP_MASKED_EQ, 0xffffffffu, row->value));
	case OUTSIDE:
		return outside_add(ctx, act, nr, a, (uint32_t)row->value);
	}
	return -EINVAL;
}

int filter_install(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* A binary tree of syscall numbers rather than a list: every system
	 * call of every daemon in the lab goes through this filter. */
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		r = 0; /* older libseccomp: a list it is */
	/* By default x86 kernels turn on the Speculative Store Bypass
	 * mitigation for any task with a seccomp filter, which costs the lab
	 * ~15 % of its HTTPS throughput. It protects a task's memory from
	 * code running in the same task; the daemons here run no untrusted
	 * code, so the filter opts out (SECCOMP_FILTER_FLAG_SPEC_ALLOW). */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
	for (size_t i = 0; i < ARRAY_SIZE(rules) && r == 0; i++) {
		int nr = seccomp_syscall_resolve_name(rules[i].call);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture or libseccomp */
		r = rule_add(ctx, nr, &rules[i]);
		if (r < 0)
			log_err("seccomp rule for %s (%s): %s", rules[i].call, rules[i].why, strerror(-r));
	}
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = -errno;
	if (r == 0) {
		r = seccomp_load(ctx);
		if (r < 0)
			log_err("load seccomp filter: %s", strerror(-r));
	}
	seccomp_release(ctx);
	return r;
}
