#!/bin/sh
# Run once by keepalived with the FIFO it writes every VRRP state change to,
# in order, a line each: INSTANCE "NAME" STATE PRIORITY (and news that is
# not a state: MASTER_RX_LOWER_PRI, a master hearing a lower priority). The
# latest state is kept in a file (keepalived throws a script's output away):
#   stacklab exec {{node}} cat /run/keepalived.state
while read -r type name state priority; do
	[ "$type" = INSTANCE ] || continue
	case $state in MASTER | BACKUP | FAULT | STOP) ;; *) continue ;; esac
	name=${name#\"}
	echo "$state $(date +%s.%N) instance=${name%\"} priority=$priority" > /run/keepalived.state
done < "$1"
