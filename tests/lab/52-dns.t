#!/bin/bash
# DNS as it really works: Unbound resolves from the lab's own root (NSD),
# com and foobar.com servers. dig +trace walks the three levels; the records
# match the topology; the trace shows the referrals with a cold cache and one
# cached hop with a warm one; a stopped server's names last until their TTL;
# `set` moves www; nothing resolves outside the lab; nothing is left behind.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-dns
L0=t-dns-one
tmp=$(mktemp -d)
trap 'lab_cleanup $LAB; lab_cleanup $L0; rm -rf "$tmp"' EXIT
before=$(fresh_host $LAB $L0)
in_client() { sl exec --lab $LAB client -- "$@"; }

sl up --lab $LAB >/dev/null 2>&1; ok $? "up scale-up"
st=$(sl status --lab $LAB)
like "$st" "resolver +resolver +up" "status: the resolver"
like "$st" "unbound running" "runs Unbound"
like "$st" "ns1 +dns +up" "ns1, foobar.com's own server"
like "$st" "nsd running" "runs NSD"
like "$st" "zone foobar.com: www 203\.0\.113\.100, TTL 60 s, serial 1, served by ns1$" "status: the zone as the topology says"
is "$(in_client grep nameserver /etc/resolv.conf)" "nameserver 203.0.113.53" "the client asks the resolver"

# --- the records, as the topology says ----------------------------------------------
is "$(in_client dig +short www.foobar.com A)" "203.0.113.100" "A: www is the VIP"
is "$(in_client dig +short foobar.com A)" "203.0.113.100" "A: the apex too"
is "$(in_client dig +short foobar.com NS)" "ns1.foobar.com." "NS: ns1 serves foobar.com"
is "$(in_client dig +short foobar.com SOA | cut -d' ' -f1-3)" "ns1.foobar.com. hostmaster.foobar.com. 1" "SOA: ns1 is in charge, serial 1"
is "$(in_client dig +short blog.foobar.com CNAME)" "www.foobar.com." "CNAME: blog is www"
is "$(in_client dig +short foobar.com MX)" "10 mail.foobar.com." "MX: mail goes to mail.foobar.com"
is "$(in_client dig +short com NS)" "a.gtld-servers.net." "com's server has the internet's name"
like "$(in_client dig www.foobar.com)" "flags: qr rd ra;" "the resolver's answer is not authoritative"
like "$(in_client dig @203.0.113.54 www.foobar.com)" "flags: qr aa rd;" "ns1's own is (aa)"
like "$(sl exec --lab $LAB ns1 -- cat /etc/nsd/foobar.com.zone)" "www\.foobar\.com\. +IN A +203\.0\.113\.100" \
	"the zone file on ns1 is written from the topology"

# --- dig +trace: root, com, foobar.com ------------------------------------------------
tr=$(in_client dig +trace www.foobar.com)
like "$tr" "from 203\.0\.113\.4#53\(a\.root-servers\.net\)" "dig +trace asks the lab's root"
like "$tr" "com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+NS[[:space:]]+a\.gtld-servers\.net\." "the root refers to com's server"
like "$tr" "from 203\.0\.113\.30#53\(a\.gtld-servers\.net\)" "which it asks next"
like "$tr" "foobar\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+NS[[:space:]]+ns1\.foobar\.com\." "com refers to foobar.com's server"
like "$tr" "www\.foobar\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+203\.0\.113\.100" "which answers"
like "$tr" "from 203\.0\.113\.54#53\(ns1\.foobar\.com\)" "ns1 gave the answer"

# --- nothing outside the lab ---------------------------------------------------------
like "$(in_client dig example.org)" "status: NXDOMAIN" "a name outside the lab: the lab's root says there is none"
is "$(sl exec --lab $LAB resolver -- ip -4 route | grep -c default)" "0" "the resolver has no way out (no default route)"
is "$(sl exec --lab $LAB resolver -- awk '$3 == "IN" && $4 == "A" {print $5}' /etc/unbound/root.hints)" "203.0.113.4" \
	"its root hints name only the lab's root"

# --- the cache -----------------------------------------------------------------------
sl dns --lab $LAB flush >/dev/null; ok $? "dns flush"
like "$(sl dns --lab $LAB cache)" "holds nothing" "an empty cache says so"
j=$(sl trace --lab $LAB --json); ok $? "trace with a cold cache"
is "$(echo "$j" | jq -r '[.hops[] | select(.hop == "dns") | .node] | join(" ")')" "resolver root root com ns1" \
	"cold: the resolver, then the root (priming, then www), com and ns1"
like "$(echo "$j" | jq -r '[.hops[] | select(.hop == "dns")][2].explain')" "com is served by a.gtld-servers.net. This is a referral" \
	"the root's hop is a referral to com"
like "$(echo "$j" | jq -r '[.hops[] | select(.hop == "dns")][4].line')" "^query A www.foobar.com \(id [0-9]+\) -> A 203\.0\.113\.100, TTL 60" \
	"ns1's hop: the question, its id and the answer"
is "$(echo "$j" | jq -r '.hops[0].cached')" "false" "the first hop was not from the cache"
is "$(echo "$j" | jq -r '[.hops[] | select(.hop == "dns") | .ms] | all(. >= 0 and . < 1000)')" "true" "each DNS hop took its own time (from its question to its answer)"
j=$(sl trace --lab $LAB --json)
is "$(echo "$j" | jq -r '[.hops[] | select(.hop == "dns") | .node] | join(" ")')" "resolver" "warm: one DNS hop"
is "$(echo "$j" | jq -r '.hops[0].cached')" "true" "answered from the cache"
like "$(echo "$j" | jq -r '.hops[0].line')" "reply: 203\.0\.113\.10 www\.foobar\.com\. A IN NOERROR [0-9.]+ 1 " "Unbound's own line says so"
like "$(sl dns --lab $LAB cache foobar.com)" "www\.foobar\.com\. +A +[0-9]+s +203\.0\.113\.100" "dns cache shows www and its TTL left"
is "$(sl dns --lab $LAB cache --json | jq -r '[.records[].name] | index("a.root-servers.net.") != null')" "true" \
	"dns cache --json: every record, the root's server too"
out=$(sl dns --lab $LAB cache 'x;rm' 2>&1); is "$?" "2" "a bad domain is refused"
like "$out" "'x;rm' is not a domain" "and named"
out=$(sl dns --lab $LAB forget 2>&1); is "$?" "2" "an unknown dns command is refused"

# --- set: www and ttl ----------------------------------------------------------------
out=$(sl set --lab $LAB lb1 www 203.0.113.12 2>&1); ok $([ $? -ne 0 ]; echo $?) "set www on an lb is refused"
like "$out" "lb1 does not serve foobar.com" "and says why"
out=$(sl set --lab $LAB ns1 www 300.1.1.1 2>&1); ok $([ $? -ne 0 ]; echo $?) "a bad address is refused"
like "$out" "expected an IPv4 address, a node or a vip" "and says what is expected"
out=$(sl set --lab $LAB ns1 ttl 0 2>&1); ok $([ $? -ne 0 ]; echo $?) "ttl 0 is refused"
like "$(sl set --lab $LAB ns1 ttl 2)" "ttl 2 \(was 60\), NSD reloaded, zone serial 2" "set ttl: NSD reloaded, serial 2"
# A lower TTL reaches clients only with the next answer: what was cached
# keeps its old TTL (an admin lowers it a TTL ahead of a change).
like "$(sl dns --lab $LAB cache foobar.com)" "www\.foobar\.com\. +A +([3-9]|[1-6][0-9])s" "the cached answer keeps its old TTL"
sl dns --lab $LAB flush foobar.com >/dev/null
in_client dig +short www.foobar.com >/dev/null
like "$(sl dns --lab $LAB cache foobar.com)" "www\.foobar\.com\. +A +[0-2]s" "a fresh answer has the new TTL"
like "$(sl set --lab $LAB ns1 www lb2)" "www 203\.0\.113\.12 \(was 203\.0\.113\.100\), NSD reloaded, zone serial 3" "set www lb2"
is "$(in_client dig +short @203.0.113.54 www.foobar.com)" "203.0.113.12" "ns1 answers the new address at once"
like "$(sl status --lab $LAB)" "zone foobar.com: www 203\.0\.113\.12, TTL 2 s, serial 3, served by ns1 \(changed by stacklab set\)" \
	"status says what the zone answers now"
wait_until 5 sh -c "[ \"\$($STACKLAB exec --lab $LAB client -- dig +short www.foobar.com)\" = 203.0.113.12 ]"
ok $? "the resolver follows once the old answer's TTL ran out"
like "$(sl request --lab $LAB /)" "→ 200" "lb2's own address serves the site"
sl set --lab $LAB ns1 www www >/dev/null; ok $? "set www back to the VIP"

# --- the authoritative server stops ----------------------------------------------------
# A TTL of 5 s: room for the cached answer to be seen before it expires.
sl set --lab $LAB ns1 ttl 5 >/dev/null
sl dns --lab $LAB flush foobar.com >/dev/null
is "$(in_client dig +short www.foobar.com)" "203.0.113.100" "www is the VIP again"
sl fail --lab $LAB ns1 stop nsd >/dev/null; ok $? "stop NSD on ns1"
is "$(in_client dig +short www.foobar.com)" "203.0.113.100" "a cached answer goes on while its TTL lasts"
servfail=1 until=$((SECONDS + 20)) # the TTL, then Unbound's two tries: a few seconds
while [ $servfail -ne 0 ] && [ $SECONDS -lt $until ]; do
	in_client dig +tries=1 +time=4 www.foobar.com | grep -q 'status: SERVFAIL' && servfail=0 || sleep 0.5
done
ok $servfail "then the resolver fails: SERVFAIL"
sl dns --lab $LAB flush >/dev/null
j=$(sl trace --lab $LAB --json)
is "$(echo "$j" | jq -r .stopped_at)" "dns" "a trace with a cold cache stops at DNS"
like "$(echo "$j" | jq -r '[.hops[] | select(.hop == "dns")][-1] | .node + ": " + .explain')" "^ns1: The resolver asked ns1 and got no answer" \
	"at ns1, which did not answer"
sl heal --lab $LAB ns1 >/dev/null
wait_until 15 sh -c "[ \"\$($STACKLAB exec --lab $LAB client -- dig +short www.foobar.com)\" = 203.0.113.100 ]"
ok $? "healed: names answer again"
sl down --lab $LAB >/dev/null; ok $? "down"

# --- one server for every level, www as a CNAME ----------------------------------------
sed 's/^zone = \. com foobar\.com$/&\nwww_record = CNAME/' "$TOP/scenarios/single.lab" >"$tmp/one.lab"
sl up --lab $L0 --topology "$tmp/one.lab" >/dev/null 2>&1; ok $? "up: single, with www a CNAME"
out=$(sl exec --lab $L0 client -- dig www.foobar.com)
like "$out" "www\.foobar\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+CNAME[[:space:]]+foobar\.com\." "www is a CNAME of the apex"
like "$out" "foobar\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+203\.0\.113\.20" "and the resolver follows it to the address"
tr=$(sl exec --lab $L0 client -- dig +trace www.foobar.com)
like "$tr" "from 203\.0\.113\.54#53\(a\.root-servers\.net\)" "dig +trace: one server is the root"
like "$tr" "CNAME[[:space:]]+foobar\.com\." "and answers for foobar.com itself"
like "$(sl request --lab $L0 /)" "→ 200" "the site answers through the CNAME"
sl down --lab $L0 >/dev/null; ok $? "down"

host_back_to "$before"; ok $? "nothing is left behind"
done_testing
