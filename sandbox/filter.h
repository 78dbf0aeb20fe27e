/* filter.h — the seccomp filter every process of a node runs under. */
#ifndef STACKLAB_FILTER_H
#define STACKLAB_FILTER_H

/* Install the node filter on the calling thread (inherited by its children):
 * module loading, kexec, reboot, swap, keyrings, bpf, perf, ptrace, mounting
 * and setting the clock fail with EPERM; everything else is allowed. Sets
 * no_new_privs. Returns 0 or -errno. */
int filter_install(void);

#endif
