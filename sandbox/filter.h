/* filter.h — the seccomp filter every process of a node runs under. */
#ifndef STACKLAB_FILTER_H
#define STACKLAB_FILTER_H

/* Install the node filter on the calling thread (inherited by its children).
 * Refused, with EPERM: module loading, kexec, reboot, swap, accounting,
 * quotas, the kernel log, setting the clock, keyrings, bpf, perf, ptrace and
 * process_vm_*, new namespaces (unshare, clone with a CLONE_NEW* flag) and
 * setns, mounting and chroot. Refused with ENOSYS, so that glibc falls back
 * to clone, whose flags the filter sees: clone3. Everything else is
 * allowed. Sets no_new_privs. Returns 0 or -errno. */
int filter_install(void);

#endif
