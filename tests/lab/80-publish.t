#!/bin/bash
# --publish: the site on the host's loopback, for a real browser, relayed
# from inside the client node; and a port that is taken fails up cleanly.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-publish
PORT=18443
trap 'lab_cleanup $LAB t-publish2' EXIT
before=$(fresh_host $LAB t-publish2)

out=$(sl up --lab $LAB --publish $PORT,$((PORT + 1)) 2>&1); ok $? "up --publish $PORT,$((PORT + 1))"
like "$out" "the site on this host: https://www.foobar.com:$PORT/ \(and http://www.foobar.com:$((PORT + 1))/, which redirects there\)" \
	"up prints the URL to open"
like "$out" "trust the lab's CA /[^ ]+/ca.pem" "and the CA to trust"
like "$out" "note: every user of this machine can open it too" "and that a loopback port is not the user's alone"
like "$(curl -sI --max-time 5 --resolve www.foobar.com:$((PORT + 1)):127.0.0.1 http://www.foobar.com:$((PORT + 1))/guestbook)" \
	"location: https://www.foobar.com:$PORT/guestbook" "plain HTTP on the host redirects to the published HTTPS port"
st=$(sl status --lab $LAB)
like "$st" "the site on this host: https://www.foobar.com:$PORT/" "status prints the URL"
like "$st" "curl --resolve www.foobar.com:$PORT:127.0.0.1 --cacert /[^ ]+/ca.pem" "status prints the --resolve line and the CA"
ca=$(sl status --lab $LAB --json | jq -r .publish.ca)
out=$(curl -s --max-time 5 --resolve www.foobar.com:$PORT:127.0.0.1 --cacert "$ca" -D - https://www.foobar.com:$PORT/)
like "$out" "^HTTP/[0-9.]+ 200" "curl on the host gets 200, verified against the lab CA"
like "$out" "foobar deluxe" "with a row from the database"
like "$(sl logs --lab $LAB lb1 haproxy -n 5)" "^203.0.113.10:[0-9]+ .* 200 " "the lab sees the request coming from the client node"
# The CA to trust is where the one who opens the browser can read it (the
# cache it comes from is 0700): anyone, for root's lab; the user, for theirs.
reader=${STACKLAB_AS:-nobody}
runuser -u "$reader" -- cat "$ca" | grep -q "BEGIN CERTIFICATE"; ok $? "the CA's path is readable by $reader"

# Any local user may hold idle connections to the port: 70 of them (more
# than the relay's 64 slots) must not lock the teacher's browser out for
# longer than a held connection's 5 s of grace.
fds=()
for i in $(seq 1 70); do exec {fd}<>/dev/tcp/127.0.0.1/$PORT && fds+=($fd); done 2>/dev/null
[ ${#fds[@]} -ge 64 ]; ok $? "70 idle connections to the published port (${#fds[@]} taken)"
sleep 5.5
reach() { curl -s --max-time 3 -o /dev/null -w '%{http_code}' --resolve www.foobar.com:$PORT:127.0.0.1 --cacert "$ca" https://www.foobar.com:$PORT/ | grep -q 200; }
wait_until 5 reach; ok $? "a browser still gets the site while they are held"
for fd in "${fds[@]}"; do exec {fd}>&-; done
out=$(sl up --lab t-publish2 --publish $PORT 2>&1); ok $([ $? -eq 1 ]; echo $?) "a second lab on the same port fails"
like "$out" "cannot listen on 127.0.0.1:$PORT: Address already in use" "and says why"
out=$(sl up --lab t-publish2 --publish 99999 2>&1); ok $([ $? -eq 2 ]; echo $?) "a bad port is refused"
sl down --lab $LAB >/dev/null; ok $? "down"
curl -s --max-time 2 -o /dev/null https://127.0.0.1:$PORT/ -k; ok $([ $? -ne 0 ]; echo $?) "after down nothing listens on the port"
host_back_to "$before"; ok $? "the host is as before"
done_testing
