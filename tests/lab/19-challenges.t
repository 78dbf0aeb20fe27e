#!/bin/bash
# Challenges as a student and CI take them: every shipped challenge passes
# `challenge test` (each break fails the grade, its solve passes it); a
# student starts one, checks it (not yet, in words that do not give the
# break away), gives up, fixes it with what give-up showed, checks again
# (passed), and stops; the journal holds each of those; variants differ by
# user and are reproducible; bad input is named and leaves nothing.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

tmp=$(mktemp -d)
L=ch-lb-503
trap 'rm -rf "$tmp"; sl challenge stop --lab $L >/dev/null 2>&1; lab_cleanup $L; lab_cleanup ch-t-failing' EXIT
before=$(fresh_host "ch-*" "cht-*")

for f in "$TOP"/scenarios/challenges/*.challenge; do
	name=$(basename "$f" .challenge)
	out=$(sl challenge test "$name" 2>&1); code=$?
	is "$code" 0 "challenge $name: every break fails the grade, and its solve passes it"
	[ "$code" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
	like "$out" "^1\.\.[0-9]+" "challenge $name: its output is TAP with a plan"
	like "$out" "^ok [0-9]+ - .*broken, the grade fails" "challenge $name: the grade was run broken, and failed"
done

# A student: start, check, hint, give up, fix, check, stop.
out=$(sl challenge start lb-503 2>&1); code=$?
is "$code" 0 "start: the lab is up and broken"
like "$out" "503 Service Unavailable" "start: tells the symptom"
unlike "$out" "wrong-port|check-path|sed |haproxy.cfg" "start: says nothing of the cause"
journal=$(printf '%s\n' "$out" | sed -n 's/^What you do is recorded in \(.*\)\.$/\1/p')
[ -f "$journal" ]; ok $? "start: the journal is there ($journal)"
lines_before=$(($(wc -l <"$journal") - 1))
like "$(sl challenge start lb-503 2>&1)" "started on lab $L already" "a second start on the same lab is refused"
out=$(sl challenge check 2>&1); code=$?
is "$code" 1 "check, broken: exit 1 (not yet)"
like "$out" "✗ request / -> 200 — now 503" "check: what fails, as the lab shows it"
like "$out" "not yet: [0-9] of 4 hold" "check: how much holds"
unlike "$out" "wrong-port|check-path|port=|path=" "check: never names the break"
like "$(sl challenge hint 2>&1)" "the next hint comes in" "hint: not before its time"
out=$(sl challenge give-up 2>&1)
like "$out" "how to fix it:" "give-up: shows the solution"
# Fix it as give-up says, in the nodes, as a student would type it.
printf '%s\n' "$out" | sed -n '/^how to fix it:/,/^$/p' | sed -n 's/^  \([a-z0-9-]*\): \(.*\)$/\1\t\2/p' >"$tmp/fix"
[ -s "$tmp/fix" ]; ok $? "give-up: the fix is lines of NODE: COMMAND"
while IFS=$'\t' read -r node command; do
	sl exec --lab $L "$node" -- sh -c "$command" </dev/null
done <"$tmp/fix"
out=$(sl challenge check 2>&1); code=$?
is "$code" 0 "check, fixed: exit 0"
like "$out" "passed: 4 of 4 hold" "check: passed"
kinds=$(tail -n +"$((lines_before + 1))" "$journal" | jq -r .kind | tr '\n' ' ')
like "$kinds" "^start check give-up pass $" "the journal: start, check, give-up, pass ($kinds)"
like "$(tail -1 "$journal" | jq -r '"\(.user) \(.challenge) \(.variant) \(.seed)"')" "^[a-z0-9-]+ lb-503 (wrong-port port|check-path path)=[a-z0-9]+ [0-9]+$" \
	"a journal line names the user, the challenge, the variant and its seed"
out=$(sl challenge stop 2>&1)
like "$out" "lab $L is down" "stop: the lab is down"
like "$(sl challenge check 2>&1)" "no challenge is started" "after stop: nothing to check"
# The test's own lines go again: a student's journal is theirs.
head -n "$lines_before" "$journal" >"$tmp/j" && cat "$tmp/j" >"$journal"
[ -s "$journal" ] || rm -f "$journal"

# Variants: by user, the same every time, reproducible by seed.
a=$(sl challenge variant lb-503 --user alice); b=$(sl challenge variant lb-503 --user alice)
is "$a" "$b" "a user's variant is the same every time"
seed=$(printf '%s\n' "$a" | cut -f2); variant=$(printf '%s\n' "$a" | cut -f3)
is "$(sl challenge variant lb-503 --seed "$seed" | cut -f3)" "$variant" "--seed gives a student's variant back"
n=$(for u in $(seq -f 'student%02g' 1 20); do sl challenge variant lb-503 --user "$u" | cut -f3; done | sort -u | wc -l)
ok $([ "$n" -ge 4 ]; echo $?) "20 students get $n different variants"

# Bad input.
out=$(sl challenge start nosuch 2>&1); code=$?
is "$code" 2 "an unknown challenge: exit 2"
like "$out" "no challenge 'nosuch'" "an unknown challenge is named"
cat >"$tmp/t-failing.challenge" <<'CH'
[challenge]
title = A break that fails
topology = single
symptom = none
[break broken]
run = server1: false
solve = server1: true
[break other]
run = server1: false
solve = server1: true
[grade]
expect = request / -> 200
CH
out=$(sl challenge start --lab ch-t-failing "$tmp/t-failing.challenge" 2>&1); code=$?
is "$code" 1 "a break that fails: exit 1"
like "$out" "t-failing.challenge:[0-9]+: server1: false failed" "a break that fails: its file, line and command"
out=$(sl status --lab ch-t-failing 2>&1); code=$?
is "$code" 1 "a break that fails: its lab is down again"
like "$out" "lab ch-t-failing is not up" "a break that fails: status says so"
printf '[challenge]\ntitle = x\ntopology = scale-up\nsymptom = y\n[break a]\nrun = lb9: true\nsolve = lb1: true\n[grade]\nexpect = vip www on lb1\n' >"$tmp/bad.challenge"
out=$(sl challenge lint "$tmp/bad.challenge" 2>&1); code=$?
is "$code" 2 "lint of a bad file: exit 2"
like "$out" "bad.challenge:6: no node 'lb9' in topology scale-up" "lint: file, line and what"

host_back_to "$before"; ok $? "challenges left nothing on the host"
done_testing
