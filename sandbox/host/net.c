/* net.c — netlink through libnl-route (see net.h). */
#include "net.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <linux/if_bridge.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <time.h>

#include "util.h"

struct net {
	struct nl_sock *sock;
};

static void link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
#define _cleanup_link_ _cleanup_(link_putp)

/* libnl reports NLE_* codes; the rest of stacklab speaks errno. */
static int nl_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0: return 0;
	case NLE_EXIST: return -EEXIST;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_BUSY: return -EBUSY;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND: return -ENODEV;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_AGAIN: return -EAGAIN;
	default: return -EIO;
	}
}

int net_open(struct net **out, struct sl_error *err)
{
	struct net *n = xcalloc(1, sizeof(*n));
	n->sock = nl_socket_alloc();
	if (!n->sock) {
		free(n);
		return -ENOMEM;
	}
	int r = nl_connect(n->sock, NETLINK_ROUTE);
	if (r < 0) {
		net_free(n);
		return sl_err(err, -nl_to_errno(r), "netlink connect: %s", nl_geterror(r));
	}
	*out = n;
	return 0;
}

void net_free(struct net *n)
{
	if (!n)
		return;
	nl_socket_free(n->sock);
	free(n);
}

static int ifindex_of(struct net *n, const char *name)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	int r = rtnl_link_get_kernel(n->sock, 0, name, &link);
	if (r < 0)
		return nl_to_errno(r);
	return rtnl_link_get_ifindex(link);
}

int net_bridge_add(struct net *n, const char *name, struct sl_error *err)
{
	_cleanup_link_ struct rtnl_link *link = rtnl_link_alloc();
	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	int r = rtnl_link_set_type(link, "bridge");
	if (r >= 0) {
		rtnl_link_set_flags(link, IFF_UP);
		r = rtnl_link_add(n->sock, link, NLM_F_CREATE | NLM_F_EXCL);
	}
	if (r < 0)
		return sl_err(err, -nl_to_errno(r), "bridge %s: %s", name, nl_geterror(r));
	return 0;
}

/* Set one bridge-port attribute of port `idx` (IFLA_PROTINFO, u8): libnl
 * has setters for few of them. Returns a libnl code. */
static int port_set_u8(struct net *n, int idx, int attr, uint8_t value)
{
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
	if (!msg)
		return -NLE_NOMEM;
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = idx };
	struct nlattr *proto = NULL;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    !(proto = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED)) || nla_put_u8(msg, attr, value) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	nla_nest_end(msg, proto);
	return nl_send_sync(n->sock, msg); /* frees msg */
}

/* A static forwarding entry: frames for `mac` leave by port `idx`. */
static int fdb_add_static(struct net *n, int idx, const uint8_t mac[6])
{
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
	if (!msg)
		return -NLE_NOMEM;
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE, .ndm_ifindex = idx, .ndm_state = NUD_NOARP, .ndm_flags = NTF_MASTER };
	if (nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0 || nla_put(msg, NDA_LLADDR, 6, mac) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	return nl_send_sync(n->sock, msg);
}

int net_veth_add(struct net *n, const char *name, const char *master, const char *peer, const uint8_t peer_mac[6],
		 pid_t peer_pid, struct sl_error *err)
{
	int master_idx = ifindex_of(n, master);
	if (master_idx < 0)
		return sl_err(err, -master_idx, "veth %s: bridge %s: %s", name, master, strerror(-master_idx));
	_cleanup_link_ struct rtnl_link *link = rtnl_link_veth_alloc();
	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	rtnl_link_set_master(link, master_idx);
	rtnl_link_set_flags(link, IFF_UP);
	/* The peer is owned by `link`: configuring it puts it straight into the
	 * node's namespace, so it never appears anywhere else. (The node brings
	 * it up itself: the kernel refuses IFF_UP on a peer made in another
	 * namespace with ENOTCONN.) */
	struct rtnl_link *p = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(p, peer);
	rtnl_link_set_ns_pid(p, peer_pid);
	struct nl_addr *lladdr = nl_addr_build(AF_LLC, peer_mac, 6);
	if (lladdr) {
		rtnl_link_set_addr(p, lladdr);
		nl_addr_put(lladdr);
	}
	rtnl_link_put(p);
	int r = lladdr ? rtnl_link_add(n->sock, link, NLM_F_CREATE | NLM_F_EXCL) : -NLE_NOMEM;
	if (r < 0)
		return sl_err(err, -nl_to_errno(r), "veth %s → %s in pid %d: %s", name, peer, (int)peer_pid, nl_geterror(r));
	/* The switch learns nothing from what a node sends: a node sending
	 * frames from a million source addresses would otherwise grow the
	 * bridge's table by a million entries, in kernel memory no cgroup of
	 * the lab counts. The lab knows the node's address: one static entry
	 * (a node that changes its address is still reached, by flooding). */
	int idx = ifindex_of(n, name);
	if (idx < 0)
		return sl_err(err, -idx, "veth %s: %s", name, strerror(-idx));
	if ((r = port_set_u8(n, idx, IFLA_BRPORT_LEARNING, 0)) < 0 || (r = fdb_add_static(n, idx, peer_mac)) < 0)
		return sl_err(err, -nl_to_errno(r), "bridge port %s: %s", name, nl_geterror(r));
	return 0;
}

int net_link_set_up(struct net *n, const char *name, bool up, struct sl_error *err)
{
	_cleanup_link_ struct rtnl_link *orig = NULL;
	int r = rtnl_link_get_kernel(n->sock, 0, name, &orig);
	if (r < 0)
		return sl_err(err, -nl_to_errno(r), "link %s: %s", name, nl_geterror(r));
	_cleanup_link_ struct rtnl_link *change = rtnl_link_alloc();
	if (!change)
		return -ENOMEM;
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	else
		rtnl_link_unset_flags(change, IFF_UP);
	r = rtnl_link_change(n->sock, orig, change, 0);
	if (r < 0)
		return sl_err(err, -nl_to_errno(r), "link %s %s: %s", name, up ? "up" : "down", nl_geterror(r));
	return 0;
}

int net_addr_add(struct net *n, const char *name, struct in_addr addr, int prefix, struct sl_error *err)
{
	int idx = ifindex_of(n, name);
	if (idx < 0)
		return sl_err(err, -idx, "address on %s: %s", name, strerror(-idx));
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET, &addr, sizeof(addr));
	struct in_addr bcast = { addr.s_addr | htonl(prefix >= 32 ? 0 : ~0u >> prefix) };
	struct nl_addr *brd = nl_addr_build(AF_INET, &bcast, sizeof(bcast));
	int r = -NLE_NOMEM;
	if (a && local && brd) {
		nl_addr_set_prefixlen(local, prefix);
		rtnl_addr_set_ifindex(a, idx);
		rtnl_addr_set_local(a, local);
		rtnl_addr_set_broadcast(a, brd);
		r = rtnl_addr_add(n->sock, a, 0);
	}
	nl_addr_put(local);
	nl_addr_put(brd);
	rtnl_addr_put(a);
	if (r < 0)
		return sl_err(err, -nl_to_errno(r), "address on %s: %s", name, nl_geterror(r));
	return 0;
}

int net_link_stats(struct net *n, void (*fn)(const struct net_link_stat *, void *), void *ctx)
{
	struct nl_cache *cache = NULL;
	int r = rtnl_link_alloc_cache(n->sock, AF_UNSPEC, &cache);
	if (r < 0)
		return nl_to_errno(r);
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		struct net_link_stat st = { 0 };
		str_copy(st.name, sizeof(st.name), rtnl_link_get_name(l));
		st.rx_bytes = rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES);
		st.tx_bytes = rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES);
		st.rx_packets = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS);
		st.tx_packets = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS);
		st.up = rtnl_link_get_flags(l) & IFF_UP;
		fn(&st, ctx);
	}
	nl_cache_free(cache);
	return 0;
}

int net_port_isolate(struct net *n, const char *name, bool isolated, struct sl_error *err)
{
	int idx = ifindex_of(n, name);
	if (idx < 0)
		return sl_err(err, -idx, "isolate bridge port %s: %s", name, strerror(-idx));
	int r = port_set_u8(n, idx, IFLA_BRPORT_ISOLATED, isolated);
	if (r < 0)
		return sl_err(err, -nl_to_errno(r), "isolate bridge port %s: %s", name, nl_geterror(r));
	return 0;
}

static int qdisc_replace(struct net *n, const char *name, struct rtnl_qdisc *q, const char *kind, struct sl_error *err)
{
	int idx = ifindex_of(n, name);
	if (idx < 0)
		return sl_err(err, -idx, "%s qdisc on %s: %s", kind, name, strerror(-idx));
	rtnl_tc_set_ifindex(TC_CAST(q), idx);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
	int r = rtnl_qdisc_add(n->sock, q, NLM_F_CREATE | NLM_F_REPLACE);
	if (r < 0) {
		/* A kernel without the qdisc answers "not found". */
		if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NOATTR || r == -NLE_OPNOTSUPP)
			return -EOPNOTSUPP;
		return sl_err(err, -nl_to_errno(r), "%s qdisc on %s: %s", kind, name, nl_geterror(r));
	}
	return 0;
}

uint32_t net_netem_prob(double pct)
{
	if (!(pct > 0)) /* NaN too */
		return 0;
	if (pct >= 100)
		return UINT32_MAX;
	/* Below 100 %, the sum stays below UINT32_MAX + 0.5: no overflow. */
	return (uint32_t)(pct / 100 * UINT32_MAX + 0.5);
}

int net_qdisc_netem(struct net *n, const char *name, int delay_ms, int jitter_ms, double loss_pct, struct sl_error *err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	if (!q)
		return -ENOMEM;
	int r = rtnl_tc_set_kind(TC_CAST(q), "netem");
	if (r < 0) {
		rtnl_qdisc_put(q);
		return -EOPNOTSUPP;
	}
	if (delay_ms > 0)
		rtnl_netem_set_delay(q, delay_ms * 1000);
	if (jitter_ms > 0)
		rtnl_netem_set_jitter(q, jitter_ms * 1000);
	/* netem's loss is a u32 fraction of UINT32_MAX. libnl takes it as an
	 * int and keeps the bits (its own nl_prob2int() does the same), so
	 * the u32 goes in as the int of the same bits, which is what GCC's
	 * conversion gives. Converting the double straight to int overflowed
	 * above 50 %: x86 then gives INT_MIN, 0x80000000, which is 50 %. */
	if (loss_pct > 0)
		rtnl_netem_set_loss(q, (int)net_netem_prob(loss_pct));
	rtnl_netem_set_limit(q, 10000);
	r = qdisc_replace(n, name, q, "netem", err);
	rtnl_qdisc_put(q);
	return r;
}

int net_qdisc_rate(struct net *n, const char *name, int kbit, struct sl_error *err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	if (!q)
		return -ENOMEM;
	int r = rtnl_tc_set_kind(TC_CAST(q), "tbf");
	if (r < 0) {
		rtnl_qdisc_put(q);
		return -EOPNOTSUPP;
	}
	int bytes_per_sec = kbit * 1000 / 8;
	/* A burst of at least one full frame, or nothing ever leaves. */
	int burst = bytes_per_sec / 100 > 3000 ? bytes_per_sec / 100 : 3000;
	rtnl_qdisc_tbf_set_rate(q, bytes_per_sec, burst, 0);
	rtnl_qdisc_tbf_set_limit_by_latency(q, 100);
	r = qdisc_replace(n, name, q, "tbf", err);
	rtnl_qdisc_put(q);
	return r;
}

int net_qdisc_clear(struct net *n, const char *name, struct sl_error *err)
{
	int idx = ifindex_of(n, name);
	if (idx < 0)
		return sl_err(err, -idx, "remove qdisc on %s: %s", name, strerror(-idx));
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	if (!q)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), idx);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	int r = rtnl_qdisc_delete(n->sock, q);
	rtnl_qdisc_put(q);
	if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NOADDR)
		return sl_err(err, -nl_to_errno(r), "remove qdisc on %s: %s", name, nl_geterror(r));
	return 0;
}

int net_open_in(pid_t pid, struct net **out, struct sl_error *err)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int target = (int)syscall(SYS_pidfd_open, pid, 0);
	*out = NULL;
	if (self < 0 || target < 0)
		return sl_err(err, errno, "the network of process %d: %s", (int)pid, strerror(errno));
	if (setns(target, CLONE_NEWNET) < 0)
		return sl_err(err, errno, "into the network of process %d: %s", (int)pid, strerror(errno));
	/* The socket stays in the namespace it was made in. */
	int r = net_open(out, err);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* the daemon must not go on in a node's network */
	return r;
}

static void mac_text(struct nl_addr *a, char mac[18])
{
	if (!a || nl_addr_get_len(a) != 6) {
		mac[0] = '\0';
		return;
	}
	const unsigned char *b = nl_addr_get_binary_addr(a);
	snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

int net_link_mac(struct net *n, const char *name, char mac[18])
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	int r = rtnl_link_get_kernel(n->sock, 0, name, &link);
	if (r < 0)
		return nl_to_errno(r);
	mac_text(rtnl_link_get_addr(link), mac);
	return mac[0] ? 0 : -ENOENT;
}

int net_neigh_get(struct net *n, const char *name, struct in_addr addr, char mac[18], char state[16])
{
	int ifindex = ifindex_of(n, name);
	if (ifindex < 0)
		return ifindex;
	struct nl_cache *cache = NULL;
	int r = rtnl_neigh_alloc_cache(n->sock, &cache);
	if (r < 0)
		return nl_to_errno(r);
	struct nl_addr *dst = nl_addr_build(AF_INET, &addr, sizeof(addr));
	struct rtnl_neigh *neigh = dst ? rtnl_neigh_get(cache, ifindex, dst) : NULL;
	r = -ENOENT;
	if (neigh) {
		mac_text(rtnl_neigh_get_lladdr(neigh), mac);
		char s[64];
		rtnl_neigh_state2str(rtnl_neigh_get_state(neigh), s, sizeof(s));
		snprintf(state, 16, "%.15s", s);
		for (char *c = state; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		r = 0;
		rtnl_neigh_put(neigh);
	}
	nl_addr_put(dst);
	nl_cache_free(cache);
	return r;
}

int net_link_wait_running(struct net *n, const char *name, int max_ms)
{
	for (int waited = 0;; waited += 2) {
		_cleanup_link_ struct rtnl_link *link = NULL;
		int r = rtnl_link_get_kernel(n->sock, 0, name, &link);
		if (r < 0)
			return nl_to_errno(r);
		if (rtnl_link_get_operstate(link) == IF_OPER_UP)
			return waited;
		if (waited >= max_ms)
			return -ETIMEDOUT;
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}
