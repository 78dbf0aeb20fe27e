/* traffic.c — the traffic generator (see traffic.h). */
#include "traffic.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "util.h"

#define IN_FLIGHT_MAX 256

struct request {
	CURL *easy;
	char lb[32], web[32], app[32];
};

/* Keep the X-Served-By-* headers of an answer. */
static size_t on_header(char *buf, size_t size, size_t n, void *userdata)
{
	struct request *r = userdata;
	size_t len = size * n;
	static const struct {
		const char *name;
		size_t off;
	} wanted[] = {
		{ "x-served-by-lb:", offsetof(struct request, lb) },
		{ "x-served-by-web:", offsetof(struct request, web) },
		{ "x-served-by-app:", offsetof(struct request, app) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
		size_t k = strlen(wanted[i].name);
		if (len > k && strncasecmp(buf, wanted[i].name, k) == 0) {
			const char *v = buf + k;
			while (v < buf + len && *v == ' ')
				v++;
			size_t vl = strcspn(v, "\r\n");
			if (vl > (size_t)(buf + len - v))
				vl = (size_t)(buf + len - v);
			char *dst = (char *)r + wanted[i].off;
			snprintf(dst, 32, "%.*s", (int)(vl < 31 ? vl : 31), v);
		}
	}
	return len;
}

static size_t discard(char *buf, size_t size, size_t n, void *userdata)
{
	(void)buf;
	(void)userdata;
	return size * n;
}

static const char *kind_of(CURLcode code, long status)
{
	switch (code) {
	case CURLE_OK:
		return status >= 500 ? "http5xx" : status >= 400 ? "http4xx" : "ok";
	case CURLE_COULDNT_RESOLVE_HOST: return "dns";
	case CURLE_COULDNT_CONNECT: return "connect";
	case CURLE_OPERATION_TIMEDOUT: return "timeout";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE: return "tls";
	default: return "error";
	}
}

static CURL *new_request(CURLM *multi, const char *url)
{
	struct request *r = xcalloc(1, sizeof(*r));
	r->easy = curl_easy_init();
	if (!r->easy) {
		free(r);
		return NULL;
	}
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	/* A fresh connection and a fresh lookup (cached for a second) each
	 * time: every result says where the lab sends a request now. */
	curl_easy_setopt(r->easy, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(r->easy, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(r->easy, CURLOPT_DNS_CACHE_TIMEOUT, 1L);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "stacklab-traffic");
	curl_multi_add_handle(multi, r->easy);
	return r->easy;
}

static int report(CURLM *multi, CURL *easy, CURLcode code, int out)
{
	struct request *r = NULL;
	long status = 0;
	double secs = 0;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &secs);
	json_t *res = json_pack("{s:s, s:i, s:f, s:s, s:s, s:s}", "result", kind_of(code, status), "status", (int)status,
				"ms", secs * 1000, "lb", r->lb[0] ? r->lb : "-", "web", r->web[0] ? r->web : "-", "app",
				r->app[0] ? r->app : "-");
	char *text = json_dumps(res, CTL_JSON_FLAGS);
	json_decref(res);
	curl_multi_remove_handle(multi, easy);
	curl_easy_cleanup(easy);
	free(r);
	int w = 0;
	if (text) {
		size_t n = strlen(text);
		text[n] = '\n';
		w = write_all(out, text, n + 1);
		free(text);
	}
	return w;
}

int traffic_run(const char *url, int rate, int seconds, int out)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return -EIO;
	CURLM *multi = curl_multi_init();
	if (!multi)
		return -ENOMEM;
	uint64_t start = now_ms(), end = start + (uint64_t)seconds * 1000;
	uint64_t sent = 0;
	int in_flight = 0, r = 0;
	while (r == 0) {
		uint64_t now = now_ms();
		if (now >= end && in_flight == 0)
			break;
		/* Requests due by now, at `rate` a second since the start. */
		uint64_t due = now < end ? (now - start) * (uint64_t)rate / 1000 + 1 : sent;
		while (sent < due && in_flight < IN_FLIGHT_MAX && new_request(multi, url)) {
			sent++;
			in_flight++;
		}
		int running;
		curl_multi_perform(multi, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left)))
			if (msg->msg == CURLMSG_DONE) {
				in_flight--;
				if ((r = report(multi, msg->easy_handle, msg->data.result, out)) < 0)
					break;
			}
		/* Sleep until the next request is due, or curl has work. */
		uint64_t next = start + sent * 1000 / (uint64_t)rate;
		now = now_ms();
		int wait = next > now ? (int)(next - now) : 0;
		curl_multi_poll(multi, NULL, 0, wait > 100 ? 100 : wait, NULL);
	}
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	return r;
}
