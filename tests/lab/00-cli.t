#!/bin/bash
# Bad input: clear messages, non-zero exits, and nothing made.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; lab_cleanup t-cli' EXIT
before=$(fresh_host t-cli)

out=$(sl 2>&1); ok $([ $? -eq 2 ]; echo $?) "no command: exit 2"
like "$out" "usage: stacklab COMMAND" "no command: usage"
out=$(sl frobnicate 2>&1); ok $([ $? -eq 2 ]; echo $?) "unknown command: exit 2"
like "$out" "unknown command 'frobnicate'" "unknown command: named"
out=$(sl up --frob 2>&1); ok $([ $? -eq 2 ]; echo $?) "unknown option: exit 2"
like "$out" "stacklab up: unknown option '--frob'" "unknown option: named"
for c in up down status exec list request logs help; do
	out=$(sl $c --help 2>&1); ok $? "$c --help exits 0"
	like "$out" "usage: stacklab" "$c --help shows usage"
done

out=$(sl up --topology nosuch --lab t-cli 2>&1); ok $([ $? -eq 2 ]; echo $?) "unknown topology: exit 2"
like "$out" "no topology 'nosuch'" "unknown topology: named"

cat >"$tmp/bad.lab" <<'LAB'
[network public]
subnet = 203.0.113.0/24
[node web1]
role = webserver
eth0 = public 203.0.113.300
LAB
out=$(sl up --topology "$tmp/bad.lab" --lab t-cli 2>&1); ok $([ $? -eq 2 ]; echo $?) "malformed topology: exit 2"
like "$out" "bad.lab:4: unknown role 'webserver'" "malformed topology: file, line and what"
like "$out" "bad.lab:5: '203.0.113.300' is not an IPv4 address" "malformed topology: every error"

out=$(sl up --lab t-cli --timing warp 2>&1); ok $([ $? -eq 2 ]; echo $?) "unknown timing profile: exit 2"
like "$out" "unknown timing profile 'warp' \(known: fast, calm, real" "unknown timing profile: named"
out=$(sl request --lab t-cli nopath 2>&1); ok $([ $? -eq 2 ]; echo $?) "request with a bad path: exit 2"
out=$(sl logs --lab t-cli 2>&1); ok $([ $? -eq 2 ]; echo $?) "logs without a node: exit 2"
out=$(sl up --lab 'Bad Name' 2>&1); ok $([ $? -eq 2 ]; echo $?) "bad lab name: exit 2"
out=$(sl status --lab t-cli 2>&1); ok $([ $? -eq 1 ]; echo $?) "status of a lab that is not up: exit 1"
like "$out" "lab t-cli is not up" "status: says the lab is not up"
out=$(sl down --lab t-cli 2>&1); ok $([ $? -eq 1 ]; echo $?) "down of a lab that is not up: exit 1"
like "$out" "lab t-cli is not up" "down: says the lab is not up"
out=$(sl exec --lab t-cli web1 true 2>&1); ok $([ $? -eq 1 ]; echo $?) "exec in a lab that is not up: exit 1"
# Options after the arguments, as in every command (allow watch --lab X
# once took --lab for an allow word).
for args in "allow watch" "fail web1 crash" "set lb1 balance first" "logs web1" "status"; do
	like "$(sl $args --lab t-cli 2>&1)" "lab t-cli is not up" "$args --lab X: the option after the arguments is taken"
done

# (a copy the other user can reach: the checkout may be under /root)
bin=$(command mktemp -d) && cp "$TOP/stacklab" "$bin/" && chmod 755 "$bin" "$bin/stacklab"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/stacklab" up --lab t-cli 2>&1)
ok $([ $? -eq 1 ]; echo $?) "not root, no subordinate ids: exit 1"
like "$out" "user nobody has no range of 65536 subordinate ids.*sudo make setup-users" "not root, no subordinate ids: says so, and how to get them"
rm -rf "$bin"

host_back_to "$before"; ok $? "bad input made nothing on the host"
done_testing
