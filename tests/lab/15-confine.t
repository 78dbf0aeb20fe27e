#!/bin/bash
# Confinement probes, bubblewrap style: root in a node tries what an attacker
# would, and each refusal is asserted. Root in a node is root of a student's
# experiment, never of the host.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-confine
trap 'lab_cleanup $LAB; rm -f /tmp/stacklab-escape-$$' EXIT
in_node() { local node=$1; shift; sl exec --lab $LAB "$node" -- sh -c "$*" 2>&1; }

sl up --lab $LAB >/dev/null 2>&1; ok $? "up"

# --- a user namespace: root inside is nobody outside --------------------------
map=$(in_node lb1 cat /proc/self/uid_map)
like "$map" "^ *0 +[0-9]+ +65536$" "root in a node is a mapped range: $map"
base=$(echo "$map" | awk '{print $2}')
if [ -z "${STACKLAB_AS:-}" ]; then
	[ "${base:-0}" -ge 524288 ]; ok $? "the range is outside the host's users (from $base)"
else
	# A user's lab: its namespace's ids 1… are the user's subordinate range.
	is "$base" "1" "the range is the lab namespace's ids from 1"
	first=$(awk -F: -v u="$STACKLAB_AS" '$1 == u {print $2}' /etc/subuid)
	init=$(sl status --lab $LAB --json | jq '.nodes[] | select(.name == "lb1") | .pid')
	is "$(stat -c %u /proc/$init)" "$first" "which the host sees as the user's subordinate ids (from $first)"
fi
host_uids=$(ps -eo uid=,comm= | awk '$2 ~ /^(haproxy|keepalived|nginx|mariadbd|php-fpm|unbound|nsd|stacklab-init)/ {print $1}' | sort -u)
unlike "$host_uids" "^0$" "no node process runs as the host's root (uids: $(echo $host_uids))"
other=$(sl exec --lab $LAB db1 -- cat /proc/self/uid_map | awk '{print $2}')
is "$other" "$base" "every node of a lab shares the lab's range"

# --- nothing of whoever ran up goes into a node ------------------------------------
got=$(in_node lb1 'tr "\0" "\n" < /proc/$(pidof -s keepalived)/environ' | tr '\n' ' ')
is "$got" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root HOSTNAME=lb1 " \
	"a daemon's environment is the node's own (no HOME or XDG_RUNTIME_DIR of the host's user)"
got=$(in_node lb1 'grep "open files" /proc/$(pidof -s keepalived)/limits' | awk '{print $4}')
is "$got" "1024" "a daemon's soft limit on open files is a service's usual 1024"
labd=$(sl status --lab $LAB --json | jq .pid)
got=$(awk '/open files/ {print ($4 == $5 || $4 == 65536) ? "raised" : $4 " of " $5}' /proc/$labd/limits)
is "$got" "raised" "the lab daemon's is raised to its hard limit, 65536 at most (two descriptors a daemon)"
got=$(sl exec --lab $LAB lb1 -- sh -c 'ulimit -Sn')
is "$got" "1024" "so is a command run in a node (exec, traffic, trace)"

# --- the init's descriptors are out of reach ------------------------------------
like "$(in_node lb1 ls /proc/1/fd)" "Permission denied" "the init's fds cannot be listed (not dumpable)"
like "$(in_node lb1 cat /proc/1/fd/1)" "Permission denied" "the init's stdout cannot be reopened"
like "$(in_node lb1 head -c1 /proc/1/mem)" "Permission denied" "the init's memory cannot be read"
got=$(in_node lb1 "perl -e '\$p = syscall(434, 1, 0); die qq(no pidfd: \$!) if \$p < 0; print syscall(438, \$p, 3, 0) < 0 ? qq(refused: \$!) : qq(taken)'")
is "$got" "refused: Operation not permitted" "pidfd_getfd cannot take the init's sync socket (its pidfd can be had)"
[ ! -e /tmp/stacklab-escape-$$ ]; ok $? "nothing the node did reached the host's /tmp"

# --- a node's share of the machine -------------------------------------------------
# (the sleeps let go of the output, or the test would wait for them)
# node_procs NODE: the processes in the node's pid namespace, its init too.
node_procs() {
	local init ns p
	init=$(sl status --lab $LAB --json | jq ".nodes[] | select(.name == \"$1\") | .pid")
	ns=$(readlink /proc/$init/ns/pid)
	for p in /proc/[0-9]*; do [ "$(readlink $p/ns/pid 2>/dev/null)" = "$ns" ] && echo ${p#/proc/}; done
}
is "$(in_node client cat /proc/sys/kernel/pid_max)" "1400" "the node's pid namespace has pids up to 1399: a bound on all its processes, whatever their ids"
like "$(in_node client 'echo 4194304 > /proc/sys/kernel/pid_max')" "Read-only" "which the node's root cannot raise"
in_node client 'n=0; while [ $n -lt 1100 ] && sleep 60 >/dev/null 2>&1 & do n=$((n + 1)); [ $n -ge 1100 ] && break; done' >/dev/null
cg=$(ls -d /sys/fs/cgroup/pids/stacklab-$LAB/client /sys/fs/cgroup/stacklab-$LAB/client 2>/dev/null | head -1)
if [ -n "$cg" ]; then
	pids=$(cat "$cg/pids.current" 2>/dev/null)
	hit=$(awk '$1 == "max" {print $2}' "$cg/pids.events" 2>/dev/null)
	[ -n "$pids" ] && [ "$pids" -le 1024 ] && [ "${hit:-0}" -gt 0 ]; ok $? "a fork bomb in a node stops at its cgroup's bound ($pids processes; refused ${hit:-0} times)"
else
	# No cgroup of its own (a user's lab, no delegated cgroup): the
	# bound on processes per user of the node holds it (RLIMIT_NPROC).
	pids=$(node_procs client | wc -l)
	[ "$pids" -ge 1000 ] && [ "$pids" -le 1050 ]; ok $? "a fork bomb in a node stops at its bound ($pids processes of 1100 tried)"
fi
like "$(sl status --lab $LAB)" "web1 +web +up" "and the other nodes go on"
sl fail --lab $LAB client crash >/dev/null && sl heal --lab $LAB client >/dev/null; ok $? "and the node is healed"

# --- the node filter (each probe also in tests/unit/filter.c) ----------------------
like "$(in_node client 'unshare -U true')" "Operation not permitted" "no new user namespace inside a node"
got=$(in_node client "perl -e '\$r = syscall(56, 0x10000000 | 17, 0, 0, 0, 0); exit 0 if \$r == 0; print \$r < 0 ? qq(refused: \$!) : qq(cloned)'")
is "$got" "refused: Operation not permitted" "nor clone() with CLONE_NEWUSER"
got=$(in_node client "script -qec \"perl -e 'require qw(sys/ioctl.ph); my \\\$c = qq(x); print ioctl(STDIN, 0x5412, \\\$c) ? qq(pushed) : qq(refused: \\\$!)'\" /dev/null")
like "$got" "refused: Operation not permitted" "TIOCSTI is refused even on the node's own terminal"

# --- what a node sees of the host --------------------------------------------------
mi=$(in_node web1 cat /proc/self/mountinfo)
like "$(echo "$mi" | awk '$5 == "/usr"')" " ro,nosuid,nodev" "/usr is read-only, nosuid, nodev"
like "$(echo "$mi" | awk '$5 == "/etc"')" " rw,nosuid,nodev" "/etc is the node's own, nosuid, nodev"
for p in /proc/timer_list /proc/keys /proc/kcore /proc/sched_debug; do
	[ -e "$p" ] || continue
	like "$(echo "$mi" | awk -v p="$p" '$5 == p')" " $p " "$p is masked (something is mounted over it)"
done
for d in /proc/acpi /proc/irq /proc/bus /sys/firmware; do
	is "$(in_node web1 "ls -A $d 2>/dev/null | wc -l")" "0" "$d is masked (empty)"
done
is "$(in_node web1 cat /proc/self/cgroup | grep -v ':/$' | wc -l)" "0" "cgroup paths show the node's own cgroup as / (cgroup namespace)"
is "$(in_node web1 "tr -d '\\0' </proc/1/cmdline")" "stacklab-init" "the node's init shows no command line of the host's (/proc/1/cmdline)"
like "$(in_node web1 'touch /usr/x')" "Read-only" "the host's /usr cannot be written"
like "$(in_node web1 'echo 60 > /proc/sys/vm/swappiness')" "Read-only|Permission denied" "the host's sysctls cannot be written"
in_node web1 'echo 1 > /proc/sys/net/ipv4/ip_forward' >/dev/null; ok $? "the node's own network sysctls can"

# --- files a node can write are read as hostile ------------------------------------
ask() { as_lab_user socat -t 10 - UNIX-CONNECT:$RUN_DIR/$LAB/ctl.sock <<<"$1"; }
in_node lb1 'mv /etc/haproxy/haproxy.cfg /etc/haproxy/cfg.real && ln -s /etc/shadow /etc/haproxy/haproxy.cfg' >/dev/null
got=$(ask '{"cmd":"inspect","node":"lb1"}' | jq -r '.files[] | select(.path == "/etc/haproxy/haproxy.cfg") | .text')
is "$got" "(not shown: a link)" "inspect does not follow a link the node made (to the host's /etc/shadow)"
in_node lb1 'rm /etc/haproxy/haproxy.cfg && mkfifo /etc/haproxy/haproxy.cfg' >/dev/null
got=$(as_lab_user timeout 5 socat -t 5 - UNIX-CONNECT:$RUN_DIR/$LAB/ctl.sock <<<'{"cmd":"inspect","node":"lb1"}' | jq -r '.files[] | select(.path == "/etc/haproxy/haproxy.cfg") | .text')
is "$got" "(not shown: not a regular file)" "inspect does not hang on a FIFO the node made"
in_node lb1 'rm /etc/haproxy/haproxy.cfg; mv /etc/haproxy/cfg.real /etc/haproxy/haproxy.cfg' >/dev/null
in_node db1 'cd /var/lib/mysql && mv general.log general.real && mkfifo general.log' >/dev/null
out=$(timeout 20 "$STACKLAB" trace --lab $LAB 2>&1); ok $? "trace does not hang on a FIFO for the database's log"
like "$out" "→ 200" "and still traces the request"
in_node db1 'cd /var/lib/mysql && rm general.log && mv general.real general.log' >/dev/null

# --- daemons start with no signal blocked (the init blocks them for itself) ------
for n in web1; do   # nginx blocks nothing of its own (keepalived and HAProxy do)
	init=$(sl status --lab $LAB --json | jq -r ".nodes[] | select(.name == \"$n\") | .pid")
	procs=$(node_procs $n | grep -vx "$init")
	blocked=$(for p in $procs; do awk '/^SigBlk:/ {print $2}' /proc/$p/status 2>/dev/null; done | sort -u | tr '\n' ' ')
	is "$blocked" "0000000000000000 " "$n's daemons ($(echo $procs | wc -w) processes) have no signal blocked"
done

# --- the switch learns no address a node sends from ------------------------------
# Root in the client sends 20000 frames, each from a source address of its
# own: a bridge that learned them would keep 20000 entries for 5 minutes,
# in kernel memory no cgroup of the lab counts.
dpid=$(sl status --lab $LAB --json | jq '.pid')
fdb_size() { nsenter -t "$dpid" -n bridge fdb show br br-public | wc -l; }
n0=$(fdb_size)
in_node client 'perl -e '\''
	my ($idx, $n) = @ARGV;
	socket(my $s, 17, 3, 0) or die "socket: $!";              # AF_PACKET, SOCK_RAW
	my $to = pack("SnIsCCa8", 17, 0x88b5, $idx, 0, 0, 6, "\xff" x 6);
	for my $i (1 .. $n) {
		my $f = ("\xff" x 6) . pack("CCN", 2, 0x99, $i) . pack("n", 0x88b5) . ("x" x 46);
		send($s, $f, 0, $to) or die "send: $!";
	}
	print "sent $n\n";'\'' $(ip -o link show eth0 | cut -d: -f1) 20000' >/tmp/stacklab-flood-$$
like "$(cat /tmp/stacklab-flood-$$)" "^sent 20000" "root in the client sends 20000 frames from 20000 source addresses"
rm -f /tmp/stacklab-flood-$$
n1=$(fdb_size)
[ "$n1" -le $((n0 + 8)) ]; ok $? "br-public's table stays as it was ($n0 entries, then $n1)"
out=$(sl request --lab $LAB 2>&1); like "$out" " 200 in " "the site still answers through the switch"

# --- what a node's daemons print reaches no terminal raw ------------------------
# Root in web1 writes to Nginx's own stderr: C0 and C1 controls (U+009B is
# CSI), an OSC title, a bidi override. logs shows each as '?'.
in_node web1 'printf "evil-\302\233-2J \033]0;TITLE\007 \342\200\256rev\n" > /proc/$(pgrep -o nginx)/fd/2' >/dev/null
wait_until 3 sh -c "$STACKLAB logs --lab $LAB web1 nginx | grep -aq evil-"
line=$(sl logs --lab $LAB web1 nginx | grep -a evil- | tail -1)
is "$(printf '%s' "$line" | cat -v)" "evil-?-2J ?]0;TITLE? ?rev" "a node's C0, C1 and bidi controls reach logs as '?'"

# --- a node has a few terminals, not every lab's ----------------------------------
# Every devpts but the host's shares 3072 terminals (kernel.pty.max less its
# reserve): one node opening them all would leave none to any other lab.
out=$(in_node client 'perl -e '\''my $n = 0; while ($n < 50) { open(my $f, "+<", "/dev/ptmx") or last; push @f, $f; $n++ } print "opened $n: $!\n"'\''')
like "$out" "^opened 8: No space left on device" "a node opens 8 terminals at most ($out)"

# --- a client node that stops the trace's curl holds the lab a few seconds at most ---
in_node client 'cp /etc/resolv.conf /tmp/resolv.keep; echo "nameserver 203.0.113.99" > /etc/resolv.conf' >/dev/null
in_node client 'end=$(($(date +%s) + 10)); while [ $(date +%s) -lt $end ]; do pkill -STOP -x curl; sleep 0.05; done' >/dev/null 2>&1 &
stopper=$!
t0=$(date +%s%N)
sl trace --lab $LAB >/dev/null 2>&1
took=$((($(date +%s%N) - t0) / 1000000))
[ "$took" -lt 8000 ]; ok $? "a trace whose curl the client node stops ends in ${took} ms (under 8 s)"
t0=$(date +%s%N); sl status --lab $LAB >/dev/null; took=$((($(date +%s%N) - t0) / 1000000))
[ "$took" -lt 2000 ]; ok $? "and the lab answers again at once (${took} ms)"
kill $stopper 2>/dev/null; wait $stopper 2>/dev/null
in_node client 'pkill -CONT -x curl; cp /tmp/resolv.keep /etc/resolv.conf' >/dev/null

# --- exec keeps the user's terminal out of the node ---------------------------------
command -v tmux >/dev/null; ok $? "tmux is here (the terminal tests below need it)"
if command -v tmux >/dev/null; then
	S=stacklab-confine-$$
	tmux new-session -d -s $S -x 100 -y 30 "bash --norc --noprofile"
	screen() { tmux capture-pane -p -t $S; }
	tmux send-keys -t $S "PS1='host\$ '; clear; $STACKLAB exec --lab $LAB client" Enter
	wait_until 5 sh -c "tmux capture-pane -p -t $S | grep -q 'client'"
	tmux send-keys -t $S "echo tty=\$(tty) sid=\$(cut -d' ' -f6 /proc/self/stat) pid=\$\$" Enter
	wait_until 3 sh -c "tmux capture-pane -p -t $S | grep -q '^tty=/dev/pts/'"
	line=$(screen | grep '^tty=/dev/pts/' | tail -1)
	like "$line" "^tty=/dev/pts/[0-9]+ " "exec gives the shell a terminal of the node's own: $line"
	like "$line" "sid=([0-9]+) pid=\1$" "the shell leads a session of its own"
	# Something left running in the node must not reach the user's terminal.
	tmux send-keys -t $S "(sleep 1; echo LEAK\$((40 + 2))) & exit" Enter
	wait_until 3 sh -c "tmux capture-pane -p -t $S | grep -q '^host\\$'"; ok $? "exit returns to the host's shell"
	sleep 1.5
	unlike "$(screen)" "LEAK42" "a process left in the node cannot write to the user's terminal"
	# exec in the background of an interactive shell: it must not take
	# the terminal (SIGTTOU would stop it there for good).
	tmux send-keys -t $S "clear; $STACKLAB exec --lab $LAB client -- sleep 1 & sleep 4; jobs; echo JOBS-LISTED" Enter
	wait_until 10 sh -c "tmux capture-pane -p -t $S | grep -q '^JOBS-LISTED'"
	unlike "$(screen)" "Stopped" "exec in the background of a shell is not stopped by the terminal"
	like "$(screen)" "Done +$STACKLAB exec" "and runs to its end"
	tmux send-keys -t $S "kill -9 %1 2>/dev/null" Enter
	tmux kill-session -t $S
fi
out=$(echo piped | sl exec --lab $LAB client -- cat); is "$out" "piped" "exec without a terminal passes stdin and stdout through"
# Under timeout on a terminal, exec is in a process group of its own, in
# the terminal's background: it must not take the terminal (SIGTTOU would
# stop it for good), and timeout's SIGTERM must end it.
t0=$(date +%s)
timeout -k 1 20 script -qec "timeout 5 $STACKLAB exec --lab $LAB client -- sleep 1" /dev/null >/dev/null 2>&1
rc=$?; took=$(($(date +%s) - t0))
[ $rc -eq 0 ] && [ $took -lt 10 ]; ok $? "exec under timeout on a terminal runs and ends (status $rc, ${took} s)"
timeout -k 1 20 script -qec "timeout 2 $STACKLAB exec --lab $LAB client -- sleep 30" /dev/null >/dev/null 2>&1
rc=$?; took=$(($(date +%s) - t0 - took))
[ $rc -eq 124 ] && [ $took -lt 10 ]; ok $? "and timeout's SIGTERM ends it (status $rc, ${took} s)"

done_testing
