#!/bin/bash
# A student's walk through a lesson, as a person does it: tmux runs
# `stacklab lesson run`, send-keys answers, capture-pane reads the screen.
# The narration shows, the lesson says what it waits for and what it sees,
# the hint comes after its delay, and Enter lets the lesson do the step.
. "$(dirname "$0")/../lib/libtest.sh"
need_root
command -v tmux >/dev/null || { ok 1 "tmux is needed"; done_testing; exit; }

LAB=t-lrun
S=stacklab-lrun-$$
tmp=$(mktemp -d)
trap 'tmux kill-session -t $S 2>/dev/null; lab_cleanup $LAB; rm -rf "$tmp"' EXIT
screen() { tmux capture-pane -p -J -S -200 -t $S; }
shows() { screen | grep -Eq -- "$1"; }

# The kill-master lesson, with its hints after 2 s rather than 30.
sed 's/^hint    = 30s /hint    = 2s /' "$TOP/scenarios/lessons/kill-master.lesson" >"$tmp/kill-master.lesson"
sl up --lab $LAB >/dev/null 2>&1; ok $? "up"
tmux new-session -d -s $S -x 120 -y 40 "bash --norc --noprofile"
tmux send-keys -t $S "PS1='prompt\$ '; clear; $STACKLAB lesson run --lab $LAB $tmp/kill-master.lesson; echo LESSON-EXIT=\$?" Enter
wait_until 10 shows "Two load balancers share one virtual IP"; ok $? "the narration shows"
wait_until 20 shows "Crash lb1: select it in the TUI"; ok $? "the lesson asks the student to act"
wait_until 5 shows "waiting for: vip www on lb2 — now held by lb1"; ok $? "it says what it waits for, and what it sees now"
wait_until 5 shows "hint: Fault keys act on the selected node"; ok $? "the hint comes after its delay"
tmux send-keys -t $S Enter
wait_until 10 shows "✓ step crash: vip www on lb2"; ok $? "Enter lets the lesson do it: the VIP moved"
wait_until 15 shows "lb2 stopped hearing lb1's adverts and took the VIP in [0-9]+ ms"; ok $? "the explanation carries the measured numbers"
wait_until 20 shows "Heal lb1"; ok $? "the next step asks again"
tmux send-keys -t $S Enter
wait_until 20 shows "passed: [0-9]+ of [0-9]+ held"; ok $? "the lesson ends passed"
wait_until 5 shows "LESSON-EXIT=0"; ok $? "and exits 0"
rm -f "$(screen | sed -n 's/^journal: //p' | tail -1)"
like "$(sl status --lab $LAB --json | jq -r '.vips[0].held_by | join(" ")')" "^lb1$" "the lab is as it was (cleanup ran)"
done_testing
