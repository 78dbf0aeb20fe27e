# bash completion for stacklab: commands, their options, lab names, node
# and link names (from the lab itself), fault kinds and lesson names.
# Installed by `make install`; or: source scripts/stacklab.bash

_stacklab_labs() { local d; for d in /run/stacklab/*/; do [ -d "$d" ] && basename "$d"; done 2>/dev/null; }

# A command's options as its --help shows them (written from the rows its
# parser reads, so this list cannot drift from what it takes): "NAME 1" for
# one that takes a value, "NAME 0" for a flag; short letters as well.
_stacklab_options()
{
	stacklab "$1" --help 2>/dev/null | awk '
		/^  -[a-zA-Z0-9], --[a-z]/ { letter = substr($1, 1, 2); rest = substr($0, 7) }
		/^      --[a-z]/ { letter = ""; rest = substr($0, 7) }
		/^  -[a-zA-Z0-9], --[a-z]|^      --[a-z]/ {
			split(rest, w, " "); v = substr(rest, length(w[1]) + 1, 2) ~ /^ [^ ]/ ? 1 : 0
			print w[1], v; if (letter != "") print letter, v
		}'
}

_stacklab()
{
	local cur prev cmd lab i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="up down status exec request trace incidents logs tui events traffic fail heal set capture dns lesson challenge list allow help"
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	for ((i = 2; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--lab|-l) lab=${COMP_WORDS[i+1]} ;;
		--lab=*) lab=${COMP_WORDS[i]#--lab=} ;;
		esac
	done
	case $prev in
	--lab|-l) COMPREPLY=($(compgen -W "$(_stacklab_labs)" -- "$cur")); return ;;
	--topology|-t) COMPREPLY=($(compgen -W "scale-up scale-out single distributed secured" -- "$cur") $(compgen -f -X '!*.lab' -- "$cur")); return ;;
	--timing|-T) COMPREPLY=($(compgen -W "fast calm real" -- "$cur")); return ;;
	--allow|-a) COMPREPLY=($(compgen -W "none watch lessons" -- "$cur")); return ;;
	esac
	local opts valued
	opts=$(_stacklab_options "$cmd" | awk '$1 ~ /^--/ { print $1 }')
	valued=" $(_stacklab_options "$cmd" | awk '$2 == 1 { printf "%s ", $1 }')"
	case $cmd in
	traffic) opts="$opts start stop renew" ;;
	lesson) opts="$opts list lint check run report" ;;
	challenge) opts="$opts list start check hint give-up stop lint test variant" ;;
	allow) opts="$opts none watch lessons" ;;
	help) opts="$commands" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	# The words that are not options so far, after the command.
	local words=() w
	for ((i = 2; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $valued == *" $w "* ]]; then
			((i++))
		elif [[ $w != -* ]]; then
			words+=("$w")
		fi
	done
	local nodes
	nodes() { stacklab status ${lab:+--lab "$lab"} --nodes 2>/dev/null; }
	case $cmd in
	fail)
		if [ ${#words[@]} -eq 0 ]; then
			COMPREPLY=($(compgen -W "partition $(nodes)" -- "$cur"))
		elif [ "${words[0]}" = partition ]; then
			COMPREPLY=($(compgen -W "$(nodes)" -- "$cur"))
		elif [ ${#words[@]} -eq 1 ]; then
			COMPREPLY=($(compgen -W "$(stacklab fail --list 2>/dev/null | grep -vx partition)" -- "$cur"))
		fi ;;
	heal|exec|logs)
		[ ${#words[@]} -eq 0 ] && COMPREPLY=($(compgen -W "$(nodes)" -- "$cur")) ;;
	lesson)
		if [ ${#words[@]} -eq 0 ]; then
			COMPREPLY=($(compgen -W "list lint check run report" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(stacklab lesson list 2>/dev/null | awk 'NR > 1 {print $1}')" -- "$cur") $(compgen -f -X '!*.lesson' -- "$cur"))
		fi ;;
	challenge)
		if [ ${#words[@]} -eq 0 ]; then
			COMPREPLY=($(compgen -W "list start check hint give-up stop lint test variant" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(stacklab challenge list 2>/dev/null | awk 'NR > 1 {print $1}')" -- "$cur") $(compgen -f -X '!*.challenge' -- "$cur"))
		fi ;;
	traffic)
		[ ${#words[@]} -eq 0 ] && COMPREPLY=($(compgen -W "start stop renew" -- "$cur")) ;;
	set)
		if [ ${#words[@]} -eq 0 ]; then
			COMPREPLY=($(compgen -W "$(nodes)" -- "$cur"))
		elif [ ${#words[@]} -eq 1 ]; then
			COMPREPLY=($(compgen -W "balance www ttl" -- "$cur"))
		elif [ "${words[1]}" = balance ]; then
			COMPREPLY=($(compgen -W "roundrobin leastconn source first static-rr uri" -- "$cur"))
		fi ;;
	dns)
		[ ${#words[@]} -eq 0 ] && COMPREPLY=($(compgen -W "cache flush" -- "$cur")) ;;
	capture)
		[ ${#words[@]} -eq 0 ] && COMPREPLY=($(compgen -W "$(nodes | tr ' ' '\n' | grep -- -)" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -W "$opts" -- "$cur")) ;;
	esac
}
complete -F _stacklab stacklab
