#!/bin/bash
# A classroom on one machine: five default labs started together (bench/
# classroom.sh does thirty), each answering its own DB-backed 200 through
# its own lb, app and database; then all taken down together, and nothing
# of any of them is left.
. "$(dirname "$0")/../lib/libtest.sh"
need_root
LABS=(t-class-1 t-class-2 t-class-3 t-class-4 t-class-5)
trap 'lab_cleanup "${LABS[@]}"' EXIT
before=$(fresh_host "${LABS[@]}")

outs=$(mktemp -d)
for lab in "${LABS[@]}"; do sl up --lab "$lab" >"$outs/$lab" 2>&1 & done
failed=0
for job in $(jobs -p); do wait "$job" || failed=$((failed + 1)); done
is "$failed" "0" "five labs started together all come up"
# One lab per core starts its nodes at a time; the others say they wait.
waited=$(cat "$outs"/* | grep -c "waiting for its turn: [0-9]* other labs are starting")
if [ "$(nproc)" -lt 5 ]; then
	ok $([ "$waited" -ge 1 ]; echo $?) "with $(nproc) cores, labs waited for their turn ($waited said so)"
fi
rm -rf "$outs"
is "$(sl list | grep -c '^t-class-')" "5" "list shows the five"
for lab in "${LABS[@]}"; do
	out=$(sl request --lab "$lab" -d name="$lab" -d message=hi /guestbook 2>&1)
	like "$out" "→ (200|303) in" "$lab answers a write through its app"
done
# Each lab's database holds its own write, and only its own.
for lab in "${LABS[@]}"; do
	rows=$(sl exec --lab "$lab" db1 -- mariadb -N -S /run/mysqld/mysqld.sock foobar -e "SELECT name FROM guestbook" 2>/dev/null | grep '^t-class-' | tr '\n' ' ')
	is "$rows" "$lab " "$lab's database has its own guestbook entry and no other lab's"
done

for lab in "${LABS[@]}"; do sl down --lab "$lab" >/dev/null 2>&1 & done
wait
host_back_to "$before"; ok $? "after all five go down together: no namespace, link, mount, process, cgroup or lab file is left"
done_testing
