#!/bin/bash
# setup-users.sh — the one root step a shared machine needs so that every
# user may run labs of their own without root (sudo make setup-users):
#   - the Debian packages the lab needs (scripts/deps.sh), uidmap among them
#     (newuidmap and newgidmap, setuid, as rootless Podman uses);
#   - a range of 65536 subordinate uids and gids for each user who has none
#     (/etc/subuid, /etc/subgid): the ids of the daemons in their labs;
#   - where AppArmor forbids user namespaces to ordinary users (Ubuntu 24.04:
#     kernel.apparmor_restrict_unprivileged_userns=1), stacklab installed
#     (make install) and a profile that lets that program make them, and
#     nothing else.
# Idempotent: run it again after adding users. USERS="alice bob" limits it to
# those users; by default every user from UID_MIN to UID_MAX (login.defs).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-users: run as root: sudo make setup-users" >&2
	exit 1
fi
scripts/deps.sh

IDS=65536
defs() { awk -v k="$1" '$1 == k {print $2}' /etc/login.defs 2>/dev/null | tail -1; }
uid_min=$(defs UID_MIN); uid_min=${uid_min:-1000}
uid_max=$(defs UID_MAX); uid_max=${uid_max:-60000}
if [ -n "${USERS:-}" ]; then
	read -r -a users <<<"$USERS"
	for u in "${users[@]}"; do
		getent passwd "$u" >/dev/null || { echo "setup-users: no user '$u'" >&2; exit 1; }
	done
else
	mapfile -t users < <(getent passwd | awk -F: -v lo="$uid_min" -v hi="$uid_max" '$3 >= lo && $3 <= hi {print $1}')
fi

touch /etc/subuid /etc/subgid
# Has user $1 a range of at least $IDS ids in file $2?
has_range() { awk -F: -v u="$1" -v n="$IDS" '$1 == u && $3 >= n {found = 1} END {exit !found}' "$2"; }
# The first id after every range given so far, in both files, from 100000 up
# (where useradd starts), so no two users, nor a user and root's labs
# (which avoid every range given here), share an id.
next_free() { cat /etc/subuid /etc/subgid | awk -F: 'BEGIN {n = 100000} $2 + $3 > n {n = $2 + $3} END {print n}'; }
# Is [$1, $1+IDS) mapped by a running process's user namespace (a lab of
# root's, a container)?
in_use() {
	cat /proc/[0-9]*/uid_map /proc/[0-9]*/gid_map 2>/dev/null |
		awk -v lo="$1" -v n="$IDS" '$2 != 0 && $2 < lo + n && $2 + $3 > lo {found = 1} END {exit !found}'
}

given=0
for u in "${users[@]}"; do
	if has_range "$u" /etc/subuid && has_range "$u" /etc/subgid; then
		continue
	fi
	from=$(next_free)
	while in_use "$from"; do from=$((from + IDS)); done
	to=$((from + IDS - 1))
	has_range "$u" /etc/subuid || usermod --add-subuids "$from-$to" "$u"
	has_range "$u" /etc/subgid || usermod --add-subgids "$from-$to" "$u"
	echo "setup-users: $u: subordinate ids $from-$to"
	given=$((given + 1))
done
echo "setup-users: ${#users[@]} users, $given given a range of subordinate ids now"

# The kernel's own switches: say which forbids what; they are the machine
# owner's choice, not changed here.
if [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)" = 0 ]; then
	echo "setup-users: warning: user.max_user_namespaces is 0: no user may make a user namespace" \
		"(sysctl -w user.max_user_namespaces=15000 allows them)" >&2
fi
if [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 0 ]; then
	echo "setup-users: warning: kernel.unprivileged_userns_clone is 0: ordinary users may not make" \
		"user namespaces (sysctl -w kernel.unprivileged_userns_clone=1 allows them)" >&2
fi
if [ "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null || echo 0)" = 1 ] &&
	command -v apparmor_parser >/dev/null; then
	# Only the installed program, which is root's: a user's own build may
	# not make user namespaces there, or any program could.
	# Plainly: this lifts Ubuntu's restriction for whatever runs as that
	# program, and a user can make it run other code (LD_PRELOAD, ptrace
	# of their own stacklab, aa-exec -p stacklab-0). On such a machine
	# every user can make user namespaces, as on Debian or Ubuntu before
	# 24.04; the restriction guards against kernel bugs reached through
	# them, and this script gives that up for the users it sets up.
	make install PREFIX="${PREFIX:-/usr/local}" >/dev/null
	profile=/etc/apparmor.d/stacklab
	bins=("${PREFIX:-/usr/local}/bin/stacklab")
	{
		echo "# stacklab (scripts/setup-users.sh): its labs run in user namespaces of their users."
		echo "abi <abi/4.0>,"
		echo "include <tunables/global>"
		for i in "${!bins[@]}"; do
			printf 'profile stacklab-%d %s flags=(unconfined) {\n  userns,\n}\n' "$i" "${bins[$i]}"
		done
	} >"$profile"
	apparmor_parser -r "$profile"
	echo "setup-users: AppArmor lets ${bins[*]} make user namespaces ($profile): users run that one"
	echo "setup-users: note: a user can run other code as that program (LD_PRELOAD, ptrace): this gives" \
		"every user user namespaces again, as before Ubuntu 24.04 restricted them" >&2
fi
