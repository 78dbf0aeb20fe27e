#!/bin/bash
# lesson.sh — how long a whole lesson check takes: up of the lesson's own
# lab, every step with its waits and measures, cleanup, down. Medians of
# RUNS (default 5) of `stacklab lesson check kill-master`, against the
# same lab's bare up and down measured in the same run (what the lesson
# adds is the difference). Goal: under 5 s. Needs root. Asserts nothing.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SL="$TOP/stacklab"
. "$TOP/bench/lib.sh"
RUNS=${RUNS:-5}
LESSON=${LESSON:-kill-master}
trap '"$SL" down --lab bench-lesson >/dev/null 2>&1 || true' EXIT

ms() { date +%s%3N; }

check=() base=()
for i in $(seq 1 "$RUNS"); do
	t0=$(ms)
	"$SL" lesson check "$LESSON" >/dev/null || { echo "lesson $LESSON failed" >&2; exit 1; }
	check+=($(($(ms) - t0)))
	t0=$(ms)
	"$SL" up --lab bench-lesson >/dev/null 2>&1 && "$SL" down --lab bench-lesson >/dev/null
	base+=($(($(ms) - t0)))
done
c=$(printf '%s\n' "${check[@]}" | median)
b=$(printf '%s\n' "${base[@]}" | median)
printf 'medians of %d runs (ms)             lesson check   bare up+down   the lesson itself\n' "$RUNS"
printf 'lesson %-26s %12s %14s %19s\n' "$LESSON" "$c" "$b" "$((${c%.*} - ${b%.*}))"
