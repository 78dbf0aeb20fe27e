#!/bin/bash
# A lesson walked as people walk it: tmux runs `stacklab lesson run`,
# send-keys are the student's keys, capture-pane reads the screen.
# In the TUI (80x24): the narration pane, n to go on, what the lesson waits
# for and sees now, the hint after its delay, the student's own fault key
# (measured from the moment it acted), > to let the lesson do a step, and
# the result. In --text: Enter does the step, and Ctrl-C still cleans up.
. "$(dirname "$0")/../lib/libtest.sh"
need_root
command -v tmux >/dev/null || { ok 1 "tmux is needed"; done_testing; exit; }

LAB=t-lrun
S=stacklab-lrun-$$
tmp=$(mktemp -d)
trap 'tmux kill-session -t $S 2>/dev/null; lab_cleanup $LAB; rm -rf "$tmp"' EXIT
screen() { tmux capture-pane -p -J -S -200 -t $S; }
shows() { screen | grep -Eq -- "$1"; }
as_before() {
	like "$(sl status --lab $LAB --json | jq -r '[.vips[0].held_by[], (.faults | length | tostring)] | join(" ")')" \
		"^lb1 0$" "$1"
}

# The kill-master lesson, with its hints after 2 s rather than 30.
sed 's/^hint    = 30s /hint    = 2s /' "$TOP/scenarios/lessons/kill-master.lesson" >"$tmp/kill-master.lesson"
sl up --lab $LAB >/dev/null 2>&1; ok $? "up"

# The class had traffic running: the lesson takes it over.
sl traffic --lab $LAB start --rate 5 --seconds 60 >/dev/null
tmux new-session -d -s $S -x 80 -y 24 "bash --norc --noprofile"
tmux send-keys -t $S "PS1='prompt\$ '; clear; $STACKLAB lesson run --lab $LAB $tmp/kill-master.lesson; echo LESSON-EXIT=\$?" Enter
wait_until 10 shows "lesson: Kill the master load balancer"; ok $? "TUI: the lesson pane opens under the map"
wait_until 5 shows "n or Enter: begin the lesson"; ok $? "TUI: after the steady checks it waits for the class"
shows "traffic was running: the lesson stopped it"; ok $? "TUI: traffic already running is taken over, and said"
tmux send-keys -t $S n
wait_until 10 shows "Two load balancers share one virtual IP"; ok $? "TUI: n begins; the narration shows"
wait_until 10 shows "step 1/4 baseline"; ok $? "TUI: the pane names the step"
wait_until 15 shows "n or Enter: next step"; ok $? "TUI: the step ends, the lesson waits for the class"
tmux send-keys -t $S Enter
wait_until 10 shows "Crash lb1: select it in the TUI"; ok $? "TUI: Enter goes on; the lesson asks the student to act"
wait_until 5 shows "waiting for: vip www on lb2 — now held by lb1"; ok $? "TUI: it says what it waits for, and what it sees now"
wait_until 5 shows "hint: Fault keys act on the selected node"; ok $? "TUI: the hint comes after its delay"
sleep 4 # longer than the step's 5 s: a student's time limit starts when they act
shows "✗ step crash"; ok $([ $? -ne 0 ]; echo $?) "TUI: a student who takes longer than the deadline is still waited for"
shows "\[lb1\]"; ok $? "TUI: the node selected is the one the lesson's first step acts on (lb1)"
# The wrong key: c with the client selected crashes the client.
tmux send-keys -t $S BTab BTab BTab BTab BTab
wait_until 3 shows "\[client\]"
tmux send-keys -t $S c
wait_until 5 shows "that was fail client: crash"; ok $? "TUI: a fault on the wrong node is named, with what the step asks"
sleep 6 # past the step's 5 s after the wrong crash
shows "✗ step crash"; ok $([ $? -ne 0 ]; echo $?) "TUI: a wrong fault does not start the step's clock"
tmux send-keys -t $S u
wait_until 10 shows "undone: heal client"; ok $? "TUI: u undoes it (heals the client)"
wait_until 10 sh -c "$STACKLAB status --lab $LAB --json | jq -e '.nodes[] | select(.name == \"client\" and .state == \"up\")' >/dev/null"
ok $? "TUI: the client is up again"
tmux send-keys -t $S Tab Tab Tab Tab Tab c  # lb1 is the sixth node (after client and the DNS chain): the student's own crash
wait_until 10 shows "✓ step crash: vip www on lb2"; ok $? "TUI: the student's fault key crashed lb1, the VIP moved"
ms=$(screen | sed -n 's/.*= takeover \([0-9]*\) ms.*/\1/p' | tail -1)
ok $([ -n "$ms" ] && [ "$ms" -lt 2000 ]; echo $?) "TUI: takeover is measured from the student's crash, not the step's start (${ms:-?} ms)"
tmux send-keys -t $S n
wait_until 15 shows "lb2 stopped hearing lb1's adverts and took the VIP in [0-9]+ ms"; ok $? "TUI: the explanation carries the measured numbers"
tmux send-keys -t $S n
wait_until 10 shows "Heal lb1"; ok $? "TUI: the next step asks again"
tmux send-keys -t $S '>'
wait_until 15 shows "✓ step heal: vip www on lb1"; ok $? "TUI: > lets the lesson do the step (heal lb1)"
wait_until 5 shows "n or Enter: clean up and finish"; ok $? "TUI: the last step waits before cleaning up"
tmux send-keys -t $S n
wait_until 20 shows "passed: [0-9]+ of [0-9]+ held"; ok $? "TUI: the lesson ends passed"
shows "the lesson is over \(passed\)"; ok $? "TUI: and says so, the lab still on screen"
tmux send-keys -t $S q
wait_until 5 shows "LESSON-EXIT=0"; ok $? "TUI: q leaves; exit 0"
shows "lesson Kill the master load balancer: passed"; ok $? "TUI: the result stays in the terminal"
rm -f "$(screen | sed -n 's/^journal: //p' | tail -1)"
as_before "TUI: the lab is as it was (cleanup ran)"
is "$(sl traffic --lab $LAB --json | jq -c '{running, rate, lease}')" '{"running":true,"rate":5,"lease":null}' \
	"TUI: the class's own traffic runs again after the lesson, at its rate, on no lease"

# The same lesson as text: Enter does the asked step; Ctrl-C in the middle
# of the lesson still runs its cleanup.
tmux send-keys -t $S "clear; $STACKLAB lesson run --text --lab $LAB $tmp/kill-master.lesson; echo TEXT-EXIT=\$?" Enter
wait_until 10 shows "\(Enter: begin the lesson\)"; ok $? "text: it waits to begin"
tmux send-keys -t $S Enter
wait_until 15 shows "\(Enter: next step\)"; ok $? "text: the baseline step ran"
# Its traffic lasts with the lesson, however long the teacher talks: the
# lesson renews a lease rather than trusting its --seconds.
like "$(sl traffic --lab $LAB --json | jq -c '{running, lease}')" '{"running":true,"lease":30}' \
	"text: the lesson's traffic runs on a lease the lesson renews"
tmux send-keys -t $S Enter
wait_until 10 shows "→ Crash lb1"; ok $? "text: the lesson asks"
tmux send-keys -t $S Enter
wait_until 10 shows "✓ step crash: vip www on lb2"; ok $? "text: Enter lets the lesson do it"
sl traffic --lab $LAB stop >/dev/null
wait_until 5 shows "the lesson's traffic stopped \(stopped\)"; ok $? "text: traffic stopped under the lesson is said at once"
sleep 2.5 # past the next step's window of 2 s, which its last requests still fill
tmux send-keys -t $S Enter
wait_until 10 shows "no traffic: it stopped \(stopped\)"; ok $? "text: and a wait on traffic says no traffic, not 0 of 0"
tmux send-keys -t $S C-c
wait_until 20 shows "TEXT-EXIT=1"; ok $? "text: Ctrl-C stops the lesson, exit 1"
rm -f "$(screen | sed -n 's/^journal: //p' | tail -1)"
as_before "text: the cleanup ran after Ctrl-C (lb1 healed and holds the VIP)"

# Lessons show their evidence: what they ran, and what it printed.
out=$(yes "" | head -20 | timeout 90 "$STACKLAB" lesson run --text --lab $LAB follow-request 2>&1)
like "$out" "client\\$ dig \+short www.foobar.com" "evidence: the lesson shows the command it ran"
like "$out" "  203\.0\.113\.100" "and what it printed"
like "$out" "trace of https://www.foobar.com/" "and the trace it took"
like "$out" "db +db1 " "hop by hop"
journal=$(echo "$out" | sed -n 's/^journal: //p' | tail -1)
grep -q '"kind":"evidence"' "$journal"; ok $? "the evidence is in the journal too"
rm -f "$journal"

# A measure runs from the event it names: the teacher heals, talks for 4 s,
# then goes on; "answered" is the time from the heal to the first answer,
# not the talk (it once said 4103 ms and failed its check).
tmux send-keys -t $S "clear; $STACKLAB lesson run --text --lab $LAB split-brain; echo SPLIT-EXIT=\$?" Enter
wait_until 10 shows "\(Enter: begin the lesson\)"; ok $? "split-brain: it waits to begin"
tmux send-keys -t $S Enter
wait_until 10 shows "→ Partition them"; tmux send-keys -t $S Enter
wait_until 10 shows "✓ step partition"
wait_until 10 shows "\(Enter: next step\)"; tmux send-keys -t $S Enter
wait_until 10 shows "→ Heal"; tmux send-keys -t $S Enter
wait_until 15 shows "✓ step heal"; ok $? "split-brain: the heal"
sleep 4
tmux send-keys -t $S Enter
wait_until 15 shows "answered [0-9]+ ms"; ok $? "split-brain: the next step measures"
ms=$(screen | sed -n 's/.*answered \([0-9]*\) ms.*/\1/p' | tail -1)
ok $([ -n "$ms" ] && [ "$ms" -lt 2000 ]; echo $?) "split-brain: from the heal, not from after the teacher's 4 s (${ms:-?} ms)"
wait_until 10 shows "\(Enter: clean up and finish\)"; tmux send-keys -t $S Enter
wait_until 20 shows "SPLIT-EXIT=0"; ok $? "split-brain: passed"
rm -f "$(screen | sed -n 's/^journal: //p' | tail -1)"
as_before "split-brain: the lab is as it was"
done_testing
