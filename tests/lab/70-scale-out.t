#!/bin/bash
# Two web and two app servers: HAProxy spreads the traffic, and losing one
# web server is noticed in a fraction of a second and costs (almost) nothing.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-scaleout
ev=$(mktemp)
trap 'kill $evpid 2>/dev/null; rm -f "$ev"; lab_cleanup $LAB' EXIT

out=$(sl up --lab $LAB --topology scale-out 2>&1); ok $? "up scale-out"
like "$out" "10 nodes ready" "ten nodes"
sl events --lab $LAB --json --all >"$ev" 2>/dev/null &
evpid=$!
sl traffic --lab $LAB start --rate 50 --seconds 60 >/dev/null; ok $? "traffic at 50/s"
webs=$(traffic_next $LAB 20 | awk '{print $3}' | sort -u | tr '\n' ' ')
is "$webs" "web1 web2 " "round robin spreads requests over web1 and web2"

sl fail --lab $LAB web1 crash >/dev/null; ok $? "fail web1 crash"
wait_until 5 grep -q '"kind":"backend","node":"lb1","backend":"web","server":"web1","state":"DOWN"' "$ev"
ok $? "HAProxy on lb1 marks web1 DOWN"
only_web2() { traffic_next $LAB 10 | grep -vc "^ok lb1 web2$" | grep -qx 0; }
wait_until 5 only_web2; ok $? "traffic goes on, all through web2"
# At 80x24 the lb's view of two servers is abbreviated by rule, never cut.
once=$(sl tui --lab $LAB --once)
like "$once" "web1(✗|-) web2(✓|\+)" "TUI 80x24: HAProxy's view as web1✗ web2✓ (both shown)"
unlike "$once" "web[0-9] (D|DO|DOW)$" "TUI 80x24: no state cut mid-word"
like "$(sl tui --lab $LAB --once --size 120x40)" "web1 DOWN web2 UP" "TUI 120x40: in words where they fit"
like "$(sl tui --lab $LAB --once --size 120x40)" "app: app[12]" "TUI: the map shows which app server web2 really sends requests to"
sleep 1
# "since start: N requests, M ok, timeout 1, http5xx 1": add up the errors
errors=$(sl traffic --lab $LAB | sed -n 's/^since start: [0-9]* requests, [0-9]* ok//p' | grep -o '[0-9]\+' | awk '{s += $1} END {print s + 0}')
ok $([ "$errors" -le 2 ]; echo $?) "losing web1 cost at most 2 requests (it cost $errors)"
sl heal --lab $LAB web1 >/dev/null; ok $? "heal web1"
wait_until 5 grep -q '"server":"web1","state":"UP"' "$ev"; ok $? "web1 is UP again"

# drain: the load balancers send web2 nothing new (the drain-deploy lesson does the rest)
sl fail --lab $LAB web2 drain >/dev/null; ok $? "fail web2 drain"
wait_until 5 grep -q '"server":"web2","state":"DRAIN"' "$ev"; ok $? "HAProxy says web2 is draining (event)"
wait_until 5 sh -c "! $STACKLAB events --lab $LAB --json --filter traffic --count 10 | grep -q '\"web\":\"web2\"'"; ok $? "no new request goes to web2"
sl heal --lab $LAB web2 >/dev/null; ok $? "heal web2: ready again"
wait_until 5 grep -q '"server":"web2","state":"UP"' "$ev"; ok $? "web2 is UP again"
like "$(sl fail --lab $LAB lb1 drain 2>&1)" "lb1 is not a web server" "only a web server can be drained"
sl traffic --lab $LAB stop >/dev/null
kill $evpid 2>/dev/null
sl down --lab $LAB >/dev/null; ok $? "down"
done_testing
