/* Unit tests of what net.c computes without a netlink socket: netem's loss
 * probability, up to what libnl keeps of it. */
#include <math.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <stdint.h>

#include "net.h"
#include "tap.h"

/* What libnl holds after net_qdisc_netem()'s call, as the kernel gets it. */
static uint32_t through_libnl(double pct)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	if (!q || rtnl_tc_set_kind(TC_CAST(q), "netem") < 0)
		return 0;
	rtnl_netem_set_loss(q, (int)net_netem_prob(pct));
	uint32_t got = (uint32_t)rtnl_netem_get_loss(q);
	rtnl_qdisc_put(q);
	return got;
}

static void prob(double pct, uint32_t want)
{
	uint32_t got = net_netem_prob(pct);
	if (!ok(got == want, "%g %% is %#x", pct, (unsigned)want))
		diag("got %#x", (unsigned)got);
}

int main(void)
{
	prob(0, 0);
	prob(-5, 0);
	prob(NAN, 0);
	prob(0.1, 4294967);         /* 4294967.295 */
	prob(25, 0x40000000);       /* 1073741823.75, rounded up */
	prob(50, 0x80000000);       /* 2147483647.5, rounded up */
	prob(75, 0xbfffffff);       /* 3221225471.25 */
	prob(99.9, 4290672328u);    /* 4290672327.705 */
	prob(100, UINT32_MAX);
	prob(250, UINT32_MAX);

	/* Above 50 % the old double → int conversion overflowed to 50 %. */
	const double above_half[] = { 50.1, 75, 90, 99.9, 100 };
	for (size_t i = 0; i < sizeof(above_half) / sizeof(above_half[0]); i++) {
		double pct = above_half[i];
		uint32_t got = through_libnl(pct);
		ok(got == net_netem_prob(pct) && got > 0x80000000u, "%g %% reaches libnl as %#x, above 50 %%", pct,
		   (unsigned)got);
	}
	ok(through_libnl(10) == net_netem_prob(10), "10 %% reaches libnl unchanged");
	return done_testing();
}
