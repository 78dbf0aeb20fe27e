#!/bin/bash
# The layers' rules (HACKING.md) hold on this tree, and the checks would see
# a break: scripts/layers.sh names it, and the build refuses it.
. "$(dirname "$0")/lib/libtest.sh"
root=$(cd "$(dirname "$0")/.." && pwd)

out=$("$root/scripts/layers.sh" "$root" 2>&1)
ok $? "every include keeps to its layer's rule"
is "$out" "" "and layers.sh says nothing"

# A copy of the tree, broken one way at a time.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R "$root/Makefile" "$root/sandbox" "$root/tui" "$tmp/"
broken() { # broken FILE LINE: add LINE at the end of the file
	cp -R "$root/sandbox" "$root/tui" "$tmp/" && echo "$2" >>"$tmp/$1"
}

broken sandbox/model/topo.c '#include "node.h"'
out=$("$root/scripts/layers.sh" "$tmp" 2>&1)
ok $([ $? -eq 1 ]; echo $?) "model including host's node.h: layers.sh fails"
like "$out" '^sandbox/model/topo.c:[0-9]+: model may not include "node.h" of host' "and names the file, the line and the rule"
make -s -C "$tmp" build/model/topo.o >"$tmp/make.out" 2>&1
ok $([ $? -ne 0 ]; echo $?) "and the build refuses it"
like "$(cat "$tmp/make.out")" 'node.h: No such file' "because model is compiled without host's include path"

broken sandbox/cli/cmd_status.c '#include "lab.h"'
out=$("$root/scripts/layers.sh" "$tmp" 2>&1)
like "$out" '^sandbox/cli/cmd_status.c:[0-9]+: cli talks to a lab through proto' "cli including labd's lab.h is refused"

broken sandbox/cli/cmd_status.c '#include <lab.h>'
out=$("$root/scripts/layers.sh" "$tmp" 2>&1)
like "$out" '^sandbox/cli/cmd_status.c:[0-9]+: cli talks to a lab through proto' "written <lab.h>, it is refused the same"

broken sandbox/model/topo.c '#include <../host/node.h>'
out=$("$root/scripts/layers.sh" "$tmp" 2>&1)
like "$out" '^sandbox/model/topo.c:[0-9]+: includes "../host/node.h" by a path' "and <../host/node.h> by a path too"

broken sandbox/labd/labd.h '#include "lab.h"'
out=$("$root/scripts/layers.sh" "$tmp" 2>&1)
like "$out" '^sandbox/labd/labd.h:[0-9]+: labd.h is all cli sees of labd' "labd.h may not hand cli the lab's insides"

broken tui/view.c '#include "../sandbox/host/node.h"'
out=$("$root/scripts/layers.sh" "$tmp" 2>&1)
like "$out" '^tui/view.c:[0-9]+: includes "../sandbox/host/node.h" by a path' "an include by a relative path is refused"

cp -R "$root/sandbox" "$root/tui" "$tmp/"
touch "$tmp/sandbox/stray.c"
out=$("$root/scripts/layers.sh" "$tmp" 2>&1)
like "$out" '^sandbox/stray.c: a file outside' "a file outside the layers' folders is refused"
rm "$tmp/sandbox/stray.c"

cp "$tmp/sandbox/base/clock.h" "$tmp/sandbox/model/clock.h"
out=$("$root/scripts/layers.sh" "$tmp" 2>&1)
like "$out" '^clock.h: more than one file has this name' "two files of one name are refused"
rm "$tmp/sandbox/model/clock.h"

ls "$root"/build/model/*.o >/dev/null 2>&1
ok $? "the tree is built, so model's objects are read (make check builds first)"
mkdir -p "$tmp/build/model"
printf '#include <spawn.h>\nint f(void);\nint f(void) { return posix_spawnp(0, "x", 0, 0, 0, 0); }\n' >"$tmp/f.c"
cc -c -o "$tmp/build/model/f.o" "$tmp/f.c"
out=$("$root/scripts/layers.sh" "$tmp" 2>&1)
like "$out" 'model calls posix_spawnp' "a model object that starts a process is refused"

done_testing
