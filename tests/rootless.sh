#!/bin/bash
# The rootless pass of `make check`: every test under tests/lab/ again, with
# every stacklab command run by an ordinary user, as students run it on a
# shared machine. The tests themselves stay root, to look at the host.
#
# It makes that user (with subordinate ids, by scripts/setup-users.sh, and a
# runtime directory, as a login would), a copy of the tree the user can read
# (a checkout under /root is not), and `stacklab` there as a command that
# runs the real one as the user. Everything goes again at the end, however
# the tests end.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "rootless pass: skipped (root makes its test user)"
	exit 0
fi
U=sl-rootless
tree=
# /run/user is systemd's; where there is none, it goes again at the end.
made_run_user=
[ -d /run/user ] || made_run_user=1
cleanup() {
	pkill -9 -u "$U" 2>/dev/null
	sleep 0.2
	[ -n "$uid" ] && rm -rf "/run/user/$uid"
	[ -n "$made_run_user" ] && rmdir /run/user 2>/dev/null
	userdel "$U" 2>/dev/null
	sed -i "/^$U:/d" /etc/subuid /etc/subgid
	[ -n "$tree" ] && rm -rf "$tree"
}
uid=
# One left by a run that was killed: start afresh.
if id "$U" >/dev/null 2>&1; then
	uid=$(id -u "$U")
	cleanup
fi
uid=
trap cleanup EXIT
trap 'exit 130' INT TERM
useradd -M -N -g nogroup -s /usr/sbin/nologin "$U" || exit 1
uid=$(id -u "$U")
USERS=$U "$TOP/scripts/setup-users.sh" >/dev/null || exit 1
install -d -m 0700 -o "$U" "/run/user/$uid"

tree=$(mktemp -d /tmp/stacklab-rootless.XXXXXX)
chmod 755 "$tree"
(cd "$TOP" && tar cf - --exclude=./.git --exclude=./build/fuzz .) | (cd "$tree" && tar xf -)
install -d -m 0700 -o "$U" "$tree/home"
mkdir -p "$tree/bin"
cat >"$tree/bin/stacklab" <<WRAPPER
#!/bin/sh
# stacklab, run as $U (tests/rootless.sh)
exec setpriv --reuid=$uid --regid=\$(id -g $U) --init-groups env HOME=$tree/home USER=$U LOGNAME=$U \\
	XDG_RUNTIME_DIR=/run/user/$uid "$tree/stacklab" "\$@"
WRAPPER
chmod -R a+rX "$tree"
chmod 755 "$tree/bin/stacklab"
chmod 0700 "$tree/home"

echo "# rootless pass: every lab test again, stacklab run by $U (uid $uid)"
# (tests/rootless.sh tests/lab/40-stack.t runs one)
[ $# -gt 0 ] || set -- tests/lab/*.t
cd "$tree" && STACKLAB_AS=$U STACKLAB_CMD=$tree/bin/stacklab prove -f --timer "$@"
