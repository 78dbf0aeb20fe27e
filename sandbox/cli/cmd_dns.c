/* cmd_dns.c — `stacklab dns cache|flush`: what the lab's resolver remembers,
 * and making it forget. Both ask Unbound itself (unbound-control, on its
 * own socket inside the resolver node). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "node.h"
#include "util.h"

#define DUMP_MAX (256 << 10)       /* a lab's cache is a few dozen records */

/* Is `name` ("www.foobar.com.") at or below `domain` ("foobar.com")? */
static bool below(const char *name, const char *domain)
{
	if (!domain || strcmp(domain, ".") == 0)
		return true;
	size_t n = strlen(name), d = strlen(domain);
	if (n && name[n - 1] == '.')
		n--;
	if (d && domain[d - 1] == '.')
		d--;
	if (n < d || strncmp(name + n - d, domain, d) != 0)
		return false;
	return n == d || name[n - d - 1] == '.';
}

/* A domain as the student typed it: letters, digits, '-', '.', or "." */
static bool domain_ok(char *s)
{
	for (char *c = s; *c; c++) /* as Unbound writes names */
		*c = (char)tolower((unsigned char)*c);
	return *s && strlen(s) < 254 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == strlen(s);
}

static int control(struct cli_door *in, char **args, char *out, size_t size)
{
	char *argv[8] = { "/usr/sbin/unbound-control", "-c", "/etc/unbound/unbound.conf" };
	int k = 3;
	for (int i = 0; args[i] && k < 7; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	int r = node_run(&in->door, argv, out, size, 5000);
	if (r != 0) {
		text_clean(out);
		fprintf(stderr, "stacklab dns: unbound-control in %s: %s\n", in->node,
			r < 0 ? strerror(-r) : out[0] ? out : "failed (is Unbound running? stacklab status)");
		return -1;
	}
	return 0;
}

static int cache(struct cli_door *in, const char *domain, bool json)
{
	char *out = xmalloc(DUMP_MAX);
	out[0] = '\0';
	if (control(in, (char *[]){ "dump_cache", NULL }, out, DUMP_MAX) < 0) {
		free(out);
		return EXIT_FAIL;
	}
	json_t *records = json_array();
	bool rrsets = false;
	for (char *save = NULL, *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "START_RRSET_CACHE") == 0 || strcmp(line, "END_RRSET_CACHE") == 0) {
			rrsets = line[0] == 'S';
			continue;
		}
		char name[256], class[16], type[16], data[512] = "";
		long ttl;
		int used = 0;
		if (!rrsets || line[0] == ';' ||
		    sscanf(line, "%255s %ld %15s %15s %n", name, &ttl, class, type, &used) != 4)
			continue;
		str_copy(data, sizeof(data), line + used);
		/* Unbound's words, from inside a node: cleaned like its logs. */
		text_clean(name);
		text_clean(type);
		text_clean(data);
		if (below(name, domain))
			json_array_append_new(records, json_pack("{s:s, s:s, s:I, s:s}", "name", name, "type", type, "ttl",
								 (json_int_t)ttl, "data", data));
	}
	free(out);
	if (json) {
		json_t *all = json_pack("{s:s, s:o}", "resolver", in->node, "records", records);
		char *text = json_dumps(all, JSON_COMPACT);
		puts(text);
		free(text);
		json_decref(all);
		return EXIT_OK;
	}
	if (json_array_size(records) == 0)
		printf("the cache of %s holds nothing%s%s: the next question walks from the root\n", in->node,
		       domain ? " at or below " : "", domain ? domain : "");
	else
		printf("the cache of %s (Unbound): what it answers without asking anyone, and for how long\n\n"
		       "%-28s %-6s %8s  %s\n", in->node, "NAME", "TYPE", "TTL LEFT", "DATA");
	size_t i;
	json_t *r;
	json_array_foreach(records, i, r)
		printf("%-28s %-6s %6llds  %s\n", json_string_value(json_object_get(r, "name")),
		       json_string_value(json_object_get(r, "type")),
		       (long long)json_integer_value(json_object_get(r, "ttl")), json_string_value(json_object_get(r, "data")));
	json_decref(records);
	return EXIT_OK;
}

static int flush(struct cli_door *in, const char *domain)
{
	char out[1024] = "";
	if (control(in, (char *[]){ "flush_zone", (char *)(domain ? domain : "."), NULL }, out, sizeof(out)) < 0)
		return EXIT_FAIL;
	out[strcspn(out, "\n")] = '\0';
	text_clean(out);
	if (!domain || strcmp(domain, ".") == 0) { /* everything: what it learnt of the servers too */
		char more[256] = "";
		if (control(in, (char *[]){ "flush_infra", "all", NULL }, more, sizeof(more)) < 0 ||
		    control(in, (char *[]){ "flush_negative", NULL }, more, sizeof(more)) < 0)
			return EXIT_FAIL;
	}
	printf("%s: %s%s\n", in->node, out, !domain || strcmp(domain, ".") == 0 ? " (all of it)" : "");
	return EXIT_OK;
}

int cmd_dns(int argc, char **argv)
{
	const char *given = NULL;
	bool json = false;
	const struct opt opts[] = { OPT_LAB(&given), OPT_JSON(&json, "cache: the records as JSON"), { 0 } };
	const struct command_line cl = {
		.name = "dns",
		.usage = "stacklab dns [--lab NAME] cache [--json] [DOMAIN]\n"
			 "stacklab dns [--lab NAME] flush [DOMAIN]",
		.about = "The lab's resolver (Unbound, on the node of role resolver) keeps each answer\n"
			 "for its TTL and answers from that cache without asking anyone.\n\n"
			 "  cache [DOMAIN]   the records it holds (at DOMAIN and below, if given), each\n"
			 "                   with the seconds it has left\n"
			 "  flush [DOMAIN]   forget them (everything when no DOMAIN is given): the next\n"
			 "                   question walks from the root again (see stacklab trace)",
		.opts = opts,
		.args_max = 2,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	const char *what = first < argc ? argv[first] : NULL;
	char *domain = first + 1 < argc ? argv[first + 1] : NULL;
	if (!what || (strcmp(what, "cache") != 0 && strcmp(what, "flush") != 0) || first + 2 < argc) {
		fprintf(stderr, "stacklab dns: expected 'cache [DOMAIN]' or 'flush [DOMAIN]' (see stacklab dns --help)\n");
		return EXIT_USAGE;
	}
	if (domain && !domain_ok(domain)) {
		fprintf(stderr, "stacklab dns: '%s' is not a domain (like foobar.com, or . for all)\n", domain);
		return EXIT_USAGE;
	}
	if (json && what[0] != 'c') {
		fprintf(stderr, "stacklab dns: --json goes with cache\n");
		return EXIT_USAGE;
	}
	_cleanup_free_ char *lab = cli_pick_lab("dns", given);
	if (!lab)
		return EXIT_FAIL;
	struct cli_door in;
	if (cli_door("dns", lab, NULL, "resolver", &in) < 0)
		return EXIT_FAIL;
	return what[0] == 'c' ? cache(&in, domain, json) : flush(&in, domain);
}
