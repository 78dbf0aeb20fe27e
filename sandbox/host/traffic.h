/* traffic.h — steady HTTPS traffic from the client node, made with libcurl's
 * multi interface, one result per request. */
#ifndef STACKLAB_TRAFFIC_H
#define STACKLAB_TRAFFIC_H


/* Send `rate` requests a second to `url` for at most `seconds`, each on a
 * fresh connection (so each one shows where the VIP and the LB send it now),
 * resolving the name through the node's own resolver. Writes one JSON object
 * per finished request to `out`:
 *   {"result":"ok|dns|connect|timeout|tls|http4xx|http5xx|error",
 *    "status":200,"ms":12.3,"lb":"lb1","web":"web1","app":"app1"}
 * Runs inside the client node; returns when time is up or `out` closes. */
int traffic_run(const char *url, int rate, int seconds, int out);

#endif
