/* cmd_capture.c — `stacklab capture LINK`: what crosses one link of a lab,
 * packet by packet, as the switch sees it.
 *
 * The command joins the lab's switch (the lab daemon's network namespace)
 * and reads the link's frames there with a packet socket: nothing runs in
 * a node, nothing of the host's network is touched. Each frame is told in
 * a line (DNS, ARP, TCP, TLS, HTTP, FastCGI, SQL, decoded as the trace
 * does); --write keeps every frame in a pcap file for Wireshark. It stops
 * after --count frames or --seconds, whichever comes first. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "packet.h"
#include "cli.h"
#include "options.h"
#include "ctl.h"
#include "paths.h"
#include "util.h"

#define CAPTURE_SNAP 65535

/* The link called `name` ("lb1-eth0", "lb1:eth0", or a node of one link). */
static const char *find_link(json_t *st, const char *name, char *buf, size_t size)
{
	size_t i;
	json_t *l;
	int mine = 0;
	char alt[64];
	snprintf(alt, sizeof(alt), "%s", name);
	char *colon = strchr(alt, ':');
	if (colon)
		*colon = '-';
	json_array_foreach(json_object_get(st, "links"), i, l) {
		const char *link = json_string_value(json_object_get(l, "link"));
		if (strcmp(link, alt) == 0)
			return str_copy(buf, size, link) == 0 ? buf : NULL;
		if (strcmp(ctl_str(l, "node"), name) == 0 && mine++ == 0)
			str_copy(buf, size, link);
	}
	return mine == 1 ? buf : NULL;
}

/* An address as the lab names it: a node, or a virtual IP. */
static void name_of(json_t *st, uint32_t ip, uint16_t port, char *buf, size_t size)
{
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &ip, a, sizeof(a));
	const char *who = NULL;
	size_t i, k;
	json_t *n, *ifc;
	json_array_foreach(json_object_get(st, "vips"), i, n)
		if (strcmp(ctl_str(n, "address"), a) == 0)
			who = "VIP";
	json_array_foreach(json_object_get(st, "nodes"), i, n)
		json_array_foreach(json_object_get(n, "interfaces"), k, ifc)
			if (!who && strcmp(ctl_str(ifc, "address"), a) == 0)
				who = json_string_value(json_object_get(n, "name"));
	if (port)
		snprintf(buf, size, "%s:%u", who ? who : a, port);
	else
		snprintf(buf, size, "%s", who ? who : a);
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* pcap's own format: a file header, then each frame behind a record header. */
static int pcap_open(const char *path)
{
	/* Plain text of requests behind TLS: for its owner only, and the
	 * owner is whoever ran sudo, not root. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");
	if (uid && gid && fchown(fd, (uid_t)strtoul(uid, NULL, 10), (gid_t)strtoul(gid, NULL, 10)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} h = { 0xa1b2c3d4, 2, 4, 0, 0, CAPTURE_SNAP, 1 /* Ethernet */ };
	if (write_all(fd, &h, sizeof(h)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int pcap_write(int fd, const struct timespec *ts, const unsigned char *frame, size_t len, size_t wire)
{
	struct {
		uint32_t sec, usec, incl, orig;
	} r = { (uint32_t)ts->tv_sec, (uint32_t)(ts->tv_nsec / 1000), (uint32_t)len, (uint32_t)wire };
	return write_all(fd, &r, sizeof(r)) < 0 || write_all(fd, frame, len) < 0 ? -errno : 0;
}

int cmd_capture(int argc, char **argv)
{
	const char *given = NULL, *file = NULL;
	long count = 20, seconds = 10;
	const struct opt opts[] = {
		{ .name = "count", .letter = 'c', .kind = OPT_NUMBER, .dest = &count, .value = "N", .min = 1, .max = 100000,
		  .help = "stop after N packets (default 20, at most 100000)" },
		{ .name = "seconds", .letter = 's', .kind = OPT_NUMBER, .dest = &seconds, .value = "S", .min = 1, .max = 600,
		  .help = "stop after S seconds (default 10, at most 600)" },
		{ .name = "write", .letter = 'w', .kind = OPT_STRING, .dest = &file, .value = "FILE",
		  .help = "also write every packet to FILE in pcap format (Wireshark)" },
		OPT_LAB(&given),
		{ 0 },
	};
	const struct command_line cl = {
		.name = "capture",
		.usage = "stacklab capture [--lab NAME] [--count N] [--seconds S] [--write FILE.pcap] LINK",
		.about = "Show the packets that cross one link of the lab, as its switch sees them: each\n"
			 "one in a line, decoded (DNS, ARP, TCP, TLS, HTTP, FastCGI, SQL). A LINK is\n"
			 "NODE-IFACE (stacklab status --nodes, or the links of stacklab status --json),\n"
			 "or a node that has one link. Send traffic meanwhile (stacklab request, or\n"
			 "stacklab traffic start) to have something to see.",
		.after = "Example: what lb1 sends the web servers, behind the TLS it ends:\n"
			 "  stacklab capture --count 10 lb1-eth0",
		.opts = opts,
		.args_max = ARGS_ANY,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	if (argc - first != 1) {
		fprintf(stderr, "stacklab capture: expected one LINK (e.g. lb1-eth0; see stacklab capture --help)\n");
		return EXIT_USAGE;
	}
	_cleanup_free_ char *lab = cli_pick_lab("capture", given);
	if (!lab)
		return EXIT_FAIL;
	if (!cli_owns(lab)) {
		fprintf(stderr, "stacklab capture: lab %s is not yours: only its owner (and root) may capture on its links\n", lab);
		return EXIT_FAIL;
	}
	/* The switch to join is the daemon the kernel says answered, not a
	 * pid its reply names (any network namespace of the host's). */
	struct ucred peer = { 0 };
	json_t *req = json_pack("{s:s}", "cmd", "status");
	json_t *st = cli_request_peer("capture", lab, req, &peer);
	json_decref(req);
	if (!st)
		return EXIT_FAIL;
	char link[32];
	if (!find_link(st, argv[first], link, sizeof(link))) {
		fprintf(stderr, "stacklab capture: lab %s has no link '%s' (a LINK is NODE-IFACE, e.g. lb1-eth0, or a node with "
				"one link)\n", lab, argv[first]);
		json_decref(st);
		return EXIT_FAIL;
	}
	/* The switch is the lab daemon's own network namespace. A user's own
	 * lab daemon has a user namespace of its own, which owns it: the user
	 * joins both. Root joins the network namespace alone, and is not
	 * dumpable meanwhile: in the user's namespace, it would be theirs
	 * to trace. */
	pid_t daemon = peer.pid;
	char theirs[64];
	snprintf(theirs, sizeof(theirs), "/proc/%d/ns/user", (int)daemon);
	struct stat a, b;
	bool own_userns = rootless() && stat(theirs, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 &&
			  a.st_ino != b.st_ino;
	prctl(PR_SET_DUMPABLE, 0);
	int nsfd = (int)syscall(SYS_pidfd_open, daemon, 0);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET | (own_userns ? CLONE_NEWUSER : 0)) < 0) {
		fprintf(stderr, "stacklab capture: cannot join lab %s's switch: %s\n", lab, strerror(errno));
		json_decref(st);
		return EXIT_FAIL;
	}
	close(nsfd);
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(link) };
	int one = 1;
	if (fd < 0 || sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
		fprintf(stderr, "stacklab capture: %s: %s\n", link, strerror(errno));
		json_decref(st);
		return EXIT_FAIL;
	}
	int pcap = -1; /* only once there is something to write into it */
	if (file && (pcap = pcap_open(file)) < 0) {
		fprintf(stderr, "stacklab capture: %s: %s\n", file, strerror(-pcap));
		json_decref(st);
		return EXIT_FAIL;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "capturing on %s of lab %s (%ld packets or %ld s at most%s%s; Ctrl-C stops)\n", link, lab, count,
		seconds, file ? ", into " : "", file ? file : "");
	static unsigned char frame[CAPTURE_SNAP];
	uint64_t until = now_ms() + (uint64_t)seconds * 1000;
	double t0 = 0;
	long seen = 0, shown = 0;
	int code = EXIT_OK;
	while (!stop && seen < count && now_ms() < until) {
		struct pollfd p = { fd, POLLIN, 0 };
		int left = (int)(until - now_ms());
		if (poll(&p, 1, left > 0 ? left : 0) <= 0)
			continue;
		struct sockaddr_ll from;
		char control[256];
		struct iovec iov = { frame, sizeof(frame) };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = control, .msg_controllen = sizeof(control) };
		ssize_t n = recvmsg(fd, &msg, MSG_TRUNC);
		if (n < 0)
			continue;
		size_t len = (size_t)n < sizeof(frame) ? (size_t)n : sizeof(frame);
		struct timespec ts = { 0, 0 };
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS)
				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
		seen++;
		if (pcap >= 0 && pcap_write(pcap, &ts, frame, len, (size_t)n) < 0) {
			fprintf(stderr, "stacklab capture: %s: %s\n", file, strerror(errno));
			code = EXIT_FAIL;
			break;
		}
		struct frame f = { 0 };
		const unsigned char *payload;
		size_t plen;
		if (!packet_decode(frame, len, &f, &payload, &plen))
			continue;
		double t = (double)ts.tv_sec + ts.tv_nsec / 1e9;
		if (!t0)
			t0 = t;
		char src[64], dst[64];
		if (f.layer && strcmp(f.layer, "ARP") == 0) {
			snprintf(src, sizeof(src), "-");
			snprintf(dst, sizeof(dst), "-");
		} else {
			name_of(st, f.src, f.sport, src, sizeof(src));
			name_of(st, f.dst, f.dport, dst, sizeof(dst));
		}
		/* On the switch's side of a veth, what goes out goes to the node. */
		printf("%+9.1f ms  %s  %-20s → %-20s %-7s %s\n", (t - t0) * 1000,
		       from.sll_pkttype == PACKET_OUTGOING ? "to node  " : "from node", src, dst, f.layer ? f.layer : "?", f.what);
		fflush(stdout);
		shown++;
	}
	fprintf(stderr, "%ld packet%s on %s, %ld shown (bare ACKs and other protocols are not)%s%s\n", seen,
		seen == 1 ? "" : "s", link, shown, file ? "; all in " : "", file ? file : "");
	if (pcap >= 0)
		close(pcap);
	close(fd);
	json_decref(st);
	return code;
}
