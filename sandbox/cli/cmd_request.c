/* cmd_request.c — `stacklab request [PATH]`: one HTTPS request from the
 * client node to the site, and which load balancer, web and app server
 * answered it. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "cli.h"
#include "options.h"
#include "ctl.h"
#include "node.h"
#include "role.h"
#include "util.h"

/* --data's fields, as given (at most 8). */
struct form {
	const char *field[8];
	int n;
};

static bool add_field(const char *cmd, const char *value, void *dest)
{
	struct form *f = dest;
	if (f->n == 8 || !strchr(value, '=')) {
		fprintf(stderr, "stacklab %s: --data takes KEY=VALUE (at most 8), not '%s'\n", cmd, value);
		return false;
	}
	f->field[f->n++] = value;
	return true;
}

/* curl's exit codes, as a student would say them. */
static const char *curl_error(int code)
{
	switch (code) {
	case 6: return "DNS: the name did not resolve";
	case 7: return "connect: nothing answered at the address";
	case 28: return "timeout: no answer in time";
	case 35: return "TLS: the handshake failed";
	case 52: return "the server closed the connection without answering";
	case 56: return "the connection broke while receiving";
	case 60: return "TLS: the certificate is not trusted";
	default: return "curl failed";
	}
}

static void print_json(json_t *j)
{
	json_dumpf(j, stdout, CTL_JSON_PRETTY);
	putchar('\n');
	json_decref(j);
}

/* The value of response header `name` in `headers`, into buf ("-" if absent). */
static const char *header(const char *headers, const char *name, char *buf, size_t size)
{
	size_t n = strlen(name);
	for (const char *line = headers; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			size_t len = strcspn(v, "\r\n");
			snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), v);
			utf8_trim(buf);
			text_clean(buf); /* what a node (an lb's root) answered */
			return buf;
		}
	}
	snprintf(buf, size, "-");
	return buf;
}

int cmd_request(int argc, char **argv)
{
	const char *given = NULL;
	struct form form = { .n = 0 };
	bool body = false, json = false;
	const struct opt opts[] = {
		OPT_LAB(&given),
		{ .name = "data", .letter = 'd', .kind = OPT_PARSE, .dest = &form, .parse = add_field, .value = "K=V",
		  .help = "send a POST with this form field (repeatable)" },
		{ .name = "body", .letter = 'b', .kind = OPT_FLAG, .dest = &body, .help = "print the response body too" },
		OPT_JSON(&json, "the answer as JSON (status, time, id, servers)"),
		{ 0 },
	};
	const struct command_line cl = {
		.name = "request",
		.usage = "stacklab request [--lab NAME] [--data K=V...] [--body] [--json] [PATH]",
		.about = "Send one request from the client node to https://www.DOMAIN/PATH (or\n"
			 "http:// in a design without HTTPS), resolved by the lab's DNS, and show its\n"
			 "status, time, request id, and the lb, web and app servers that handled it.",
		.opts = opts,
		.args_max = 1,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	const char *path = first < argc ? argv[first] : "/";
	if (path[0] != '/' || strpbrk(path, " \t\r\n")) {
		fprintf(stderr, "stacklab request: PATH must start with '/' and hold no spaces: '%s'\n", path);
		return EXIT_USAGE;
	}
	_cleanup_free_ char *lab = cli_pick_lab("request", given);
	if (!lab)
		return EXIT_FAIL;
	struct cli_door client;
	if (cli_door("request", lab, NULL, "client", &client) < 0)
		return EXIT_FAIL;

	unsigned char r[16];
	if (getrandom(r, sizeof(r), 0) < 0)
		die("getrandom: %s", strerror(errno));
	char rid[64], rid_header[96];
	snprintf(rid, sizeof(rid), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
		 r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	snprintf(rid_header, sizeof(rid_header), "X-Request-ID: %s", rid);
	_cleanup_free_ char *url = xasprintf("%s://www.%s%s", client.scheme, client.domain, path);

	/* Headers, then the body, then curl's own figures on the last line.
	 * --globoff: the path is the student's, and /x[1-3] is one request,
	 * not three. */
	char *args[16 + 2 * 8 + 1];
	int n = 0;
	args[n++] = "/usr/bin/curl";
	args[n++] = "--globoff";
	args[n++] = "-s";
	args[n++] = "-D";
	args[n++] = "-";
	args[n++] = "--max-time";
	args[n++] = "10";
	args[n++] = "-H";
	args[n++] = rid_header;
	args[n++] = "-w";
	args[n++] = "\n@@stacklab %{http_code} %{time_total} %{remote_ip}\n";
	for (int i = 0; i < form.n; i++) {
		args[n++] = "--data-urlencode";
		args[n++] = (char *)form.field[i];
	}
	args[n++] = url;
	args[n] = NULL;
	static char out[1 << 20];
	int code = node_run(&client.door, args, out, sizeof(out), 12000); /* curl: 10 s */
	char *tail = strstr(out, "\n@@stacklab ");
	const char *method = form.n ? "POST" : "GET";
	if (code != 0 || !tail) {
		if (json)
			print_json(json_pack("{s:s, s:s, s:s, s:b, s:s, s:i}", "method", method, "url", url, "request_id", rid,
					     "ok", 0, "error", code < 0 ? strerror(-code) : curl_error(code), "curl_exit", code));
		else
			printf("%s %s → failed: %s (curl exit %d)\n  request id  %s\n", method, url,
			       code < 0 ? strerror(-code) : curl_error(code), code, rid);
		return EXIT_FAIL;
	}
	int status = 0;
	double secs = 0;
	char ip[64] = "";
	sscanf(tail, "\n@@stacklab %d %lf %63s", &status, &secs, ip);
	*tail = '\0';
	char *sep = strstr(out, "\r\n\r\n");
	char *content = sep ? sep + 4 : out + strlen(out);
	if (sep)
		sep[2] = '\0';
	text_clean(content);
	char lb[64], web[64], app[64], rows[32];
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:i, s:f, s:s, s:s, s:s, s:s}", "method", method, "url", url,
				      "request_id", rid, "ok", status >= 200 && status < 400, "status", status, "ms",
				      round(secs * 1e4) / 10, "address", ip, "lb", header(out, "X-Served-By-LB", lb, sizeof(lb)),
				      "web", header(out, "X-Served-By-Web", web, sizeof(web)), "app",
				      header(out, "X-Served-By-App", app, sizeof(app)));
		if (strcmp(header(out, "X-Foobar-Rows", rows, sizeof(rows)), "-") != 0)
			json_object_set_new(j, "rows", json_integer(atoi(rows)));
		if (body)
			json_object_set_new(j, "body", json_string(content));
		print_json(j);
		return status >= 200 && status < 400 ? EXIT_OK : EXIT_FAIL;
	}
	printf("%s %s → %d in %.1f ms\n", method, url, status, secs * 1000);
	printf("  request id  %s\n", rid);
	printf("  address     %s\n", ip);
	printf("  served by   ");
	if (strcmp(header(out, "X-Served-By-LB", lb, sizeof(lb)), "-") != 0)
		printf("lb %s, ", lb);
	printf("web %s, app %s\n", header(out, "X-Served-By-Web", web, sizeof(web)),
	       header(out, "X-Served-By-App", app, sizeof(app)));
	if (strcmp(header(out, "X-Foobar-Rows", rows, sizeof(rows)), "-") != 0)
		printf("  database    %s rows\n", rows);
	if (body)
		printf("\n%s", content);
	return status >= 200 && status < 400 ? EXIT_OK : EXIT_FAIL;
}
