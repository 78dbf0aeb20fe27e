/* packet.c — one Ethernet frame decoded (see packet.h). */
#include "packet.h"

#include <arpa/inet.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Printable text of a payload: what a person can read of it. */
static void text_of(char *out, size_t size, const unsigned char *p, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < size; i++)
		out[o++] = p[i] >= 32 && p[i] < 127 ? (char)p[i] : ' ';
	out[o] = '\0';
}

/* Read the DNS name at *at (following compression pointers, a bounded
 * number of times) into out as "www.foobar.com"; moves *at past it. False
 * if the message is cut or loops. */
static bool dns_name(const unsigned char *p, size_t len, size_t *at, char *out, size_t size)
{
	size_t o = 0, pos = *at;
	bool jumped = false;
	out[0] = '\0';
	for (int hops = 0; hops < 32; hops++) {
		if (pos >= len)
			return false;
		unsigned l = p[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return false;
			if (!jumped)
				*at = pos + 2;
			jumped = true;
			pos = (size_t)(l & 0x3f) << 8 | p[pos + 1];
			continue;
		}
		if (l == 0) {
			if (!jumped)
				*at = pos + 1;
			if (!o)
				str_copy(out, size, ".");
			return true;
		}
		if (l > 63 || pos + 1 + l > len)
			return false;
		if (o && o + 1 < size) {
			out[o++] = '.';
			out[o] = '\0';
		}
		if (o + l + 1 < size) {
			text_of(out + o, size - o, p + pos + 1, l);
			o += l;
		}
		pos += 1 + l;
	}
	return false;
}

static const char *dns_type(int type)
{
	switch (type) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	default: return "?";
	}
}

/* What an answer says, in a few words: its first record, a referral (the
 * servers of the zone below), or why there is nothing. */
static void dns_answer(const unsigned char *p, size_t len, size_t at, struct frame *f)
{
	int an = p[6] << 8 | p[7], ns = p[8] << 8 | p[9], rcode = p[3] & 0x0f;
	bool aa = p[2] & 0x04;
	static const char *const rcodes[] = { "ok", "FORMERR", "SERVFAIL", "NXDOMAIN (no such name)", "NOTIMP", "REFUSED" };
	if (rcode) {
		snprintf(f->dns_info, sizeof(f->dns_info), "%s", rcode < 6 ? rcodes[rcode] : "error");
		return;
	}
	char name[128], data[128];
	for (int r = 0; r < an + ns; r++) {
		if (!dns_name(p, len, &at, name, sizeof(name)) || at + 10 > len)
			break;
		int type = p[at] << 8 | p[at + 1];
		unsigned ttl = (unsigned)p[at + 4] << 24 | (unsigned)p[at + 5] << 16 | (unsigned)p[at + 6] << 8 | p[at + 7];
		size_t rdlen = (size_t)(p[at + 8] << 8 | p[at + 9]), rd = at + 10;
		at = rd + rdlen;
		if (at > len)
			break;
		data[0] = '\0';
		if (type == 1 && rdlen == 4)
			inet_ntop(AF_INET, p + rd, data, sizeof(data));
		else if (type == 2 || type == 5)
			dns_name(p, len, &rd, data, sizeof(data));
		if (r < an) {
			if (strcmp(name, f->qname) == 0)
				snprintf(f->dns_info, sizeof(f->dns_info), "%s %s, TTL %u%s", dns_type(type), data, ttl,
					 an > 1 ? " …" : "");
			else
				snprintf(f->dns_info, sizeof(f->dns_info), "%s %s %s, TTL %u%s", name, dns_type(type), data, ttl,
					 an > 1 ? " …" : "");
			f->dns_kind = DNS_ANSWER;
			return;
		}
		if (type == 2 && !aa && r >= an) {
			snprintf(f->dns_info, sizeof(f->dns_info), "%s is served by %s", name, data);
			f->dns_kind = DNS_REFERRAL;
			return;
		}
	}
	snprintf(f->dns_info, sizeof(f->dns_info), "%s", ns ? "no such record (NODATA)" : "no records");
}

static void dns_what(struct frame *f, const unsigned char *p, size_t len)
{
	f->layer = "DNS";
	if (len < 12) {
		snprintf(f->what, sizeof(f->what), "DNS (short)");
		return;
	}
	size_t at = 12;
	if (!dns_name(p, len, &at, f->qname, sizeof(f->qname)) || at + 4 > len) {
		snprintf(f->what, sizeof(f->what), "DNS (cut)");
		return;
	}
	f->qtype = (uint16_t)(p[at] << 8 | p[at + 1]);
	f->dns_id = (uint16_t)(p[0] << 8 | p[1]);
	f->dns_kind = p[2] & 0x80 ? DNS_EMPTY : DNS_QUERY;
	const char *t = dns_type(f->qtype);
	if (f->dns_kind == DNS_QUERY) {
		snprintf(f->what, sizeof(f->what), "query %s %.120s (id %u)", t, f->qname, f->dns_id);
		return;
	}
	dns_answer(p, len, at + 4, f);
	utf8_trim(f->dns_info); /* its " …" may have been cut */
	snprintf(f->what, sizeof(f->what), "answer %s %.60s (id %u): %.72s", t, f->qname, f->dns_id, f->dns_info);
	/* %.60s and %.72s cut where they must, inside a character too: what is
	 * left of it is not text (and would not go into JSON at all). */
	text_clean(f->what);
}

static void tcp_what(struct frame *f, const unsigned char *p, size_t len)
{
	uint16_t port = f->dport == 443 || f->dport == 80 || f->dport == 9000 || f->dport == 3306 ? f->dport : f->sport;
	bool to_server = port == f->dport;
	char flags[32] = "";
	if (f->flags & 0x02)
		snprintf(flags, sizeof(flags), "%s", f->flags & 0x10 ? "SYN-ACK" : "SYN");
	else if (f->flags & 0x04)
		snprintf(flags, sizeof(flags), "RST");
	else if (f->flags & 0x01)
		snprintf(flags, sizeof(flags), "FIN");
	f->layer = "TCP";
	if (!len) {
		snprintf(f->what, sizeof(f->what), "%s", flags);
		return;
	}
	char text[120];
	if (port == 443) {
		f->layer = "TLS";
		if (p[0] == 0x16 && len > 5)
			snprintf(f->what, sizeof(f->what), "%s", p[5] == 1 ? "ClientHello" : p[5] == 2 ? "ServerHello, certificate"
							   : "handshake");
		else if (p[0] == 0x17)
			snprintf(f->what, sizeof(f->what), "encrypted %s (%zu bytes)", to_server ? "request" : "response", len);
		else if (p[0] == 0x15)
			snprintf(f->what, sizeof(f->what), "alert");
		else if (p[0] == 0x14)
			snprintf(f->what, sizeof(f->what), "ChangeCipherSpec, Finished");
		else
			snprintf(f->what, sizeof(f->what), "%zu bytes", len);
	} else if (port == 80) {
		f->layer = "HTTP";
		size_t line = 0;
		while (line < len && p[line] != '\r' && p[line] != '\n')
			line++;
		text_of(text, sizeof(text), p, line);
		/* A request line or a status line; the rest is body. */
		bool head = strncmp(text, "HTTP/", 5) == 0 || strncmp(text, "GET ", 4) == 0 || strncmp(text, "POST ", 5) == 0 ||
			    strncmp(text, "HEAD ", 5) == 0;
		if (head)
			snprintf(f->what, sizeof(f->what), "%s", text);
		else
			snprintf(f->what, sizeof(f->what), "body (%zu bytes)", len);
	} else if (port == 9000) {
		f->layer = "FastCGI";
		static const char *const types[] = { "?", "BEGIN_REQUEST", "ABORT", "END_REQUEST", "PARAMS", "STDIN",
						     "STDOUT", "STDERR" };
		int type = len > 1 && p[0] == 1 && p[1] < 8 ? p[1] : 0;
		snprintf(f->what, sizeof(f->what), "%s (%zu bytes)", types[type], len);
	} else if (port == 3306) {
		f->layer = "SQL";
		if (len >= 5 && to_server && (p[4] == 0x03 || p[4] == 0x16)) { /* COM_QUERY, COM_STMT_PREPARE */
			text_of(text, sizeof(text), p + 5, len - 5);
			snprintf(f->what, sizeof(f->what), "%s: %s", p[4] == 0x03 ? "query" : "prepare", text);
		} else if (len >= 5 && to_server) {
			snprintf(f->what, sizeof(f->what), "%s", p[3] == 1 ? "login" : p[4] == 0x01 ? "quit" : p[4] == 0x17 ? "execute"
							   : p[4] == 0x19 ? "close statement" : p[4] == 0x02 ? "use database" : "command");
		} else if (len >= 5) {
			snprintf(f->what, sizeof(f->what), "%s", p[3] == 0 ? "greeting" : p[4] == 0x00 ? "OK"
								: p[4] == 0xff ? "error" : "result");
			if (p[3] && p[4] != 0x00 && p[4] != 0xff)
				snprintf(f->what + strlen(f->what), sizeof(f->what) - strlen(f->what), " (%zu bytes)", len);
		} else {
			snprintf(f->what, sizeof(f->what), "%zu bytes", len);
		}
	} else {
		snprintf(f->what, sizeof(f->what), "%zu bytes", len);
	}
	if (flags[0])
		snprintf(f->what + strlen(f->what), sizeof(f->what) - strlen(f->what), " (%s)", flags);
}

bool packet_decode(const unsigned char *frame, size_t len, struct frame *f, const unsigned char **payload, size_t *plen)
{
	if (len < 14)
		return false;
	int type = frame[12] << 8 | frame[13];
	if (type == ETHERTYPE_ARP && len >= 42) {
		char s[INET_ADDRSTRLEN], t[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, frame + 28, s, sizeof(s));
		inet_ntop(AF_INET, frame + 38, t, sizeof(t));
		f->layer = "ARP";
		if (frame[21] == 1)
			snprintf(f->what, sizeof(f->what), "who has %s? tell %s", t, s);
		else
			snprintf(f->what, sizeof(f->what), "%s is at %02x:%02x:%02x:%02x:%02x:%02x", s, frame[22], frame[23], frame[24],
				 frame[25], frame[26], frame[27]);
		*payload = NULL;
		*plen = 0;
		return true;
	}
	if (type != ETHERTYPE_IP || len < 34)
		return false;
	size_t ihl = (size_t)(frame[14] & 0x0f) * 4, total = (size_t)(frame[16] << 8 | frame[17]);
	size_t l4 = 14 + ihl, end = 14 + total < len ? 14 + total : len;
	f->proto = frame[23];
	memcpy(&f->src, frame + 26, 4);
	memcpy(&f->dst, frame + 30, 4);
	if (l4 + 8 > end || (f->proto != 6 && f->proto != 17))
		return false;
	f->sport = (uint16_t)(frame[l4] << 8 | frame[l4 + 1]);
	f->dport = (uint16_t)(frame[l4 + 2] << 8 | frame[l4 + 3]);
	if (f->proto == 17) {
		*payload = frame + l4 + 8;
		*plen = end - l4 - 8;
		if (f->sport != 53 && f->dport != 53)
			return false;
		dns_what(f, *payload, *plen);
	} else {
		size_t doff = l4 + 13 < end ? (size_t)(frame[l4 + 12] >> 4) * 4 : 20;
		if (l4 + doff > end)
			return false;
		f->flags = frame[l4 + 13];
		*payload = frame + l4 + doff;
		*plen = end - l4 - doff;
		/* A bare ACK says nothing a student needs. */
		if (!*plen && !(f->flags & 0x07))
			return false;
		tcp_what(f, *payload, *plen);
	}
	return true;
}
