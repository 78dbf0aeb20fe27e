#!/bin/sh
# layers.sh — check the rule of each layer (HACKING.md) on a source tree.
#   scripts/layers.sh [TREE]     prints one line per break, FILE:LINE: what;
#                                exits 1 if there is any
# The table is the Makefile's SEES_* lines, the ones the build compiles each
# folder with, so the two cannot drift. Beyond what the include paths refuse,
# it checks what they cannot: a header of another folder reached by a
# relative path; cli/ including labd/ beyond labd.h (its way to start a
# daemon); a file outside the folders; and, if the tree is built, that
# model/'s objects never fork, exec, open a socket or enter a namespace.
set -u
tree=${1:-.}
cd "$tree" || exit 2

layers=$(sed -n 's/^SEES_\([a-z]*\) :=.*/\1/p' Makefile | tr '\n' ' ')
[ -n "$layers" ] || { echo "Makefile: no SEES_ lines"; exit 2; }
sees() { sed -n "s/^SEES_$1 := //p" Makefile; }
dir_of() { [ "$1" = tui ] && echo tui || echo "sandbox/$1"; }

awk_out=$(mktemp)
trap 'rm -f "$awk_out" "$awk_out.files" "$awk_out.breaks"' EXIT
bad=0
say() { echo "$1"; bad=1; }

# Every source file is in a layer's folder.
for f in sandbox/* ; do
	[ -d "$f" ] || { say "$f: a file outside the layers' folders"; continue; }
	l=${f#sandbox/}
	echo " $layers " | grep -q " $l " || say "$f: a folder the Makefile gives no rule (SEES_$l)"
done

for l in $layers; do
	d=$(dir_of "$l")
	[ -f "$d/README.md" ] || say "$d: no README.md saying what it holds and may see"
done

# One name, one file: build/libstacklab.a keeps members by name, and a
# header found by name must be one.
dups=$(ls sandbox/*/*.c sandbox/*/*.h tui/*.c tui/*.h 2>/dev/null | xargs -n1 basename | sort | uniq -d)
for n in $dups; do
	say "$n: more than one file has this name ($(ls sandbox/*/"$n" tui/"$n" 2>/dev/null | tr '\n' ' '))"
done

# Which folder holds each header.
for l in $layers; do
	d=$(dir_of "$l")
	for h in "$d"/*.h; do
		[ -e "$h" ] && echo "$(basename "$h") $l"
	done
done >"$awk_out"

# Every include, against the rule of the including file's layer: one awk
# over all of them (a header map first, then the files, each named with its
# layer and what that layer sees).
for l in $layers; do
	d=$(dir_of "$l")
	for f in "$d"/*.c "$d"/*.h; do
		[ -e "$f" ] && printf '%s %s %s\n' "$f" "$l" "$(sees "$l" | tr ' ' ',')"
	done
done >"$awk_out.files"
awk -v map="$awk_out" -v files="$awk_out.files" '
BEGIN {
	while ((getline line < map) > 0) { split(line, a, " "); owner[a[1]] = a[2] }
	while ((getline line < files) > 0) {
		split(line, a, " "); f = a[1]; l = a[2]; seen = "," a[3] ","
		d = f; sub("/[^/]*$", "", d)
		n = 0
		while ((getline src < f) > 0) {
			n++
			if (src ~ /^[ \t]*#[ \t]*include[ \t]*"/) {
				name = src; sub(/^[^"]*"/, "", name); sub(/".*$/, "", name)
			} else if (src ~ /^[ \t]*#[ \t]*include[ \t]*</) {
				# <...>: a system header, unless it names one of ours
				# (the include paths find <lab.h> as they find "lab.h")
				name = src; sub(/^[^<]*</, "", name); sub(/>.*$/, "", name)
				if (name !~ /^\.\.?\// && !(name in owner)) continue
			} else
				continue
			if (name ~ /\//) {
				printf "%s:%d: includes \"%s\" by a path: name the header, the build knows where it is\n", f, n, name
				continue
			}
			# labd.h is what cli sees of labd: it may bring in only
			# what cli may see itself.
			if (f ~ /\/labd\/labd\.h$/ && (owner[name] == "labd" || owner[name] == "")) {
				printf "%s:%d: labd.h is all cli sees of labd, so it may not include labd'"'"'s \"%s\"\n", f, n, name
				continue
			}
			if ((d "/" name) in here || (getline tmp < (d "/" name)) >= 0) { close(d "/" name); here[d "/" name]; continue }
			o = owner[name]
			if (o == "")
				printf "%s:%d: includes \"%s\", which no layer holds\n", f, n, name
			else if (index(seen, "," o ",") == 0) {
				shown = a[3]; gsub(",", " ", shown)
				printf "%s:%d: %s may not include \"%s\" of %s (%s sees only: %s)\n", f, n, l, name, o, l, shown
			} else if (l == "cli" && o == "labd" && name != "labd.h")
				printf "%s:%d: cli talks to a lab through proto; of labd it includes only labd.h, not \"%s\"\n", f, n, name
		}
		close(f)
	}
}' >"$awk_out.breaks"
if [ -s "$awk_out.breaks" ]; then
	cat "$awk_out.breaks"
	bad=1
fi
rm -f "$awk_out.breaks"

# model is pure: what its objects call, once built (tests/layers.t asks
# for a built tree, so make check never skips this).
if ls build/model/*.o >/dev/null 2>&1; then
	for o in build/model/*.o; do
		for s in $(nm -u "$o" | awk '{ print $2 }'); do
			case $s in
			fork|vfork|clone|clone3|execv|execve|execvp|execvpe|execl|execle|execlp|fexecve|posix_spawn|posix_spawnp|socket|socketpair|connect|bind|setns|unshare|syscall|run_argv|run_self|run_self_start|system|popen)
				say "$o: model calls $s (model is pure: no processes, sockets or namespaces)" ;;
			esac
		done
	done
fi
exit $bad
