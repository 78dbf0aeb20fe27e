#!/bin/bash
# The timing profiles: "real" (the daemons' stock timings, rendered into the
# configs, and the lab still comes up: VRRP takes seconds to elect here),
# "fast" (the default) and "calm" (a class's server: its failovers still
# happen by themselves).
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-timing
trap 'lab_cleanup $LAB' EXIT
out=$(sl up --lab $LAB --timing real 2>&1); ok $? "up --timing real"
like "$(sl exec --lab $LAB lb1 cat /etc/keepalived/keepalived.conf)" "advert_int 1" "keepalived adverts every second"
like "$(sl exec --lab $LAB lb1 cat /etc/haproxy/haproxy.cfg)" "inter 2s .* fall 3" "haproxy checks every 2 s, DOWN after 3"
like "$(sl request --lab $LAB)" "→ 200" "the site answers"
sl down --lab $LAB >/dev/null; ok $? "down"
out=$(sl up --lab $LAB 2>&1); ok $? "up (fast, the default)"
like "$(sl exec --lab $LAB lb1 cat /etc/keepalived/keepalived.conf)" "advert_int 0.01" "fast: keepalived adverts every 10 ms"
like "$(sl exec --lab $LAB lb1 cat /etc/keepalived/keepalived.conf)" "vrrp_version 3" "fast: VRRPv3 (fractional adverts)"
sl down --lab $LAB >/dev/null; ok $? "down"

# calm: for a class's server; its failovers still happen on their own
out=$(sl up --lab $LAB --timing calm 2>&1); ok $? "up --timing calm"
like "$(sl exec --lab $LAB lb1 cat /etc/keepalived/keepalived.conf)" "advert_int 0.05" "calm: keepalived adverts every 50 ms"
like "$(sl exec --lab $LAB lb1 cat /etc/haproxy/haproxy.cfg)" "inter 200ms fastinter 20ms .* fall 2" \
	"calm: haproxy checks every 200 ms, every 20 ms once one failed"
sl fail --lab $LAB lb1 crash >/dev/null
vrrp_of() { sl status --lab $LAB --json | jq -r ".nodes[] | select(.name == \"$1\") | .vrrp"; }
held_by_lb2() { [ "$(sl status --lab $LAB --json | jq -r '.vips[0].held_by | join(" ")')" = lb2 ]; }
wait_until 5 held_by_lb2
ok $? "calm: with lb1 crashed, lb2 holds the VIP"
is "$(vrrp_of lb2)" "MASTER" "calm: lb2 is MASTER"
sl down --lab $LAB >/dev/null; ok $? "down"
done_testing
