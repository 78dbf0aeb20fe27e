#!/bin/bash
# Failures on purpose, with bounded traffic running: the VIP moves, traffic
# recovers, single points of failure show, heals undo. Every claim is read
# from the lab's own event stream and status.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-faults
ev=$(mktemp)
trap 'kill $evpid 2>/dev/null; rm -f "$ev"; lab_cleanup $LAB' EXIT
before=$(fresh_host $LAB)

sl up --lab $LAB >/dev/null 2>&1; ok $? "up"
sl events --lab $LAB --json --all >"$ev" 2>/dev/null &
evpid=$!
is "$(vip_holders $LAB)" "lb1" "lb1 holds the VIP"
out=$(sl traffic --lab $LAB start --rate 20 --seconds 300); ok $? "traffic starts (20/s, stops by itself within 300 s)"
ok_via() { traffic_next $LAB 5 | grep -vc "^ok $1 " | grep -qx 0; } # the next 5 results are ok through lb $1
wait_until 5 ok_via lb1; ok $? "traffic flows through lb1"
# `events` is the lab's events: a result per request only when asked for.
out=$(timeout 1 "$STACKLAB" events --lab $LAB)
unlike "$out" " traffic +ok " "events: no traffic results by default (they would bury a state change)"
out=$(timeout 1 "$STACKLAB" events --lab $LAB --traffic)
like "$out" " traffic +ok +200 " "events --traffic: the results too"

# link down on the master
sl status --lab $LAB >/dev/null # its links just read: the next status must not reuse them
sl fail --lab $LAB lb1-eth0 down >/dev/null; ok $? "fail lb1-eth0 down"
is "$(sl status --lab $LAB --json | jq -r '.links[] | select(.link == "lb1-eth0") | .up')" "false" \
	"status says the link is down at once"
wait_until 5 sh -c "[ \"\$($STACKLAB status --lab $LAB --json | jq -r '.vips[0].held_by | join(\" \")')\" = lb2 ]"; ok $? "the VIP moves to lb2"
grep -q '"kind":"vrrp","node":"lb2".*"state":"MASTER"' "$ev"; ok $? "the VRRP change is in the events"
wait_until 5 ok_via lb2; ok $? "traffic recovers through lb2"
sl heal --lab $LAB lb1-eth0 >/dev/null; ok $? "heal the link"
is "$(sl status --lab $LAB --json | jq -r '.links[] | select(.link == "lb1-eth0") | .up')" "true" "and up at once after the heal"
wait_until 5 sh -c "[ \"\$($STACKLAB status --lab $LAB --json | jq -r '.vips[0].held_by | join(\" \")')\" = lb1 ]"; ok $? "the VIP settles back on lb1 (higher priority)"

# crash, then freeze, the master
for f in crash freeze; do
	sl fail --lab $LAB lb1 $f >/dev/null; ok $? "fail lb1 $f"
	is "$(sl status --lab $LAB --json | jq -r '.nodes[] | select(.name == "lb1") | .state')" "$([ $f = crash ] && echo crashed || echo frozen)" "lb1 is shown $f"
	# Where the host has a cgroup v2 freezer, the kernel holds the node.
	events=$(ls /sys/fs/cgroup/stacklab-$LAB/lb1/cgroup.events /sys/fs/cgroup/unified/stacklab-$LAB/lb1/cgroup.events 2>/dev/null | head -1)
	if [ $f = freeze ] && [ -n "$events" ]; then
		wait_until 2 grep -q "^frozen 1" "$events"; ok $? "the kernel's cgroup v2 freezer holds lb1"
	fi
	wait_until 5 ok_via lb2; ok $? "$f lb1: traffic recovers through lb2"
	sl heal --lab $LAB lb1 >/dev/null; ok $? "heal lb1 ($f)"
	wait_until 5 ok_via lb1; ok $? "after healing the $f, lb1 serves again"
done
grep -q '"kind":"daemon","node":"lb1","daemon":"haproxy","state":"exited"' "$ev"; ok $? "the crash killed lb1's haproxy (daemon event)"

# Each fault and heal is an incident card: what followed, measured from the
# lab's own events, and what users felt.
inc=$(sl incidents --lab $LAB --json)
card() { echo "$inc" | jq -c "[.[] | select(.what == \"$1\")] | last"; }
crash=$(card "fail lb1: crash")
like "$crash" '"what":"fail lb1: crash"' "incidents: the crash has a card"
ms=$(echo "$crash" | jq '[.followed[] | select(.what == "lb2 MASTER") | .ms] | first')
ok $(awk -v m="$ms" 'BEGIN {exit !(m != "null" && m >= 0 && m < 1000)}'; echo $?) "incidents: lb2 MASTER followed the crash, its delay measured (${ms} ms)"
like "$(echo "$crash" | jq -c '.followed[].what' | tr '\n' ' ')" '"lb1 crashed".*"vip www held by lb2"' "incidents: the node's end and the VIP's move are on the card, in order"
failed=$(echo "$crash" | jq '.users.failed'); total=$(echo "$crash" | jq '.users.ok + .users.failed')
ok $([ "$total" -gt 0 ] && [ "$failed" -le 20 ]; echo $?) "incidents: users' requests counted ($failed of $total failed)"
heal=$(card "heal lb1: crash")
like "$(echo "$heal" | jq -c '.followed[].what' | tr '\n' ' ')" '"lb1 up".*"lb1 MASTER"' "incidents: the heal's card shows lb1 back and MASTER again"
ok $([ "$(echo "$heal" | jq '.users.failed')" -le 5 ]; echo $?) "incidents: the heal cost users at most a few requests ($(echo "$heal" | jq '.users.failed'); its ARP is retried after 100 ms, not 1 s)"
grep '"kind":"incident"' "$ev" | grep -q '"what":"fail lb1: crash"'; ok $? "incidents are in the event stream"
like "$(sl incidents --lab $LAB)" "fail lb1: crash" "stacklab incidents prints the cards"
like "$(sl incidents --lab $LAB)" "users: [0-9]+ of [0-9]+ requests failed, longest gap between answers [0-9]+ ms" "with what users felt"

# A frozen client sends nothing: the traffic generator (started in it from
# outside) is in the node's cgroup too, and so is an exec shell.
sl fail --lab $LAB client freeze >/dev/null; ok $? "fail client freeze"
sleep 0.3
n0=$(grep -c '"kind":"traffic"' "$ev")
sleep 1
n1=$(grep -c '"kind":"traffic"' "$ev")
is "$((n1 - n0))" "0" "a frozen client sends no request (the generator is frozen with it)"
sl heal --lab $LAB client >/dev/null; ok $? "heal client"
wait_until 5 ok_via lb1; ok $? "the client sends again once thawed"

# web1 is a single point of failure here
sl fail --lab $LAB web1 crash >/dev/null; ok $? "fail web1 crash"
failing() { traffic_next $LAB 5 | grep -c "^ok " | grep -qx 0; }
wait_until 5 failing; ok $? "with web1 down every request fails: a single point of failure"
wait_until 5 grep -q '"kind":"backend","node":"lb1","backend":"web","server":"web1","state":"DOWN"' "$ev"; ok $? "HAProxy marks web1 DOWN (event)"
# A total outage's card: the gap so far, still failing (not "0 ms").
sleep 1
card=$(sl incidents --lab $LAB --json | jq -c '.[-1]')
ok $(echo "$card" | jq -e '.users.still_failing and .users.longest_gap_ms >= 1000' >/dev/null; echo $?) 	"an outage's card counts its gap so far, still failing ($(echo "$card" | jq -c .users))"
like "$(sl incidents --lab $LAB | tail -1)" "longest gap between answers [1-9][0-9]{3,} ms, still failing" "incidents says so"
sl heal --lab $LAB web1 >/dev/null; ok $? "heal web1"
wait_until 10 ok_via lb1; ok $? "traffic recovers"
# The heal's card holds the whole outage, from the last answer before it.
card=$(sl incidents --lab $LAB --json | jq -c '.[-1]')
gap=$(echo "$card" | jq '.users.longest_gap_ms')
ok $(awk -v g="$gap" 'BEGIN {exit !(g >= 1000)}'; echo $?) "the heal's card counts one outage, from before the heal ($gap ms)"
ok $(echo "$card" | jq -e '.users.still_failing | not' >/dev/null; echo $?) "and it is over"

# one daemon
sl fail --lab $LAB web1 stop nginx >/dev/null; ok $? "fail web1 stop nginx"
wait_until 5 grep -q '"kind":"daemon","node":"web1","daemon":"nginx","state":"exited"' "$ev"; ok $? "nginx exits (event)"
sl heal --lab $LAB web1 >/dev/null; ok $? "heal web1 (nginx starts again)"
wait_until 10 ok_via lb1; ok $? "traffic recovers after nginx restarts"

# A node whose init was killed from outside: heal starts it again whole.
kill -9 "$(sl status --lab $LAB --json | jq '.nodes[] | select(.name == "web1") | .pid')"
wait_until 5 sh -c "$STACKLAB status --lab $LAB --json | jq -e '.nodes[] | select(.name == \"web1\" and .state == \"down\")' >/dev/null"; ok $? "web1's init killed: web1 is down"
out=$(sl fail --lab $LAB web1 crash 2>&1); like "$out" "node web1 is down: heal it first" "a dead node takes no fault, and says what to do"
sl heal --lab $LAB web1 >/dev/null; ok $? "heal web1 after its init died"
wait_until 10 sh -c "$STACKLAB status --lab $LAB --json | jq -e '.nodes[] | select(.name == \"web1\" and .state == \"up\")' >/dev/null"; ok $? "web1 is up again"
wait_until 10 ok_via lb1; ok $? "traffic flows through the new web1"
sl exec --lab $LAB client curl -4sk -o /dev/null -H "X-Request-ID: after-respawn" https://www.foobar.com/static/about.html
wait_until 3 grep -q "rid=after-respawn" $RUN_DIR/$LAB/logs/web1/nginx.log; ok $? "the new web1's Nginx logs reach the lab (fresh pipes for a new init)"

# split brain
sl fail --lab $LAB partition lb1 lb2 >/dev/null; ok $? "fail partition lb1 lb2"
wait_until 5 sh -c "[ \"\$($STACKLAB status --lab $LAB --json | jq -r '.vips[0].held_by | length')\" = 2 ]"; ok $? "both lbs claim the VIP: split brain"
grep -q '"kind":"vip".*"holders":\["lb1","lb2"\]' "$ev"; ok $? "the split brain is in the events"
sl heal --lab $LAB --all >/dev/null; ok $? "heal --all"
wait_until 5 sh -c "[ \"\$($STACKLAB status --lab $LAB --json | jq -r '.vips[0].held_by | join(\" \")')\" = lb1 ]"; ok $? "one holder again"
# The client must send the VIP's packets to lb1 again at once: lb1 heard
# lb2's lower-priority adverts and announced the VIP (gratuitous ARP).
codes=$(sl exec --lab $LAB client -- sh -c 'for i in $(seq 20); do curl -sk -o /dev/null -m 1 -w "%{http_code} " --resolve www.foobar.com:443:203.0.113.100 https://www.foobar.com/; done')
is "$(echo $codes | tr ' ' '\n' | sort | uniq -c | awk '{print $1 "x" $2}')" "20x200" "after the split brain heals, 20 requests all answer 200 within 1 s each"
like "$(sl status --lab $LAB --json | jq -r '.vips[0].neighbours[] | select(.node == "client") | .points_to')" "^lb1$" \
	"status: the client's neighbour entry for the VIP is lb1's MAC"
like "$(sl status --lab $LAB)" "client sends 203.0.113.100 to [0-9a-f:]{17} \(lb1, [A-Z]+\)" "status says so in words"

# a bandwidth cap (tbf) applies and heals
sl fail --lab $LAB db1 rate 512 >/dev/null; ok $? "fail db1 rate 512 kbit/s"
like "$(sl status --lab $LAB --json | jq -r '.faults[0].what')" "rate 512 kbit/s" "status lists the fault"
sl heal --lab $LAB db1 >/dev/null; ok $? "heal db1"

# delay needs the kernel's netem qdisc
if unshare -n sh -c 'ip link set lo up && tc qdisc add dev lo root netem delay 1ms' 2>/dev/null; then
	base=$(sl traffic --lab $LAB | sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p')
	sl fail --lab $LAB db1 delay 200 >/dev/null; ok $? "fail db1 delay 200"
	sleep 11
	slow=$(sl traffic --lab $LAB | sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p')
	ok $(awk -v a="$base" -v b="$slow" 'BEGIN {exit !(b - a > 150)}'; echo $?) "latency rises by about 200 ms ($base → $slow ms)"
	sl heal --lab $LAB db1 >/dev/null
else
	out=$(sl fail --lab $LAB db1 delay 200 2>&1); ok $([ $? -eq 1 ]; echo $?) "delay on a kernel without netem fails"
	like "$out" "this kernel has no netem qdisc" "and says the kernel lacks netem"
fi

# the command line: JSON, colour, did you mean
is "$(sl list --json | jq -r ".[] | select(.lab == \"$LAB\") | .nodes")" "10" "list --json"
like "$(sl request --lab $LAB --json / | jq -c '{status, lb, ms: (.ms | type)}')" '"status":200,"lb":"lb[12]","ms":"number"' "request --json"
like "$(sl traffic --lab $LAB --json | jq -c '{running, rate}')" '"running":true,"rate":20' "traffic --json"
unlike "$(sl events --lab $LAB --json --traffic --count 3)" '"ms":[0-9]+\.[0-9]{16}' "JSON numbers are rounded (no 5.9020000000000001)"
if command -v script >/dev/null; then
	like "$(script -qc "$STACKLAB status --lab $LAB" /dev/null)" $'\e\\[32mup\e\\[0m' "status on a terminal colours the states"
	unlike "$(NO_COLOR=1 script -qc "$STACKLAB status --lab $LAB" /dev/null)" $'\e\\[' "NO_COLOR turns colour off"
fi
unlike "$(sl status --lab $LAB)" $'\e\\[' "status into a pipe has no colour"
follow=$(mktemp)
timeout 4 "$STACKLAB" logs --lab $LAB -n 1 -f web1 nginx >"$follow" 2>/dev/null &
sleep 0.5
rid=$(sl request --lab $LAB --json / | jq -r .request_id)
wait_until 3 grep -q "rid=$rid" "$follow"; ok $? "logs -f prints the new line of a request as it comes"
rm -f "$follow"
complete_words() { PATH="$(dirname "$STACKLAB"):$PATH" bash -c 'source "$1"/scripts/stacklab.bash; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _stacklab; echo "${COMPREPLY[*]}"' _ "$TOP" "$@"; }
is "$(complete_words stacklab inc)" "incidents" "completion: commands"
is "$(complete_words stacklab fail --lab $LAB l)" "lb1 lb2 lb1-eth0 lb1-eth1 lb2-eth0 lb2-eth1" "completion: the lab's nodes and links"
is "$(complete_words stacklab set --lab $LAB ns1 "")" "balance www ttl" "completion: what set changes"
is "$(complete_words stacklab dns "")" "cache flush" "completion: dns's two"
is "$(complete_words stacklab capture --lab $LAB lb1)" "lb1-eth0 lb1-eth1" "completion: capture takes a link"
is "$(complete_words stacklab fail --lab $LAB lb1 fr)" "freeze" "completion: fault kinds"
is "$(complete_words stacklab fail --lab $LAB lb1 fi)" "firewall" "completion: the faults are the command's own list (firewall too)"
is "$(complete_words stacklab lesson check kill)" "kill-master" "completion: lesson names"
is "$(complete_words stacklab traffic --le)" "--lease" "completion: a command's options are read from its own --help"
out=$(sl stauts 2>&1); like "$out" "did you mean 'status'" "a mistyped command: did you mean"
out=$(sl fail --lab $LAB lb3 crash 2>&1); like "$out" "did you mean 'lb1'" "a mistyped node: did you mean"

# bad requests
out=$(sl fail --lab $LAB nosuch crash 2>&1); ok $([ $? -eq 1 ]; echo $?) "fault on an unknown node fails"
like "$out" "no node or link 'nosuch'" "and names it"
out=$(sl fail --lab $LAB lb1 explode 2>&1); like "$out" "unknown fault 'explode' \(known: crash" "unknown fault kind"
out=$(sl fail --lab $LAB lb1-eth0 delay 99999 2>&1); like "$out" "delay takes milliseconds from 1 to 10000" "value out of range"
out=$(sl fail --lab $LAB web1 stop sshd 2>&1); like "$out" "node web1 has no daemon 'sshd' \(it runs: nginx\)" "unknown daemon"
out=$(sl heal --lab $LAB lb2 2>&1); ok $([ $? -eq 1 ]; echo $?) "healing what is healthy fails"
like "$out" "lb2 is healthy: nothing to heal" "and says so"
sl fail --lab $LAB app1 crash >/dev/null
out=$(sl fail --lab $LAB app1 freeze 2>&1); like "$out" "node app1 is crashed: heal it first" "a fault on a node that is down"
sl heal --lab $LAB app1 >/dev/null
out=$(sl fail --lab $LAB lb1 down 2>&1); like "$out" "node lb1 has 2 links: name one" "a link fault on a node with two links"
n=$(sl incidents --lab $LAB --json | jq length)
sl fail --lab $LAB nosuch crash >/dev/null 2>&1
is "$(sl incidents --lab $LAB --json | jq length)" "$n" "a refused fault makes no incident card"

out=$(sl traffic --lab $LAB stop); ok $? "traffic stops"
like "$out" "since start: [0-9]+ requests" "the summary counts the requests"

# A lease: traffic that lasts as long as what renews it (a lesson), and
# stops by itself when nothing does.
like "$(sl traffic --lab $LAB start --rate 5 --seconds 600 --lease 2)" "and 2 s after its last renewal" "traffic start --lease 2"
sleep 1.2; sl traffic --lab $LAB renew >/dev/null; ok $? "renew"
sleep 1.2; sl traffic --lab $LAB renew >/dev/null
sleep 1.2
is "$(sl traffic --lab $LAB --json | jq -c '{running, lease}')" '{"running":true,"lease":2}' "renewed, it runs past its lease"
stopped() { [ "$(sl traffic --lab $LAB --json | jq .running)" = false ]; }
wait_until 5 stopped; ok $? "not renewed, it stops by itself"
like "$(sl traffic --lab $LAB)" "traffic stopped \(its lease ran out" "and says why"
like "$(sl traffic --lab $LAB renew 2>&1)" "no traffic is running: its lease ran out" "a renewal after that says so"
kill $evpid 2>/dev/null
sl down --lab $LAB >/dev/null; ok $? "down"
host_back_to "$before"; ok $? "the host is as before"
done_testing
