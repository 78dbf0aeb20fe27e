#!/bin/bash
# A failed up rolls back whatever it made, and says what failed and where.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-fail
data=$(mktemp -d)
trap 'rm -rf "$data"; lab_cleanup $LAB' EXIT
before=$(fresh_host $LAB)

# A broken template: found while rendering, before any node exists.
cp -a "$TOP/rootfs" "$TOP/scenarios" "$data/"
printf 'listen 80;\nserver_name {{no_such_thing}};\n' >"$data/rootfs/web/etc/broken.conf"
out=$(STACKLAB_DATA="$data" sl up --lab $LAB 2>&1); ok $([ $? -eq 1 ]; echo $?) "broken template: up fails"
like "$out" "web/etc/broken.conf:2: unknown placeholder \{\{no_such_thing\}\}" "the template, line and placeholder are named"
like "$out" "did not start; nothing of it is left" "up says it rolled back"
host_back_to "$before"; ok $? "nothing is left after a failed render"

# A root that cannot be built: found inside one node while the others run.
rm "$data/rootfs/web/etc/broken.conf"
echo "not a directory" >"$data/rootfs/web/etc/alternatives"
out=$(STACKLAB_DATA="$data" sl up --lab $LAB 2>&1); ok $([ $? -eq 1 ]; echo $?) "broken root: up fails"
like "$out" "node web1: root: /etc/alternatives" "the node and the failing step are named"
host_back_to "$before"; ok $? "nothing is left after a node failed (other nodes, links, mounts)"

# A daemon that cannot start: found once the nodes run their daemons.
rm "$data/rootfs/web/etc/alternatives"
cp "$TOP/rootfs/lb/etc/haproxy/haproxy.cfg" "$data/haproxy.cfg.orig"
echo "    bogus_directive on" >>"$data/rootfs/lb/etc/haproxy/haproxy.cfg"
out=$(STACKLAB_DATA="$data" sl up --lab $LAB 2>&1); ok $([ $? -eq 1 ]; echo $?) "broken daemon config: up fails"
like "$out" "node lb[12]: haproxy exited with status 1 before it was ready" "the node and the daemon are named"
like "$out" "bogus_directive" "the daemon's own last lines are shown"
host_back_to "$before"; ok $? "nothing is left after a daemon failed (no daemon processes either)"

# A daemon whose package is missing.
cp "$data/haproxy.cfg.orig" "$data/rootfs/lb/etc/haproxy/haproxy.cfg"
sed -i 's|/usr/sbin/nsd |/usr/sbin/no-such-dnsd |' "$data/rootfs/dns/etc/stacklab/services"
out=$(STACKLAB_DATA="$data" sl up --lab $LAB 2>&1); ok $([ $? -eq 1 ]; echo $?) "missing daemon binary: up fails"
like "$out" "node (root|com|ns1): nsd: cannot run /usr/sbin/no-such-dnsd: No such file or directory \(is its Debian package installed" "the missing program is named"
host_back_to "$before"; ok $? "nothing is left after a missing daemon"

# Ctrl-C while up works — before the daemon, while the nodes start, while
# their daemons start, while the site is awaited: the lab is rolled back,
# and up says so. Each interrupt comes at a phase up names (the engine's
# test-only hold, STACKLAB_TEST_HOLD), never after a time: a faster machine
# would be up before it.
TMPOUT=$(mktemp)
trap 'rm -rf "$data" "$TMPOUT"; lab_cleanup $LAB' EXIT
# held_up PHASE: start up in the background, held at PHASE; sets up_pid.
held_up() {
	STACKLAB_TEST_HOLD=$1 "$STACKLAB" up --lab $LAB >"$TMPOUT" 2>&1 &
	up_pid=$!
	wait_until 60 grep -q "held at $1" "$TMPOUT"
}
for phase in cli prepare nodes daemons site; do
	held_up $phase; ok $? "up is held at $phase"
	kill -INT $up_pid
	wait $up_pid; ok $([ $? -ne 0 ]; echo $?) "Ctrl-C at $phase: up fails"
	out=$(cat "$TMPOUT")
	host_back_to "$before"; ok $? "Ctrl-C at $phase: nothing is left"
	unlike "$out" "is up:" "Ctrl-C at $phase: up does not claim the lab is up"
	like "$out" "interrupted; nothing of it is left" "Ctrl-C at $phase: up says it was interrupted and rolled back"
done

# down while up is still starting stops it: its daemon rolls the lab back
# (a lab waiting for its turn in a full classroom has no socket yet).
for phase in nodes daemons; do
	held_up $phase; ok $? "up is held at $phase"
	out=$(sl down --lab $LAB 2>&1); ok $? "down at $phase succeeds"
	like "$out" "is starting; stopping it" "down at $phase says it stops the starting lab"
	like "$out" "was stopped while it started; nothing of it is left" "and that nothing of it is left"
	wait $up_pid; ok $([ $? -ne 0 ]; echo $?) "the interrupted up fails"
	like "$(cat "$TMPOUT")" "did not start|was interrupted" "and says the lab did not come up"
	host_back_to "$before"; ok $? "nothing is left after down at $phase"
done

out=$(sl up --lab $LAB 2>&1); ok $? "the next up works"
sl down --lab $LAB >/dev/null; ok $? "down"
host_back_to "$before"; ok $? "the host is as before"
done_testing
