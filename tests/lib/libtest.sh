# libtest.sh — TAP helpers for the shell tests, and the checks every lab test
# shares: run stacklab, snapshot the host, compare after teardown.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The rootless pass (tests/rootless.sh) runs every command as an ordinary
# user, STACKLAB_AS, through a `stacklab` of its own; the test stays root.
STACKLAB="${STACKLAB_CMD:-$TOP/stacklab}"
if [ -n "${STACKLAB_AS:-}" ]; then
	LAB_UID=$(id -u "$STACKLAB_AS")
	RUN_DIR=/run/user/$LAB_UID/stacklab
	# as_lab_user CMD...: run CMD as the labs' owner (here, the user).
	as_lab_user() { setpriv --reuid="$LAB_UID" --regid="$(id -g "$STACKLAB_AS")" --init-groups "$@"; }
	# What a test writes for stacklab to read (a topology, a lesson), or
	# gives it to write (a pcap), is the user's: mktemp's are root's alone.
	mktemp() { local p; p=$(command mktemp "$@") && chown "$STACKLAB_AS" "$p" && chmod a+rX "$p" && echo "$p"; }
else
	RUN_DIR=/run/stacklab
	as_lab_user() { "$@"; }
fi
_n=0
_failed=0

plan() { echo "1..$1"; }
diag() { printf '# %s\n' "$@"; }
ok() { # ok STATUS DESCRIPTION: STATUS 0 passes
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _failed=$((_failed + 1)); fi
	return "$1"
}
is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "got:  '$1'" "want: '$2'"; fi
}
like() { # like GOT EXTENDED-REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else ok 1 "$3"; diag "got: '$1'" "want match: /$2/"; fi
}
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then ok 1 "$3"; diag "got: '$1'" "want no match: /$2/"; else ok 0 "$3"; fi
}
done_testing() { echo "1..$_n"; [ "$_failed" -eq 0 ]; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root (real namespaces)"; }

sl() { "$STACKLAB" "$@"; }

# A labelled picture of what the host holds that a lab could leave behind:
# network namespaces held by live processes, named ones, host links, mounts,
# live lab processes and lab files. Zombies hold nothing and are not counted.
host_snapshot() {
	echo "netns: $(lsns -t net -n -o NS 2>/dev/null | sort | tr '\n' ' ')"
	echo "mntns: $(lsns -t mnt -n -o NS 2>/dev/null | sort | tr '\n' ' ')"
	echo "named: $(ip netns list 2>/dev/null | tr '\n' ' ')"
	echo "links: $(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')"
	echo "mounts: $(grep -c . /proc/self/mounts) $(grep stacklab /proc/self/mounts | tr '\n' ' ')"
	echo "procs: $(ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 ~ /^(stacklab|haproxy|keepalived|nginx|mariadbd|php-fpm|unbound|nsd|prometheus)/ {print $2}' | sort | tr '\n' ' ')"
	echo "files: $(ls -A /run/stacklab "$RUN_DIR" 2>/dev/null | tr '\n' ' ')"
	echo "cgroups: $(ls -d /sys/fs/cgroup/stacklab-* /sys/fs/cgroup/*/stacklab-* 2>/dev/null | tr '\n' ' ')"
}

# fresh_host PATTERN...: the picture of the host a test compares its end
# with, taken after the labs the test uses (shell patterns) are taken down:
# a run killed half-way (Ctrl-C, a session that ended under it) leaves them
# behind, and the next run must not count them as the host's own.
fresh_host() {
	local entry lab p
	for entry in "$RUN_DIR"/*; do
		lab=${entry##*/}
		lab=${lab%.lock}
		for p in "$@"; do
			# shellcheck disable=SC2254
			case $lab in $p) "$STACKLAB" down --lab "$lab" >/dev/null 2>&1 ;; esac
		done
	done
	host_snapshot
}

# Wait until the host is back to `want` (teardown finishes asynchronously in
# the kernel); print what still differs.
host_back_to() {
	local want="$1" now i
	for i in $(seq 1 100); do
		now=$(host_snapshot)
		[ "$now" = "$want" ] && return 0
		sleep 0.1
	done
	# On stderr: prove shows it without -v, so a CI log says what stayed.
	diff <(echo "$want") <(echo "$now") | sed 's/^/# /' >&2
	return 1
}

# Every test that brings a lab up takes it down on exit, even when it fails.
lab_cleanup() {
	local lab
	for lab in "$@"; do "$STACKLAB" down --lab "$lab" >/dev/null 2>&1; done
}

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds or
# SECONDS of wall time have gone (however long each try takes: a request
# that times out in 10 s is tried once in a 10 s wait, not a hundred
# times); returns CMD's last status.
wait_until() {
	local end=$((${EPOCHREALTIME/./} + $1 * 1000000)) rc
	shift
	while :; do
		"$@" && return 0
		rc=$?
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return $rc
		sleep 0.1
	done
}

# How many lines of stdin are wider than $1 columns. Characters, not bytes,
# whatever the locale: perl decodes UTF-8 itself (mawk's length() counts bytes).
lines_wider_than() { perl -CS -ne 'chomp; $n++ if length($_) > '"$1"'; END { print $n + 0, "\n" }'; }

# Who holds the lab's first VIP now, space-separated.
vip_holders() { sl status --lab "$1" --json | jq -r '.vips[0].held_by | join(" ")'; }
# The last N traffic results as "result lb web" lines, taken from now on.
traffic_next() { sl events --lab "$1" --json --filter traffic --count "$2" | jq -r '"\(.result) \(.lb) \(.web)"'; }
