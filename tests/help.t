#!/bin/bash
# Every command's options go through one parser (sandbox/cli/options.c),
# and its --help is written from the same rows. So: every option a --help
# shows is one the command takes (asked without its value, the command says
# it needs one, rather than not knowing it), and a wrong option or value is
# named the same way by every command. No lab is needed: nothing here gets
# past the parser.
. "$(dirname "$0")/lib/libtest.sh"

cmds=$(sl --help | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
ok $([ "$(echo "$cmds" | wc -w)" -ge 19 ]; echo $?) "stacklab --help lists the commands ($(echo $cmds))"

for cmd in $cmds; do
	[ "$cmd" = help ] && continue
	help=$(sl "$cmd" --help 2>&1); code=$?
	is "$code" 0 "$cmd --help exits 0"
	like "$help" "^usage: stacklab $cmd" "$cmd --help starts with its usage"
	# Each row: "  -x, --name VALUE  what" or "      --name  what".
	while read -r letter name value; do
		[ "$letter" = '""' ] && letter=
		[ "$name" = --help ] && continue
		if [ -n "$value" ]; then
			out=$(sl "$cmd" "$name" 2>&1)
			like "$out" "stacklab $cmd: $name needs a value" "$cmd $name: taken, and needs its value"
			[ -n "$letter" ] && like "$(sl "$cmd" "$letter" 2>&1)" "stacklab $cmd: $letter needs a value" \
				"$cmd $letter: the same option"
		else
			out=$(sl "$cmd" "$name=x" 2>&1)
			like "$out" "stacklab $cmd: $name takes no value" "$cmd $name: taken, as a flag"
		fi
	done < <(printf '%s\n' "$help" | awk '
		# "  -x, --name VALUE  what", "      --name  what": a value is one
		# space after the name; the help is two or more after, or below.
		/^  -[a-zA-Z0-9], --[a-z]/ { letter = substr($1, 1, 2); rest = substr($0, 7) }
		/^      --[a-z]/ { letter = "-"; rest = substr($0, 7) }
		/^  -[a-zA-Z0-9], --[a-z]|^      --[a-z]/ {
			split(rest, w, " "); value = ""
			if (substr(rest, length(w[1]) + 1, 2) ~ /^ [^ ]/) value = w[2]
			print letter, w[1], value
		}' | sed 's/^- /"" /')
	out=$(sl "$cmd" --no-such-option 2>&1); code=$?
	is "$code" 2 "$cmd: an unknown option exits 2"
	like "$out" "^stacklab $cmd: unknown option '--no-such-option'" "$cmd: an unknown option is named"
done

# The same words for the same mistakes, whatever the command.
like "$(sl capture --cuont 5 lb1 2>&1)" "stacklab capture: unknown option '--cuont': did you mean '--count'\?" \
	"a misspelt option: the one meant is suggested"
like "$(sl traffic start --rate 0 2>&1)" "stacklab traffic: --rate takes a whole number from 1 to 1000, not '0'" \
	"a number out of range names the range"
like "$(sl logs --lines=ten web1 2>&1)" "stacklab logs: --lines takes a whole number from 1 to" "--name=value is read"
like "$(sl up --allow everyone 2>&1)" "stacklab up: --allow takes none, watch or lessons, not 'everyone'" \
	"a word option lists its words"
like "$(sl events --lab x extra 2>&1)" "stacklab events: unexpected argument 'extra'" "an argument too many is named"
like "$(sl request -- --body 2>&1)" "PATH must start with '/'" "-- ends the options: what follows is an argument"
like "$(sl trace --help --no-such-option 2>&1)" "^usage: stacklab trace" "--help wins over what follows it"
like "$(sl status --l 2>&1)" "stacklab status: --lab needs a value" "an option's unique start is the option"
done_testing
