#!/bin/bash
# idle.sh — what one idle default lab costs the machine, and what each way
# of making it cheaper would cost its failovers.
#
# For each variant: the CPU of the whole lab (its daemon and every process
# in its nodes, by daemon) over IDLE s with no traffic; then, with traffic at
# RATE requests/s, the time from crashing web1 to lb1's HAProxy marking it
# DOWN, and from crashing lb1 to the first request answered through lb2
# (the VIP's takeover), both from the lab's own events.
#
#   fast              the default profile: VRRP adverts every 10 ms, HAProxy
#                     checks (HTTP GET /health) every 50 ms, DOWN after 2
#   checks 100/20     checks every 100 ms while UP, every 20 ms once one failed
#   layer-4 checks    a TCP connect instead of an HTTP request
#   adverts 20 ms     keepalived's adverts every 20 ms
#   real              stock timings (adverts every 1 s, checks every 2 s)
#
# A variant is made by rewriting the rendered configs inside lb1 and lb2 and
# reloading HAProxy (USR2) and keepalived (HUP), as a teacher could. Medians
# of RUNS (default 3). Needs root and jq. Traffic stays inside the lab and
# stops by itself.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SL="$TOP/stacklab"
. "$TOP/bench/lib.sh"
RUNS=${RUNS:-3}
RATE=${RATE:-50}
IDLE=${IDLE:-20}
LAB=bench-idle
ev=$(mktemp)
evpid=
trap 'exit 1' INT TERM PIPE
trap '[ -n "$evpid" ] && kill $evpid 2>/dev/null; rm -f "$ev"; "$SL" down --lab $LAB >/dev/null 2>&1 || true' EXIT
command -v jq >/dev/null || { echo "bench/idle.sh: needs jq" >&2; exit 1; }

hz=$(getconf CLK_TCK)

# "NODE/DAEMON TICKS" for the lab daemon and everything below it.
snapshot() {
	local d=$1
	lab_procs "$d" | while read -r p; do
			stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
			node=$(sed -n 's|^0::/.*/\([^/]*\)$|\1|p; s|^[0-9]*:pids:/.*/\([^/]*\)$|\1|p' "/proc/$p/cgroup" 2>/dev/null | head -1)
			comm=$(cat "/proc/$p/comm" 2>/dev/null)
			[ "$p" = "$d" ] && node=lab comm=daemon
			echo "$stat" | awk -v k="${node:-lab}/$comm" '{ sub(/^[0-9]+ \(.*\) /, ""); print k, $12 + $13 }'
		done | awk '{ t[$1] += $2 } END { for (k in t) print k, t[k] }' | sort
}

# Idle CPU of the lab over IDLE s: "TOTAL%  biggest daemons…"
idle_cpu() {
	local d a b
	d=$("$SL" status --lab $LAB --json | jq -r .pid)
	a=$(snapshot "$d"); sleep "$IDLE"; b=$(snapshot "$d")
	join <(echo "$a") <(echo "$b") | awk -v s="$IDLE" -v hz="$hz" '
		{ c = ($3 - $2) / hz / s * 100; tot += c; if (c >= 0.05) printf "%s %.2f\n", $1, c > "/dev/stderr" }
		END { printf "%.2f\n", tot }' 2>"$ev.parts"
}
parts() { sort -k2 -rn "$ev.parts" | head -5 | awk '{printf "%s %.1f  ", $1, $2}'; }

# since MARK, ms from the fault to the first event matching JQ
delay() {
	tail -n +"$1" "$ev" | jq -rs "(map(select(.kind == \"fault\" and .action == \"fail\")) | first | .time) as \$t0
		| (map(select(.time > \$t0 and ($2))) | first | .time) as \$t1
		| if \$t1 and \$t0 then ((\$t1 - \$t0) * 1000 | floor) else \"never\" end"
}
failovers() {
	local settle=$1 downs=() takes=() mark
	"$SL" traffic --lab $LAB start --rate "$RATE" --seconds 600 >/dev/null
	wait_holder lb1
	for _ in $(seq 1 "$RUNS"); do
		mark=$(($(wc -l <"$ev") + 1))
		"$SL" fail --lab $LAB web1 crash >/dev/null; sleep "$settle"
		downs+=("$(delay "$mark" '.kind == "backend" and .node == "lb1" and .server == "web1" and .state == "DOWN"')")
		"$SL" heal --lab $LAB web1 >/dev/null; wait_holder lb1
		mark=$(($(wc -l <"$ev") + 1))
		"$SL" fail --lab $LAB lb1 crash >/dev/null; sleep "$settle"
		takes+=("$(delay "$mark" '.kind == "traffic" and .result == "ok" and .lb == "lb2"')")
		"$SL" heal --lab $LAB lb1 >/dev/null; wait_holder lb1
	done
	"$SL" traffic --lab $LAB stop >/dev/null
	echo "$(printf '%s\n' "${downs[@]}" | median) $(printf '%s\n' "${takes[@]}" | median)"
}

in_lbs() { for lb in lb1 lb2; do "$SL" exec --lab $LAB $lb -- sh -c "$1"; done; }
haproxy_cfg() { in_lbs "sed -i '$1' /etc/haproxy/haproxy.cfg && kill -USR2 \$(pgrep -o haproxy)"; sleep 1; }
keepalived_cfg() { in_lbs "sed -i '$1' /etc/keepalived/keepalived.conf && kill -HUP \$(pgrep -o keepalived)"; sleep 1; }

up() {
	"$SL" up --lab $LAB "$@" >"$ev" 2>&1 || { cat "$ev" >&2; exit 1; }
	"$SL" events --lab $LAB --json --filter fault,traffic,backend,vip >"$ev" 2>/dev/null &
	evpid=$!
	sleep 2
}
down() { kill $evpid 2>/dev/null; evpid=; "$SL" down --lab $LAB >/dev/null; }

report() { # NAME SETTLE
	local cpu f
	cpu=$(idle_cpu)
	f=$(failovers "$2")
	printf '  %-16s %6s %%   %8s ms %10s ms   %s\n' "$1" "$cpu" "${f% *}" "${f#* }" "$(parts)"
}

printf 'idle over %s s; failovers with %s requests/s, medians of %s\n' "$IDLE" "$RATE" "$RUNS"
printf '  %-16s %8s   %11s %13s   %s\n' variant "idle CPU" "web1 DOWN" "VIP to lb2" "busiest (% of a core)"
up
report "fast" 2.5
haproxy_cfg 's/default-server inter [0-9a-z]* fastinter [0-9a-z]* downinter [0-9a-z]*/default-server inter 100ms fastinter 20ms downinter 100ms/'
report "checks 100/20" 2.5
haproxy_cfg 's/^    option httpchk .*/    # layer-4 checks: a TCP connect/'
report "layer-4 checks" 2.5
down
up
keepalived_cfg 's/advert_int 0.01/advert_int 0.02/'
report "adverts 20 ms" 2.5
down
up --timing real
report "real" 15
down
rm -f "$ev.parts"
