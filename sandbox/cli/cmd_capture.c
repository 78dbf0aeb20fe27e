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
#include <getopt.h>
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
#include "ctl.h"
#include "paths.h"
#include "util.h"

#define CAPTURE_SNAP 65535

static void help(FILE *out)
{
	fprintf(out, "usage: stacklab capture [--lab NAME] [--count N] [--seconds S] [--write FILE.pcap] LINK\n\n"
		     "Show the packets that cross one link of the lab, as its switch sees them: each\n"
		     "one in a line, decoded (DNS, ARP, TCP, TLS, HTTP, FastCGI, SQL). A LINK is\n"
		     "NODE-IFACE (stacklab status --nodes, or the links of stacklab status --json),\n"
		     "or a node that has one link. Send traffic meanwhile (stacklab request, or\n"
		     "stacklab traffic start) to have something to see.\n\n"
		     "  -c, --count N       stop after N packets (default 20, at most 100000)\n"
		     "  -s, --seconds S     stop after S seconds (default 10, at most 600)\n"
		     "  -w, --write FILE    also write every packet to FILE in pcap format (Wireshark)\n"
		     "  -l, --lab NAME      the lab (default: the only lab that is up)\n"
		     "  -h, --help          show this help\n\n"
		     "Example: what lb1 sends the web servers, behind the TLS it ends:\n"
		     "  stacklab capture --count 10 lb1-eth0\n");
}

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
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' },   { "count", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' }, { "write", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },        { 0 },
	};
	const char *given = NULL, *file = NULL;
	long count = 20, seconds = 10;
	char *end;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:c:s:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': given = optarg; break;
		case 'w': file = optarg; break;
		case 'c':
		case 's': {
			long max = c == 'c' ? 100000 : 600, v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > max) {
				fprintf(stderr, "stacklab capture: --%s takes 1 to %ld, not '%s'\n", c == 'c' ? "count" : "seconds",
					max, optarg);
				return EXIT_USAGE;
			}
			*(c == 'c' ? &count : &seconds) = v;
			break;
		}
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
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
	if (!find_link(st, argv[optind], link, sizeof(link))) {
		fprintf(stderr, "stacklab capture: lab %s has no link '%s' (a LINK is NODE-IFACE, e.g. lb1-eth0, or a node with "
				"one link)\n", lab, argv[optind]);
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
