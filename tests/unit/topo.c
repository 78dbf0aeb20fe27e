/* Unit tests of the topology parser: the default topology loads and round
 * trips, and each kind of bad input is reported with its line. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "firewall.h"
#include "dnszone.h"
#include "topo.h"
#include "util.h"

static int parse_mem(const char *text, size_t len, struct topo **t, char **errors)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int r = topo_parse(f, "t.lab", t, errors);
	fclose(f);
	return r;
}

static int parse(const char *text, struct topo **t, char **errors)
{
	return parse_mem(text, strlen(text), t, errors);
}

/* A valid base that each bad case appends to or alters. */
static const char base[] =
	"[network public]\nsubnet = 203.0.113.0/24\n"   /* 1-2 */
	"[network private]\nsubnet = 10.0.0.0/24\n"     /* 3-4 */
	"[node lb1]\nrole = lb\neth0 = public 203.0.113.11\neth1 = private 10.0.0.11\n" /* 5-8 */
	"[node web1]\nrole = web\neth0 = private 10.0.0.21\n"                       /* 9-11 */
	"[vip www]\nnetwork = public\naddress = 203.0.113.100\nholders = lb1\n";   /* 12-15 */

/* Parsing base + extra must fail with an error containing `want`. */
static void bad(const char *extra, const char *want, const char *what)
{
	char *text = xasprintf("%s%s", base, extra);
	struct topo *t = NULL;
	char *errors = NULL;
	int r = parse(text, &t, &errors);
	if (!ok(r < 0 && errors && strstr(errors, want), "%s", what))
		diag("want an error containing '%s', got: %s", want, errors ? errors : "(none)");
	free(errors);
	topo_free(t);
	free(text);
}

static void test_default(void)
{
	struct topo *t = NULL;
	char *errors = NULL;
	int r = topo_load("scenarios/scale-up.lab", &t, &errors);
	if (!ok(r == 0 && t, "scale-up loads"))
		diag("%s", errors ? errors : "");
	if (!t)
		return;
	ok(t->n_nodes == 10 && t->n_nets == 2 && t->n_vips == 1, "scale-up has 10 nodes, 2 networks, 1 vip");
	const struct topo_node *lb1 = topo_node_find(t, "lb1");
	ok(lb1 && lb1->role == role_find("lb") && lb1->n_ifaces == 2, "lb1 is an lb on two networks");
	is_str(lb1 ? topo_setting(t, lb1, "priority", NULL) : NULL, "150", "node setting: lb1 priority");
	is_str(lb1 ? topo_setting(t, lb1, "balance", NULL) : NULL, "roundrobin", "role setting reaches the node");
	const struct topo_node *db1 = topo_node_find(t, "db1");
	ok(db1 && !topo_node_addr(db1, 0) && topo_node_addr(db1, 1), "db1 is on the private network only");
	is_str(t->nets[0].bridge, "br-public", "bridge name");
	is_str(lb1 ? lb1->ifaces[1].peer : NULL, "lb1-eth1", "switch-side link name");

	/* Round trip: write it out, read it back, write again: same text. */
	char *a = NULL, *b = NULL;
	size_t na, nb;
	FILE *fa = open_memstream(&a, &na);
	topo_write(t, fa);
	fclose(fa);
	struct topo *t2 = NULL;
	r = parse(a, &t2, &errors);
	ok(r == 0, "written topology parses again");
	if (t2) {
		FILE *fb = open_memstream(&b, &nb);
		topo_write(t2, fb);
		fclose(fb);
		is_str(b, a, "round trip is stable");
	}
	topo_free(t2);
	topo_free(t);
	free(a);
	free(b);

	r = topo_load("scenarios/scale-out.lab", &t, &errors);
	ok(r == 0 && t && t->n_nodes == 10, "scale-out loads with 10 nodes");
	topo_free(t);
}

static void test_errors(void)
{
	bad("[node x]\nrole = lbb\neth0 = public 203.0.113.9\n", "t.lab:17: unknown role 'lbb'", "unknown role, with its line");
	bad("[node x]\nrole = resolvr\neth0 = public 203.0.113.9\n", "t.lab:17: unknown role 'resolvr': did you mean 'resolver'? (known: client, dns, lb, web, app, db, monitor, resolver)", "an unknown role: did you mean, and every role of the table");
	bad("[node x]\nrole = web\ncolour = red\neth0 = private 10.0.0.9\n", "t.lab:18: unknown key 'colour'", "unknown key");
	bad("[node lb1]\nrole = lb\n", "t.lab:17: 'role' is set twice", "duplicate node section key");
	bad("[node w2]\nrole = web\ncpu = lots\neth0 = private 10.0.0.22\n", "t.lab:18: node w2: cpu is the cores it may use",
	    "cpu that is not a number");
	bad("[node w2]\nrole = web\ncpu = 0\neth0 = private 10.0.0.22\n", "t.lab:18: node w2: cpu is the cores it may use, from 0.05 to 64",
	    "cpu out of range");
	bad("[node w2]\nrole = web\nmemory = 8\neth0 = private 10.0.0.22\n",
	    "t.lab:18: node w2: memory is the MiB it may use, from 64 to 1024 (e.g. memory = 256), not '8'", "memory out of range");
	bad("[node w2]\nrole = web\nmemory = 1G\neth0 = private 10.0.0.22\n", "t.lab:18: node w2: memory is the MiB it may use",
	    "memory that is not a number of MiB");
	bad("[node w2]\nrole = web\neth0 = private 10.0.0.21\n", "t.lab:18: address 10.0.0.21 is already used on line 11", "duplicate address");
	bad("[node w2]\nrole = web\neth0 = private 10.1.0.5\n", "t.lab:18: address 10.1.0.5 is outside network private", "address outside its network");
	bad("[node w2]\nrole = web\neth0 = private 10.0.0.255\n", "broadcast address", "broadcast address");
	bad("[node w2]\nrole = web\neth0 = dmz 10.0.0.5\n", "t.lab:18: interface eth0 of node w2 is on network 'dmz', which does not exist", "network that does not exist");
	bad("[node w2]\nrole = web\neth0 = private\n", "expected 'NETWORK ADDRESS'", "interface without address");
	bad("[node w2]\nrole = web\neth0 = private 10.0.0.300\n", "'10.0.0.300' is not an IPv4 address", "bad address");
	bad("[node averyverylongname]\nrole = web\neth0 = private 10.0.0.5\n", "too long for an interface name", "name too long for an interface");
	bad("[node Web]\nrole = web\n", "node name 'Web' must start with a lower-case letter", "bad node name");
	bad("[node w2]\nrole = web\n", "t.lab:17: node w2 has no interface", "node without interface");
	bad("[node w2]\neth0 = private 10.0.0.5\n", "node w2 has no role", "node without role");
	bad("[vip db]\nnetwork = private\naddress = 10.0.0.100\nholders = lb1 web1 nobody\n", "holder 'nobody' is not a node", "vip holder that does not exist");
	bad("[vip db]\nnetwork = public\naddress = 203.0.113.101\nholders = web1\n", "holder web1 has no interface on network public", "vip holders must share its network");
	bad("[vip db]\nnetwork = public\naddress = 10.0.0.100\nholders = lb1\n", "vip address 10.0.0.100 is outside network public", "vip outside its network");
	bad("[network dmz]\nsubnet = 10.0.0.0/16\n", "overlaps network", "overlapping networks");
	bad("[network dmz]\nsubnet = 172.16.0.1/24\n", "has host bits set", "subnet with host bits");
	bad("[network dmz]\nsubnet = 172.16.0.0\n", "is not an IPv4 network", "subnet without prefix");
	bad("[network lo]\nsubnet = 127.0.0.0/8\n", "t.lab:17: subnet '127.0.0.0/8' is in 127.0.0.0/8, loopback", "a loopback subnet");
	bad("[network mc]\nsubnet = 224.0.0.0/24\n", "t.lab:17: subnet '224.0.0.0/24' is in 224.0.0.0/4, multicast", "a multicast subnet");
	bad("[network zero]\nsubnet = 0.0.0.0/8\n", "t.lab:17: subnet '0.0.0.0/8' is in 0.0.0.0/8", "a subnet in 0.0.0.0/8");
	bad("[network e]\nsubnet = 250.1.0.0/16\n", "is in 240.0.0.0/4, reserved", "a subnet in 240.0.0.0/4");
	bad("[network a]\nsubnet = 172.16.1.0/24\n[network b]\nsubnet = 172.16.0.0/16\n", "t.lab:19: subnet of network b overlaps network a",
	    "a network that holds an earlier one");
	bad("[network dmz]\nsubnet = 172.16.0.0/ 24\n", "is not an IPv4 network", "subnet prefix with a blank");
	bad("[network eth0]\nsubnet = 172.16.0.0/24\n[node br]\nrole = web\neth0 = eth0 172.16.0.5\n",
	    "t.lab:20: link name br-eth0 would be both the switch side of eth0 of node br and the bridge of network eth0 (line 17)",
	    "a veth whose name is a bridge's");
	bad("[network verylongnetname]\nsubnet = 172.16.0.0/24\n", "too long for a bridge name", "network name too long for a bridge");
	bad("[castle x]\nrole = web\n", "t.lab:17: unknown section [castle x]", "unknown section");
	bad("[role lb]\nspeed = 3\n", "unknown setting 'speed' for role lb", "unknown role setting");
	bad("[role lbx]\nspeed = 3\n", "unknown role 'lbx'", "role section for unknown role");
	bad("this is not ini\n", "t.lab:16: not a 'key = value' line", "a line that is not key = value");
	bad("[lab]\nname = Bad Name\n", "lab name 'Bad Name'", "bad lab name");
	bad("[node w2]\nrole = web\neth0 = private 10.0.0.5\neth1 = private 10.0.0.6\n", "two interfaces on network private", "two interfaces on one network");
	bad("[node web9]\nrole = web\neth0 = public 203.0.113.19\n[vip www2]\nnetwork = public\naddress = 203.0.113.101\nholders = web9\n",
	    "t.lab:22: vip www2: holder web9 is not a load balancer", "a vip holder that is not an lb");
	/* Several roles in one node: each named once, known, a client alone. */
	bad("[node s1]\nrole = web app web\neth0 = private 10.0.0.50\n", "t.lab:17: node s1: role web is named twice",
	    "a multi-role node with a role twice");
	bad("[node s1]\nrole = web bogus\neth0 = private 10.0.0.50\n", "t.lab:17: unknown role 'bogus'", "an unknown role among several");
	bad("[node s1]\nrole = client web\neth0 = private 10.0.0.50\n", "t.lab:17: node s1: a client is a client only",
	    "a client that is also a server");
	bad("[node s1]\nrole = lb web\neth0 = private 10.0.0.50\n", "t.lab:17: node s1: an lb and a web server in one node",
	    "an lb that is also a web server");
	bad("[node s1]\nrole = web app\neth0 = private 10.0.0.50\nreplica_of = web1\n",
	    "t.lab:19: unknown key 'replica_of' for node s1 (role web app takes: none)", "replica_of on a node with no database");
	/* Replication: a replica names a database node that is not a replica. */
	bad("[node d2]\nrole = db\neth0 = private 10.0.0.42\nreplica_of = d9\n", "t.lab:19: node d2: replica_of d9: no node of that name",
	    "a replica without a primary");
	bad("[node d2]\nrole = db\neth0 = private 10.0.0.42\nreplica_of = web1\n",
	    "t.lab:19: node d2: replica_of web1: web1 runs no database", "a replica of a node with no database");
	bad("[node d2]\nrole = db\neth0 = private 10.0.0.42\nreplica_of = d2\n", "t.lab:19: node d2: replica_of names itself",
	    "a replica of itself");
	bad("[node d1]\nrole = db\neth0 = private 10.0.0.41\nreplica_of = d2\n[node d2]\nrole = db\neth0 = private 10.0.0.42\nreplica_of = d1\n",
	    "replica_of d2: d2 is a replica itself", "a chain of replicas");
	/* Firewall rules: a protocol, a port, and sources that exist. */
	bad("[node s1]\nrole = web\neth0 = private 10.0.0.50\nallow = tcp 80 from lb9\n",
	    "t.lab:19: node s1: allow tcp 80 from lb9: no node or network of that name", "a firewall rule naming a node that doesn't exist");
	bad("[node s1]\nrole = web\neth0 = private 10.0.0.50\nallow = sctp 80 from lb1\n",
	    "t.lab:19: allow = 'sctp 80 from lb1': expected 'tcp|udp PORT from NODE|NETWORK|any", "a rule of an unknown protocol");
	bad("[node s1]\nrole = web\neth0 = private 10.0.0.50\nallow = tcp 70000 from lb1\n", "t.lab:19: allow = 'tcp 70000",
	    "a rule with a port out of range");
	bad("[node s1]\nrole = web\neth0 = private 10.0.0.50\nallow = tcp 80 lb1\n", "t.lab:19: allow = 'tcp 80 lb1'",
	    "a rule without 'from'");
	bad("[node s1]\nrole = web\neth0 = private 10.0.0.50\nallow = tcp 80 from s1\n", "t.lab:19: node s1: allow from itself",
	    "a rule allowing a node from itself");
	bad("[lab]\nwww = nowhere\n", "t.lab:17: www = nowhere: no vip or node of that name", "www naming nothing");
	bad("[lab]\nhttps = maybe\n", "t.lab:17: lab https 'maybe' must be one of yes, no", "https neither yes nor no");

	struct topo *t = NULL;
	char *errors = NULL;
	int r = parse("[network public]\nsubnet = 203.0.113.0/24\n[node dns]\nrole = dns\neth0 = public 203.0.113.53\n", &t, &errors);
	if (!ok(r < 0 && errors && strstr(errors, "t.lab:4: node dns is a DNS server, but www.foobar.com points nowhere"),
		"a dns node needs to know where www points"))
		diag("%s", errors ? errors : "(none)");
	free(errors);
	r = parse("[node a]\nrole = nope\n[node b]\nrole = web\n", &t, &errors);
	ok(r < 0 && errors && strstr(errors, ":2: unknown role") && strstr(errors, "no [network"),
	   "every error is reported, not only the first");
	free(errors);
	r = topo_load("/nonexistent/x.lab", &t, &errors);
	ok(r < 0 && errors && strstr(errors, "/nonexistent/x.lab: cannot open"), "missing file is named");
	free(errors);
}

/* Every setting has a type; a value that is not of it is refused with its
 * line, its key, the value and what would be right. */
static void test_values(void)
{
	bad("[lab]\ndomain = ../../../tmp/x\n", "t.lab:17: lab domain '../../../tmp/x' is not a DNS name", "domain with a path in it");
	bad("[lab]\ndomain = localhost\n", "lab domain 'localhost' is not a DNS name like example.com: it needs two labels", "domain of one label");
	bad("[lab]\ndomain = Foobar.com\n", "labels hold only a-z, 0-9 and '-'", "domain with upper case");
	bad("[lab]\ndomain = -foo.com\n", "a label starts or ends with '-'", "domain label starting with '-'");
	bad("[lab]\ndomain = foo..com\n", "a label is empty", "domain with an empty label");
	bad("[lab]\ndomain = foo.com.\n", "a label is empty", "domain with a trailing dot");
	bad("[lab]\ndomain = abcdefghij.abcdefghij.abcdefghij.abcdefghij.abcdefghij.abcdefghij.com\n",
	    "lab domain is longer than 60 characters", "domain too long for the certificate's common name");
	bad("[lab]\ntitle = a \x1b[31mred\n", "t.lab:17: lab title 'a \\x1b[31mred' holds a control character", "title with an escape sequence");
	bad("[lab]\ntitle = caf\xe9\n", "t.lab:17: lab title 'caf\\xe9' holds a control character or is not UTF-8", "title that is not UTF-8");
	bad("[node \x01\xff\xc3\xa9]\nrole = web\n", "node name '\\x01\\xff\xc3\xa9' must start with a lower-case letter",
	    "binary bytes in a message are escaped, UTF-8 is kept");
	bad("[lab]\ntitle = a\xc2\x9b" "31m\n", "lab title 'a\\xc2\\x9b31m' holds a control character", "a C1 control (CSI) in the title is refused and escaped");
	bad("[role lb]\npriority = 100 } vrrp_script x { script \"/bin/sh -c id\"\n",
	    "t.lab:17: role lb priority '100 } vrrp_script x { script \"/bin/sh -c id\"' must be a whole number from 1 to 254",
	    "priority that would inject keepalived config");
	bad("[role lb]\nbalance = roundrobin\tbackend x\n",
	    "role lb balance 'roundrobin\\x09backend x' must be one of roundrobin, leastconn, source, first, static-rr, uri",
	    "balance with a tab and more config after it");
	bad("[node lb1]\npriority = high\n", "t.lab:17: node lb1 priority 'high' must be a whole number from 1 to 254", "priority that is a word");
	bad("[role lb]\npriority = 1e999\n", "priority '1e999' must be a whole number", "priority with an exponent");
	bad("[role lb]\npriority = 255\n", "priority '255' must be a whole number from 1 to 254", "priority above 254");
	bad("[role lb]\npriority = 0\n", "priority '0' must be", "priority 0");
	bad("[role lb]\npriority = 99999999999999999999\n", "must be a whole number", "priority that overflows a long");
	bad("[role lb]\npriority = +100\n", "must be a whole number", "priority with a sign");
	bad("[role lb]\nbalance = random\n", "balance 'random' must be one of roundrobin, leastconn", "balance that is not an algorithm");
	bad("[node dns1]\nrole = dns\neth0 = public 203.0.113.53\nzone = com.\n",
	    "t.lab:19: node dns1 zone 'com.': expected zones like '.', 'com' or 'foobar.com'", "a zone with a trailing dot");
	bad("[node dns1]\nrole = dns\neth0 = public 203.0.113.53\nzone = . a_b.com\n",
	    "node dns1 zone '. a_b.com': expected zones like", "a zone that is not a DNS name");
	bad("[node dns1]\nrole = dns\neth0 = public 203.0.113.53\nzone = . com net org foobar.com\n",
	    "more than four zones", "five zones on one node");
	bad("[node dns1]\nrole = dns\neth0 = public 203.0.113.53\nzone = . com com foobar.com\n",
	    "t.lab:19: node dns1: zone com is named twice", "a zone named twice");
	bad("[node dns1]\nrole = dns\neth0 = public 203.0.113.53\nzone = . com\n",
	    "t.lab:17: no DNS node serves foobar.com: name it in a dns node's zone", "nobody serves the lab's domain");
	bad("[node r]\nrole = resolver\neth0 = public 203.0.113.53\n[node ns1]\nrole = dns\neth0 = public 203.0.113.54\n",
	    "t.lab:17: node r is a resolver, but no dns node serves the root: add 'zone = .' to one", "a resolver with no root to start from");
	bad("[node www]\nrole = dns\neth0 = public 203.0.113.53\n", "node www serves foobar.com, where www.foobar.com is the site's own record",
	    "a server of the domain named www");
	bad("[node dns1]\nrole = dns\neth0 = public 203.0.113.53\nzone = foobar.com mail.foobar.com\n",
	    "zone mail.foobar.com is a record of foobar.com", "a zone where the site's mail record is");
	bad("[node dns1]\nrole = dns\neth0 = public 203.0.113.53\nttl = 0\n", "node dns1 ttl '0' must be a whole number from 1 to 86400",
	    "a TTL of 0");
	bad("[node dns1]\nrole = dns\neth0 = public 203.0.113.53\nwww_record = MX\n", "www_record 'MX' must be one of A, CNAME",
	    "www as an MX");
	bad("[role lb]\nspeed = 3\n", "unknown setting 'speed' for role lb (known: priority, balance)", "unknown setting lists the known ones");

	struct topo *t = NULL;
	char *errors = NULL;
	char *text = xasprintf("[lab]\ntitle = Caf\xc3\xa9 \xe2\x80\x94 ok\ndomain = my-site.example.org\n%s"
			       "[role lb]\npriority = 254\nbalance = static-rr\n", base);
	int r = parse(text, &t, &errors);
	if (!ok(r == 0, "UTF-8 title, a three-label domain, priority 254 and static-rr are fine"))
		diag("%s", errors);
	topo_free(t);
	free(errors);
	free(text);
}

/* Lines are counted as the file has them, whatever their length. */
static void test_lines(void)
{
	char *name = xmalloc(5001);
	memset(name, 'a', 5000);
	name[5000] = '\0';
	char *extra = xasprintf("[lab]\nname = %s\n[node x]\nrole = lbb\n", name);
	bad(extra, "t.lab:17: the line is longer than", "a 5000-character line is reported on its own line");
	bad(extra, "t.lab:19: unknown role 'lbb'", "...and the lines after it keep their numbers");
	free(extra);
	extra = xasprintf("# %s\n[node x]\nrole = lbb\n", name);
	bad(extra, "t.lab:18: unknown role 'lbb'", "a long comment is fine and counts as one line");
	free(extra);
	free(name);

	static const char nul[] = "[lab]\ntitle = a\0b\n[node x]\nrole = lbb\n";
	struct topo *t = NULL;
	char *errors = NULL;
	int r = parse_mem(nul, sizeof(nul) - 1, &t, &errors);
	ok(r < 0 && errors && strstr(errors, "t.lab:2: the line holds a NUL byte") && strstr(errors, "t.lab:4: unknown role"),
	   "a NUL byte is reported on its line");
	free(errors);

	/* An endless stream is cut at TOPO_FILE_MAX bytes. */
	size_t big = TOPO_FILE_MAX + 4096;
	char *text = xmalloc(big);
	for (size_t i = 0; i < big; i++)
		text[i] = i % 64 == 0 ? '#' : i % 64 == 63 ? '\n' : 'x';
	r = parse_mem(text, big, &t, &errors);
	if (!ok(r < 0 && errors && strstr(errors, "t.lab:16385: the file is larger than 1048576 bytes") && !strstr(errors, "NUL"),
		"a stream larger than TOPO_FILE_MAX is cut"))
		diag("%.200s", errors ? errors : "");
	free(errors);
	free(text);
}

/* topo_load on `path` must fail, quickly, with an error containing `want`. */
static void bad_file(const char *path, const char *want, const char *what)
{
	struct topo *t = NULL;
	char *errors = NULL;
	int r = topo_load(path, &t, &errors);
	if (!ok(r < 0 && !t && errors && strstr(errors, want), "%s", what))
		diag("want an error containing '%s', got: %s", want, errors ? errors : "(none)");
	free(errors);
	topo_free(t);
}

/* Only a regular file of sane size is read: a FIFO or a device would
 * hang `up`. The alarm turns a hang into a failure. */
static void test_files(void)
{
	char dir[] = "/tmp/stacklab-topo-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	alarm(10);
	char *fifo = xasprintf("%s/fifo.lab", dir);
	if (mkfifo(fifo, 0600) == 0)
		bad_file(fifo, "fifo.lab: is a FIFO, not a topology file", "a FIFO is refused at once");
	else
		ok(0, "mkfifo %s: %s", fifo, strerror(errno));
	bad_file("/dev/zero", "/dev/zero: is a device, not a topology file", "/dev/zero is refused");
	bad_file(dir, "is a directory, not a topology file", "a directory is refused");

	char *big = xasprintf("%s/big.lab", dir);
	FILE *f = fopen(big, "we");
	if (f) {
		for (int i = 0; i < TOPO_FILE_MAX / 64 + 1; i++)
			fprintf(f, "# %61s\n", "a comment line, repeated until the file is too big");
		fclose(f);
	}
	bad_file(big, "big.lab: is 1048640 bytes, larger than a topology may be (1048576)", "an oversized file is refused");
	alarm(0);

	unlink(fifo);
	unlink(big);
	rmdir(dir);
	free(fifo);
	free(big);
}

/* The course's other designs: one server of three roles; one lb and two
 * full servers, a primary and its replica, over plain HTTP. */
static void test_designs(void)
{
	struct topo *t = NULL;
	char *errors = NULL, a[INET_ADDRSTRLEN], roles[64];
	int r = topo_load("scenarios/single.lab", &t, &errors);
	if (!ok(r == 0 && t, "single loads"))
		diag("%s", errors ? errors : "");
	if (t) {
		const struct topo_node *s = topo_node_find(t, "server1");
		ok(s && topo_has_role(s, ROLE_WEB) && topo_has_role(s, ROLE_APP) && topo_has_role(s, ROLE_DB) &&
		   !topo_has_role(s, ROLE_LB), "server1 is web, app and db");
		is_str(s ? topo_roles(s, roles, sizeof(roles)) : "", "web app db", "its roles read as written");
		ok(s && s->role == role_find("web"), "the map puts it in its first tier, web");
		inet_ntop(AF_INET, topo_www_addr(t), a, sizeof(a));
		is_str(a, "203.0.113.20", "www points at server1 (www = server1)");
		is_str(topo_scheme(t), "http", "no lb: the site is plain HTTP");
		topo_free(t);
	}
	free(errors);
	errors = NULL;
	r = topo_load("scenarios/distributed.lab", &t, &errors);
	if (!ok(r == 0 && t, "distributed loads"))
		diag("%s", errors ? errors : "");
	if (t) {
		const struct topo_node *w1 = topo_node_find(t, "web-01"), *w2 = topo_node_find(t, "web-02");
		ok(w1 && w2 && topo_primary_of(t, w2) == w1 && !topo_primary_of(t, w1), "web-02 copies web-01, which copies no one");
		ok(!topo_holds_vip(t, topo_node_find(t, "lb1")), "lb1 holds no vip (no keepalived)");
		inet_ntop(AF_INET, topo_www_addr(t), a, sizeof(a));
		is_str(a, "203.0.113.11", "www points at lb1");
		ok(topo_site_port(t) == 80, "https = no: port 80");
		ok(topo_node_find(t, "web-01")->n_rules == 0, "no firewall in design 1");
		topo_free(t);
	}
	free(errors);
	errors = NULL;
	r = topo_load("scenarios/secured.lab", &t, &errors);
	if (!ok(r == 0 && t, "secured loads"))
		diag("%s", errors ? errors : "");
	if (t) {
		const struct topo_node *w1 = topo_node_find(t, "web-01");
		ok(w1 && w1->n_rules == 4 && strcmp(w1->rules[0].proto, "tcp") == 0 && w1->rules[0].port == 80 &&
			   strcmp(w1->rules[0].from[0], "lb1") == 0, "web-01 lets in tcp 80 from lb1");
		char *rules = firewall_ruleset(t, w1);
		ok(strstr(rules, "policy drop;") != NULL, "its ruleset drops by default");
		ok(strstr(rules, "ip saddr { 203.0.113.11 } tcp dport 80 accept") != NULL, "and accepts port 80 from lb1's address");
		ok(strstr(rules, "ct state established,related accept") != NULL, "and what it opened itself");
		free(rules);
		rules = firewall_ruleset(t, topo_node_find(t, "lb1"));
		ok(strstr(rules, "\ttcp dport 443 accept") != NULL, "from any: no address match");
		free(rules);
		rules = firewall_ruleset(t, topo_node_find(t, "ns1"));
		ok(strstr(rules, "ip saddr { 203.0.113.53 } udp dport 53 accept") != NULL, "ns1 answers only the resolver");
		free(rules);
		is_str(topo_scheme(t), "https", "design 2 ends TLS at lb1");
		topo_free(t);
	}
	free(errors);
	errors = NULL;
	r = parse("[lab]\nhttps = yes\n[network public]\nsubnet = 203.0.113.0/24\n[node s]\nrole = web app db\neth0 = public 203.0.113.5\n",
		  &t, &errors);
	ok(r < 0 && errors && strstr(errors, "t.lab:2: https = yes needs a load balancer"), "https without an lb to end TLS");
	free(errors);
}

/* Is `zone`'s text one NSD accepts? Checked by NSD's own nsd-checkzone. */
static bool nsd_accepts(const char *zone, const char *text)
{
	char path[] = "/tmp/stacklab-zone.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return false;
	close(fd);
	char *cmd = xasprintf("/usr/sbin/nsd-checkzone '%s' %s >/dev/null 2>&1", zone, path);
	int r = system(cmd);
	free(cmd);
	unlink(path);
	return r == 0;
}

/* The zones, written from the topology: each delegates to the one below
 * with glue, the domain's has the site's records, and NSD accepts them. */
static void test_zones(void)
{
	struct topo *t = NULL;
	char *errors = NULL;
	if (!ok(topo_load("scenarios/scale-up.lab", &t, &errors) == 0, "scale-up loads"))
		return;
	ok(topo_serves(t, topo_node_find(t, "root"), ".") && !topo_serves(t, topo_node_find(t, "root"), "com"),
	   "root serves the root zone only");
	ok(!topo_serves(t, topo_node_find(t, "resolver"), "."), "a resolver serves no zone");
	char *root = dnszone_text(t, ".", NULL), *com = dnszone_text(t, "com", NULL), *site = dnszone_text(t, "foobar.com", NULL);
	ok(strstr(root, "com.                     IN NS     a.gtld-servers.net.") != NULL, "the root delegates com");
	ok(strstr(root, "a.gtld-servers.net.      IN A      203.0.113.30") != NULL, "with com's server's address");
	ok(strstr(root, "foobar.com") == NULL, "the root says nothing of foobar.com: com does");
	ok(strstr(com, "foobar.com.              IN NS     ns1.foobar.com.") != NULL, "com delegates foobar.com");
	ok(strstr(com, "ns1.foobar.com.          IN A      203.0.113.54") != NULL, "with glue for ns1");
	ok(strstr(site, "IN SOA    ns1.foobar.com. hostmaster.foobar.com. 1 3600 600 86400 60") != NULL, "the domain's SOA");
	ok(strstr(site, "www.foobar.com.          IN A      203.0.113.100") != NULL, "www is the VIP");
	ok(strstr(site, "IN MX     10 mail.foobar.com.") != NULL, "an MX");
	ok(nsd_accepts(".", root) && nsd_accepts("com", com) && nsd_accepts("foobar.com", site), "nsd-checkzone accepts all three");
	free(site);
	struct dns_zone_state st = { .www = { htonl(0xcb00710c) }, .ttl = 5, .serial = 7 };
	site = dnszone_text(t, "foobar.com", &st);
	ok(strstr(site, "www.foobar.com.          IN A      203.0.113.12") != NULL && strstr(site, "$TTL 5\n") &&
	   strstr(site, "hostmaster.foobar.com. 7 "), "set www, ttl: the new address, TTL and serial");
	char *hints = dnszone_root_hints(t);
	ok(strstr(hints, ".                        3600000 IN NS a.root-servers.net.") && strstr(hints, " A  203.0.113.4\n"),
	   "the root hints name the lab's root");
	free(root), free(com), free(site), free(hints);
	topo_free(t);
	free(errors);
	errors = NULL;
	/* One server for every level, www as a CNAME of the apex. */
	t = NULL;
	int r = parse("[lab]\nwww = s\n[network public]\nsubnet = 203.0.113.0/24\n[node s]\nrole = web app db\n"
		      "eth0 = public 203.0.113.20\n[node ns1]\nrole = dns\neth0 = public 203.0.113.54\nzone = . com foobar.com\n"
		      "www_record = CNAME\n[node r]\nrole = resolver\neth0 = public 203.0.113.53\n", &t, &errors);
	if (ok(r == 0, "one server for the root, com and foobar.com")) {
		root = dnszone_text(t, ".", NULL);
		site = dnszone_text(t, "foobar.com", NULL);
		ok(strstr(root, "com.                     IN NS     a.gtld-servers.net.") != NULL, "it still delegates, to itself");
		ok(strstr(site, "www.foobar.com.          IN CNAME  foobar.com.") != NULL, "www_record = CNAME");
		ok(nsd_accepts(".", root) && nsd_accepts("foobar.com", site), "nsd-checkzone accepts them");
		char *conf = dnszone_nsd_conf(t, topo_node_find(t, "ns1"));
		ok(strstr(conf, "name: \".\"") && strstr(conf, "name: \"foobar.com\""), "every zone it serves");
		ok(strstr(conf, "name: \"com\"") && strstr(conf, "zonefile: \"/etc/nsd/root.zone\""), "NSD's zone list");
		free(conf), free(root), free(site);
	} else {
		diag("%s", errors);
	}
	topo_free(t);
	free(errors);
}

int main(void)
{
	test_default();
	test_designs();
	test_zones();
	test_errors();
	test_values();
	test_lines();
	test_files();
	return done_testing();
}
