#!/bin/bash
# The course's designs 0 and 1: one server of three roles, and one lb with
# two full servers whose databases replicate. Each comes up and answers a
# DB-backed page; a write reaches the replica; the lb's algorithm changes
# on the running lab without losing a request; nothing is left behind.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

L0=t-single
L1=t-dist
L2=t-secured
pcap=$(mktemp)
trap 'lab_cleanup $L0; lab_cleanup $L1; lab_cleanup $L2; rm -f "$pcap"' EXIT
before=$(fresh_host $L0 $L1 $L2 t-single2)

# --- design 0: single -------------------------------------------------------------
out=$(sl up --lab $L0 --topology single 2>&1); ok $? "up single"
like "$out" "waiting for http://www.foobar.com/" "up waits for the site, over plain HTTP (no lb, no certificate)"
st=$(sl status --lab $L0)
like "$st" "server1 +web app db +up" "status: server1 has three roles"
like "$st" "nginx running php-fpm running mariadb running" "one init runs the three daemons"
unlike "$st" "keepalived|haproxy" "and nothing of an lb"
# Its size (cpu = 0.5, memory = 512), shown, and in force where the lab
# bounds memory (root's labs here; a user's with a delegated cgroup).
# Root's labs are bounded wherever the host has a memory controller (v2, or
# v1's hierarchy beside a hybrid host's v2 tree): status must say so.
bounded=$(sl status --lab $L0 --json | jq '.nodes[] | select(.name == "server1") | .memory.bounded')
if [ -z "${STACKLAB_AS:-}" ] && [ "$(id -u)" = 0 ] && { [ -d /sys/fs/cgroup/memory ] || grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; }; then
	is "$bounded" true "root's lab: server1's memory is bounded (this host has a memory controller)"
fi
if [ "$bounded" = true ]; then
	like "$st" "memory 512 MiB" "status: server1's memory = 512"
	lim=$(cat /sys/fs/cgroup/memory/stacklab-$L0/server1/memory.limit_in_bytes /sys/fs/cgroup/stacklab-$L0/server1/memory.max 2>/dev/null | head -1)
	is "$lim" "536870912" "its cgroup holds it to 512 MiB"
else
	like "$st" "memory 512 MiB asked, not in force" "status: server1's memory = 512, and that it is not in force here"
fi
req=$(sl request --lab $L0 /)
like "$req" "GET http://www.foobar.com/ → 200" "a DB-backed page answers"
like "$req" "served by +web server1, app server1" "web and app are server1's own"
like "$req" "database +3 rows" "with the database's rows"
is "$(sl exec --lab $L0 client -- dig +short www.foobar.com)" "203.0.113.20" "www is an A record for server1"
is "$(sl exec --lab $L0 client -- dig +short foobar.com)" "203.0.113.20" "and so is the apex, a record of its own"
like "$(sl exec --lab $L0 server1 -- cat /etc/nginx/nginx.conf)" "server 203\.0\.113\.20:9000" \
	"Nginx passes to its own PHP-FPM"
once=$(sl tui --lab $L0 --once)
like "$once" "www → server1 203\.0\.113\.20 \(http\)" "TUI: the title says where www points, and that it is plain HTTP"
like "$once" "clients +servers" "TUI: two columns, the second of servers"
like "$once" "web app db" "TUI: server1's roles on the map"
like "$(sl tui --lab $L0 --once --size 120x40)" "nginx php-fpm mariadb" "TUI 120x40: and its three daemons"
tr=$(sl trace --lab $L0 /)
like "$tr" "app +server1 inside server1" "trace: the app hop is inside server1"
like "$tr" "db +server1 inside server1" "and so is the database's"
is "$(sl trace --lab $L0 --json | jq -c '[.hops[] | select(.link | startswith("inside ")) | has("at_ms")] | unique')" "[false]" \
	"hops inside server1 claim no offset of their own (no packet times them)"
sl fail --lab $L0 server1 stop mariadb >/dev/null; ok $? "fail server1 stop mariadb"
wait_until 5 sh -c "$STACKLAB status --lab $L0 | grep -q 'mariadb exited'"; ok $? "status: only mariadb stopped"
like "$(sl status --lab $L0)" "nginx running php-fpm running mariadb exited" "the others run on"
like "$(sl request --lab $L0 / 2>&1)" "→ 503" "the page says the database is unavailable"
sl heal --lab $L0 server1 >/dev/null
wait_until 10 sh -c "$STACKLAB request --lab $L0 / | grep -q '→ 200'"; ok $? "heal: it answers again"
sl down --lab $L0 >/dev/null; ok $? "down single"
out=$(sl up --lab t-single2 --topology single --publish 127.0.0.1:18081,18082 2>&1)
is "$?" "1" "a redirecting HTTP port for a plain-HTTP design is refused"
like "$out" "serves plain HTTP already: publish PORT alone" "and says why"

# --- design 1: distributed ----------------------------------------------------------
out=$(sl up --lab $L1 --topology distributed 2>&1); ok $? "up distributed"
st=$(sl status --lab $L1)
like "$st" "lb1 +lb +up" "lb1 is an lb"
like "$st" "haproxy running, web/web-01 UP, web/web-02 UP, balance roundrobin" "HAProxy alone (no VIP, no keepalived), round robin"
like "$st" "primary: copied by web-02" "web-01 is the primary"
replicating() { sl status --lab $L1 | grep -q "replica of web-01: io Yes, sql Yes"; }
wait_until 10 replicating; ok $? "web-02 replicates web-01 (both threads run)"
is "$(sl exec --lab $L1 client -- dig +short www.foobar.com)" "203.0.113.11" "www is lb1's address"
once=$(sl tui --lab $L1 --once)
like "$once" "web-01 UP web-02 UP" "TUI 80x24: lb1's view of both servers, whole"
like "$once" "db primary" "TUI: web-01 is the primary"
wait_until 5 sh -c "$STACKLAB tui --lab $L1 --once | grep -q 'replica✓ 0 behind'"; ok $? "TUI: web-02 replicates, 0 transactions behind"

# A write, wherever it lands, is on the primary and copied to the replica.
for i in 1 2; do
	sl request --lab $L1 --data name=t$i --data message=copy-$i /guestbook >/dev/null
done
on_replica() { sl exec --lab $L1 web-02 -- mariadb -u root -N -e 'SELECT message FROM foobar.guestbook' | grep -c '^copy-' | grep -qx 2; }
wait_until 5 on_replica; ok $? "both guestbook writes are read back on web-02's replica"
like "$(sl exec --lab $L1 web-01 -- mariadb -u root -N -e 'SELECT @@log_bin, @@read_only')" "^1	0" "the primary logs and writes"
like "$(sl exec --lab $L1 web-02 -- mariadb -u root -N -e 'SELECT @@read_only')" "^1" "the replica is read-only"
like "$(sl exec --lab $L1 client -- curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
	-d name=x -d message=y http://203.0.113.22/guestbook)" "^200" "a write sent to web-02 itself still lands (on the primary)"
lag() { sl status --lab $L1 --json | jq -r '.nodes[] | select(.name == "web-02") | .replication.lag'; }
wait_until 5 sh -c "[ \"\$($STACKLAB status --lab $L1 --json | jq -r '.nodes[] | select(.name == \"web-02\") | .replication.lag')\" = 0 ]"
ok $? "status --json: the replica's lag in transactions, 0 once it caught up ($(lag))"

# The algorithm, changed under traffic: a hitless reload.
sl traffic --lab $L1 start --rate 50 --seconds 30 >/dev/null; ok $? "traffic at 50/s"
sleep 1.5
like "$(sl tui --lab $L1 --once --size 120x40)" "web-01 [0-9]+% web-02 [0-9]+%" "TUI 120x40: the traffic panel shows the spread over the web servers"
out=$(sl set --lab $L1 lb1 balance source); ok $? "set lb1 balance source"
like "$out" "lb1: balance source \(was roundrobin\), HAProxy reloaded" "set says what changed"
like "$(sl status --lab $L1)" "balance source" "status shows the new algorithm"
like "$(sl tui --lab $L1 --once --size 120x40)" "balance source" "so does the TUI"
like "$(sl exec --lab $L1 lb1 -- cat /etc/haproxy/haproxy.cfg)" "balance source" "HAProxy's config in the node says so"
sleep 2.5
sl set --lab $L1 lb1 balance roundrobin >/dev/null
sleep 1
ts=$(sl traffic --lab $L1 stop)
like "$ts" "since start: [0-9]+ requests, ([0-9]+) ok$" "two reloads under 50 requests/s lost no request"
like "$ts" "answered by web-01 [0-9]+ \([0-9]+%\), web-02 [0-9]+" "traffic status shows the spread over the web servers"
# In the TUI: b on the lb switches to the next algorithm.
S=t-designs-tui
tmux kill-session -t $S 2>/dev/null
tmux new-session -d -s $S -x 120 -y 40 "$STACKLAB tui --lab $L1"
shows() { tmux capture-pane -t $S -p | grep -Eq "$1"; }
wait_until 5 shows "■ lb1"
tmux send-keys -t $S Tab Tab Tab b   # client → resolver → ns1 → lb1
wait_until 5 shows "lb1 balance leastconn \\(HAProxy reloaded\\)"; ok $? "TUI: b on lb1 switches it to leastconn, and says so"
wait_until 3 shows "balance leastconn"; ok $? "TUI: the map shows lb1's new algorithm"
tmux send-keys -t $S q
tmux kill-session -t $S 2>/dev/null
sl set --lab $L1 lb1 balance roundrobin >/dev/null
like "$(sl set --lab $L1 lb1 balance fastest 2>&1)" "balance 'fastest' is not an algorithm HAProxy takes here \(known: roundrobin" \
	"an unknown algorithm is refused, naming the known ones"
like "$(sl set --lab $L1 web-01 balance source 2>&1)" "web-01 is not a load balancer" "set on a web server is refused"
like "$(sl set --lab $L1 lb1 weight 3 2>&1)" "'weight' cannot be set on a running lab \(known: balance on an lb; www, ttl" "an unknown key is refused"
like "$(sl status --lab $L1)" "balance roundrobin" "a refused set changed nothing"
like "$(sl set --lab $L1 lb1 balance 2>&1)" "expected NODE KEY VALUE: LB balance ALGORITHM, or NS www\|ttl VALUE" "set with a word missing says what it wants"

sl down --lab $L1 >/dev/null; ok $? "down distributed"

# --- design 2: secured ----------------------------------------------------------------
out=$(sl up --lab $L2 --topology secured --publish 127.0.0.1:18443,18080,19090 2>&1); ok $? "up secured, published with Prometheus"
like "$out" "the monitor's Prometheus: http://127.0.0.1:19090/" "up says where Prometheus is published"
like "$out" "waiting for https://www.foobar.com/" "HTTPS again: lb1 ends TLS"
like "$(sl request --lab $L2 /)" "GET https://www.foobar.com/ → 200" "a DB-backed page answers over HTTPS through the firewalls"
st=$(sl status --lab $L2)
like "$st" "firewall on: allows tcp 80 from lb1, tcp 3306 from web-02, tcp 9100 from monitor, tcp 9113 from monitor; drops the rest" "status: web-01's firewall and its rules"
# Probed with real connections, both ways: what the rules allow, and what they drop.
probe() { sl exec --lab $L2 "$1" -- sh -c "timeout 1 bash -c 'echo > /dev/tcp/$2/$3' 2>/dev/null && echo open || echo closed"; }
is "$(probe client 203.0.113.21 3306)" "closed" "the client no longer reaches MariaDB on web-01"
is "$(probe client 203.0.113.21 80)" "closed" "nor web-01's Nginx past the lb"
is "$(probe client 203.0.113.21 9000)" "closed" "nor its PHP-FPM"
is "$(probe lb1 203.0.113.21 80)" "open" "lb1 reaches web-01's port 80"
is "$(probe lb1 203.0.113.21 3306)" "closed" "but not its database"
is "$(probe web-02 203.0.113.21 3306)" "open" "the replica reaches the primary's database"
is "$(probe client 203.0.113.11 443)" "open" "the client reaches lb1's 443"
is "$(probe client 203.0.113.11 22)" "closed" "and nothing else of lb1"
wait_until 10 sh -c "$STACKLAB status --lab $L2 | grep -q 'replica of web-01: io Yes, sql Yes'"; ok $? "replication passes the firewall"
like "$(sl tui --lab $L2 --once)" "web-01 FW" "TUI: firewalled nodes are marked FW"
sl fail --lab $L2 web-01 firewall off >/dev/null; ok $? "fail web-01 firewall off"
is "$(probe client 203.0.113.21 3306)" "open" "without it, the client reaches the database again"
like "$(sl status --lab $L2)" "firewall OFF" "status says the firewall is off"
like "$(sl tui --lab $L2 --once)" "web-01 FW OFF" "and so does the TUI"
like "$(sl fail --lab $L2 web-01 firewall off 2>&1)" "off already" "twice off is refused"
like "$(sl fail --lab $L2 client firewall off 2>&1)" "client has no firewall" "a node without allow lines has no firewall to turn off"
like "$(sl fail --lab $L2 web-01 firewall on 2>&1)" "firewall takes one word: off" "firewall on is heal's job"
sl heal --lab $L2 web-01 >/dev/null; ok $? "heal web-01"
is "$(probe client 203.0.113.21 3306)" "closed" "heal loads the firewall again"
# Behind the lb: TLS ends there; what goes on to the servers is plain HTTP.
(sleep 0.7; for i in 1 2 3; do sl request --lab $L2 / >/dev/null; done) &
cap=$(sl capture --lab $L2 --count 400 --seconds 4 --write "$pcap" lb1-eth0 2>&1)
wait
like "$cap" "lb1:[0-9]+ +→ web-0[12]:80 +HTTP +GET / HTTP/1.1" "capture behind lb1: the request in plain HTTP"
like "$cap" "client:[0-9]+ +→ lb1:443 +TLS +(ClientHello|encrypted request)" "the client's side of lb1 is TLS"
like "$cap" "packets on lb1-eth0, [0-9]+ shown .*; all in $pcap" "capture says how many packets, and where it wrote them"
like "$(tcpdump -nn -r "$pcap" 2>/dev/null | head -50)" "203\.0\.113\.11\.[0-9]+ > 203\.0\.113\.2[12]\.80" "the pcap file reads in tcpdump"
like "$(sl capture --lab $L2 nowhere-eth9 2>&1)" "has no link 'nowhere-eth9'" "capture names a link it does not know"
like "$(sl capture --lab $L2 --count 0 lb1 2>&1)" "--count takes a whole number from 1 to 100000" "and a bad count"
# Monitoring: Prometheus scrapes every exporter, and its QPS is the generator's.
up_targets() { curl -s --max-time 2 'http://127.0.0.1:19090/api/v1/query?query=up' | grep -o '"value":\[[0-9.]*,"1"\]' | wc -l; }
wait_until 10 sh -c "[ \$(curl -s --max-time 2 'http://127.0.0.1:19090/api/v1/query?query=up' | grep -o '\"value\":\[[0-9.]*,\"1\"\]' | wc -l) -ge 6 ]"
ok $? "Prometheus (published on the host) sees its 6 targets up: 3 node exporters, 2 Nginx exporters, HAProxy ($(up_targets))"
sl traffic --lab $L2 start --rate 20 --seconds 30 >/dev/null
qps_of() { sl status --lab $L2 --json | jq -r ".nodes[] | select(.name == \"$1\") | .qps // 0"; }
wait_until 15 sh -c "[ \$($STACKLAB status --lab $L2 --json | jq -r '[.nodes[] | .qps // 0] | add | floor') -ge 15 ]"
ok $? "the QPS Prometheus computes adds up to the generator's 20/s (web-01 $(qps_of web-01), web-02 $(qps_of web-02))"
like "$(sl status --lab $L2)" "running, [0-9.]+ requests/s, [0-9.]+ of them 5xx \(Prometheus\)" "status shows each server's requests/s from Prometheus"
like "$(sl tui --lab $L2 --once)" "Prom [0-9.]+ req/s" "and the TUI"
sl traffic --lab $L2 stop >/dev/null
like "$(sl status --lab $L2)" "monitor +monitor +up" "the monitor node"
sl down --lab $L2 >/dev/null; ok $? "down secured"
host_back_to "$before"; ok $? "nothing of either lab is left"
done_testing
