#!/bin/bash
# tui.sh — what the TUI costs: its CPU over 10 s with the lab idle and with
# traffic at RATE requests/s (default 100), refreshing at its normal pace, in
# a 120x40 tmux pane. Medians of RUNS (default 3). Needs root and tmux.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SL="$TOP/stacklab"
. "$TOP/bench/lib.sh"
RUNS=${RUNS:-3}
RATE=${RATE:-100}
LAB=bench-tui
S=bench-tui-$$
trap 'tmux kill-session -t $S 2>/dev/null; "$SL" down --lab $LAB >/dev/null 2>&1 || true' EXIT
trap 'exit 1' INT TERM

cpu() { # cpu PID SECONDS: percent of one core
	local a b
	a=$(awk '{print $14 + $15}' "/proc/$1/stat"); sleep "$2"; b=$(awk '{print $14 + $15}' "/proc/$1/stat")
	awk -v t=$((b - a)) -v hz="$(getconf CLK_TCK)" -v s="$2" 'BEGIN {printf "%.1f", t / hz / s * 100}'
}

"$SL" up --lab $LAB >/dev/null 2>&1
tmux new-session -d -s $S -x 120 -y 40 "$SL tui --lab $LAB"
sleep 1
pid=$(pgrep -f "^$SL tui --lab $LAB" | head -1)
echo "TUI pid $pid: $(tr "\\0" " " < /proc/$pid/cmdline)"
idle=(); busy=()
for i in $(seq 1 "$RUNS"); do idle+=("$(cpu "$pid" 10)"); done
"$SL" traffic --lab $LAB start --rate "$RATE" --seconds 600 >/dev/null
sleep 2
for i in $(seq 1 "$RUNS"); do busy+=("$(cpu "$pid" 10)"); done
printf 'TUI CPU, medians of %d x 10 s: idle %s %% of a core, with %d requests/s %s %%\n' "$RUNS" \
	"$(printf '%s\n' "${idle[@]}" | median)" "$RATE" "$(printf '%s\n' "${busy[@]}" | median)"
