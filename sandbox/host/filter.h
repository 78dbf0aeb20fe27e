/* filter.h — the seccomp filter every process of a node runs under. */
#ifndef STACKLAB_FILTER_H
#define STACKLAB_FILTER_H

#include "error.h"

/* Install the node filter on the calling thread (inherited by its children).
 * Refused, with EPERM: module loading, kexec, reboot, swap, accounting,
 * quotas, the kernel log, setting the clock, keyrings, bpf, perf,
 * userfaultfd, ptrace and its kin (process_vm_*, pidfd_getfd, kcmp), new
 * namespaces (unshare, clone with a CLONE_NEW* flag) and setns, mounting,
 * chroot, file handles, ioctl TIOCSTI and TIOCLINUX, and personality other
 * than PER_LINUX, PER_LINUX32, UNAME26 or the query. Refused with ENOSYS,
 * so that callers fall back: clone3 and io_uring. Everything else is
 * allowed. Sets no_new_privs. Returns 0, or -errno with what failed in err. */
int filter_install(struct sl_error *err);

#endif
