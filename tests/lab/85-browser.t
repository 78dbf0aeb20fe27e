#!/bin/bash
# The published site in a real browser (Debian's chromium, headless): the
# page names the chain the request took, the plain HTTP port redirects to
# HTTPS, and the error pages say which node failed whom.
. "$(dirname "$0")/../lib/libtest.sh"
need_root
command -v chromium >/dev/null || skip_all "needs Debian's chromium (.ci/run installs it)"

LAB=t-browser
PORT=18543
HTTP=18580
tmp=$(mktemp -d)
trap 'lab_cleanup $LAB; rm -rf "$tmp"' EXIT
# The lab has no uplink, and neither has the browser: every name but the
# site's resolves to nothing, and its background services are off.
browse() { # browse URL [--screenshot FILE]: the page's DOM after it loaded
	local url=$1; shift
	timeout 30 chromium --headless --no-sandbox --disable-gpu --ignore-certificate-errors \
		--user-data-dir="$tmp/profile" --host-resolver-rules="MAP www.foobar.com 127.0.0.1,MAP * ~NOTFOUND" \
		--disable-background-networking --disable-component-update --disable-sync --no-first-run \
		--disable-default-apps --disable-extensions --disable-domain-reliability \
		--window-size=1000,700 "$@" --dump-dom "$url" 2>/dev/null
}

sl up --lab $LAB --publish $PORT,$HTTP >/dev/null 2>&1; ok $? "up --publish $PORT,$HTTP"
dom=$(browse https://www.foobar.com:$PORT/)
like "$dom" "<b>lb1</b>.*<b>web1</b>.*<b>app1</b>.*<b>db1</b>" "the page names the chain: lb1, web1, app1, db1"
like "$dom" "VIP 203.0.113.100" "and the VIP the load balancer answered on"
like "$dom" "request id <code>[0-9a-f-]{36}</code>" "and the request's id"
like "$dom" 'http-equiv="refresh"' "it reloads itself (watch it during a failover)"
like "$dom" "foobar deluxe" "with the database's rows"
browse https://www.foobar.com:$PORT/ --screenshot="$tmp/site.png" >/dev/null
ok $([ "$(stat -c %s "$tmp/site.png" 2>/dev/null || echo 0)" -gt 10000 ]; echo $?) "a screenshot of it is drawn"
like "$(browse http://www.foobar.com:$HTTP/guestbook)" "<form method=\"post\" action=\"/guestbook\">" \
	"plain HTTP redirects to HTTPS, and the guestbook has its form"

sl fail --lab $LAB web1 crash >/dev/null
wait_until 5 sh -c "$STACKLAB status --lab $LAB --json | jq -e '.nodes[] | select(.name == \"lb1\") | .servers[] | select(.state == \"DOWN\")' >/dev/null"
dom=$(browse https://www.foobar.com:$PORT/)
like "$dom" "503: no web server is up" "web1 crashed: HAProxy's own 503 page"
like "$dom" "HAProxy on lb1 answered this request by itself" "which names the lb that answered"
sl heal --lab $LAB web1 >/dev/null
wait_until 5 sh -c "$STACKLAB status --lab $LAB --json | jq -e '[.nodes[] | select(.name == \"lb1\") | .servers[] | select(.state == \"UP\")] | length == 1' >/dev/null"
sl fail --lab $LAB app1 stop php-fpm >/dev/null
# stop sends SIGTERM: PHP-FPM may still answer while it finishes.
wait_until 5 sh -c "$STACKLAB status --lab $LAB | grep -q 'php-fpm exited'"
like "$(browse https://www.foobar.com:$PORT/)" "Nginx on web1 could not reach the application server: the connection was refused" \
	"PHP-FPM stopped: Nginx's 502 page names web1 and says what failed"
sl heal --lab $LAB --all >/dev/null
sl fail --lab $LAB db1 crash >/dev/null
like "$(browse https://www.foobar.com:$PORT/)" "app1 could not reach the database on db1" "db1 crashed: the page names who could not reach whom"
sl heal --lab $LAB --all >/dev/null
sl down --lab $LAB >/dev/null; ok $? "down"
done_testing
