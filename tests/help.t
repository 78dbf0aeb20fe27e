#!/bin/bash
# Every option a command takes is in its --help: the options are parsed from
# a table in each cmd_*.c, and the help is written beside it, so this reads
# the table and asks the command. (heal's table is in cmd_fail.c, with
# fail's: both helps are read for it.)
. "$(dirname "$0")/lib/libtest.sh"

for f in "$TOP"/sandbox/cli/cmd_*.c; do
	cmd=$(basename "$f" .c); cmd=${cmd#cmd_}
	help=$(sl "$cmd" --help 2>&1); code=$?
	is "$code" 0 "$cmd --help exits 0"
	[ "$cmd" = fail ] && help="$help $(sl heal --help 2>&1)"
	for o in $(grep -oE '\{ "[a-z-]+", (no|required|optional)_argument' "$f" | sed 's/{ "\([a-z-]*\)".*/\1/' | sort -u); do
		[ "$o" = help ] && continue
		like "$help" "--$o\\b" "$cmd --help names --$o"
	done
done
done_testing
