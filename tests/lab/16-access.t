#!/bin/bash
# The control socket has an owner: a second user on the host may watch a lab
# only through its watch group, and never change it, whatever the umask of
# whoever brought it up.
. "$(dirname "$0")/../lib/libtest.sh"
need_root
command -v useradd >/dev/null && command -v socat >/dev/null || skip_all "needs useradd and socat"

LAB=t-access
U=sl-u$$ G=sl-g$$
# The checkout may be where the second user cannot go (/root): it runs a
# copy of the command from a folder of its own.
bin=$(command mktemp -d)
# userdel refuses a user with processes left (a socat the test started):
# they go first, or the user stays on the host.
deleg=
trap 'lab_cleanup $LAB t-deleg; pkill -9 -u $U 2>/dev/null; sleep 0.2; userdel $U 2>/dev/null; groupdel $G 2>/dev/null; rm -rf "$bin"
	[ -n "$deleg" ] && rmdir "$deleg"/stacklab-t-deleg/* "$deleg"/stacklab-t-deleg "$deleg" 2>/dev/null' EXIT
cp "$TOP/stacklab" "$bin/stacklab" && chmod 755 "$bin" "$bin/stacklab"
groupadd $G && useradd -M -N -g nogroup -s /bin/sh $U
as_user() { runuser -u $U -- "$@" 2>&1; }
SL_USER=$bin/stacklab
ask() { as_user socat -t 5 - UNIX-CONNECT:/run/stacklab/$LAB/ctl.sock <<<"$1"; }

# The rootless pass: a user's lab is theirs. Another user reaches nothing of
# it (socket, files, processes, network); root of the host (the teacher)
# watches it, or changes it, only as its owner allows.
if [ -n "${STACKLAB_AS:-}" ]; then
	ME=$STACKLAB_AS
	(umask 000; sl up --lab $LAB >/dev/null 2>&1); ok $? "a user's up with umask 000"
	is "$(stat -c '%a %U' "$RUN_DIR")" "700 $ME" "the user's run directory is theirs alone"
	is "$(stat -c '%a %U' $RUN_DIR/$LAB/ctl.sock)" "600 $ME" "so is the socket"
	is "$(stat -c %a $RUN_DIR/$LAB/lab.log)" "600" "and the lab's log"
	like "$(as_user "$SL_USER" status --lab $ME/$LAB)" "permission denied" "another user cannot watch it"
	like "$(as_user "$SL_USER" fail --lab $ME/$LAB web1 crash)" "permission denied" "nor crash a node"
	like "$(as_user socat -t 5 - UNIX-CONNECT:$RUN_DIR/$LAB/ctl.sock <<<'{"cmd":"down"}')" "Permission denied" \
		"nor reach its socket"
	like "$(as_user cat $RUN_DIR/$LAB/logs/web1/nginx.log)" "Permission denied" "nor read a daemon's log"
	like "$(as_user "$SL_USER" list)" "no lab of yours is up" "their list shows none of it"
	like "$(as_user "$SL_USER" exec --lab $ME/$LAB web1 id)" "not yours" "nor enter its nodes"
	nginx=$(pgrep -u "$(stat -c %u /proc/$(sl status --lab $LAB --json | jq '.nodes[] | select(.name == "web1") | .pid'))" -x nginx | head -1)
	like "$nginx" "^[0-9]+$" "web1's Nginx runs as the user's subordinate ids"
	like "$(as_user cat /proc/$nginx/environ)" "Permission denied" "another user cannot read its /proc"
	like "$(as_user kill -STOP $nginx)" "not permitted" "nor signal it"
	labd=$(sl status --lab $LAB --json | jq .pid)
	like "$(as_user kill -STOP $labd)" "not permitted" "nor signal the lab daemon"
	host=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1)
	if [ -n "$host" ]; then
		sl exec --lab $LAB client -- ping -c1 -W1 "$host" >/dev/null 2>&1
		ok $([ $? -ne 0 ]; echo $?) "a node cannot reach the host's network ($host): the lab has no uplink"
	fi
	# Root (the teacher) is not the lab's owner.
	like "$("$TOP/stacklab" list --all)" "$ME/$LAB +\(not shared\)" \
		"root's list --all shows the lab, and that it is not shared"
	like "$("$TOP/stacklab" status --lab $ME/$LAB 2>&1)" "has not let others watch it" "root may not watch it unasked"
	sl allow --lab $LAB watch >/dev/null; ok $? "the owner lets root watch"
	like "$("$TOP/stacklab" status --lab $ME/$LAB)" "web1 +web +up" "root watches the lab"
	like "$("$TOP/stacklab" list --all)" "$ME/$LAB +scale-up +10" "and lists it whole"
	out=$("$TOP/stacklab" tui --lab $ME/$LAB --once)
	like "$out" "lb1.*VIP" "the teacher's TUI shows the student's lab"
	like "$out" "lab $ME/$LAB " "and says whose it is in its title"
	like "$("$TOP/stacklab" capture --lab $ME/$LAB --count 1 --seconds 2 lb1-eth0 2>&1)" "capturing on lb1-eth0" \
		"and captures on its links (joining its switch, not the user's namespace)"
	like "$("$TOP/stacklab" exec --lab $ME/$LAB web1 true 2>&1)" "has not let others into its nodes" \
		"but does not enter its nodes"
	like "$("$TOP/stacklab" fail --lab $ME/$LAB web1 crash 2>&1)" "has not let others change it" "but may not change it"
	out=$(yes "" | head -40 | timeout 60 "$TOP/stacklab" lesson run --text --lab $ME/$LAB kill-master 2>&1)
	like "$out" "has not let others change it" "nor run a lesson on it"
	rm -f "$(echo "$out" | sed -n 's/^journal: //p' | tail -1)"
	like "$("$TOP/stacklab" allow --lab $ME/$LAB lessons 2>&1)" "only the lab's owner" "nor give itself more"
	sl allow --lab $LAB lessons >/dev/null; ok $? "the owner lets root run lessons"
	like "$("$TOP/stacklab" fail --lab $ME/$LAB web1 crash)" "web1: crash" "root breaks web1"
	like "$("$TOP/stacklab" heal --lab $ME/$LAB --all)" "healed 1 fault" "and heals it"
	out=$(yes "" | head -40 | timeout 90 "$TOP/stacklab" lesson run --text --lab $ME/$LAB kill-master 2>&1)
	like "$out" "passed: ([0-9]+) of \1 held" "root runs a lesson on the student's lab"
	rm -f "$(echo "$out" | sed -n 's/^journal: //p' | tail -1)"
	"$TOP/stacklab" exec --lab $ME/$LAB web1 true; ok $? "allowed lessons, root enters its nodes"
	"$TOP/stacklab" events --lab $ME/$LAB >/dev/null 2>&1 &
	follower=$!
	sleep 0.5
	sl allow --lab $LAB none >/dev/null
	gone_follower() { ! kill -0 $follower 2>/dev/null; }
	wait_until 5 gone_follower; ok $? "allow none ends root's events that were following the lab"
	wait $follower 2>/dev/null
	like "$("$TOP/stacklab" status --lab $ME/$LAB 2>&1)" "has not let others watch it" "allow none: root is out again"
	# A cgroup v2 subtree delegated to the user, as systemd makes one
	# (Delegate=yes): the user's lab freezes its nodes there.
	v2=$(ls -d /sys/fs/cgroup/cgroup.controllers /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null | head -1)
	if [ -n "$v2" ] && deleg="$(dirname "$v2")/sl-deleg-$$" && mkdir "$deleg" 2>/dev/null; then
		chown "$ME" "$deleg" "$deleg/cgroup.procs" "$deleg/cgroup.threads" "$deleg/cgroup.subtree_control"
		out=$(sh -c "echo \$\$ > $deleg/cgroup.procs && exec $STACKLAB up --lab t-deleg" 2>&1); ok $? "up in a delegated cgroup"
		like "$(sl fail --lab t-deleg web1 freeze)" "freeze \(cgroup v2 freezer\)" "a node freezes with the delegated cgroup v2"
		is "$(cat "$deleg/stacklab-t-deleg/web1/cgroup.freeze")" "1" "in the user's own subtree"
		sl heal --lab t-deleg --all >/dev/null && sl request --lab t-deleg >/dev/null; ok $? "and thaws"
		sl down --lab t-deleg >/dev/null
		[ ! -e "$deleg/stacklab-t-deleg" ]; ok $? "down removes the lab's cgroups from the user's subtree"
		rmdir "$deleg"
	fi
	like "$(sl up --lab t-group --group nogroup 2>&1)" "--group is for root's labs" "--group is refused to a user's lab"
	if [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -gt 443 ]; then
		like "$(sl up --lab t-pub --publish 443 2>&1)" "port 443 is below [0-9]+, which only root.*--publish 8443" \
			"a port only root may listen on: says so, with one to take"
	fi
	sl down --lab $LAB >/dev/null; ok $? "down"
	done_testing
	exit
fi

# umask 000 once made the socket 0777: a stranger took the lab down.
(umask 000; sl up --lab $LAB >/dev/null 2>&1); ok $? "up with umask 000, no watch group"
is "$(stat -c %a /run/stacklab/$LAB/ctl.sock)" "600" "the socket is root's alone"
is "$(stat -c %a /run/stacklab/$LAB/lab.log)" "600" "so is the lab's log"
is "$(stat -c %a /run/stacklab/$LAB/logs)" "700" "and the daemons' logs"
like "$(as_user "$SL_USER" status --lab $LAB)" "permission denied" "a stranger cannot even watch"
like "$(as_user "$SL_USER" fail --lab $LAB web1 crash)" "permission denied" "nor crash a node"
# A student among others' labs: they hear of their own, never of sudo.
out=$(as_user "$SL_USER" list); ok $? "list, with no lab of one's own: exit 0"
like "$out" "^no lab of yours is up \(stacklab up starts one\)$" "list says no lab of theirs is up, and how to start one"
out=$(as_user "$SL_USER" status 2>&1)
like "$out" "no lab of yours is up \(start one with: stacklab up\)" "so does status without --lab"
unlike "$out" "sudo" "and suggests no sudo"
like "$(as_user cat /run/stacklab/$LAB/logs/web1/nginx.log)" "Permission denied" "nor read a daemon's log"
sl down --lab $LAB >/dev/null

usermod -a -G $G $U
sl up --lab $LAB --group $G >/dev/null 2>&1; ok $? "up --group: a watch group"
is "$(stat -c '%a %G' /run/stacklab/$LAB/ctl.sock)" "660 $G" "the socket is the group's too"
like "$(as_user "$SL_USER" status --lab $LAB)" "lb1 +lb +up" "a watcher sees the status"
like "$(as_user "$SL_USER" logs --lab $LAB lb1 keepalived)" "MASTER" "and the daemons' logs"
like "$(as_user "$SL_USER" events --lab $LAB --count 1 --json --all)" '"kind"' "and the event stream"
# The daemon itself says no, whatever the client: straight to the socket.
for req in '{"cmd":"fail","node":"web1","what":"crash"}' '{"cmd":"heal","all":true}' \
	'{"cmd":"traffic","action":"start"}' '{"cmd":"down"}'; do
	like "$(ask "$req")" '"ok": *false.*only root may change' "a watcher's $(echo "$req" | jq -r .cmd) is refused by the daemon"
done
like "$(ask '{"cmd":"traffic","action":"status"}')" '"ok": *true' "a watcher may look at the traffic"
is "$(sl status --lab $LAB --json | jq -r '[.nodes[] | select(.state != "up")] | length')" "0" "the watcher changed nothing"
like "$(sl status --lab $LAB)" "web1 +web +up" "root still may do everything"
like "$(ask '{"cmd":"trace"}')" '"ok": *true' "a watcher may trace"
like "$(ask '{"cmd":"trace"}')" "once every 10 s" "but not twice in a row (a trace holds the lab)"

# A watcher holding many connections cannot lock root out.
# One runuser starts them all (sixteen PAM sessions took seconds under load,
# and the first holders had gone before the last came in).
runuser -u $U -- sh -c "for i in \$(seq 1 16); do sleep 30 | socat - UNIX-CONNECT:/run/stacklab/$LAB/ctl.sock & done; wait" >/dev/null 2>&1 &
holders=($!)
unanswered() { [ -z "$(ask '{"cmd":"status"}' | head -c 20)" ]; }
wait_until 15 unanswered; ok $? "a watcher's 17th connection is closed unanswered (once the 16 are in)"
like "$(sl status --lab $LAB)" "web1 +web +up" "root is still answered"
kill "${holders[@]}" 2>/dev/null; pkill -u $U 2>/dev/null; wait 2>/dev/null

# A watcher that pipelines requests it never reads, on every connection it
# may hold, while traffic runs: the lab goes on serving everyone else.
sl traffic --lab $LAB start --rate 20 --seconds 60 >/dev/null
runuser -u $U -- sh -c "for i in \$(seq 1 15); do (for k in \$(seq 1 400); do echo '{\"cmd\":\"inspect\",\"node\":\"lb1\"}'; done; sleep 20) | socat -u - UNIX-CONNECT:/run/stacklab/$LAB/ctl.sock & done; wait" >/dev/null 2>&1 &
flooder=$!
sleep 3
t0=$(date +%s%N); out=$(sl status --lab $LAB 2>&1); took=$((($(date +%s%N) - t0) / 1000000))
like "$out" "web1 +web +up" "with a watcher flooding requests it never reads, root's status is answered"
[ "$took" -lt 2000 ]; ok $? "at once (${took} ms)"
t0=$(date +%s%N); out=$(sl fail --lab $LAB web1 stop nginx 2>&1); sl heal --lab $LAB web1 >/dev/null; took=$((($(date +%s%N) - t0) / 1000000))
[ "$took" -lt 3000 ]; ok $? "a fault and its heal take ${took} ms"
oks=$(sl events --lab $LAB --json --filter traffic --count 10 2>/dev/null | jq -r .result | grep -c '^ok$')
ok $([ "${oks:-0}" -ge 5 ]; echo $?) "and the site keeps answering its traffic (${oks:-0} of the next 10 ok)"
kill $flooder 2>/dev/null; pkill -u $U 2>/dev/null; wait 2>/dev/null
sl traffic --lab $LAB stop >/dev/null

# A hostile user's own "lab daemon": a socket of theirs that answers every
# request with escape sequences and someone else's pid. Root's list, status
# and down print none of it raw, take the pid from the kernel, and kill
# nothing on its word.
uid_u=$(id -u $U)
made_run_u=; [ -d /run/user/$uid_u ] || made_run_u=1
install -d -m 0700 -o $U /run/user/$uid_u
sleep 300 &
victim=$!
# It names root's own lab daemon and its web1 as its own, and lets root in.
labd=$(sl status --lab $LAB --json | jq .pid)
web1=$(sl status --lab $LAB --json | jq '.nodes[] | select(.name == "web1") | .pid')
printf '{"ok":true,"lab":"atkfake","topology":"scale-up\\u001b]0;PWNED-TITLE\\u0007\\u001b[2J\\u001b[31mRED\\u00c2\\u009b2J","title":"x\\u001b[5m","domain":"foobar.com","allow":"lessons","nodes":[{"name":"web1","role":"web","state":"up","pid":%d,"tier":3,"interfaces":[],"daemons":[]}],"pid":%d,"started":0}\n' $web1 $victim >$bin/reply
chmod 644 $bin/reply
runuser -u $U -- sh -c "mkdir -p /run/user/$uid_u/stacklab/atkfake && exec socat UNIX-LISTEN:/run/user/$uid_u/stacklab/atkfake/ctl.sock,fork SYSTEM:'head -n1 >/dev/null; cat $bin/reply'" >/dev/null 2>&1 &
fake=$!
wait_until 5 test -S /run/user/$uid_u/stacklab/atkfake/ctl.sock
listed=$("$TOP/stacklab" list --all 2>&1)
like "$listed" "$U/atkfake" "root's list --all shows the hostile user's socket as a lab"
unlike "$(printf '%s' "$listed" | cat -v)" '\^\[|M-\^\[|\^G' "and prints none of its control characters"
fakepid=$(echo "$listed" | awk -v l="$U/atkfake" '$1 == l {print $NF}')
unlike "$fakepid" "^$victim\$" "the pid it shows is the kernel's (the listener, ${fakepid:-none}), not the one it claims ($victim)"
unlike "$("$TOP/stacklab" status --lab $U/atkfake 2>&1 | cat -v)" '\^\[|\^G' "root's status of it prints no control character"
"$TOP/stacklab" down --lab $U/atkfake >/dev/null 2>&1
kill -0 $victim 2>/dev/null; ok $? "root's down of it kills nothing it names (pid $victim lives)"
sed -i "s/\"pid\":$victim,/\"pid\":$labd,/" $bin/reply
out=$("$TOP/stacklab" exec --lab $U/atkfake web1 -- cat /etc/hostname 2>&1)
unlike "$out" "^web1$" "root's exec into it is not steered into another lab's node it names (root's web1)"
like "$out" "is not a node of the lab daemon that answered" "it is refused ($out)"
kill $victim $fake 2>/dev/null; pkill -u $U 2>/dev/null; wait 2>/dev/null
rm -rf /run/user/$uid_u/stacklab
[ -n "$made_run_u" ] && rm -rf /run/user/$uid_u

done_testing
