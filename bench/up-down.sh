#!/bin/bash
# up-down.sh — how fast a lab comes up and goes away.
#
# The engine alone: medians of RUNS (default 5) of `stacklab up` until every
# node is ready and of `stacklab down` until all is gone, for generated
# topologies of 7 and 50 nodes shaped like scale-up's networks but of the
# client role, which runs no daemon (bench/stack.sh measures the whole stack
# with its daemons); the cost per extra node from the two; and, as a baseline
# measured in the same run, the same namespaces, veths and bridges made with
# plain `ip` batches. Needs root. Not a test: it asserts nothing.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SL="$TOP/stacklab"
. "$TOP/bench/lib.sh"
RUNS=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$SL" down --lab bench >/dev/null 2>&1 || true' EXIT

gen() { # gen N: N daemon-less nodes; two of them on both networks, like the LBs
	local n=$1 i
	printf '[lab]\nname = gen%d\n[network public]\nsubnet = 203.0.113.0/24\n[network private]\nsubnet = 10.0.0.0/24\n' "$n"
	printf '[node c1]\nrole = client\neth0 = public 203.0.113.10\neth1 = private 10.0.0.10\n'
	printf '[node c2]\nrole = client\neth0 = public 203.0.113.11\neth1 = private 10.0.0.11\n'
	for i in $(seq 3 "$n"); do
		printf '[node c%d]\nrole = client\neth0 = private 10.0.0.%d\n' "$i" $((100 + i))
	done
}

ms() { date +%s%3N; }

measure() { # measure TOPOLOGY: prints "up_median down_median"
	local topo=$1 i t0 t1 t2 ups=() downs=()
	for i in $(seq 1 "$RUNS"); do
		t0=$(ms); "$SL" up --topology "$topo" --lab bench >/dev/null 2>&1
		t1=$(ms); "$SL" down --lab bench >/dev/null
		t2=$(ms)
		ups+=($((t1 - t0))); downs+=($((t2 - t1)))
	done
	echo "$(printf '%s\n' "${ups[@]}" | median) $(printf '%s\n' "${downs[@]}" | median)"
}

baseline() { # baseline N: N namespaces + veths + 2 bridges with ip batches, ms
	local n=$1 i t0 t1 ns=sl-bench-$$
	t0=$(ms)
	ip netns add "$ns-sw"
	{
		echo "link add br-public type bridge"; echo "link set br-public up"
		echo "link add br-private type bridge"; echo "link set br-private up"
	} | ip -n "$ns-sw" -batch -
	for i in $(seq 1 "$n"); do ip netns add "$ns-$i"; done
	for i in $(seq 1 "$n"); do
		echo "link add n$i-eth0 master br-private up type veth peer name eth0 netns $ns-$i"
	done | ip -n "$ns-sw" -batch -
	for i in $(seq 1 "$n"); do
		printf 'link set lo up\nlink set eth0 up\naddr add 10.0.%d.%d/16 dev eth0\n' $((i / 250)) $((i % 250 + 1)) | ip -n "$ns-$i" -batch -
	done
	t1=$(ms)
	for i in $(seq 1 "$n"); do ip netns del "$ns-$i"; done
	ip netns del "$ns-sw"
	echo $((t1 - t0))
}

gen 7 >"$tmp/gen7.lab"
gen 50 >"$tmp/gen50.lab"
read -r up7 down7 < <(measure "$tmp/gen7.lab")
read -r up50 down50 < <(measure "$tmp/gen50.lab")
b7=$(for i in $(seq 1 "$RUNS"); do baseline 7; done | median)
b50=$(for i in $(seq 1 "$RUNS"); do baseline 50; done | median)
per_node=$(awk -v a="$up7" -v b="$up50" 'BEGIN {printf "%.1f", (b - a) / 43}')
per_node_b=$(awk -v a="$b7" -v b="$b50" 'BEGIN {printf "%.1f", (b - a) / 43}')

printf 'medians of %d runs (ms)          stacklab   ip-batch baseline   ratio\n' "$RUNS"
printf 'up, 7 nodes                      %8s   %8s            %s\n' "$up7" "$b7" "$(awk -v a="$up7" -v b="$b7" 'BEGIN {printf "%.2f", a / b}')"
printf 'up, generated (50 nodes)          %8s   %8s            %s\n' "$up50" "$b50" "$(awk -v a="$up50" -v b="$b50" 'BEGIN {printf "%.2f", a / b}')"
printf 'cost per extra node               %8s   %8s\n' "$per_node" "$per_node_b"
printf 'down, 7 nodes                     %8s\n' "$down7"
printf 'down, 50 nodes                    %8s\n' "$down50"
echo "(stacklab's up includes each node's private root, capabilities and seccomp; the baseline makes namespaces and links only)"
