#!/bin/bash
# failover.sh — how long a failure hurts, read from the lab's own events.
#
# With traffic at RATE requests/s (default 100) from the client:
#   VIP takeover after lb1's link goes down, after lb1 crashes, after lb1
#   freezes: from the fault event to the first success answered by lb2, and
#   the requests that failed meanwhile (those reported within SETTLE s of the
#   fault, as timed-out requests report late); in both timing profiles;
#   the time from crashing web1 to HAProxy marking it DOWN;
#   the lab daemon's CPU, idle and with the traffic running.
# Medians of RUNS (default 5). Needs root and jq. Traffic stays inside the
# lab and stops by itself.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SL="$TOP/stacklab"
. "$TOP/bench/lib.sh"
RUNS=${RUNS:-5}
RATE=${RATE:-100}
LAB=bench-failover
ev=$(mktemp)
evpid=
trap 'exit 1' INT TERM PIPE
trap 'set +e; [ -n "$evpid" ] && kill $evpid 2>/dev/null; cp "$ev" /tmp/failover-ev.json 2>/dev/null; cp /run/stacklab/$LAB/lab.log /tmp/failover-lab.log 2>/dev/null; rm -f "$ev"; "$SL" down --lab $LAB >/dev/null 2>&1 || true' EXIT

daemon_pid() { "$SL" status --lab $LAB --json | jq -r .pid; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One trial: FAULT ARGS… ; prints "ms_to_first_lb2_success failed_requests"
trial() {
	local settle=$1 target=$2; shift 2
	local mark
	mark=$(($(wc -l <"$ev") + 1))
	"$SL" fail --lab $LAB "$target" "$@" >/dev/null
	sleep "$settle"
	tail -n +"$mark" "$ev" | jq -rs --argjson settle "$settle" '
		(map(select(.kind == "fault" and .action == "fail")) | first | .time) as $t0
		| (map(select(.kind == "traffic" and .time > $t0 and .result == "ok" and .lb == "lb2")) | first | .time) as $t1
		| [ (if $t1 and $t0 then (($t1 - $t0) * 1000 | floor) else "never" end),
		    (map(select(.kind == "traffic" and .time > $t0 and .time < $t0 + $settle and .result != "ok")) | length) ]
		| @tsv'
	"$SL" heal --lab $LAB "$target" >/dev/null
	wait_holder lb1
}

run_profile() {
	local timing=$1 settle=$2 down_settle=$3 kind
	if ! "$SL" up --lab $LAB --timing "$timing" >"$ev" 2>&1; then
		echo "bench/failover.sh: up failed:" >&2
		cat "$ev" >&2
		exit 1
	fi
	"$SL" events --lab $LAB --json --filter fault,traffic,backend,vip >"$ev" 2>/dev/null &
	evpid=$!
	local d
	d=$(daemon_pid)
	local c0 c1
	c0=$(cpu_ticks "$d"); sleep 10; c1=$(cpu_ticks "$d")
	idle=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz / 10 * 100}')
	"$SL" traffic --lab $LAB start --rate "$RATE" --seconds 900 >/dev/null
	wait_holder lb1
	c0=$(cpu_ticks "$d"); sleep 10; c1=$(cpu_ticks "$d")
	busy=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz / 10 * 100}')
	for kind in "lb1-eth0 down" "lb1 crash" "lb1 freeze"; do
		local ms=() failed=()
		for i in $(seq 1 "$RUNS"); do
			# $(…) waits for the whole trial (its heal and settling too);
			# shellcheck disable=SC2086
			read -r m f <<<"$(trial "$settle" $kind)"
			ms+=("$m"); failed+=("$f")
		done
		printf '  %-5s %-15s first 200 via lb2 %6s ms   failed requests %4s\n' "$timing" "$kind" \
			"$(printf '%s\n' "${ms[@]}" | median)" "$(printf '%s\n' "${failed[@]}" | median)"
	done
	local downs=()
	for i in $(seq 1 "$RUNS"); do
		local mark
		mark=$(($(wc -l <"$ev") + 1))
		"$SL" fail --lab $LAB web1 crash >/dev/null
		sleep "$down_settle"
		downs+=("$(tail -n +"$mark" "$ev" | jq -rs '
			(map(select(.kind == "fault" and .action == "fail")) | first | .time) as $t0
			| (map(select(.kind == "backend" and .node == "lb1" and .server == "web1" and .state == "DOWN")) | first | .time) as $t1
			| if $t1 and $t0 then (($t1 - $t0) * 1000 | floor) else "never" end')")
		"$SL" heal --lab $LAB web1 >/dev/null
		wait_holder lb1
	done
	printf '  %-5s %-15s marked DOWN after %6s ms\n' "$timing" "web1 crash" "$(printf '%s\n' "${downs[@]}" | median)"
	printf '  %-5s lab daemon CPU: idle %s %% of a core, with %d requests/s %s %%\n' "$timing" "$idle" "$RATE" "$busy"
	"$SL" traffic --lab $LAB stop >/dev/null
	kill $evpid 2>/dev/null; evpid=
	"$SL" down --lab $LAB >/dev/null
}

echo "medians of $RUNS runs, traffic at $RATE requests/s"
# settle: how long after a fault its effects are counted; the DOWN window
# is longer for stock timings (checks every 2 s, DOWN after 3 failures).
run_profile fast 2.5 2.5
run_profile real 8 20
