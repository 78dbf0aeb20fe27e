/* packet.h — one Ethernet frame decoded into what a student reads of it: who
 * sent it to whom, its layer (DNS, ARP, TCP, TLS, HTTP, FastCGI, SQL) and a
 * line of what it says. Pure: bytes in, a struct frame out, so the fuzzer
 * and `stacklab capture` use it as the lab daemon's trace does. */
#ifndef STACKLAB_PACKET_H
#define STACKLAB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_MAX 4096           /* frames kept of one trace */

struct frame {
	double t;                  /* when the switch got it */
	int node;                  /* who sent it (topology index), -1 if not a lab link */
	char link[16];             /* the switch-side link it came in on */
	uint32_t src, dst;         /* IPv4, network order (0 for ARP) */
	uint16_t sport, dport;
	uint8_t proto;             /* 6 TCP, 17 UDP, 0 ARP */
	uint8_t flags;             /* TCP flags */
	char what[160];            /* "SYN", "query A www.foobar.com", "SQL SELECT …" */
	const char *layer;         /* DNS, ARP, TCP, TLS, HTTP, FastCGI, SQL */
	/* DNS: the question, the message's id, and what an answer says */
	enum { DNS_NONE, DNS_QUERY, DNS_ANSWER, DNS_REFERRAL, DNS_EMPTY } dns_kind;
	uint16_t dns_id, qtype;
	char qname[128];
	char dns_info[160];        /* "www.foobar.com A 203.0.113.100, TTL 60", "ask com: a.gtld-servers.net serves it" */
	bool payload_has_rid;      /* the request id is in it */
	bool keep;
};

/* Decode one Ethernet frame of `len` bytes (ARP, DNS, TCP: TLS, HTTP,
 * FastCGI, SQL) into f's addresses, ports, flags, layer and `what`, and
 * point *payload at its payload. False for a frame a student need not see
 * (a bare ACK, another protocol, a cut one). */
bool packet_decode(const unsigned char *frame, size_t len, struct frame *f, const unsigned char **payload,
		    size_t *plen);

#endif
