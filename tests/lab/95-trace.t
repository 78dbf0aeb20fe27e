#!/bin/bash
# stacklab trace: one request, hop by hop, from the real daemons' logs; and
# where a failed request stopped.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-trace
trap 'lab_cleanup $LAB' EXIT
sl up --lab $LAB >/dev/null 2>&1; ok $? "up"

j=$(sl trace --lab $LAB --json); ok $? "trace"
rid=$(echo "$j" | jq -r .rid)
like "$rid" "^[0-9a-f-]{36}$" "the request has a fresh id"
is "$(echo "$j" | jq -r '[.hops[].hop] | unique_by(.) | length')" "6" "six kinds of hop"
is "$(echo "$j" | jq -r '[.hops[].hop] | join(" ")' | sed 's/\(db \)\+/db /; s/\(dns \)\+/dns /')" "dns lb web app db response" "the hops come in order: dns, lb, web, app, db, back"
is "$(echo "$j" | jq -r '[.hops[] | select(.hop == "lb" or .hop == "web" or .hop == "app" or .hop == "db") | .line | contains("rid='"$rid"'")] | all')" "true" "every lb, web, app and db line carries the request's id"
like "$(echo "$j" | jq -r '.hops[] | select(.hop == "db") | .line' | head -1)" "SELECT name, price FROM products" "the SQL statement is there"
like "$(echo "$j" | jq -r '.hops[0].line')" "reply: 203.0.113.10 www.foobar.com. A IN NOERROR" "the first DNS hop is the resolver's own line for the client's query"
is "$(echo "$j" | jq -r '.hops[] | select(.hop == "lb") | .server')" "web1" "the lb hop names the chosen server"
like "$(echo "$j" | jq -r '.hops[] | select(.hop == "web") | .link')" "lb1-eth1 → web1-eth0" "each hop names the link it crossed"
like "$(echo "$j" | jq -r '.hops[] | select(.hop == "app") | .explain')" "PHP on app1" "each hop has its explanation (scenarios/trace.ini)"
is "$(echo "$j" | jq -r '[.hops[] | has("time") and has("at_ms")] | all')" "true" "every hop has a time and an offset from the request's start"
is "$(echo "$j" | jq -r '[.hops[] | select(.hop != "db") | .at_ms] | . == sort')" "true" "the offsets grow along the path"
like "$(sl trace --lab $LAB /static/about.html)" "serves the file from its own disk" "a static file: the trace says nginx served it itself"

# The switch's view: every packet of the request, classified.
is "$(echo "$j" | jq -r '[.packets[].proto] | unique | join(" ")')" "DNS FastCGI HTTP SQL TCP TLS" "packets: DNS, TCP, TLS, HTTP, FastCGI and SQL"
like "$(echo "$j" | jq -r '.packets[] | select(.proto == "HTTP") | .what' | head -1)" "^GET / HTTP/1.1$" "packets: the lb's plain HTTP request to web1"
like "$(echo "$j" | jq -r '.packets[] | select(.proto == "SQL") | .what' | tr '\n' ' ')" "prepare: /\* rid=$rid \*/ SELECT" "packets: the SQL with the request's id, on the wire"
is "$(echo "$j" | jq -r '.packets[0].what' | cut -d' ' -f1-3)" "query A www.foobar.com" "packets: the first is the client's DNS query"
is "$(echo "$j" | jq -r '[.packets[].ms] | . == sort')" "true" "packets: in the order the switch saw them"
is "$(echo "$j" | jq -r '[.hops[] | select(.hop == "web" or .hop == "app" or .hop == "db") | .at_ms] | (.[0] < .[1] and .[1] < .[2])')" "true" "each hop has its own time (web < app < db), from the packets"
like "$(sl trace --lab $LAB --packets)" "FastCGI +BEGIN_REQUEST" "trace --packets prints the table"

# A request stuck in flight: what the packets show of it.
sl fail --lab $LAB db1 crash >/dev/null
j=$(sl trace --lab $LAB --json)
is "$(echo "$j" | jq -r .stopped_at)" "db" "db1 crashed: the trace stops at db"
is "$(echo "$j" | jq -r '[.hops[].hop] | join(" ")' | sed 's/\(dns \)\+/dns /')" "dns lb web app db" "lb, web and app were reached, then db"
like "$(echo "$j" | jq -r '.hops[] | select(.hop == "db") | .line')" "app1 sent SYN to db1:3306 [0-9]+ times? .*no answer" "the db hop: app1's connection got no answer"
like "$(echo "$j" | jq -r '.hops[] | select(.hop == "db") | .explain')" "no answer: db1 is down or cut off" "and says so"
like "$(echo "$j" | jq -r '.hops[] | select(.hop == "app") | .line')" '" 503 rows=0 time=2[0-9.]+ms' "the app gave up on the database after its 2 s connect timeout (503)"
like "$(sl request --lab $LAB --body /)" "app1 could not reach the database on db1" "the page names who could not reach whom"
sl heal --lab $LAB db1 >/dev/null

sl fail --lab $LAB web1 crash >/dev/null
wait_until 5 sh -c "$STACKLAB status --lab $LAB --json | jq -e '.nodes[] | select(.name == \"lb1\") | (.servers // [])[] | select(.server == \"web1\" and .state == \"DOWN\")' >/dev/null"
out=$(sl trace --lab $LAB); ok $([ $? -ne 0 ]; echo $?) "with web1 crashed the traced request fails"
like "$out" "→ 503 in [0-9.]+ ms, stopped at lb" "it ends at HAProxy with a 503"
like "$out" "no web server was UP" "and says why"
sl heal --lab $LAB web1 >/dev/null

sl fail --lab $LAB resolver freeze >/dev/null
# curl waits 5 s on a frozen resolver: meanwhile the lab serves the others.
frozen=$(mktemp)
sl trace --lab $LAB >"$frozen" 2>&1 &
tracer=$!
sleep 0.5
like "$(sl trace --lab $LAB 2>&1)" "another trace is under way" "a second trace is refused while one runs, and told why"
st=$(sl status --lab $LAB); kill -0 $tracer 2>/dev/null; ok $? "while the trace waits on curl, status is answered (the trace is still running)"
like "$st" "resolver .*frozen" "and it is the live state"
wait $tracer; ok $([ $? -ne 0 ]; echo $?) "with the resolver frozen the traced request fails"
out=$(cat "$frozen"); rm -f "$frozen"
# A tracer that goes away while its trace waits: the lab answers it to no
# one, and goes on.
sl trace --lab $LAB >/dev/null 2>&1 &
tracer=$!
sleep 0.5; kill -9 $tracer; wait $tracer 2>/dev/null
sleep 5.5
sl status --lab $LAB >/dev/null; ok $? "a tracer killed while its trace waited: the lab still answers once the trace is over"
like "$out" "stopped at dns" "it ends at DNS"
like "$out" "The DNS query got no answer" "and says why"
sl heal --lab $LAB resolver >/dev/null
sl down --lab $LAB >/dev/null; ok $? "down"
done_testing
