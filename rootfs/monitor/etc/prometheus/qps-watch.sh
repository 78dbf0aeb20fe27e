#!/bin/sh
# Each web server's requests per second, and how many of them were errors
# (HTTP 5xx), as Prometheus computes them from HAProxy's counters: asked
# every 2 s, a line for the lab when they change.
#   qps web-01=10 web-02=9.75
#   5xx web-01=0 web-02=0
# The queries, in PromQL (try them in Prometheus's own page, :9090/graph):
#   sum by (server) (rate(haproxy_server_http_responses_total{proxy="web"}[5s]))
#   sum by (server) (rate(haproxy_server_http_responses_total{proxy="web",code="5xx"}[5s]))
all='sum%20by%20(server)%20(rate(haproxy_server_http_responses_total%7Bproxy%3D%22web%22%7D%5B5s%5D))'
bad='sum%20by%20(server)%20(rate(haproxy_server_http_responses_total%7Bproxy%3D%22web%22%2Ccode%3D%225xx%22%7D%5B5s%5D))'
ask() {
	# {"metric":{"server":"web-01"},"value":[1795714308.9,"10.2"]} → web-01=10.2
	curl -s --max-time 2 "http://{{addr}}:9090/api/v1/query?query=$1" |
		grep -o '"server":"[a-z0-9-]*"},"value":\[[0-9.]*,"[0-9.NaInf+-]*"' |
		sed 's/"server":"\([^"]*\)"},"value":\[[0-9.]*,"\([^"]*\)"/ \1=\2/' | tr -d '\n'
}
last_all= last_bad=
while :; do
	sleep 2
	line="qps$(ask "$all")"
	if [ "$line" != qps ] && [ "$line" != "$last_all" ]; then
		echo "$line"
		last_all=$line
	fi
	line="5xx$(ask "$bad")"
	if [ "$line" != 5xx ] && [ "$line" != "$last_bad" ]; then
		echo "$line"
		last_bad=$line
	fi
done
