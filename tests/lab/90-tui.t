#!/bin/bash
# The TUI, used as a person would: tmux runs it, send-keys types,
# capture-pane reads the screen.
. "$(dirname "$0")/../lib/libtest.sh"
need_root
command -v tmux >/dev/null || skip_all "needs tmux"

LAB=t-tui
S=stacklab-tui-test-$$
trap 'tmux kill-session -t $S 2>/dev/null; lab_cleanup $LAB' EXIT
screen() { tmux capture-pane -p -t $S; }
shows() { screen | grep -Eq -- "$1"; }

sl up --lab $LAB >/dev/null 2>&1; ok $? "up"
once=$(sl tui --lab $LAB --once)
like "$once" "lab $LAB" "--once renders the title"
like "$once" "lb1 VIP" "--once shows the VIP at lb1"
is "$(echo "$once" | wc -l)" "24" "--once renders 80x24 by default"
is "$(echo "$once" | lines_wider_than 80)" "0" "no line is wider than 80"
# Nothing vanishes at any size (at 200x60 the boxes once had no room for ns1).
for size in 120x40 160x50 200x60 200x70; do
	once=$(sl tui --lab $LAB --once --size $size)
	missing=$(for n in client resolver root com ns1 lb1 lb2 web1 app1 db1; do
		grep -Eq "(■|#|◆|●|\*|@) $n( |$)" <<<"$once" || echo -n "$n "; done)
	is "$missing" "" "--once at $size: every node is on the map"
done

# A frozen lb still has the VIP's address: two holders, but no split brain.
sl fail --lab $LAB lb1 freeze >/dev/null
both() { sl tui --lab $LAB --once --size 160x50 | head -1 | grep -q "held by lb1 lb2 (lb1 frozen: it still holds the address)"; }
wait_until 10 both; ok $? "a frozen master is named as such in the title, not SPLIT BRAIN"
sl heal --lab $LAB lb1 >/dev/null
one() { sl status --lab $LAB --json | jq -e '.vips[0].held_by == ["lb1"]' >/dev/null; }
wait_until 10 one; ok $? "healed, lb1 alone holds the VIP again"

tmux new-session -d -s $S -x 120 -y 36 "bash --norc --noprofile"
tmux send-keys -t $S "PS1='prompt\$ '; clear; $STACKLAB tui --lab $LAB; echo TUI-EXITED" Enter
wait_until 5 shows "held by lb1"; ok $? "the TUI shows the VIP held by lb1"
for n in client resolver root com ns1 lb1 lb2 web1 app1 db1; do shows "$n"; ok $? "the map shows $n"; done
shows "203.0.113.11"; ok $? "the map shows lb1's address"
shows "(■|#) root 203\.0\.113\.4 "; ok $? "with room, each DNS server on a line with its address"
shows "VIP(→|->)lb1"; ok $? "the map shows where the client sends the VIP's packets (its ARP entry)"
shows "keepalived haproxy"; ok $? "with room, the map shows each node's daemons"
shows "(═|=) public 203.0.113.0/24 \(bridge [a-z-]+\): client resolver root com ns1 lb1 lb2"; ok $? "with room, the networks are drawn with their bridges and members"
shows "(■|#) node +(▶|>) link"; ok $? "with room, a legend says what the marks mean"
is "$(screen | grep -o 'up [↑^]' | wc -l)" "7" "every server is shown up (and the DNS servers, as a line each)"
wait_until 3 shows "^up [↑^]0 [↓v]0 "; ok $? "an idle client's link shows 0: VRRP adverts are not counted as user traffic"

tmux send-keys -t $S Tab Tab Tab Tab Tab   # client → resolver → root → com → ns1 → lb1
tmux send-keys -t $S c
wait_until 5 shows "held by lb2"; ok $? "c crashes lb1: the VIP moves to lb2"
wait_until 5 shows "crashed [↑^]"; ok $? "lb1 is shown crashed"
shows "fault +fail lb1 crash"; ok $? "the event log shows the fault"
shows "vrrp +lb2 MASTER"; ok $? "the event log shows lb2 becoming MASTER"
tmux send-keys -t $S h
wait_until 10 shows "held by lb1"; ok $? "h heals lb1: the VIP comes back"

tmux send-keys -t $S Enter
wait_until 5 shows "== node lb1"; ok $? "Enter inspects the selected node"
shows "haproxy +running"; ok $? "inspect: its daemons and their state"
# a page at a time until HAProxy's part shows (how far depends on the
# configs' length, which changes with them)
scrolled=1
for _ in $(seq 1 12); do
	tmux send-keys -t $S PageDown
	wait_until 1 shows "server web1 10.0.0.21:80 check|balance roundrobin|frontend https" && { scrolled=0; break; }
done
ok $scrolled "inspect: its rendered config files, scrolled to"
tmux send-keys -t $S Escape
wait_until 3 shows "held by lb1"; ok $? "Esc goes back to the map"

# A restarted HAProxy checks its servers afresh: trace once lb1 sees web1 UP.
wait_until 10 sh -c "$STACKLAB status --lab $LAB --json | jq -e '.nodes[] | select(.name == \"lb1\") | (.servers // [])[] | select(.server == \"web1\" and .state == \"UP\")' >/dev/null"
tmux send-keys -t $S r
wait_until 10 shows "hop 1/[0-9]+ +dns on resolver"; ok $? "r traces a request: the stepper shows the first hop (dns)"
steps=$(screen | grep -o 'hop 1/[0-9]*' | head -1 | cut -d/ -f2)
for i in $(seq 2 "$steps"); do tmux send-keys -t $S Right; done
wait_until 3 shows "hop $steps/$steps +response on client"; ok $? "Right walks forward to the response ($steps hops)"
tmux send-keys -t $S Left Left
wait_until 3 shows "hop $((steps - 2))/$steps +db on db1"; ok $? "Left walks back (to the SQL on db1)"
shows "rid=[0-9a-f-]+ \*/ SELECT"; ok $? "the hop shows the real log line"
shows "(●|◆) db1|[*@] db1"; ok $? "the path stays marked on the map (◆ the hop shown)"
shows "packets, as the switch saw them"; ok $? "the stepper shows the hop's packets as the switch saw them"
shows "(▶|>) +[0-9.]+ app1-eth0 +app1:[0-9]+ (→|->) db1:3306 +SQL +prepare: /\* rid="; ok $? "the db hop's packets: the SQL on the wire, marked"
tmux send-keys -t $S p
wait_until 3 shows "^== packets of request [0-9a-f-]+, as the switch saw them"; ok $? "p opens every packet of the trace on a page of its own"
tmux send-keys -t $S PageDown PageDown
wait_until 3 shows "FastCGI +web1-eth0 +web1:[0-9]+ -> app1:9000"; ok $? "PgDn: the FastCGI request among them, its columns whole"
tmux send-keys -t $S Escape
wait_until 3 shows "^hop [0-9]+/"; ok $? "Esc goes back to the stepper"
tmux send-keys -t $S Left Left Left Left Left Left Left Left ' '
wait_until 6 shows "hop [3-9]/$steps "; ok $? "Space plays the trace: the stepper walks on by itself"
tmux send-keys -t $S Escape
wait_until 3 shows "events"; ok $? "Esc leaves the stepper"

tmux send-keys -t $S t
wait_until 5 shows "traffic running"; ok $? "t starts traffic"
wait_until 10 sh -c "tmux capture-pane -p -t $S | grep -Eq '^traffic running +[1-9][0-9]* req/s'"; ok $? "the panel shows a non-zero rate"
# An outage shows in the sparkline without colour, and as an incident card.
sl fail --lab $LAB web1 crash >/dev/null
wait_until 5 shows "^last minute .*(╳|x)"; ok $? "a second with failed requests is marked in the sparkline (╳)"
sl heal --lab $LAB web1 >/dev/null
tmux send-keys -t $S I
wait_until 5 shows "fail web1: crash"; ok $? "I shows the incident cards"
wait_until 5 shows "users: [0-9]+ of [0-9]+ failed"; ok $? "with what users felt"
tmux send-keys -t $S Escape
wait_until 3 shows "^events "; ok $? "Esc goes back to the events"
shows "traffic +(timeout|http5xx|connect|error).*(×|x)[0-9]+"; ok $? "a run of failed requests is one folded line (×N)"
tmux resize-window -t $S -x 80 -y 24 2>/dev/null || tmux resize-pane -t $S -x 80 -y 24
sleep 1
is "$(screen | lines_wider_than 80)" "0" "resized to 80x24: nothing wider than the screen"
shows "held by lb1"; ok $? "resized: the title is redrawn"
wait_until 6 sh -c "tmux capture-pane -p -t $S | tail -1 | grep -Eq '\? help +q quit *$'"; ok $? "80x24: the key bar ends whole, with help and quit"
tmux send-keys -t $S '?'
wait_until 3 shows "^Legend"; ok $? "80x24: ? opens the keys and the legend"
shows "^Sparkline: requests answered each second"; ok $? "80x24: the whole help fits"
if [ "$(sl status --lab $LAB --json | jq .kernel.netem)" = true ]; then
	shows "delay its first link 200 ms"; ok $? "help offers delay and loss: this kernel has netem"
else
	! shows "delay its first link"; ok $? "help offers no delay or loss: this kernel has no netem"
fi
tmux send-keys -t $S Escape
wait_until 3 shows "^events "; ok $? "Esc closes the help"
tmux resize-window -t $S -x 200 -y 60 2>/dev/null || tmux resize-pane -t $S -x 200 -y 60
sleep 1
is "$(screen | wc -l)" "60" "resized to 200x60: the screen fills it"
shows "╭─+╮|\+-+\+"; ok $? "200x60: each node in a box of its own"
wait_until 6 shows "\\? help +q quit"; ok $? "the help bar is back once the last message is old"
tmux send-keys -t $S t
wait_until 5 shows "traffic stopped"; ok $? "t stops traffic"

sl down --lab $LAB >/dev/null
wait_until 5 shows "THE LAB WENT AWAY"; ok $? "when the lab goes away, the TUI says so"
tmux send-keys -t $S q
wait_until 5 shows "TUI-EXITED"; ok $? "q quits"
tmux send-keys -t $S "echo still-\$((40+2))" Enter
wait_until 5 shows "still-42"; ok $? "the shell works after the TUI: the terminal is restored"

# up --tui opens it straight away
tmux send-keys -t $S "$STACKLAB up --lab $LAB --tui; echo UP-TUI-EXITED" Enter
wait_until 15 shows "held by lb1"; ok $? "up --tui brings the lab up and opens the TUI"
shows "▶|> "; ok $? "the map draws the links between tiers"
tmux send-keys -t $S q
wait_until 5 shows "UP-TUI-EXITED"; ok $? "q quits it"
sl down --lab $LAB >/dev/null; ok $? "down"
done_testing
