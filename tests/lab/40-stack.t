#!/bin/bash
# The real foobar.com stack, checked from the client as a student would:
# DNS, HTTPS through the VIP, the database behind, the certificate, the
# redirect, the firewall-free private network, HAProxy's view, VRRP.
. "$(dirname "$0")/../lib/libtest.sh"
need_root

LAB=t-stack
marker=$(mktemp)
trap 'rm -f "$marker"; lab_cleanup $LAB' EXIT
before=$(fresh_host $LAB)
etc_before=$(ls -A /etc); run_before=$(ls -A /run | grep -v '^stacklab$'); mysql_before=$(ls -A /var/lib/mysql 2>/dev/null)
in_client() { sl exec --lab $LAB client -- "$@"; }

out=$(sl up --lab $LAB 2>&1); ok $? "up brings the whole stack up"
like "$out" "waiting for https://www.foobar.com/ to answer the client" "up waits for the site to answer"

is "$(in_client getent hosts www.foobar.com | awk '{print $1}')" "203.0.113.100" "dns: www.foobar.com is the VIP (getent, through the lab's resolver)"
is "$(in_client dig +short @203.0.113.53 foobar.com A)" "203.0.113.100" "dns: foobar.com is the VIP too"
is "$(in_client dig +short @203.0.113.53 blog.foobar.com CNAME)" "www.foobar.com." "dns: blog is a CNAME of www"
is "$(in_client dig +short @203.0.113.53 foobar.com MX)" "10 mail.foobar.com." "dns: an MX record"
like "$(sl logs --lab $LAB resolver unbound)" "query: 203.0.113.10 www.foobar.com. A IN" "dns: the resolver logs each query with who asked"

page=$(in_client curl -s --cacert /etc/ssl/certs/ca-certificates.crt -w '\n%{http_code}' https://www.foobar.com/)
is "$(echo "$page" | tail -1)" "200" "https: the home page answers 200"
like "$page" "<td>foobar deluxe</td>" "https: the page shows a row from the database"
msg="hello from test $$ $RANDOM"
in_client curl -s -o /dev/null --data-urlencode "name=tap" --data-urlencode "message=$msg" https://www.foobar.com/guestbook
like "$(in_client curl -s https://www.foobar.com/guestbook)" "$msg" "a write through the app shows in a later read"
like "$(in_client curl -s https://www.foobar.com/visit)" "visit number [0-9]+" "the visit counter updates and reads back"

tls=$(in_client sh -c 'openssl s_client -connect www.foobar.com:443 -servername www.foobar.com -verify_return_error </dev/null 2>&1')
like "$tls" "Verify return code: 0 \(ok\)" "tls: the chain verifies against the lab CA"
like "$tls" "CN ?= ?www.foobar.com" "tls: the certificate is for www.foobar.com"
redirect=$(in_client curl -s -o /dev/null -w '%{http_code} %{redirect_url}' http://www.foobar.com/guestbook)
is "$redirect" "301 https://www.foobar.com/guestbook" "plain HTTP redirects to HTTPS"
headers=$(in_client curl -s -D - -o /dev/null https://www.foobar.com/)
like "$headers" "x-served-by-lb: lb1" "the answer names its lb"
like "$headers" "x-served-by-web: web1" "the answer names its web server"
like "$headers" "x-served-by-app: app1" "the answer names its app server"
like "$headers" "x-request-id: [0-9a-f-]{36}" "haproxy gave the request an id"
like "$(sl logs --lab $LAB web1 nginx)" "rid=[0-9a-f-]{36} xff=\"203.0.113.10\"" "nginx logs the request id and X-Forwarded-For"
like "$(sl logs --lab $LAB lb1 haproxy)" "web/web1 .* 200 .*rid=" "haproxy logs frontend, backend, server and the id"
like "$(sl exec --lab $LAB db1 cat /var/lib/mysql/general.log)" "rid=[0-9a-f-]+ \*/ SELECT name, price FROM products" "the SQL carries the request id (general log)"

in_client timeout 2 bash -c 'echo > /dev/tcp/10.0.0.41/3306' 2>/dev/null; ok $([ $? -ne 0 ]; echo $?) "db1:3306 is unreachable from the client"
sl exec --lab $LAB app1 timeout 2 bash -c 'echo > /dev/tcp/10.0.0.41/3306'; ok $? "db1:3306 is reachable from app1"
sl exec --lab $LAB web1 timeout 2 bash -c 'echo > /dev/tcp/203.0.113.53/53' 2>/dev/null; ok $([ $? -ne 0 ]; echo $?) "the private network has no route to the public one"
out=$(sl exec --lab $LAB app1 mariadb -h 10.0.0.41 -u foobar -pfoobar-lab foobar -e 'DELETE FROM products' 2>&1)
like "$out" "DELETE command denied" "the app's DB user cannot delete (least privilege)"

state=$(sl exec --lab $LAB lb1 sh -c 'echo "show servers state web" | socat stdio /run/haproxy.sock')
like "$state" "web 1 web1 10.0.0.21 2 " "haproxy's stats socket shows web1 UP (state 2)"
like "$(sl status --lab $LAB)" "haproxy running, vrrp MASTER, web/web1 UP" "status shows lb1's HAProxy seeing web1 UP from the start"
holders=0
for lb in lb1 lb2; do sl exec --lab $LAB $lb ip -br addr | grep -q 203.0.113.100 && holders=$((holders + 1)); done
is "$holders" "1" "exactly one lb holds the VIP"
# keepalived runs its notify script on its own time after a state change:
# wait (bounded: 15 s, as a loaded CI machine may need) for the file it
# writes rather than read it at once.
notified() { sl exec --lab $LAB "$1" cat /run/keepalived.state 2>/dev/null | grep -q "^$2 "; }
wait_until 15 notified lb1 MASTER; ok $? "lb1 is MASTER (keepalived notify)"
wait_until 15 notified lb2 BACKUP; ok $? "lb2 is BACKUP" ||
	diag "lb2's notify file: $(sl exec --lab $LAB lb2 cat /run/keepalived.state 2>&1)" \
		"lb2's keepalived said: $(sl logs --lab $LAB lb2 keepalived 2>&1 | tail -8)"
like "$(sl exec --lab $LAB lb1 cat /etc/haproxy/haproxy.cfg)" "server web1 10.0.0.21:80 check" "the rendered config is a plain file a teacher can read"

out=$(sl request --lab $LAB); ok $? "stacklab request"
like "$out" "GET https://www.foobar.com/ → 200 in [0-9.]+ ms" "request: status and time"
like "$out" "served by +lb lb1, web web1, app app1" "request: which lb, web and app"
out=$(sl request --lab $LAB /static/about.html); like "$out" "web web1, app -" "request: a static file never reaches the app"

# Every request reaches the logs, the log events and the trace: 100 through
# each path, each with its own id, while someone follows the log events.
events=$(mktemp)
timeout 60 "$STACKLAB" events --lab $LAB --json --filter log >"$events" 2>/dev/null &
follower=$!
sleep 0.3
sl exec --lab $LAB client sh -c 'for i in $(seq 1 100); do
	curl -4sk -o /dev/null -H "X-Request-ID: count-s$i" https://www.foobar.com/static/about.html
	curl -4sk -o /dev/null -H "X-Request-ID: count-d$i" https://www.foobar.com/
done'
sleep 0.5
kill $follower 2>/dev/null; wait $follower 2>/dev/null
ids() { grep -o "count-$1[0-9]*" | sort -u | wc -l; }
logs_dir=$RUN_DIR/$LAB/logs
is "$(cat $logs_dir/lb1/haproxy.log | ids s) $(cat $logs_dir/lb1/haproxy.log | ids d)" "100 100" "HAProxy's log has all 100 static and 100 dynamic requests"
is "$(cat $logs_dir/web1/nginx.log | ids s) $(cat $logs_dir/web1/nginx.log | ids d)" "100 100" "Nginx's too"
is "$(cat $logs_dir/app1/php-fpm.log | ids s) $(cat $logs_dir/app1/php-fpm.log | ids d)" "0 100" "PHP's has the 100 dynamic ones (and no static one)"
is "$(sl exec --lab $LAB db1 cat /var/lib/mysql/general.log | ids d)" "100" "MariaDB's general log has the 100 dynamic ones"
is "$(jq -r 'select(.daemon == "haproxy") | .line' "$events" | ids s) $(jq -r 'select(.daemon == "haproxy") | .line' "$events" | ids d)" "100 100" "the log events carry all of HAProxy's lines"
is "$(jq -r 'select(.daemon == "nginx") | .line' "$events" | ids '[sd]')" "200" "and all of Nginx's"
is "$(jq -r 'select(.daemon == "php-fpm") | .line' "$events" | ids d)" "100" "and all of PHP's"
rm -f "$events"
like "$(sl logs --lab $LAB web1 nginx | tail -1)" "count-d100" "stacklab logs ends with the last request"
like "$(sl trace --lab $LAB)" "MariaDB on db1" "and a trace after them finds every hop"

ps -eo comm= | grep -q '^mariadbd$'; inner_db=$?
sl down --lab $LAB >/dev/null; ok $? "down"
host_back_to "$before"; ok $? "after down: no namespace, link, mount, daemon process or lab file is left"
is "$(ls -A /etc)" "$etc_before" "nothing new in the host's /etc"
is "$(ls -A /run | grep -v '^stacklab$')" "$run_before" "nothing new in the host's /run"
is "$(ls -A /var/lib/mysql 2>/dev/null)" "$mysql_before" "the host's /var/lib/mysql is untouched"
is "$(find /etc -newer "$marker" 2>/dev/null | head -3)" "" "no file in /etc changed while the lab ran"
ok $inner_db "mariadbd ran while the lab was up (the check above saw it)"
done_testing
