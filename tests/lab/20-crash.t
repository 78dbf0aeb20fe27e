#!/bin/bash
# kill -9 of the lab daemon: every node dies with it, nothing stays, and the
# next up works without a manual clean.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-crash
trap 'lab_cleanup $LAB' EXIT
before=$(fresh_host $LAB)

sl up --lab $LAB >/dev/null 2>&1; ok $? "up"
pid=$(sl status --lab $LAB --json | sed -n 's/^  "pid": \([0-9]*\),/\1/p')
like "$pid" "^[0-9]+$" "daemon pid from status --json"
inits=$(sl status --lab $LAB --json | grep -c '"tier"')
is "$inits" "10" "status lists the 10 nodes"

kill -9 "$pid"
# Every node gets SIGKILL with its parent and its daemons die with its pid
# namespace; the kernel does that asynchronously. The lab's keeper then
# removes what the daemon could not: its cgroups and its files.
no_lab_process() { [ "$(ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 ~ /^(stacklab|haproxy|keepalived|nginx|mariadbd|php-fpm|unbound|nsd)/' | wc -l)" = 0 ]; }
wait_until 5 no_lab_process; ok $? "no live lab process after kill -9 of the daemon (nor its keeper)"
host_back_to "$before"; ok $? "nothing of it is left, without a down (its keeper removed it)"
out=$(sl status --lab $LAB 2>&1); like "$out" "lab $LAB is not up" "status: the lab is not up"

out=$(sl up --lab $LAB 2>&1); ok $? "the next up works"
sl exec --lab $LAB lb1 ping -c1 -W2 10.0.0.21 >/dev/null; ok $? "the new lab works"

# The keeper killed too (kill -9 of both): the next up or down cleans.
pid=$(sl status --lab $LAB --json | sed -n 's/^  "pid": \([0-9]*\),/\1/p')
keeper=$(pgrep -P "$pid" -x stacklab-keep)
like "$keeper" "^[0-9]+$" "the daemon has a keeper"
kill -9 "$keeper" "$pid"
wait_until 5 no_lab_process
out=$(sl up --lab $LAB 2>&1); ok $? "after kill -9 of the daemon and its keeper, the next up works"
like "$out" "left behind" "up says it cleaned what the killed lab left"
pid=$(sl status --lab $LAB --json | sed -n 's/^  "pid": \([0-9]*\),/\1/p')
kill -9 $(pgrep -P "$pid" -x stacklab-keep) "$pid"
wait_until 5 no_lab_process
out=$(sl down --lab $LAB 2>&1); ok $? "down after a crash cleans up"
like "$out" "was not running; removed what it left behind" "down says what it did"
host_back_to "$before"; ok $? "the host is as before"

# kill -9 while a node is frozen: frozen processes must still die (the
# keeper thaws them), and the lab's cgroups go.
sl up --lab $LAB >/dev/null 2>&1; ok $? "up again"
like "$(sl fail --lab $LAB web1 freeze)" "web1: freeze \((cgroup v[12] freezer|SIGSTOP)\)" "freeze web1 (says how)"
pid=$(sl status --lab $LAB --json | jq .pid)
kill -9 "$pid"
wait_until 5 no_lab_process; ok $? "no live lab process after kill -9 with a frozen node"
host_back_to "$before"; ok $? "the host is as before (cgroups too), without a down"
like "$(sl down --lab $LAB 2>&1)" "lab $LAB is not up" "down: nothing to do"
done_testing
