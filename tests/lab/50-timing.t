#!/bin/bash
# The "real" timing profile: the daemons' stock timings, rendered into the
# configs, and the lab still comes up (VRRP takes seconds to elect here).
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
done_testing
