#!/bin/bash
# A failed up rolls back whatever it made, and says what failed and where.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-fail
data=$(mktemp -d)
trap 'rm -rf "$data"; lab_cleanup $LAB' EXIT
before=$(host_snapshot)

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

out=$(sl up --lab $LAB 2>&1); ok $? "the next up works"
sl down --lab $LAB >/dev/null; ok $? "down"
host_back_to "$before"; ok $? "the host is as before"
done_testing
