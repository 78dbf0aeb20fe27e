# lib.sh — what the benchmarks share. Sourced by them; they set SL (the
# stacklab command) and, where a lab is meant, LAB.

# The median of the numbers on stdin, one a line; "-" for none.
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# lab_procs PID: the lab daemon PID and every process under it (its nodes'
# inits and their daemons), a pid a line.
lab_procs() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END { for (p in parent) { q = p; while (q in parent && q != root && q > 1) q = parent[q]; if (q == root) print p }; print root }'
}

# lab_pss PID: the PSS of lab_procs PID, KiB.
lab_pss() {
	lab_procs "$1" | while read -r p; do awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null; done |
		awk '{s += $1} END {print s + 0}'
}

# Who holds the lab's first virtual IP, space-separated.
holders() { "$SL" status --lab "$LAB" --json | jq -r '.vips[0].held_by | join(" ")'; }

# wait_holder NODE: until NODE alone holds the VIP and traffic flows through it.
wait_holder() {
	local i
	for i in $(seq 1 600); do
		[ "$(holders)" = "$1" ] && "$SL" events --lab "$LAB" --json --filter traffic --count 3 |
			jq -e -s "all(.result == \"ok\" and .lb == \"$1\")" >/dev/null && return 0
		sleep 0.05
	done
	echo "bench/${0##*/}: the VIP did not settle on $1" >&2
	return 1
}
