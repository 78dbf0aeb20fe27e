#!/bin/bash
# idle.sh — what one idle default lab costs the machine, and what each way
# of making it cheaper would cost its failovers.
#
# For each variant: the CPU of the whole lab (its daemon and every process
# in its nodes, by daemon) and of the whole machine (softirq included: the
# packets between nodes are handled there) over WINDOWS windows of IDLE s with no traffic; then,
# with traffic at RATE requests/s, the time from crashing web1 to lb1's
# HAProxy marking it DOWN, and from crashing lb1 to the first request
# answered through lb2 (the VIP's takeover), both from the lab's own events.
#
#   fast              the default profile: VRRP adverts every 10 ms to the
#                     other holder (unicast), HAProxy (one thread) checks
#                     with HTTP GET /health every 50 ms, DOWN after 2
#   multicast adverts the adverts to every node of the network (224.0.0.18)
#   layer-4 checks    a TCP connect instead of an HTTP request
#   checks 100/20     checks every 100 ms while UP, every 20 ms once one failed
#   adverts 20 ms     keepalived's adverts every 20 ms
#   calm (profile)    up --timing calm: adverts every 50 ms, checks every
#                     200 ms, 20 ms once one failed
#   real              stock timings (adverts every 1 s, checks every 2 s)
#   fast (again)      the default once more: on a VM the same lab's CPU
#                     drifts from one minute to the next, by a third here
#
# Each variant starts from a fresh default lab and differs from it in one
# thing, made by rewriting the rendered configs inside lb1 and lb2 and
# reloading HAProxy (USR2) and keepalived (HUP), as a teacher could. Medians
# of RUNS (default 3). The machine should be otherwise idle. Needs root and
# jq. Traffic stays inside the lab and stops by itself.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SL="$TOP/stacklab"
. "$TOP/bench/lib.sh"
RUNS=${RUNS:-3}
RATE=${RATE:-50}
IDLE=${IDLE:-10}
WINDOWS=${WINDOWS:-3}
SETTLE=${SETTLE:-10}
LAB=bench-idle
ev=$(mktemp)
evpid=
trap 'exit 1' INT TERM PIPE
trap 'set +e; [ -n "$evpid" ] && kill $evpid 2>/dev/null; rm -f "$ev"; "$SL" down --lab $LAB >/dev/null 2>&1 || true' EXIT
command -v jq >/dev/null || { echo "bench/idle.sh: needs jq" >&2; exit 1; }

hz=$(getconf CLK_TCK)

# "NODE/DAEMON TICKS" for the lab daemon and everything below it.
snapshot() {
	local d=$1
	lab_procs "$d" | while read -r p; do
			stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
			node=$(sed -n 's|^0::/.*/\([^/]*\)$|\1|p; s|^[0-9]*:pids:/.*/\([^/]*\)$|\1|p' "/proc/$p/cgroup" 2>/dev/null | head -1)
			comm=$(tr ' ' _ <"/proc/$p/comm" 2>/dev/null)
			[ "$p" = "$d" ] && node=lab comm=daemon
			echo "$stat" | awk -v k="${node:-lab}/$comm" '{ sub(/^[0-9]+ \(.*\) /, ""); print k, $12 + $13 }'
		done | awk '{ t[$1] += $2 } END { for (k in t) print k, t[k] }' | sort
}

# Idle CPU: "LAB% MACHINE%", medians of WINDOWS windows of IDLE s each; the
# lab's biggest daemons over the last window in $ev.parts. The machine is
# read just around each sleep, so that reading the processes is not counted.
machine() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat; }
idle_cpu() {
	local d a b m0 m1 labs=() machines=()
	d=$("$SL" status --lab $LAB --json | jq -r .pid)
	for _ in $(seq 1 "$WINDOWS"); do
		a=$(snapshot "$d"); m0=$(machine); sleep "$IDLE"; m1=$(machine); b=$(snapshot "$d")
		labs+=("$(join <(echo "$a") <(echo "$b") | awk -v s="$IDLE" -v hz="$hz" '
			{ c = ($3 - $2) / hz / s * 100; tot += c; if (c >= 0.05) printf "%s %.2f\n", $1, c > "/dev/stderr" }
			END { printf "%.2f\n", tot }' 2>"$ev.parts")")
		machines+=("$(echo "$m0 $m1" | awk -v n="$(nproc)" '{ b = $3 - $1; i = $4 - $2; printf "%.2f\n", b / (b + i) * n * 100 }')")
	done
	echo "$(printf '%s\n' "${labs[@]}" | median) $(printf '%s\n' "${machines[@]}" | median)"
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
	sleep "$SETTLE" # MariaDB and PHP-FPM finish what they do after a start
}
down() { kill $evpid 2>/dev/null; evpid=; "$SL" down --lab $LAB >/dev/null; }

report() { # NAME SETTLE
	local cpu f
	cpu=$(idle_cpu)
	f=$(failovers "$2")
	printf '  %-17s %6s %% %6s %%   %8s ms %10s ms   %s\n' "$1" "${cpu% *}" "${cpu#* }" "${f% *}" "${f#* }" "$(parts)"
}

printf 'idle: medians of %s windows of %s s; failovers with %s requests/s, medians of %s\n' "$WINDOWS" "$IDLE" "$RATE" "$RUNS"
printf '  %-17s %8s %8s   %11s %13s   %s\n' variant "lab CPU" machine "web1 DOWN" "VIP to lb2" "busiest (% of a core)"
up
report "fast" 2.5
down
up
keepalived_cfg '/^    unicast_peer {/,/^    }/d'
report "multicast adverts" 2.5
down
up
haproxy_cfg 's/^    option httpchk .*/    # layer-4 checks: a TCP connect/'
report "layer-4 checks" 2.5
down
up
haproxy_cfg 's/default-server inter [0-9a-z]* fastinter [0-9a-z]* downinter [0-9a-z]*/default-server inter 100ms fastinter 20ms downinter 100ms/'
report "checks 100/20" 2.5
down
up
keepalived_cfg 's/advert_int 0.01/advert_int 0.02/'
report "adverts 20 ms" 2.5
down
up --timing calm
report "calm (profile)" 2.5
down
up --timing real
report "real" 15
down
up
report "fast (again)" 2.5
down
rm -f "$ev.parts"
