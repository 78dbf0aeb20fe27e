#!/bin/bash
# classroom.sh — a class's worth of labs on one machine: LABS default labs
# (default 30) started together, as thirty students would on a shared
# server.
#
#   start: from the first `up` to the last one returning, each having seen
#          its site answer a DB-backed HTTPS 200 (what `up` waits for);
#          then each lab's own `request` is checked for a 200 from the app
#   idle:  the whole machine's CPU over IDLE s (default 20) with every lab
#          up and no traffic, in % of one core (the machine is otherwise idle)
#   memory: the PSS of every lab's processes (daemons, inits, lab daemons)
#   down:  all of them taken down together; then nothing may be left (no
#          lab file, process, cgroup, mount or network namespace)
#
# TIMING=calm: every lab in that timing profile (default: fast, as `up`).
#
# USERS=1: the labs of LABS users, one each, as students run them without
# root on a shared server. The users (sl-class-N) are made for the run,
# with subordinate ids (scripts/setup-users.sh) and a runtime directory,
# and removed after; every lab has the same name, PREFIX (names are per
# user). Their caches start as a copy of root's /var/lib/stacklab when there
# is one (else each user's first up makes its own CA and database
# template). The tree must be readable by them.
#
# Needs root. Prints numbers; exits non-zero if a lab failed or something
# was left behind. Every request stays inside its own lab.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SL="$TOP/stacklab"
. "$TOP/bench/lib.sh"
LABS=${LABS:-30}
IDLE=${IDLE:-20}
TIMING=${TIMING:-fast}
PREFIX=${PREFIX:-class}
USERS=${USERS:-}
tmp=$(mktemp -d)
chmod 755 "$tmp"
names=() users=()
for i in $(seq -w 1 "$LABS"); do
	if [ -n "$USERS" ]; then names+=("$PREFIX"); users+=("sl-class-$i"); else names+=("$PREFIX-$i"); users+=(root); fi
done
# sl K ARGS: stacklab as the K-th lab's owner.
sl() {
	local k=$1 u uid
	shift
	u=${users[$k]}
	if [ "$u" = root ]; then "$SL" "$@"; return; fi
	uid=$(id -u "$u")
	setpriv --reuid="$uid" --regid="$(id -g "$u")" --init-groups env HOME="$tmp/home-$u" USER="$u" \
		XDG_RUNTIME_DIR="/run/user/$uid" "$SL" "$@"
}
cleanup() {
	set +e # each step, whatever the one before it did (pkill finds no one)
	for k in "${!names[@]}"; do sl "$k" down --lab "${names[$k]}" >/dev/null 2>&1 & done
	wait
	for u in "${users[@]}"; do
		[ "$u" = root ] && continue
		uid=$(id -u "$u" 2>/dev/null) || continue
		pkill -9 -u "$u" 2>/dev/null
		rm -rf "/run/user/$uid"
		userdel "$u" 2>/dev/null
		sed -i "/^$u:/d" /etc/subuid /etc/subgid
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ms() { date +%s%3N; }
# What a lab may leave behind, for these labs only.
leftovers() {
	ls -d /run/stacklab/"$PREFIX"-* /sys/fs/cgroup/stacklab-"$PREFIX"-* /sys/fs/cgroup/*/stacklab-"$PREFIX"-* 2>/dev/null
	[ -n "$USERS" ] && ls -d /run/user/*/stacklab/"$PREFIX" 2>/dev/null
	grep "stacklab.*$PREFIX" /proc/self/mounts
	pgrep -f "stacklab.*--lab $PREFIX" | grep -v "^$$\$"
	lsns -t net -n -o NS,COMMAND 2>/dev/null | grep "stacklab" | grep "$PREFIX"
}
[ -z "$(leftovers)" ] || { echo "bench/classroom.sh: labs named $PREFIX* are already up; take them down first" >&2; exit 1; }
before_net=$(lsns -t net -n -o NS 2>/dev/null | sort)

if [ -n "$USERS" ]; then
	for u in "${users[@]}"; do
		if id "$u" >/dev/null 2>&1; then echo "bench/classroom.sh: user $u exists already" >&2; users=(); exit 1; fi
		useradd -M -N -g nogroup -s /usr/sbin/nologin "$u" || exit 1
		install -d -m 0700 -o "$u" "/run/user/$(id -u "$u")" "$tmp/home-$u"
		if [ -d /var/lib/stacklab ]; then
			mkdir -p "$tmp/home-$u/.cache" && cp -a /var/lib/stacklab "$tmp/home-$u/.cache/stacklab"
			chown -R "$u" "$tmp/home-$u/.cache"
		fi
	done
	USERS="${users[*]}" "$TOP/scripts/setup-users.sh" >/dev/null || exit 1
	USERS=1
fi

t0=$(ms)
for k in "${!names[@]}"; do
	sl "$k" up --lab "${names[$k]}" --timing "$TIMING" >"$tmp/$k.up" 2>&1 &
done
failed=0
for job in $(jobs -p); do wait "$job" || failed=$((failed + 1)); done
t1=$(ms)
ready=0
for k in "${!names[@]}"; do
	n=${names[$k]}
	out=$(sl "$k" request --lab "$n" 2>/dev/null)
	if grep -q '→ 200 in' <<<"$out" && grep -Eq 'database +[0-9]+ rows' <<<"$out"; then
		ready=$((ready + 1))
	else
		echo "bench/classroom.sh: lab $n (${users[$k]}) did not answer a DB-backed 200: $(grep -m1 'stacklab: node\|did not' "$tmp/$k.up")" >&2
	fi
done
slowest=$(cat "$tmp"/*.up | sed -n 's/.* ready in \([0-9]*\) ms/\1/p' | sort -n | tail -1)

cpu() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat; }
read -r b0 i0 <<<"$(cpu)"
sleep "$IDLE"
read -r b1 i1 <<<"$(cpu)"
idle=$(awk -v b=$((b1 - b0)) -v i=$((i1 - i0)) -v n="$(nproc)" 'BEGIN {printf "%.1f", b / (b + i) * n * 100}')

pss=0
for k in "${!names[@]}"; do
	d=$(sl "$k" status --lab "${names[$k]}" --json 2>/dev/null | sed -n 's/^  "pid": \([0-9]*\),/\1/p')
	[ -n "$d" ] || continue
	pss=$((pss + $(lab_pss "$d")))
done

t2=$(ms)
for k in "${!names[@]}"; do sl "$k" down --lab "${names[$k]}" >"$tmp/$k.down" 2>&1 & done
wait
t3=$(ms)
slowest_down=$(cat "$tmp"/*.down | sed -n 's/.* is down (\([0-9]*\) ms)/\1/p' | sort -n | tail -1)
left=""
for _ in $(seq 1 50); do
	left=$(leftovers)
	[ -z "$left" ] && [ "$(lsns -t net -n -o NS 2>/dev/null | sort)" = "$before_net" ] && break
	sleep 0.1
done
[ "$(lsns -t net -n -o NS 2>/dev/null | sort)" = "$before_net" ] || left="$left network namespaces"

printf '%d labs%s, timing %s, on %s (%d cores, %s)\n' "$LABS" "${USERS:+ of $LABS users, without root}" "$TIMING" "$(hostname)" "$(nproc)" \
	"$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
printf '  started together, all up             %6d ms  (slowest lab: %s ms by its own count; %d failed)\n' \
	$((t1 - t0)) "${slowest:--}" "$failed"
printf '  answering a DB-backed 200            %6d of %d\n' "$ready" "$LABS"
printf '  idle CPU of the machine, all up      %6s %% of a core (%s s)\n' "$idle" "$IDLE"
printf '  PSS of all labs                      %6d MiB  (%d MiB a lab)\n' $((pss / 1024)) $((pss / 1024 / LABS))
printf '  taken down together                  %6d ms  (slowest lab: %s ms by its own count)\n' $((t3 - t2)) "${slowest_down:--}"
if [ -n "$left" ]; then
	printf '  left behind:\n%s\n' "$left"
	exit 1
fi
printf '  left behind                          nothing\n'
[ "$ready" -eq "$LABS" ]
