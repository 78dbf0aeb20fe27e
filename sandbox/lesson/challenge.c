/* challenge.c — read and check a challenge file, and pick a student's
 * variant of it (see challenge.h). Read like a lesson: inih hands the
 * pairs, every problem is reported at once as file:line: what, and
 * challenge_lint() checks the names against the topology with every value
 * every var can take. */
#include "challenge.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "inifile.h"
#include "util.h"

struct parser {
	struct challenge *c;
	struct inifile in;
	char section[80];
	struct challenge_break *brk;   /* the [break] being read */
	struct challenge_hint *hint;   /* the [hint] being read */
};

#define perr(p, line, ...) inifile_error(&(p)->in, (line), __VA_ARGS__)

static bool name_ok(const char *s, size_t max)
{
	if (!*s || !islower((unsigned char)*s) || strlen(s) >= max)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static const struct challenge_var *var_find(const struct challenge *c, const char *name, size_t len)
{
	for (int i = 0; i < c->n_vars; i++)
		if (strlen(c->vars[i].name) == len && strncmp(c->vars[i].name, name, len) == 0)
			return &c->vars[i];
	return NULL;
}

/* The {NAME} at s ('{' there): its length (without the braces), or 0 if
 * it is not one (a sed interval \{1,\}, a shell's ${x}). */
static size_t ref_at(const char *s)
{
	size_t n = 1;
	if (!islower((unsigned char)s[n]))
		return 0;
	while (islower((unsigned char)s[n]) || isdigit((unsigned char)s[n]) || s[n] == '_' || s[n] == '-')
		n++;
	return s[n] == '}' ? n - 1 : 0;
}

bool challenge_expand(const struct challenge *c, const struct variant *v, const char *text, char *buf, size_t size)
{
	size_t o = 0;
	for (const char *s = text; *s; s++) {
		size_t len = *s == '{' && (s == text || s[-1] != '$') ? ref_at(s) : 0;
		const struct challenge_var *var = len ? var_find(c, s + 1, len) : NULL;
		const char *put = var ? var->values[v->value[var - c->vars]] : NULL;
		size_t n = put ? strlen(put) : 1;
		if (o + n >= size) {
			buf[o] = '\0'; /* what fitted, still a string */
			return false;
		}
		memcpy(buf + o, put ? put : s, n);
		o += n;
		if (put)
			s += len + 1;
	}
	buf[o] = '\0';
	return true;
}

/* Every {NAME} in text is a var; else say which is not. */
static void refs_check(struct parser *p, int line, const char *key, const char *text)
{
	for (const char *s = strchr(text, '{'); s; s = strchr(s + 1, '{')) {
		size_t len = s == text || s[-1] != '$' ? ref_at(s) : 0;
		if (len && !var_find(p->c, s + 1, len))
			perr(p, line, "%s: {%.*s} is not a var (define it under [vars])", key, (int)len, s + 1);
	}
}

/* "NODE: COMMAND" into l; false after saying why. */
static bool node_line_parse(struct parser *p, const char *key, const char *value, struct node_line *l, int *n)
{
	int line = p->in.line;
	const char *colon = strchr(value, ':');
	if (*n == CHALLENGE_LINES_MAX)
		return perr(p, line, "more than %d '%s' lines in a [break]", CHALLENGE_LINES_MAX, key), false;
	if (!colon || colon == value || (size_t)(colon - value) >= sizeof(l->node))
		return perr(p, line, "%s: expected 'NODE: COMMAND' (lb1: service haproxy reload)", key), false;
	while (*++colon == ' ')
		;
	if (!*colon)
		return perr(p, line, "%s: no command after the node", key), false;
	if (strlen(colon) >= CHALLENGE_COMMAND_MAX || !inifile_printable(colon))
		return perr(p, line, "%s: the command is longer than %d bytes or holds a control character", key,
			    CHALLENGE_COMMAND_MAX - 1), false;
	struct node_line *to = &l[*n];
	snprintf(to->node, sizeof(to->node), "%.*s", (int)(strchr(value, ':') - value), value);
	if (!name_ok(to->node, sizeof(to->node)) && !strchr(to->node, '{'))
		return perr(p, line, "%s: '%s' is not a node's name", key, to->node), false;
	to->command = xstrdup(colon);
	to->line = line;
	(*n)++;
	refs_check(p, line, key, value);
	return true;
}

static void challenge_key(struct parser *p, const char *key, const char *value)
{
	struct challenge *c = p->c;
	int line = p->in.line;
	static const char *const keys[] = { "title", "topology", "symptom", "skills", "timing" };
	char *dst[] = { c->title, c->topology, c->symptom, c->skills, c->timing };
	size_t size[] = { sizeof(c->title), sizeof(c->topology), sizeof(c->symptom), sizeof(c->skills), sizeof(c->timing) };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strcmp(key, keys[i]) != 0)
			continue;
		if (*dst[i] && dst[i] == c->symptom && strlen(c->symptom) + 1 + strlen(value) < size[i] &&
		    inifile_printable(value))
			snprintf(c->symptom + strlen(c->symptom), size[i] - strlen(c->symptom), " %s", value); /* goes on */
		else if (*dst[i] && dst[i] == c->symptom)
			perr(p, line, "the symptom is longer than %zu bytes, or holds a control character", size[i] - 1);
		else if (*dst[i])
			perr(p, line, "'%s' is set twice", key);
		else if (strlen(value) >= size[i] || !inifile_printable(value))
			perr(p, line, "%s is longer than %zu bytes, or holds a control character", key, size[i] - 1);
		else if (dst[i] == c->timing && strcmp(value, "fast") && strcmp(value, "calm") && strcmp(value, "real"))
			perr(p, line, "timing '%s': expected fast, calm or real", value);
		else
			snprintf(dst[i], size[i], "%s", value);
		return;
	}
	perr(p, line, "unknown key '%s' in [challenge] (known: title, topology, symptom, skills, timing)", key);
}

static void var_key(struct parser *p, const char *key, const char *value)
{
	struct challenge *c = p->c;
	int line = p->in.line;
	if (!name_ok(key, sizeof(c->vars[0].name)))
		return perr(p, line, "var '%s': a name is a-z, 0-9, '-' and '_', starting with a letter", key);
	if (var_find(c, key, strlen(key)))
		return perr(p, line, "var '%s' is defined twice", key);
	if (c->n_vars == CHALLENGE_VARS_MAX)
		return perr(p, line, "more than %d vars", CHALLENGE_VARS_MAX);
	struct challenge_var *v = &c->vars[c->n_vars];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", key);
	v->line = line;
	_cleanup_free_ char *buf = xstrdup(value);
	for (char *save = NULL, *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (v->n_values == CHALLENGE_VALUES_MAX)
			return perr(p, line, "var %s: more than %d values", key, CHALLENGE_VALUES_MAX);
		if (strlen(w) >= sizeof(v->values[0]) || !inifile_printable(w) || strpbrk(w, "'\"\\`$;|&<>(){}#*?[]~!") || w[0] == '-')
			return perr(p, line, "var %s: value '%s' is too long, starts with '-' or holds a quote, brace or shell character",
				    key, w);
		snprintf(v->values[v->n_values++], sizeof(v->values[0]), "%s", w);
	}
	if (v->n_values == 0)
		return perr(p, line, "var %s has no value", key);
	c->n_vars++;
}

static void break_key(struct parser *p, const char *key, const char *value)
{
	struct challenge_break *b = p->brk;
	if (strcmp(key, "run") == 0)
		node_line_parse(p, key, value, b->run, &b->n_run);
	else if (strcmp(key, "solve") == 0)
		node_line_parse(p, key, value, b->solve, &b->n_solve);
	else
		perr(p, p->in.line, "unknown key '%s' in [break %s] (known: run, solve)", key, b->name);
}

static void grade_key(struct parser *p, const char *key, const char *value)
{
	struct challenge *c = p->c;
	int line = p->in.line;
	if (strcmp(key, "expect") != 0)
		return perr(p, line, "unknown key '%s' in [grade] (known: expect)", key);
	if (c->n_grade == CHALLENGE_LINES_MAX)
		return perr(p, line, "more than %d expect lines", CHALLENGE_LINES_MAX);
	if (!inifile_printable(value) || strlen(value) >= 256)
		return perr(p, line, "expect is longer than 255 bytes, or holds a control character");
	c->grade[c->n_grade].text = xstrdup(value);
	c->grade[c->n_grade++].line = line;
	refs_check(p, line, key, value);
}

static void hint_key(struct parser *p, const char *key, const char *value)
{
	struct challenge_hint *h = p->hint;
	int line = p->in.line;
	char *end;
	if (strcmp(key, "after") == 0) {
		double s = strtod(value, &end);
		if (end == value || strcmp(end, "s") != 0 || !(s >= 0 && s <= 24 * 3600))
			perr(p, line, "after: expected seconds, like 120s (0 to 86400)");
		else
			h->after_s = s;
	} else if (strcmp(key, "say") == 0) {
		/* repeatable: a long hint goes on over several lines */
		if (!inifile_printable(value))
			perr(p, line, "say holds a control character or is not UTF-8");
		else if (h->say && strlen(h->say) + strlen(value) > 1024)
			perr(p, line, "[hint %s] says more than 1024 bytes", h->name);
		else {
			char *said = h->say ? xasprintf("%s %s", h->say, value) : xstrdup(value);
			free(h->say);
			h->say = said;
		}
	} else {
		perr(p, line, "unknown key '%s' in [hint %s] (known: after, say)", key, h->name);
	}
}

/* A section seen for the first time: a [break] or [hint] gets its slot. */
static void section_start(struct parser *p, const char *section, int line)
{
	struct challenge *c = p->c;
	p->brk = NULL;
	p->hint = NULL;
	if (str_has_prefix(section, "break ")) {
		const char *name = section + 6;
		if (!name_ok(name, sizeof(c->breaks[0].name)))
			return perr(p, line, "[break %s]: a name is a-z, 0-9, '-' and '_', starting with a letter", name);
		for (int i = 0; i < c->n_breaks; i++)
			if (strcmp(c->breaks[i].name, name) == 0)
				return perr(p, line, "[break %s] is there twice", name);
		if (c->n_breaks == CHALLENGE_BREAKS_MAX)
			return perr(p, line, "more than %d [break] sections", CHALLENGE_BREAKS_MAX);
		p->brk = &c->breaks[c->n_breaks++];
		snprintf(p->brk->name, sizeof(p->brk->name), "%s", name);
		p->brk->line = line;
	} else if (str_has_prefix(section, "hint ")) {
		const char *name = section + 5;
		if (strlen(name) >= sizeof(c->hints[0].name) || !*name || !inifile_printable(name))
			return perr(p, line, "[hint %s]: a hint's name is short and printable", name);
		if (c->n_hints == CHALLENGE_HINTS_MAX)
			return perr(p, line, "more than %d hints", CHALLENGE_HINTS_MAX);
		p->hint = &c->hints[c->n_hints++];
		snprintf(p->hint->name, sizeof(p->hint->name), "%s", name);
		p->hint->line = line;
		p->hint->after_s = -1;
	}
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parser *p = user;
	if (strcmp(p->section, section) != 0)
		section_start(p, section, p->in.line);
	snprintf(p->section, sizeof(p->section), "%s", section);
	if (strcmp(section, "challenge") == 0)
		challenge_key(p, key, value);
	else if (strcmp(section, "vars") == 0)
		var_key(p, key, value);
	else if (strcmp(section, "grade") == 0)
		grade_key(p, key, value);
	else if (p->brk)
		break_key(p, key, value);
	else if (p->hint)
		hint_key(p, key, value);
	else if (!str_has_prefix(section, "break ") && !str_has_prefix(section, "hint "))
		perr(p, p->in.line, "unknown section [%s] (known: [challenge], [vars], [break NAME], [grade], [hint NAME])",
		     section);
	return 1;
}

static int by_delay(const void *a, const void *b)
{
	double x = ((const struct challenge_hint *)a)->after_s, y = ((const struct challenge_hint *)b)->after_s;
	return (x > y) - (x < y);
}

static bool grade_pred(const struct challenge *c, const struct variant *v, int i, struct pred *p, char *why,
		       size_t size);

/* What the file as a whole must have; each expect line parses with the
 * first value of every var (challenge_lint tries the others). */
static void validate(struct parser *p)
{
	struct challenge *c = p->c;
	if (!c->title[0])
		perr(p, 0, "no title (add 'title = …' under [challenge])");
	if (!c->topology[0])
		perr(p, 0, "no topology (add 'topology = scale-up' under [challenge])");
	if (!c->symptom[0])
		perr(p, 0, "no symptom (add 'symptom = …' under [challenge]: what the student is told)");
	if (c->n_breaks == 0)
		perr(p, 0, "no [break NAME]: a challenge needs at least one way to break the stack");
	if (c->n_grade == 0)
		perr(p, 0, "no [grade] with an expect line: nothing would say it is fixed");
	for (int i = 0; i < c->n_breaks; i++) {
		if (!c->breaks[i].n_run)
			perr(p, c->breaks[i].line, "[break %s] has no run line (what breaks the stack)", c->breaks[i].name);
		if (!c->breaks[i].n_solve)
			perr(p, c->breaks[i].line, "[break %s] has no solve line (what `challenge test` fixes it with)",
			     c->breaks[i].name);
	}
	for (int i = 0; i < c->n_hints; i++) {
		if (!c->hints[i].say)
			perr(p, c->hints[i].line, "[hint %s] says nothing (add 'say = …')", c->hints[i].name);
		if (c->hints[i].after_s < 0)
			perr(p, c->hints[i].line, "[hint %s] has no 'after = Ns' (when it may be shown)", c->hints[i].name);
	}
	qsort(c->hints, (size_t)c->n_hints, sizeof(c->hints[0]), by_delay);
	struct variant v;
	challenge_variant_of_break(c, 0, &v);
	for (int i = 0; i < c->n_grade; i++) {
		struct pred pred;
		char why[256];
		if (!grade_pred(c, &v, i, &pred, why, sizeof(why)))
			perr(p, c->grade[i].line, "expect: %s", why);
	}
}

int challenge_parse(FILE *f, const char *path, struct challenge **out, char **errors)
{
	struct parser p = { .c = xcalloc(1, sizeof(struct challenge)) };
	inifile_parse(&p.in, f, path, CHALLENGE_FILE_MAX, handler, &p);
	validate(&p);
	struct challenge *c = p.c;
	c->path = xstrdup(path);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(c->name, sizeof(c->name), "%.*s", (int)strcspn(base, "."), base);
	if (!c->timing[0])
		snprintf(c->timing, sizeof(c->timing), "fast");
	*errors = inifile_end(&p.in);
	if (*errors) {
		challenge_free(c);
		*out = NULL;
		return -EINVAL;
	}
	*out = c;
	return 0;
}

int challenge_load(const char *path, struct challenge **out, char **errors)
{
	FILE *f = NULL;
	*out = NULL;
	int r = inifile_open(path, CHALLENGE_FILE_MAX, "a challenge", &f, errors);
	if (r < 0)
		return r;
	r = challenge_parse(f, path, out, errors);
	fclose(f);
	return r;
}

void challenge_free(struct challenge *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n_breaks; i++) {
		for (int k = 0; k < c->breaks[i].n_run; k++)
			free(c->breaks[i].run[k].command);
		for (int k = 0; k < c->breaks[i].n_solve; k++)
			free(c->breaks[i].solve[k].command);
	}
	for (int i = 0; i < c->n_grade; i++)
		free(c->grade[i].text);
	for (int i = 0; i < c->n_hints; i++)
		free(c->hints[i].say);
	free(c->path);
	free(c);
}

/* Expect line i of variant v, parsed into p; false with why. */
static bool grade_pred(const struct challenge *c, const struct variant *v, int i, struct pred *p, char *why,
		       size_t size)
{
	char text[256];
	if (!challenge_expand(c, v, c->grade[i].text, text, sizeof(text)))
		return snprintf(why, size, "too long once its vars are put in"), false;
	bool within = strstr(text, " within ") != NULL;
	if (!(within ? pred_parse_wait(text, p, why, size) : pred_parse(text, p, why, size)))
		return false;
	if (!within)
		p->within_s = CHALLENGE_GRADE_WITHIN_S;
	p->line = c->grade[i].line;
	return true;
}

int challenge_grade_preds(const struct challenge *c, const struct variant *v, struct pred *preds, char *why,
			  size_t size)
{
	for (int i = 0; i < c->n_grade; i++) {
		char reason[256];
		if (!grade_pred(c, v, i, &preds[i], reason, sizeof(reason))) {
			snprintf(why, size, "%s:%d: expect: %s", c->path, c->grade[i].line, reason);
			return -1;
		}
	}
	return c->n_grade;
}

/* --- variants ----------------------------------------------------------------------------- */

/* FNV-1a over the parts, each with its terminating zero (so "ab","c" is
 * not "a","bc"), then splitmix64's finaliser to spread it. */
uint64_t challenge_seed(const char *user, const char *challenge, const char *salt)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const char *parts[] = { user, challenge, salt ? salt : "" };
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		for (const char *s = parts[i];; s++) {
			h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
			if (!*s)
				break;
		}
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static bool mentions(const char *text, const char *var)
{
	size_t len = strlen(var);
	for (const char *s = strchr(text, '{'); s; s = strchr(s + 1, '{'))
		if (ref_at(s) == len && strncmp(s + 1, var, len) == 0)
			return true;
	return false;
}

bool challenge_var_used(const struct challenge *c, int brk, int var)
{
	const struct challenge_break *b = &c->breaks[brk];
	const char *name = c->vars[var].name;
	for (int k = 0; k < b->n_run; k++)
		if (mentions(b->run[k].node, name) || mentions(b->run[k].command, name))
			return true;
	for (int k = 0; k < b->n_solve; k++)
		if (mentions(b->solve[k].node, name) || mentions(b->solve[k].command, name))
			return true;
	for (int k = 0; k < c->n_grade; k++)
		if (mentions(c->grade[k].text, name))
			return true;
	return false;
}

void challenge_variant_name(const struct challenge *c, struct variant *v)
{
	size_t o = (size_t)snprintf(v->id, sizeof(v->id), "%s", c->breaks[v->brk].name);
	for (int i = 0; i < c->n_vars && o < sizeof(v->id); i++)
		if (challenge_var_used(c, v->brk, i))
			o += (size_t)snprintf(v->id + o, sizeof(v->id) - o, " %s=%s", c->vars[i].name,
					      c->vars[i].values[v->value[i]]);
}

void challenge_variant(const struct challenge *c, uint64_t seed, struct variant *v)
{
	memset(v, 0, sizeof(*v));
	v->seed = seed;
	uint64_t x = seed;
	v->brk = c->n_breaks ? (int)(x % (uint64_t)c->n_breaks) : 0;
	x /= c->n_breaks ? (uint64_t)c->n_breaks : 1;
	for (int i = 0; i < c->n_vars; i++) {
		v->value[i] = (int)(x % (uint64_t)c->vars[i].n_values);
		x /= (uint64_t)c->vars[i].n_values;
	}
	if (c->n_breaks)
		challenge_variant_name(c, v);
}

void challenge_variant_of_break(const struct challenge *c, int brk, struct variant *v)
{
	memset(v, 0, sizeof(*v));
	v->brk = brk;
	v->seed = (uint64_t)brk; /* what challenge_variant picks from it, too */
	if (c->n_breaks)
		challenge_variant_name(c, v);
}

long challenge_variants(const struct challenge *c)
{
	long n = 0;
	for (int b = 0; b < c->n_breaks; b++) {
		long of_break = 1;
		for (int i = 0; i < c->n_vars; i++)
			if (challenge_var_used(c, b, i))
				of_break *= c->vars[i].n_values;
		n += of_break;
	}
	return n;
}

char *challenge_resolve(const char *name_or_path)
{
	return scenario_resolve(name_or_path, "challenges", ".challenge");
}

/* --- against the topology ------------------------------------------------------------------- */

static void lint_line(const struct challenge *c, const struct topo *t, const struct variant *v,
		      const struct node_line *l, FILE *err, int *n)
{
	char node[64];
	if (!challenge_expand(c, v, l->node, node, sizeof(node)) || !topo_node_find(t, node)) {
		char known[512] = "";
		for (int i = 0; i < t->n_nodes; i++)
			snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", i ? ", " : "", t->nodes[i].name);
		inifile_put_escaped(c->path, err);
		fprintf(err, ":%d: ", l->line);
		_cleanup_free_ char *msg = xasprintf("no node '%s' in topology %s (nodes: %s)", node, t->name, known);
		inifile_put_escaped(msg, err);
		fputc('\n', err);
		(*n)++;
	}
}

/* One variant's problems, into err. */
static int lint_variant(const struct challenge *c, const struct topo *t, const char *data, const struct variant *v,
			FILE *err)
{
	int n = 0;
	for (int b = 0; b < c->n_breaks; b++) {
		for (int k = 0; k < c->breaks[b].n_run; k++)
			lint_line(c, t, v, &c->breaks[b].run[k], err, &n);
		for (int k = 0; k < c->breaks[b].n_solve; k++)
			lint_line(c, t, v, &c->breaks[b].solve[k], err, &n);
	}
	struct pred preds[CHALLENGE_LINES_MAX];
	char why[512];
	if (challenge_grade_preds(c, v, preds, why, sizeof(why)) < 0) {
		inifile_put_escaped(why, err);
		fputc('\n', err);
		return n + 1;
	}
	for (int i = 0; i < c->n_grade; i++)
		n += pred_lint(c->path, &preds[i], t, data, err);
	return n;
}

int challenge_lint(const struct challenge *c, const struct topo *t, const char *data, char **errors)
{
	/* Each value of each var, the others at their first: a problem is
	 * said once, however many variants share it. */
	char *all = NULL;
	size_t all_len = 0;
	FILE *out = open_memstream(&all, &all_len);
	if (!out)
		die("out of memory");
	int n = 0;
	for (int var = -1; var < c->n_vars; var++)
		for (int val = 0; val < (var < 0 ? 1 : c->vars[var].n_values); val++) {
			struct variant v;
			challenge_variant_of_break(c, 0, &v);
			if (var >= 0)
				v.value[var] = val;
			char *buf = NULL;
			size_t len = 0;
			FILE *err = open_memstream(&buf, &len);
			if (!err)
				die("out of memory");
			lint_variant(c, t, data, &v, err);
			fclose(err);
			for (char *line = buf, *nl; line && *line; line = nl + 1) {
				if (!(nl = strchr(line, '\n')))
					nl = line + strlen(line) - 1;
				else
					*nl = '\0';
				fflush(out);
				bool said = false;
				for (char *s = all; s && !said && (s = strstr(s, line)); s++)
					said = (s == all || s[-1] == '\n') && s[strlen(line)] == '\n';
				if (!said) {
					fprintf(out, "%s\n", line);
					n++;
				}
			}
			free(buf);
		}
	fclose(out);
	if (n == 0) {
		free(all);
		all = NULL;
	}
	*errors = all;
	return n;
}
