/* filter.c — the node seccomp filter, built with libseccomp (see filter.h).
 * A deny list rather than an allow list: the real daemons of many versions
 * run inside, and the list names what no node needs. */
#include "filter.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>

#include "profile.h"
#include "util.h"

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

static int rule_add(scmp_filter_ctx ctx, int nr, const struct syscall_rule *row)
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

int filter_install(struct sl_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return sl_err(err, ENOMEM, "seccomp filter: %s", strerror(ENOMEM));
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
	for (size_t i = 0; i < profile_n_syscalls && r == 0; i++) {
		int nr = seccomp_syscall_resolve_name(profile_syscalls[i].call);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture or libseccomp */
		r = rule_add(ctx, nr, &profile_syscalls[i]);
		if (r < 0)
			sl_err(err, -r, "seccomp rule for %s (%s): %s", profile_syscalls[i].call, profile_syscalls[i].why,
			       strerror(-r));
	}
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = sl_err(err, errno, "no_new_privs: %s", strerror(errno));
	if (r == 0 && (r = seccomp_load(ctx)) < 0)
		sl_err(err, -r, "load seccomp filter: %s", strerror(-r));
	seccomp_release(ctx);
	return r;
}
