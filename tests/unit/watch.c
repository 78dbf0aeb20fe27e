/* Unit tests of the log watcher, on lines the real daemons print. */
#include "tap.h"
#include "watch.h"

int main(void)
{
	struct watch_event ev;
	ok(watch_parse("keepalived", "Thu Nov 26 07:50:07 2026: (www) Entering MASTER STATE", &ev) &&
	   ev.kind == WATCH_VRRP, "keepalived MASTER is a VRRP change");
	is_str(ev.instance, "www", "the instance");
	is_str(ev.state, "MASTER", "the state");
	ok(watch_parse("keepalived", "Thu Nov 26 07:50:07 2026: (www) Entering BACKUP STATE (init)", &ev), "BACKUP (init)");
	is_str(ev.state, "BACKUP", "BACKUP state");
	ok(!watch_parse("keepalived", "Thu Nov 26 07:50:07 2026: Sending gratuitous ARP on eth0 for 203.0.113.100", &ev),
	   "a gratuitous ARP line changes nothing");
	ok(watch_parse("haproxy", "[WARNING]  (8) : Server web/web1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 0 active and 0 backup servers left.", &ev) &&
	   ev.kind == WATCH_SERVER, "haproxy server DOWN");
	is_str(ev.instance, "web", "the backend");
	is_str(ev.server, "web1", "the server");
	is_str(ev.state, "DOWN", "DOWN");
	ok(watch_parse("haproxy", "Server web/web2 is UP, reason: Layer7 check passed, code: 200, check duration: 1ms. 2 active and 0 backup servers online.", &ev), "haproxy server UP");
	is_str(ev.state, "UP", "UP");
	ok(!watch_parse("haproxy", "203.0.113.10:57624 [26/Nov/2026:07:50:10.861] https~ web/web1 0/0/1/4/5 200 620 ---- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\" rid=x", &ev),
	   "a request line changes nothing");
	ok(!watch_parse("nginx", "Server web/web1 is DOWN", &ev), "only haproxy's lines count as haproxy's");
	ok(watch_parse("haproxy", "[WARNING]  (3) : Server web/web1 enters drain state. 1 active and 0 backup servers online.", &ev) &&
		   ev.kind == WATCH_SERVER && strcmp(ev.server, "web1") == 0 && strcmp(ev.state, "DRAIN") == 0,
	   "HAProxy: a server drained (stacklab fail WEB drain)");
	ok(watch_parse("haproxy", "Server web/web1 is UP (leaving forced drain).", &ev) && strcmp(ev.state, "UP") == 0,
	   "HAProxy: a drained server ready again is UP");
	ok(watch_parse("haproxy", "[NOTICE]   (3) : New worker (14) forked", &ev) && ev.kind == WATCH_WORKER,
	   "HAProxy: a reload's new worker (its servers start UP)");
	ok(!watch_parse("haproxy", "[WARNING]  (3) : Former worker (7) exited with code 0 (Exit)", &ev),
	   "HAProxy: the old worker leaving changes nothing");
	ok(watch_parse("replication", "replica io=Connecting sql=Yes behind=NULL received=0-4-12 applied=0-4-12 error=error "
				      "reconnecting to master 'repl@203.0.113.21:3306'", &ev) &&
		   ev.kind == WATCH_REPLICA && strcmp(ev.replica.io, "Connecting") == 0 && strcmp(ev.replica.behind, "NULL") == 0 &&
		   strcmp(ev.replica.applied, "0-4-12") == 0 && strncmp(ev.replica.error, "error reconnecting", 18) == 0,
	   "a replica that lost its primary: Connecting, with the error");
	ok(watch_parse("replication", "primary binlog=0-4-310", &ev) && ev.kind == WATCH_REPLICA &&
		   strcmp(ev.replica.binlog, "0-4-310") == 0, "a primary's binary log position");
	ok(!watch_parse("replication", "replica io=Yes sql=Yes", &ev), "a cut replica line changes nothing");
	ok(!watch_parse("nginx", "primary binlog=0-1-1", &ev), "only the watcher's lines count");
	ok(watch_gtid_seq("0-4-310") == 310 && watch_gtid_seq("0-1-5,1-2-9") == 9 && watch_gtid_seq("-") == -1 &&
		   watch_gtid_seq("0-4-") == -1 && watch_gtid_seq("0-4-x") == -1, "a GTID's sequence number, or -1");
	/* A monitor's qps line, as long as a node makes it (600+ bytes overran
	 * a 512-byte buffer of the lab daemon's). */
	struct watch_qps q[4];
	int n = watch_qps_pairs("web-01=10.0 web-02=9.9", q, 4);
	ok(n == 2 && strcmp(q[0].name, "web-01") == 0 && q[0].value == 10.0 && strcmp(q[1].name, "web-02") == 0 &&
		   q[1].value == 9.9, "qps pairs: names and values");
	char big[4096];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[600] = '=';
	ok(watch_qps_pairs(big, q, 4) == 0, "qps: a 4 KiB word is no pair (its name is too long)");
	n = watch_qps_pairs("x=1e70 y=-1 z=nan =5 w= v=3abc web1=2 web2=3 web3=4 web4=5 web5=6", q, 4);
	ok(n == 4 && strcmp(q[0].name, "web1") == 0 && strcmp(q[3].name, "web4") == 0, "qps: what is not name=number is skipped, and at most max are kept");
	char spaces[2000];
	memset(spaces, ' ', sizeof(spaces) - 1);
	spaces[sizeof(spaces) - 1] = '\0';
	ok(watch_qps_pairs(spaces, q, 4) == 0, "qps: only spaces");
	return done_testing();
}
