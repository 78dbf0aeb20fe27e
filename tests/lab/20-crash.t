#!/bin/bash
# kill -9 of the lab daemon: every node dies with it, nothing stays, and the
# next up works without a manual clean.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-crash
trap 'lab_cleanup $LAB' EXIT
before=$(host_snapshot)

sl up --lab $LAB >/dev/null 2>&1; ok $? "up"
pid=$(sl status --lab $LAB --json | sed -n 's/^  "pid": \([0-9]*\),/\1/p')
like "$pid" "^[0-9]+$" "daemon pid from status --json"
inits=$(sl status --lab $LAB --json | grep -c '"tier"')
is "$inits" "10" "status lists the 10 nodes"

kill -9 "$pid"
# Every node gets SIGKILL with its parent and its daemons die with its pid
# namespace; the kernel does that asynchronously. Files under the run directory
# stay until the next up or down.
no_lab_process() { [ "$(ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 ~ /^(stacklab|haproxy|keepalived|nginx|mariadbd|php-fpm|unbound|nsd)/' | wc -l)" = 0 ]; }
wait_until 5 no_lab_process; ok $? "no live lab process after kill -9 of the daemon"
out=$(sl status --lab $LAB 2>&1); like "$out" "lab $LAB is not up" "status: the lab is not up"

out=$(sl up --lab $LAB 2>&1); ok $? "the next up works"
like "$out" "left behind" "up says it cleaned what the killed lab left"
sl exec --lab $LAB lb1 ping -c1 -W2 10.0.0.21 >/dev/null; ok $? "the new lab works"

pid=$(sl status --lab $LAB --json | sed -n 's/^  "pid": \([0-9]*\),/\1/p')
kill -9 "$pid"
wait_until 5 no_lab_process
out=$(sl down --lab $LAB 2>&1); ok $? "down after a crash cleans up"
like "$out" "was not running; removed what it left behind" "down says what it did"
host_back_to "$before"; ok $? "the host is as before"

# kill -9 while a node is frozen: frozen processes must still die, and the
# lab's cgroups go with the next down.
sl up --lab $LAB >/dev/null 2>&1; ok $? "up again"
like "$(sl fail --lab $LAB web1 freeze)" "web1: freeze \((cgroup v[12] freezer|SIGSTOP)\)" "freeze web1 (says how)"
pid=$(sl status --lab $LAB --json | jq .pid)
kill -9 "$pid"
wait_until 5 no_lab_process; ok $? "no live lab process after kill -9 with a frozen node"
sl down --lab $LAB >/dev/null 2>&1; ok $? "down cleans up"
host_back_to "$before"; ok $? "the host is as before (cgroups too)"
done_testing
