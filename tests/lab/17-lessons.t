#!/bin/bash
# Lessons as CI runs them: every shipped lesson passes `lesson check` on a
# lab of its own; a false expectation fails with exit 1, a broken file with
# exit 2, and neither leaves anything behind.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Each check writes a journal that outlives the lab: the test's are removed.
forget_journal() { rm -f "$(printf '%s\n' "$1" | sed -n 's/^# journal: \([^ ]*\) .*/\1/p')"; }
before=$(fresh_host "lesson-*")

for f in "$TOP"/scenarios/lessons/*.lesson; do
	name=$(basename "$f" .lesson)
	out=$(sl lesson check "$name" 2>&1); code=$?
	forget_journal "$out"
	is "$code" "0" "lesson $name passes"
	[ "$code" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
	like "$out" "^1\.\.[0-9]+" "lesson $name: its output is TAP with a plan"
done
out=$(sl lesson check kill-master 2>&1)
like "$out" "# takeover [0-9]+ ms" "check shows the measured numbers"
journal=$(printf '%s\n' "$out" | sed -n 's/^# journal: \([^ ]*\) .*/\1/p')
[ -f "$journal" ]; ok $? "check writes a journal that outlives the lab ($journal)"
report=$(sl lesson report "$journal"); code=$?
is "$code" "0" "report: the run passed"
like "$report" "takeover = [0-9]+ ms" "report: the measures"
like "$report" "passed: [0-9]+ of [0-9]+ held" "report: the summary"
rm -f "$journal"
like "$(sl lesson report /dev/null 2>&1)" "not a journal file" "report refuses what is not a journal"

# A false expectation: lb2 is not the one that holds the VIP at first.
sed 's/^expect = vip www on lb1$/expect = vip www on lb2/' "$TOP/scenarios/lessons/kill-master.lesson" >"$tmp/false.lesson"
out=$(sl lesson check --slack 0.5 "$tmp/false.lesson" 2>&1); code=$?
forget_journal "$out"
is "$code" "1" "a false expectation fails with exit 1"
like "$out" "not ok 1 - before: vip www on lb2 — now held by lb1" "and says what it saw"
host_back_to "$before"; ok $? "a failed lesson leaves nothing behind"

printf '[lesson]\ntitle = t\ntopology = scale-up\n[step a]\nwait = vip www on lb9 within 1s\nsay = hi\n' >"$tmp/broken.lesson"
out=$(sl lesson check "$tmp/broken.lesson" 2>&1); code=$?
is "$code" "2" "a broken lesson file exits 2"
like "$out" "broken.lesson:5: no node 'lb9' in topology scale-up" "and names the file, line and mistake"
out=$(sl lesson lint "$tmp/broken.lesson" 2>&1); code=$?
like "$out" "broken.lesson:5: no node 'lb9'" "lint says the same"
is "$code" "2" "and exits 2 (it once freed the topology twice and died of it)"
host_back_to "$before"; ok $? "the host is as before"
# A later step's measure is probed ahead in the background: a probe that
# takes 30 s (a request to a frozen site takes its whole timeout) must not
# hold up the step before it, whose wait fails in its own 1 s.
cat >"$tmp/probe.lesson" <<'LESSON'
[lesson]
title = A measure probed ahead never holds the lesson up
topology = single
[step mark]
say = From here, a later step measures something slow.
mark = m
[step stuck]
say = This wait cannot hold, and fails in its own time.
wait = daemon server1/nginx is stopped within 1s
[step later]
say = Not reached.
measure = slow = from @m until run client: sleep 30; echo done ~ done
LESSON
marked=0 failed=0
while IFS= read -r line; do
	case $line in
	"ok 1 - step mark") marked=$EPOCHREALTIME ;;
	"not ok 2 - step stuck"*) failed=$EPOCHREALTIME ;;
	"# journal: "*) forget_journal "$line" ;;
	esac
done < <(sl lesson check "$tmp/probe.lesson" 2>&1)
gap=$(awk -v a="$marked" -v b="$failed" 'BEGIN { printf "%.1f", b - a }')
ok $([ "$marked" != 0 ] && [ "$failed" != 0 ] && awk -v g="$gap" 'BEGIN { exit !(g < 15) }'; echo $?) \
	"a 1 s wait fails in its own time while a 30 s probe of a later measure runs (it took ${gap} s)"
host_back_to "$before"; ok $? "and the probe is gone with the lab"
done_testing
