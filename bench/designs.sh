#!/bin/bash
# designs.sh — the course's four designs side by side: warm `up` of each
# topology until its site gives the client a DB-backed 200 (up waits for
# that), then `down`; medians of RUNS (default 5). The default lab,
# scale-up, is the baseline, measured in the same run. Goals: single and
# distributed under 0.5 s of the engine's own up (what `up` prints), secured
# (with Prometheus) under 1.5 s. Also each lab's memory once up (the sum of
# its processes' PSS). Needs root. Asserts nothing.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SL="$TOP/stacklab"
. "$TOP/bench/lib.sh"
RUNS=${RUNS:-5}
LAB=bench-designs
trap '"$SL" down --lab $LAB >/dev/null 2>&1 || true' EXIT

ms() { date +%s%3N; }
pss() { echo $(($(lab_pss "$1") / 1024)); } # MiB

# One run first, untimed: the CA and the database template exist after it.
"$SL" up --lab $LAB --topology single >/dev/null 2>&1 && "$SL" down --lab $LAB >/dev/null

printf 'medians of %d runs     up until a DB-backed 200 (ms)   of it, up says (ms)   down (ms)   PSS (MiB)\n' "$RUNS"
for topo in scale-up single distributed secured; do
	ups=() engine=() downs=() mem=0
	for i in $(seq 1 "$RUNS"); do
		t0=$(ms)
		out=$("$SL" up --lab $LAB --topology $topo 2>&1) || { echo "up $topo failed: $out" >&2; exit 1; }
		ups+=($(($(ms) - t0)))
		engine+=($(printf '%s\n' "$out" | sed -n 's/.*ready in \([0-9]*\) ms.*/\1/p'))
		if [ "$i" = 1 ]; then
			sleep 2 # let every daemon settle
			mem=$(pss "$("$SL" status --lab $LAB --json | jq -r .pid)")
		fi
		t0=$(ms)
		"$SL" down --lab $LAB >/dev/null
		downs+=($(($(ms) - t0)))
	done
	printf '%-22s %30s %21s %11s %11s%s\n' "$topo" "$(printf '%s\n' "${ups[@]}" | median)" \
		"$(printf '%s\n' "${engine[@]}" | median)" "$(printf '%s\n' "${downs[@]}" | median)" "$mem" \
		"$([ $topo = scale-up ] && echo '   (baseline)' || true)"
done
