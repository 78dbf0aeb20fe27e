#!/bin/sh
# Called by keepalived on every VRRP state change: TYPE NAME STATE PRIORITY.
# keepalived throws a script's output away, so the state is kept in a file:
#   stacklab exec {{node}} cat /run/keepalived.state
echo "$3 $(date +%s.%N) instance=$2 priority=$4" > /run/keepalived.state
