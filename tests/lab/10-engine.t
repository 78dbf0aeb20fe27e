#!/bin/bash
# The default topology as containers: isolation, wiring, confinement, and a
# clean host after `down`.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-engine
marker=$(mktemp /tmp/stacklab-host-marker.XXXXXX)
trap 'rm -f "$marker"; lab_cleanup $LAB' EXIT
before=$(fresh_host $LAB)

out=$(sl up --lab $LAB 2>&1); ok $? "up scale-up"
like "$out" "lab $LAB is up: 10 nodes ready in [0-9]+ ms" "up reports nodes and time"
out=$(sl up --lab $LAB 2>&1); ok $([ $? -eq 1 ]; echo $?) "a second up of the same lab fails"
like "$out" "lab $LAB is already up" "a second up says the lab is already up"

st=$(sl status --lab $LAB)
like "$st" "lb1 +lb +up +[0-9]+ +eth0 203.0.113.11/24 \(public\) eth1 10.0.0.11/24 \(private\)" "status shows lb1 on both networks"
like "$(sl list)" "^$LAB +scale-up +10 " "list shows the lab"

for n in client resolver root com ns1 lb1 lb2 web1 app1 db1; do
	is "$(sl exec --lab $LAB $n hostname)" "$n" "$n: hostname is its name"
done
procs=$(sl exec --lab $LAB web1 ps -eo pid=,comm=)
like "$(echo "$procs" | head -1)" "^ +1 stacklab-init$" "web1: pid 1 is its init"
is "$(echo "$procs" | awk '{print $2}' | sort -u | tr '\n' ' ')" "nginx ps stacklab-init " "web1 sees only its own processes (init, nginx, ps)"

sl exec --lab $LAB lb1 ping -c1 -W2 10.0.0.21 >/dev/null; ok $? "lb1 reaches web1 on the private network"
sl exec --lab $LAB client ping -c1 -W2 203.0.113.12 >/dev/null; ok $? "client reaches lb2 on the public network"
sl exec --lab $LAB web1 ping -c1 -W2 10.0.0.41 >/dev/null; ok $? "web1 reaches db1"
out=$(sl exec --lab $LAB client ping -c1 -W1 10.0.0.41 2>&1); ok $([ $? -ne 0 ]; echo $?) "client cannot reach db1"
like "$out" "unreachable" "client has no route to the private network"
out=$(sl exec --lab $LAB client timeout 2 bash -c 'echo > /dev/tcp/10.0.0.41/3306' 2>&1); ok $([ $? -ne 0 ]; echo $?) "client cannot open TCP to db1"

sl exec --lab $LAB client test -e "$marker"; ok $([ $? -ne 0 ]; echo $?) "a node cannot see the host's /tmp"
sl exec --lab $LAB client test -e "$TOP/Makefile"; ok $([ $? -ne 0 ]; echo $?) "a node cannot see the host's files"
is "$(sl exec --lab $LAB client cat /etc/resolv.conf | grep nameserver)" "nameserver 203.0.113.53" "client's resolver is the lab's (Unbound on node resolver)"
out=$(sl exec --lab $LAB client mount -t tmpfs none /tmp 2>&1); ok $([ $? -ne 0 ]; echo $?) "a node cannot mount"
like "$out" "ermission denied|not permitted" "mount is refused"
out=$(sl exec --lab $LAB client perl -e 'my $p = ""; syscall(313, 0, $p, 0); print "$!\n"' 2>&1)
like "$out" "Operation not permitted" "a node cannot load a module (finit_module refused)"
out=$(sl exec --lab $LAB client sh -c 'echo 1 > /proc/sys/vm/drop_caches' 2>&1); ok $([ $? -ne 0 ]; echo $?) "a node cannot write the host's sysctls"
sl exec --lab $LAB client sh -c 'echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse'; ok $? "a node can set its own network sysctls"
out=$(sl exec --lab $LAB client touch /usr/x 2>&1); ok $([ $? -ne 0 ]; echo $?) "a node cannot write the host's /usr"
sl exec --lab $LAB lb1 ip link add tv0 type veth peer name tv1; ok $? "exec has NET_ADMIN in the node's own namespace"
ip link show tv0 >/dev/null 2>&1; ok $([ $? -ne 0 ]; echo $?) "that link is not on the host"
out=$(sl exec --lab $LAB lb1 -- sh -c 'grep CapBnd /proc/self/status'); unlike "$out" "1fffeffffff" "exec does not get the host's capabilities"
out=$(sl exec --lab $LAB nosuch true 2>&1); ok $([ $? -eq 1 ]; echo $?) "exec into an unknown node fails"
like "$out" "no node 'nosuch' in lab $LAB" "unknown node is named"
is "$(sl exec --lab $LAB web1 sh -c 'exit 7'; echo $?)" "7" "exec passes the command's exit status"

out=$(sl down --lab $LAB); ok $? "down"
like "$out" "lab $LAB is down" "down reports"
host_back_to "$before"; ok $? "after down the host is as before (namespaces, links, mounts, processes, files)"
done_testing
