#!/bin/bash
# stack.sh — how fast the whole foobar.com stack comes up, and how much it
# serves through the lab compared with the same daemons without the lab.
#
#   cold up: a fresh cache (lab CA and MariaDB template made), until the first
#            HTTPS 200 with database rows (what `up` waits for)
#   warm up: the same with the cache kept
#   throughput: wrk from the client node, HTTPS, a static page and a DB page,
#            through DNS-less https://VIP with Host: www.foobar.com
#   baseline: the same daemons with the same rendered configs, all in ONE
#            network namespace on loopback (every lab address on lo): no
#            veths, no bridges, no per-node namespaces, no lab daemon.
#            Logging is on in both: the baseline's daemons write theirs
#            straight to files; the lab's go down its pipes to the lab
#            daemon, which writes each daemon's log and its events.
#            Measured in this run, the lab's runs and the baseline's
#            alternating: on a VM the same daemons serve a fifth more or
#            less from one minute to the next. Each side runs while the
#            other is frozen whole (cgroup v2 freezer), so that neither's
#            health checks and adverts take CPU from the other.
#
# Medians of RUNS (default 5). Needs root and wrk. Prints numbers; asserts
# nothing. The traffic stays inside the lab's namespaces and stops by itself.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SL="$TOP/stacklab"
. "$TOP/bench/lib.sh"
RUNS=${RUNS:-5}
DUR=${DUR:-3}
LAB=bench-stack
tmp=$(mktemp -d)
base_pid=
cg2=$(findmnt -t cgroup2 -n -o TARGET | head -1)
base_cg=${cg2:+$cg2/stacklab-bench-baseline.$$}
lab_cg=
cleanup() {
	set +e # each step, whatever the one before it did
	[ -n "$lab_cg" ] && echo 0 >"$lab_cg/cgroup.freeze" 2>/dev/null
	[ -n "$base_pid" ] && kill -9 "$base_pid" 2>/dev/null
	if [ -d "$base_cg" ]; then
		echo 0 >"$base_cg/cgroup.freeze" 2>/dev/null
		while read -r p; do kill -9 "$p" 2>/dev/null; done <"$base_cg/cgroup.procs"
		for _ in $(seq 1 50); do rmdir "$base_cg" 2>/dev/null && break; sleep 0.1; done
	fi
	"$SL" down --lab $LAB >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

command -v wrk >/dev/null || { echo "bench/stack.sh: needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench/stack.sh: needs jq" >&2; exit 1; }
[ -n "$cg2" ] || { echo "bench/stack.sh: needs cgroup v2 (to freeze one side while the other runs)" >&2; exit 1; }

up_ms() { "$SL" up --lab $LAB "$@" 2>/dev/null | sed -n 's/.* ready in \([0-9]*\) ms/\1/p'; }

# --- up, cold and warm --------------------------------------------------------
cold=(); warm=()
for i in $(seq 1 "$RUNS"); do
	cold+=("$(STACKLAB_CACHE="$tmp/cache$i" up_ms)"); "$SL" down --lab $LAB >/dev/null
	warm+=("$(up_ms)"); "$SL" down --lab $LAB >/dev/null
done

# --- throughput ------------------------------------------------------------------
# wrk_stats "CMD..." PATH: prints "req/s p50_ms p99_ms"
wrk_stats() {
	local path=$1; shift
	"$@" wrk -t2 -c16 -d"${DUR}s" --latency -H 'Host: www.foobar.com' "https://203.0.113.100$path" 2>/dev/null |
		awk '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2}
		     function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
		     END {printf "%d %.2f %.2f\n", rps, ms(p50), ms(p99)}'
}

"$SL" up --lab $LAB >/dev/null 2>&1

# The baseline runs the lab's own rendered configs.
# The nodes' files live on a tmpfs in the lab daemon's mount namespace.
daemon=$("$SL" status --lab $LAB --json | sed -n 's/^  "pid": \([0-9]*\),/\1/p')
for n in lb1 web1 app1 db1; do
	nsenter --mount --target "$daemon" cp -a /run/stacklab/$LAB/nodes/$n "$tmp/$n"
	rm -rf "$tmp/$n/root"
done
rm -rf "$tmp/db1/var/lib/mysql"
cp -a "${STACKLAB_CACHE:-/var/lib/stacklab}/mariadb/datadir" "$tmp/db1/var/lib/mysql"
chown -R 999:999 "$tmp/db1/var/lib/mysql"
# One namespace holds every daemon: HAProxy binds the VIP, not *, or it
# would clash with Nginx's port 80.
sed -i 's/bind \*:/bind 203.0.113.100:/' "$tmp/lb1/etc/haproxy/haproxy.cfg"

cat >"$tmp/baseline.sh" <<'BASE'
#!/bin/bash
# In one fresh network and pid namespace: every lab address on loopback, each
# daemon in a mount namespace of its own that shows its node's /etc and /var.
set -e
T=$1
ip link set lo up
for a in 203.0.113.100 10.0.0.21 10.0.0.31 10.0.0.41; do ip addr add $a/32 dev lo; done
echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse
run() { # run NODE SERVICE
	local n=$1 s=$2 cmd
	cmd=$(awk -v s="[$s]" '$0 == s {on=1; next} /^\[/ {on=0} on && /^command =/ {sub(/^command = /, ""); c=$0; next}
		on && /^    / {sub(/^ +/, " "); c=c $0; next} END {print c}' "$T/$n/etc/stacklab/services")
	unshare --mount bash -c "
		mount --make-rprivate /
		for x in alternatives ld.so.cache php; do [ -e $T/$n/etc/\$x ] && mount --bind /etc/\$x $T/$n/etc/\$x; done
		mount --rbind $T/$n/etc /etc; mount --bind $T/$n/var /var
		mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp; mkdir -p /run/mysqld; chown 999:999 /run/mysqld
		exec $cmd" >"$T/$s.out" 2>&1 &
}
run db1 mariadb; run app1 php-fpm; run web1 nginx; run lb1 haproxy
for i in $(seq 1 300); do
	curl -sk -o /dev/null -w '%{http_code}' -H 'Host: www.foobar.com' https://203.0.113.100/ 2>/dev/null | grep -q 200 && break
	sleep 0.05
done
echo ready
sleep infinity
BASE
chmod +x "$tmp/baseline.sh"
mkdir "$base_cg"
bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' - "$base_cg" \
	unshare --net --pid --fork --kill-child=SIGKILL --mount-proc "$tmp/baseline.sh" "$tmp" >"$tmp/base.out" 2>&1 &
base_pid=$!
disown "$base_pid" # killed at the end on purpose: no "Killed" from bash
for i in $(seq 1 200); do grep -q ready "$tmp/base.out" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$tmp/base.out" || { echo "bench/stack.sh: the loopback baseline did not come up:" >&2; cat "$tmp/base.out" >&2; exit 1; }
inner=$(pgrep -f "$tmp/baseline.sh" | tail -1)

# freeze CGROUP 1|0, and wait until it is so
freeze() {
	echo "$2" >"$1/cgroup.freeze"
	for _ in $(seq 1 100); do grep -q "^frozen $2" "$1/cgroup.events" && return; sleep 0.02; done
}
web1=$("$SL" status --lab $LAB --json | jq '.nodes[] | select(.name == "web1") | .pid')
lab_cg=$cg2$(awk -F: '$1 == "0" {print $3}' "/proc/$web1/cgroup" | sed 's|/[^/]*$||')
case "$lab_cg" in "$cg2"/*stacklab*) ;; *) echo "bench/stack.sh: the lab's cgroup not found ($lab_cg)" >&2; exit 1 ;; esac
# After a thaw both lbs' keepalived wake at once: lb1 is to hold the VIP again.
settled() {
	local i
	for i in $(seq 1 100); do
		[ "$(holders)" = lb1 ] && "$SL" request --lab $LAB >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "bench/stack.sh: the lab did not settle after its thaw" >&2
	return 1
}
lab_static=(); lab_db=(); base_static=(); base_db=()
freeze "$base_cg" 1
for i in $(seq 1 "$RUNS"); do
	lab_static+=("$(wrk_stats /static/about.html "$SL" exec --lab $LAB client --)")
	lab_db+=("$(wrk_stats / "$SL" exec --lab $LAB client --)")
	freeze "$lab_cg" 1; freeze "$base_cg" 0; sleep 1
	base_static+=("$(wrk_stats /static/about.html nsenter --net --target "$inner")")
	base_db+=("$(wrk_stats / nsenter --net --target "$inner")")
	freeze "$base_cg" 1; freeze "$lab_cg" 0; sleep 1; settled
done

col() { local k=$1; shift; printf '%s\n' "$@" | awk -v k="$k" '{print $k}' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
printf 'medians of %d runs\n' "$RUNS"
printf '  cold up until HTTPS 200 with DB rows   %6s ms\n' "$(printf '%s\n' "${cold[@]}" | median)"
printf '  warm up until HTTPS 200 with DB rows   %6s ms\n' "$(printf '%s\n' "${warm[@]}" | median)"
printf '\nwrk -t2 -c16 -d%ss, HTTPS       lab req/s  p50 ms  p99 ms   loopback req/s  p50 ms  p99 ms   ratio\n' "$DUR"
for kind in static db; do
	eval "l=(\"\${lab_$kind[@]}\"); b=(\"\${base_$kind[@]}\")"
	printf '  %-28s %9s %7s %7s   %14s %7s %7s   %5s\n' "$kind page" \
		"$(col 1 "${l[@]}")" "$(col 2 "${l[@]}")" "$(col 3 "${l[@]}")" \
		"$(col 1 "${b[@]}")" "$(col 2 "${b[@]}")" "$(col 3 "${b[@]}")" \
		"$(ratio "$(col 1 "${l[@]}")" "$(col 1 "${b[@]}")")"
done
