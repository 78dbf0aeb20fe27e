/* filter.c — the node seccomp filter, built with libseccomp (see filter.h).
 * A deny list rather than an allow list: the real daemons of many versions
 * run inside, and the list names what no node needs. */
#include "filter.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>

#include "util.h"

static const char *const denied[] = {
	/* kernel and machine */
	"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"reboot", "swapon", "swapoff", "acct", "quotactl", "syslog",
	/* keyrings, bpf, perf, other processes' memory */
	"keyctl", "add_key", "request_key", "bpf", "perf_event_open",
	"ptrace", "process_vm_readv", "process_vm_writev",
	/* the node's file system is fixed once its init is ready */
	"mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen",
	"fsconfig", "fsmount", "fspick", "mount_setattr", "chroot",
	/* the clock is the host's */
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
};

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
	for (size_t i = 0; i < ARRAY_SIZE(denied) && r == 0; i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture or libseccomp */
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0)
			log_err("seccomp rule for %s: %s", denied[i], strerror(-r));
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
