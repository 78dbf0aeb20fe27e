/* lesson.c — read and check a lesson file (see lesson.h). Like topo.c, in
 * two passes: inih hands key/value pairs, filed by section with their
 * lines; then marks and measures are checked in the order they are used,
 * and lesson_lint() checks every name against the topology. */
#include "lesson.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "inifile.h"
#include "render.h"
#include "util.h"

struct parser {
	struct lesson *l;
	struct inifile in;
	struct step *step;             /* the [step] being read */
	char section[80];              /* the section the last key was in */
	int section_line;
};

/* A problem at `line`, reported with the file's name (escaped). */
#define perr(p, line, ...) inifile_error(&(p)->in, (line), __VA_ARGS__)

static bool valid_name(const char *s);

/* --- predicates -------------------------------------------------------------- */

/* Split text into at most max words (in place, in buf). */
static int split(char *buf, char **w, int max)
{
	int n = 0;
	for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return -1;
		w[n++] = t;
	}
	return n;
}

/* "A/B" into a and b; false unless both are there. */
static bool slash_pair(const char *s, char *a, char *b, size_t size)
{
	const char *slash = strchr(s, '/');
	if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/'))
		return false;
	snprintf(a, size, "%.*s", (int)(slash - s), s);
	snprintf(b, size, "%s", slash + 1);
	return strlen(a) < size && strlen(b) < size;
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

/* A number with a unit suffix ("5s", "99%"), or without one if unit is "". */
static bool number(const char *s, const char *unit, double lo, double hi, double *out)
{
	char *end;
	*out = strtod(s, &end);
	return end != s && strcmp(end, unit) == 0 && *out >= lo && *out <= hi;
}

static bool copy(char *dst, size_t size, const char *src)
{
	return str_copy(dst, size, src) == 0;
}

#define WHY(...) (snprintf(why, size, __VA_ARGS__), false)

/* Is a regex too costly to compile? glibc's regcomp writes each repetition
 * out (a+ as aa*, (x){3} as xxx), so repetitions of repetitions grow
 * exponentially: the lesson fuzzer found one `+` after another taking
 * seconds and gigabytes. The size written out is estimated here; a
 * lesson's regex needs a few hundred at most. */
#define REGEX_SIZE_MAX 4000

/* A backreference (\1 … \9) makes matching exponential in glibc, whatever
 * the pattern's size: (.*)(.*)(.*)(.*)(.*)\5\4\3\2\1x took 39 s on
 * HAProxy's log. Outside a bracket expression, where \1 is two characters. */
static bool regex_has_backref(const char *re)
{
	for (const char *c = re; *c; c++) {
		if (*c == '[') { /* []…] and [^]…]: a ']' first is a member */
			const char *e = c + 1 + (c[1] == '^');
			e += *e == ']';
			while (*e && *e != ']')
				e++;
			if (!*e)
				return false;
			c = e;
		} else if (*c == '\\' && c[1]) {
			if (c[1] >= '1' && c[1] <= '9')
				return true;
			c++;
		}
	}
	return false;
}

static bool regex_too_costly(const char *re)
{
	double size = 0, last = 0, outer[32];
	int depth = 0;
	for (const char *c = re; *c; c++) {
		double times = 0;
		if (*c == '\\' && c[1]) {
			c++;
		} else if (*c == '[') { /* a bracket expression is one atom: to its ']' */
			const char *e = c + 1 + (c[1] == '^');
			e += *e == ']';
			while (*e && *e != ']') {
				if (*e == '[' && e[1] && strchr(":.=", e[1])) { /* [:space:], [.-.], [=a=] */
					const char end[3] = { e[1], ']', '\0' }, *x = strstr(e + 2, end);
					if (x)
						e = x + 1;
				}
				e++;
			}
			if (!*e)
				return false; /* regcomp says what is wrong */
			c = e;
		} else if (*c == '(') {
			if (depth == (int)ARRAY_SIZE(outer))
				return true;
			outer[depth++] = size;
			size = 0;
			continue;
		} else if (*c == ')' && depth > 0) {
			last = size;
			size += outer[--depth];
			continue;
		} else if (*c == '+') {
			times = 2;
		} else if (*c == '{') {
			char *end;
			times = strtod(c + 1, &end);
			if (*end == ',' && end[1] != '}')
				{
				double upto = strtod(end + 1, &end);
				times = upto > times ? upto : times;
			}
			c = *end == '}' ? end : c;
		} else if (*c == '*' || *c == '?' || *c == '|') {
			continue;
		}
		if (times > 0) { /* the last atom or group, written out `times` times */
			times = times < 1 ? 1 : times;
			size += last * (times - 1);
			last *= times;
		} else {
			last = 1;
			size += 1;
		}
		if (size > REGEX_SIZE_MAX || last > REGEX_SIZE_MAX)
			return true;
	}
	return size > REGEX_SIZE_MAX;
}

/* The regex after " ~ ", checked to compile. */
static bool regex_part(const char *text, struct pred *p, char *why, size_t size, char *before, size_t bsize)
{
	/* The last " ~ ": a command may hold one, a regex rarely ends in one. */
	const char *tilde = NULL;
	for (const char *t = strstr(text, " ~ "); t; t = strstr(t + 1, " ~ "))
		tilde = t;
	if (!tilde)
		return WHY("expected '… ~ REGEX'");
	if (!copy(p->regex, sizeof(p->regex), tilde + 3) || !p->regex[0])
		return WHY("the regular expression is empty or too long");
	if (regex_too_costly(p->regex))
		return WHY("'%s' repeats too much (repetitions of repetitions, like a++ or (x{9}){9})", p->regex);
	if (regex_has_backref(p->regex))
		return WHY("'%s' has a backreference (\\1 … \\9): matching one can take minutes on a long log", p->regex);
	regex_t re;
	if (regcomp(&re, p->regex, REG_EXTENDED | REG_NOSUB) != 0)
		return WHY("'%s' is not an extended regular expression", p->regex);
	regfree(&re);
	snprintf(before, bsize, "%.*s", (int)(tilde - text), text);
	return true;
}

bool pred_parse(const char *text, struct pred *p, char *why, size_t size)
{
	memset(p, 0, sizeof(*p));
	if (!copy(p->text, sizeof(p->text), text))
		return WHY("the predicate is too long");
	char buf[256], head[256] = "";
	char *w[LESSON_ARGS_MAX + 4];
	snprintf(buf, sizeof(buf), "%s", text);
	size_t first = strcspn(text, " \t");
	if ((first == 3 && strncmp(text, "log", 3) == 0) || (first == 3 && strncmp(text, "run", 3) == 0) ||
	    (first == 7 && strncmp(text, "capture", 7) == 0)) {
		/* These end in a regular expression that may hold anything. */
		if (!regex_part(text, p, why, size, head, sizeof(head)))
			return false;
		snprintf(buf, sizeof(buf), "%s", head);
	}
	int n = split(buf, w, (int)ARRAY_SIZE(w));
	if (n <= 0)
		return WHY(n == 0 ? "empty predicate" : "too many words");
	static const char *const vrrp_states[] = { "MASTER", "BACKUP", "FAULT", NULL };
	static const char *const server_states[] = { "UP", "DOWN", "DRAIN", NULL };
	static const char *const node_states[] = { "up", "down", "frozen", "crashed", "starting", NULL };
	static const char *const daemon_states[] = { "running", "stopped", NULL };
	static const char *const results[] = { "ok", "failed", "timeout", "http5xx", NULL };
	if (strcmp(w[0], "vip") == 0) {
		p->kind = PRED_VIP;
		if (n < 4 || strcmp(w[2], "on") != 0)
			return WHY("expected 'vip NAME on NODE [NODE…]'");
		if (n - 3 > LESSON_ARGS_MAX)
			return WHY("more than %d holders", LESSON_ARGS_MAX);
		copy(p->a, sizeof(p->a), w[1]);
		for (int k = 3; k < n; k++)
			if (!copy(p->list[p->n_list++], sizeof(p->list[0]), w[k]))
				return WHY("'%s' is too long for a node name", w[k]);
		return true;
	}
	if (strcmp(w[0], "vrrp") == 0 || strcmp(w[0], "node") == 0 || strcmp(w[0], "server") == 0 ||
	    strcmp(w[0], "daemon") == 0) {
		bool vrrp = w[0][0] == 'v', node = w[0][0] == 'n', server = w[0][0] == 's';
		p->kind = vrrp ? PRED_VRRP : node ? PRED_NODE : server ? PRED_SERVER : PRED_DAEMON;
		const char *const *states = vrrp ? vrrp_states : node ? node_states : server ? server_states : daemon_states;
		const char *shape = vrrp ? "vrrp NODE is MASTER|BACKUP|FAULT" : node ? "node NODE is up|down|frozen|crashed"
				    : server ? "server LB/SERVER is UP|DOWN|DRAIN" : "daemon NODE/DAEMON is running|stopped";
		if (n != 4 || strcmp(w[2], "is") != 0 || !one_of(w[3], states))
			return WHY("expected '%s'", shape);
		if ((server || p->kind == PRED_DAEMON) ? !slash_pair(w[1], p->a, p->b, sizeof(p->a))
						       : !copy(p->a, sizeof(p->a), w[1]))
			return WHY("expected '%s'", shape);
		copy(p->want, sizeof(p->want), w[3]);
		return true;
	}
	if (strcmp(w[0], "request") == 0) {
		p->kind = PRED_REQUEST;
		double code;
		if (n != 4 || strcmp(w[2], "->") != 0 || w[1][0] != '/' ||
		    !(strcmp(w[3], "timeout") == 0 || strcmp(w[3], "refused") == 0 || number(w[3], "", 100, 599, &code)))
			return WHY("expected 'request PATH -> CODE|timeout|refused'");
		copy(p->a, sizeof(p->a), w[1]);
		copy(p->want, sizeof(p->want), w[3]);
		return true;
	}
	if (strcmp(w[0], "connect") == 0) {
		p->kind = PRED_CONNECT;
		const char *colon = n == 5 ? strrchr(w[2], ':') : NULL;
		double port;
		if (n != 5 || strcmp(w[3], "->") != 0 || !colon || !number(colon + 1, "", 1, 65535, &port) ||
		    !one_of(w[4], (const char *const[]){ "open", "refused", "timeout", NULL }))
			return WHY("expected 'connect NODE HOST:PORT -> open|refused|timeout'");
		/* HOST:PORT goes into a command run in the node: a name or an
		 * address, nothing else. */
		if (!copy(p->b, sizeof(p->b), w[2]) || strspn(w[2], "abcdefghijklmnopqrstuvwxyz0123456789.-:") != strlen(w[2]))
			return WHY("'%s' is not HOST:PORT (a name or an address, and a port)", w[2]);
		copy(p->a, sizeof(p->a), w[1]);
		copy(p->want, sizeof(p->want), w[4]);
		return true;
	}
	if (strcmp(w[0], "traffic") == 0 && n == 7 && strcmp(w[1], "share") == 0) {
		p->kind = PRED_SHARE;
		if (!one_of(w[3], (const char *const[]){ ">=", "<=", NULL }) || !number(w[4], "%", 0, 100, &p->percent) ||
		    strcmp(w[5], "over") != 0 || !number(w[6], "s", 0.1, 600, &p->over_s) || !copy(p->a, sizeof(p->a), w[2]))
			return WHY("expected 'traffic share WEB >=|<= N%% over Ds'");
		copy(p->b, sizeof(p->b), w[3]);
		return true;
	}
	if (strcmp(w[0], "capture") == 0) {
		p->kind = PRED_CAPTURE;
		if (n != 2 || !copy(p->a, sizeof(p->a), w[1]) || strspn(w[1], "abcdefghijklmnopqrstuvwxyz0123456789-:") != strlen(w[1]))
			return WHY("expected 'capture LINK ~ REGEX' (a LINK is NODE-IFACE)");
		return true;
	}
	if (strcmp(w[0], "prometheus") == 0) {
		p->kind = PRED_PROM;
		if (n != 5 || !one_of(w[2], (const char *const[]){ "qps", "5xx", NULL }) ||
		    !one_of(w[3], (const char *const[]){ ">=", "<=", NULL }) || !number(w[4], "", 0, 1e6, &p->percent) ||
		    !copy(p->a, sizeof(p->a), w[1]))
			return WHY("expected 'prometheus WEB qps|5xx >=|<= N'");
		copy(p->want, sizeof(p->want), w[2]);
		copy(p->b, sizeof(p->b), w[3]);
		return true;
	}
	if (strcmp(w[0], "replica") == 0) {
		p->kind = PRED_REPLICA;
		bool is = n == 4 && strcmp(w[2], "is") == 0 && one_of(w[3], (const char *const[]){ "replicating", "broken", NULL });
		bool lag = n == 5 && strcmp(w[2], "lag") == 0 && one_of(w[3], (const char *const[]){ ">=", "<=", NULL }) &&
			   number(w[4], "", 0, 1e9, &p->percent);
		if ((!is && !lag) || !copy(p->a, sizeof(p->a), w[1]))
			return WHY("expected 'replica NODE is replicating|broken' or 'replica NODE lag >=|<= N'");
		copy(p->want, sizeof(p->want), is ? w[3] : "lag");
		if (lag)
			copy(p->b, sizeof(p->b), w[3]);
		return true;
	}
	if (strcmp(w[0], "traffic") == 0 && n == 6 && one_of(w[1], (const char *const[]){ "p50", "p99", NULL })) {
		p->kind = PRED_TRAFFIC;
		if (!one_of(w[2], (const char *const[]){ ">=", "<=", NULL }) || !number(w[3], "ms", 0, 60000, &p->ms) ||
		    strcmp(w[4], "over") != 0 || !number(w[5], "s", 0.1, 600, &p->over_s))
			return WHY("expected 'traffic p50|p99 >=|<= Nms over Ds'");
		copy(p->want, sizeof(p->want), w[1]);
		copy(p->b, sizeof(p->b), w[2]);
		return true;
	}
	if (strcmp(w[0], "traffic") == 0) {
		p->kind = PRED_TRAFFIC;
		if (n != 6 || !one_of(w[1], results) || strcmp(w[2], ">=") != 0 || !number(w[3], "%", 0, 100, &p->percent) ||
		    strcmp(w[4], "over") != 0 || !number(w[5], "s", 0.1, 600, &p->over_s))
			return WHY("expected 'traffic ok|failed|timeout|http5xx >= N%% over Ds' or 'traffic p50|p99 >=|<= Nms over Ds'");
		copy(p->want, sizeof(p->want), w[1]);
		return true;
	}
	if (strcmp(w[0], "trace") == 0) {
		p->kind = PRED_TRACE;
		int k = 1;
		if (k < n && w[k][0] == '/')
			copy(p->a, sizeof(p->a), w[k++]);
		else
			copy(p->a, sizeof(p->a), "/");
		if (k >= n || strcmp(w[k], "passes") != 0 || k + 1 >= n)
			return WHY("expected 'trace [PATH] passes NODE [NODE…]'");
		for (k++; k < n; k++)
			if (p->n_list == LESSON_ARGS_MAX || !copy(p->list[p->n_list++], sizeof(p->list[0]), w[k]))
				return WHY("too many nodes, or a name too long");
		return true;
	}
	if (strcmp(w[0], "log") == 0) {
		p->kind = PRED_LOG;
		if (n != 2 || !slash_pair(w[1], p->a, p->b, sizeof(p->a)))
			return WHY("expected 'log NODE/DAEMON ~ REGEX'");
		return true;
	}
	if (strcmp(w[0], "run") == 0) {
		p->kind = PRED_RUN;
		const char *colon = strchr(head, ':');
		if (n < 3 || !colon || strlen(w[1]) < 2 || w[1][strlen(w[1]) - 1] != ':')
			return WHY("expected 'run NODE: COMMAND ~ REGEX'");
		snprintf(p->a, sizeof(p->a), "%.*s", (int)strlen(w[1]) - 1, w[1]);
		const char *cmd = colon + 1;
		cmd += strspn(cmd, " \t");
		if (!copy(p->command, sizeof(p->command), cmd))
			return WHY("the command is too long");
		return true;
	}
	return WHY("unknown predicate '%s' (known: vip, vrrp, server, node, daemon, request, connect, traffic, trace, "
		   "log, run, replica, capture, prometheus)", w[0]);
}

/* "PRED within Ns": the predicate and its deadline. */
bool pred_parse_wait(const char *text, struct pred *p, char *why, size_t size)
{
	const char *within = NULL;
	for (const char *t = strstr(text, " within "); t; t = strstr(t + 1, " within "))
		within = t;
	double s;
	if (!within || !number(within + 8, "s", 0.1, 600, &s))
		return WHY("expected 'PREDICATE within Ns' (N from 0.1 to 600)");
	char head[256];
	snprintf(head, sizeof(head), "%.*s", (int)(within - text), text);
	if (!pred_parse(head, p, why, size))
		return false;
	p->within_s = s;
	return true;
}

/* "from @MARK until PRED" | "traffic WHAT since @MARK over Ds" */
static bool measure_parse(const char *text, struct measure *m, char *why, size_t size)
{
	char buf[256];
	char *w[8];
	if (str_has_prefix(text, "from @")) {
		const char *until = strstr(text, " until ");
		if (!until)
			return WHY("expected 'from @MARK until PREDICATE'");
		if (until - text - 6 >= (long)sizeof(m->mark))
			return WHY("the mark's name is too long");
		snprintf(m->mark, sizeof(m->mark), "%.*s", (int)(until - text - 6), text + 6);
		if (!valid_name(m->mark))
			return WHY("'@%s' is not a mark's name", m->mark);
		m->kind = MEASURE_UNTIL;
		return pred_parse(until + 7, &m->until, why, size);
	}
	snprintf(buf, sizeof(buf), "%s", text);
	int n = split(buf, w, 8);
	static const char *const counts[] = { "ok", "failed", "timeout", "http5xx", NULL };
	static const char *const latencies[] = { "p50", "p99", NULL };
	if (n == 6 && strcmp(w[0], "traffic") == 0 && (one_of(w[1], counts) || one_of(w[1], latencies)) &&
	    strcmp(w[2], "since") == 0 && w[3][0] == '@' && strcmp(w[4], "over") == 0 &&
	    number(w[5], "s", 0.1, 600, &m->over_s)) {
		m->kind = one_of(w[1], counts) ? MEASURE_COUNT : MEASURE_LATENCY;
		copy(m->what, sizeof(m->what), w[1]);
		if (!copy(m->mark, sizeof(m->mark), w[3] + 1) || !valid_name(m->mark))
			return WHY("'%s' is not a mark's name", w[3]);
		return true;
	}
	return WHY("expected 'from @MARK until PREDICATE' or 'traffic ok|failed|timeout|http5xx|p50|p99 since @MARK "
		   "over Ds'");
}

/* --- sections -------------------------------------------------------------------- */

static bool valid_name(const char *s)
{
	if (!*s || !islower((unsigned char)*s) || strlen(s) >= LESSON_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static void words_parse(struct parser *p, struct words *ws, int *n, const char *key, const char *value)
{
	if (*n == LESSON_LINES_MAX) {
		perr(p, p->in.line, "more than %d '%s' lines", LESSON_LINES_MAX, key);
		return;
	}
	struct words *w = &ws[*n];
	memset(w, 0, sizeof(*w));
	w->line = p->in.line;
	if (!copy(w->text, sizeof(w->text), value)) {
		perr(p, w->line, "%s: the command is too long", key);
		return;
	}
	char *buf = xstrdup(value);
	int argc = split(buf, w->argv, LESSON_ARGS_MAX);
	if (argc <= 0) {
		perr(p, w->line, "%s: %s", key, argc == 0 ? "no command" : "too many words");
		free(buf);
		return;
	}
	/* argv points into buf, which the words own through argv[0]. */
	w->argc = argc;
	(*n)++;
}

static void text_set(struct parser *p, char **dst, const char *key, const char *value)
{
	if (*dst)
		perr(p, p->in.line, "'%s' is set twice in this step", key);
	else if (!inifile_printable(value))
		perr(p, p->in.line, "%s holds a control character or is not UTF-8", key);
	else
		*dst = xstrdup(value);
}

static void step_key(struct parser *p, const char *key, const char *value)
{
	struct step *s = p->step;
	int line = p->in.line;
	char why[256];
	if (strcmp(key, "say") == 0) {
		if (s->n_say == LESSON_LINES_MAX)
			perr(p, line, "more than %d 'say' lines", LESSON_LINES_MAX);
		else if (!inifile_printable(value))
			perr(p, line, "say holds a control character or is not UTF-8");
		else
			s->say[s->n_say++] = xstrdup(value);
	} else if (strcmp(key, "do") == 0) {
		words_parse(p, s->do_, &s->n_do, key, value);
	} else if (strcmp(key, "solve") == 0) {
		words_parse(p, s->solve, &s->n_solve, key, value);
	} else if (strcmp(key, "ask") == 0) {
		text_set(p, &s->ask, key, value);
	} else if (strcmp(key, "explain") == 0) {
		text_set(p, &s->explain, key, value);
		s->explain_line = line;
	} else if (strcmp(key, "mark") == 0) {
		if (s->mark[0] || !valid_name(value))
			perr(p, line, s->mark[0] ? "'mark' is set twice in this step"
						 : "mark '%s' must be a name (a-z, 0-9, '-', '_')", value);
		else
			copy(s->mark, sizeof(s->mark), value);
	} else if (strcmp(key, "wait") == 0) {
		if (s->has_wait)
			perr(p, line, "'wait' is set twice in this step (one wait a step)");
		else if (!pred_parse_wait(value, &s->wait, why, sizeof(why)))
			perr(p, line, "wait: %s", why);
		else
			s->has_wait = true, s->wait.line = line;
	} else if (strcmp(key, "measure") == 0) {
		const char *eq = strchr(value, '=');
		char name[64];
		snprintf(name, sizeof(name), "%.*s", eq ? (int)strcspn(value, " =") : 0, value);
		struct measure *m = &s->measures[s->n_measures];
		if (s->n_measures == LESSON_LINES_MAX)
			perr(p, line, "more than %d measures in a step", LESSON_LINES_MAX);
		else if (!eq || !valid_name(name))
			perr(p, line, "measure: expected 'NAME = MEASURE'");
		else if (memset(m, 0, sizeof(*m)), !measure_parse(eq + 1 + strspn(eq + 1, " "), m, why, sizeof(why)))
			perr(p, line, "measure %s: %s", name, why);
		else {
			copy(m->name, sizeof(m->name), name);
			m->line = line;
			s->n_measures++;
		}
	} else if (strcmp(key, "check") == 0) {
		char buf[256];
		char *w[4];
		snprintf(buf, sizeof(buf), "%s", value);
		struct check *c = &s->checks[s->n_checks];
		if (s->n_checks == LESSON_LINES_MAX)
			perr(p, line, "more than %d checks in a step", LESSON_LINES_MAX);
		else if (split(buf, w, 4) != 3 || !valid_name(w[0]) ||
			 !one_of(w[1], (const char *const[]){ "<", "<=", ">", ">=", "==", NULL }) ||
			 !number(w[2], "", -1e12, 1e12, &c->value))
			perr(p, line, "check: expected 'MEASURE <|<=|>|>=|== NUMBER'");
		else {
			copy(c->name, sizeof(c->name), w[0]);
			copy(c->op, sizeof(c->op), w[1]);
			c->line = line;
			s->n_checks++;
		}
	} else if (strcmp(key, "hint") == 0) {
		char *end;
		double after = strtod(value, &end);
		if (s->hint)
			perr(p, line, "'hint' is set twice in this step");
		else if (end == value || *end != 's' || end[1] != ' ' || after < 0 || after > 3600)
			perr(p, line, "hint: expected 'Ns TEXT' (show TEXT after N seconds)");
		else {
			s->hint_after_s = after;
			text_set(p, &s->hint, key, end + 2 + strspn(end + 2, " "));
		}
	} else {
		perr(p, line, "unknown key '%s' in a step (known: say, do, ask, solve, mark, wait, measure, check, hint, "
			      "explain)", key);
	}
}

/* Step `name` beginning at `line`, or NULL after saying why it cannot be. */
static struct step *new_step(struct parser *p, const char *name, int line)
{
	struct lesson *l = p->l;
	for (int i = 0; i < l->n_steps; i++)
		if (strcmp(l->steps[i].name, name) == 0) {
			perr(p, line, "step '%s' comes twice (first on line %d)", name, l->steps[i].line);
			return NULL;
		}
	if (!valid_name(name)) {
		perr(p, line, "step name '%s' must start with a-z and hold a-z, 0-9, '-', '_'", name);
		return NULL;
	}
	if (l->n_steps == LESSON_STEPS_MAX) {
		perr(p, line, "more than %d steps", LESSON_STEPS_MAX);
		return NULL;
	}
	struct step *s = &l->steps[l->n_steps++];
	copy(s->name, sizeof(s->name), name);
	s->line = line;
	return s;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parser *p = user;
	struct lesson *l = p->l;
	int line = p->in.line;
	char why[256];
	if (strcmp(section, "lesson") == 0) {
		char *dst = strcmp(key, "title") == 0 ? l->title : strcmp(key, "topology") == 0 ? l->topology
				    : strcmp(key, "goal") == 0 ? l->goal : strcmp(key, "timing") == 0 ? l->timing : NULL;
		size_t size = dst == l->title ? sizeof(l->title) : dst == l->topology ? sizeof(l->topology)
			      : dst == l->timing ? sizeof(l->timing) : sizeof(l->goal);
		if (!dst)
			perr(p, line, "unknown key '%s' in [lesson] (known: title, topology, goal, timing)", key);
		else if (dst == l->timing && strcmp(value, "fast") != 0 && strcmp(value, "calm") != 0 &&
			 strcmp(value, "real") != 0)
			perr(p, line, "timing '%s': expected fast, calm or real", value);
		else if (*dst)
			perr(p, line, "'%s' is set twice", key);
		else if (!copy(dst, size, value) || !inifile_printable(value))
			perr(p, line, "%s is too long, or holds a control character", key);
	} else if (strcmp(section, "steady") == 0) {
		if (strcmp(key, "expect") != 0)
			perr(p, line, "unknown key '%s' in [steady] (known: expect)", key);
		else if (l->n_steady == LESSON_LINES_MAX)
			perr(p, line, "more than %d expectations", LESSON_LINES_MAX);
		else if (!pred_parse(value, &l->steady[l->n_steady], why, sizeof(why)))
			perr(p, line, "expect: %s", why);
		else
			l->steady[l->n_steady++].line = line;
	} else if (strcmp(section, "cleanup") == 0) {
		if (strcmp(key, "do") != 0)
			perr(p, line, "unknown key '%s' in [cleanup] (known: do)", key);
		else
			words_parse(p, l->cleanup, &l->n_cleanup, key, value);
	} else if (str_has_prefix(section, "step ")) {
		if (strcmp(p->section, section) != 0) {
			/* A new section (inih names no headers: a change of name
			 * tells one). Its keys go nowhere if it is wrong. */
			snprintf(p->section, sizeof(p->section), "%s", section);
			p->step = new_step(p, section + 5, line);
		}
		if (p->step)
			step_key(p, key, value);
	} else {
		perr(p, line, "unknown section [%s] (known: [lesson], [steady], [step NAME], [cleanup])", section);
	}
	snprintf(p->section, sizeof(p->section), "%s", section);
	return 1;
}

/* --- the whole --------------------------------------------------------------------- */

static bool mark_before(const struct lesson *l, int step, const char *mark)
{
	for (int i = 0; i <= step; i++)
		if (strcmp(l->steps[i].mark, mark) == 0)
			return true;
	return false;
}

static bool measure_before(const struct lesson *l, int step, const char *name)
{
	for (int i = 0; i <= step; i++)
		for (int k = 0; k < l->steps[i].n_measures; k++)
			if (strcmp(l->steps[i].measures[k].name, name) == 0)
				return true;
	return false;
}

/* Marks and measures are used only once they exist: a measure names a mark
 * of its step or an earlier one; a check or {name} a measure so far. */
static void validate(struct parser *p)
{
	const struct lesson *l = p->l;
	if (!l->title[0])
		perr(p, 0, "no title (add 'title = …' under [lesson])");
	if (!l->topology[0])
		perr(p, 0, "no topology (add 'topology = scale-up' under [lesson])");
	if (l->n_steps == 0)
		perr(p, 0, "no [step NAME]: a lesson needs at least one step");
	for (int i = 0; i < l->n_steps; i++) {
		const struct step *s = &l->steps[i];
		/* A mark or a measure names one moment or one value. */
		for (int k = 0; s->mark[0] && k < i; k++)
			if (strcmp(l->steps[k].mark, s->mark) == 0)
				perr(p, s->line, "mark '%s' is set in step %s already", s->mark, l->steps[k].name);
		for (int m = 0; m < s->n_measures; m++)
			for (int k = 0; k <= i; k++)
				for (int n = 0; n < (k == i ? m : l->steps[k].n_measures); n++)
					if (strcmp(l->steps[k].measures[n].name, s->measures[m].name) == 0)
						perr(p, s->measures[m].line, "measure '%s' is measured already (line %d)",
						     s->measures[m].name, l->steps[k].measures[n].line);
		if (!s->n_say && !s->ask && !s->n_do && !s->has_wait)
			perr(p, s->line, "step %s says, asks, does and waits for nothing", s->name);
		if (s->ask && !s->n_solve)
			perr(p, s->line, "step %s asks the student to act but has no 'solve' (what check mode runs instead)",
			     s->name);
		for (int k = 0; k < s->n_measures; k++)
			if (!mark_before(l, i, s->measures[k].mark))
				perr(p, s->measures[k].line, "measure %s: no mark '@%s' in this step or before", s->measures[k].name,
				     s->measures[k].mark);
		for (int k = 0; k < s->n_checks; k++)
			if (!measure_before(l, i, s->checks[k].name))
				perr(p, s->checks[k].line, "check: no measure '%s' in this step or before", s->checks[k].name);
		for (const char *b = s->explain ? strchr(s->explain, '{') : NULL; b; b = strchr(b + 1, '{')) {
			char name[LESSON_NAME_MAX];
			size_t len = strcspn(b + 1, "}");
			snprintf(name, sizeof(name), "%.*s", (int)len, b + 1);
			if (b[1 + len] != '}' || len >= sizeof(name) || !measure_before(l, i, name))
				perr(p, s->explain_line, "explain: {%s} is not a measure of this step or before", name);
		}
	}
}

int lesson_parse(FILE *f, const char *path, struct lesson **out, char **errors)
{
	struct parser p = { .l = xcalloc(1, sizeof(struct lesson)) };
	inifile_parse(&p.in, f, path, LESSON_FILE_MAX, handler, &p);
	validate(&p);
	struct lesson *l = p.l;
	l->path = xstrdup(path);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(l->name, sizeof(l->name), "%.*s", (int)strcspn(base, "."), base);
	if (!l->timing[0])
		snprintf(l->timing, sizeof(l->timing), "fast");
	*errors = inifile_end(&p.in);
	if (*errors) {
		lesson_free(l);
		*out = NULL;
		return -EINVAL;
	}
	*out = l;
	return 0;
}

int lesson_load(const char *path, struct lesson **out, char **errors)
{
	FILE *f = NULL;
	*out = NULL;
	int r = inifile_open(path, LESSON_FILE_MAX, "a lesson", &f, errors);
	if (r < 0)
		return r;
	r = lesson_parse(f, path, out, errors);
	fclose(f);
	return r;
}

static void words_free(struct words *w, int n)
{
	for (int i = 0; i < n; i++)
		free(w[i].argv[0]);
}

void lesson_free(struct lesson *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->n_steps; i++) {
		struct step *s = &l->steps[i];
		for (int k = 0; k < s->n_say; k++)
			free(s->say[k]);
		words_free(s->do_, s->n_do);
		words_free(s->solve, s->n_solve);
		free(s->ask);
		free(s->hint);
		free(s->explain);
	}
	words_free(l->cleanup, l->n_cleanup);
	free(l->path);
	free(l);
}

char *scenario_resolve(const char *name_or_path, const char *folder, const char *ext)
{
	size_t len = strlen(name_or_path), n = strlen(ext);
	if (strchr(name_or_path, '/') || (len > n && strcmp(name_or_path + len - n, ext) == 0))
		return xstrdup(name_or_path);
	return xasprintf("%s/scenarios/%s/%s%s", data_dir(), folder, name_or_path, ext);
}

char *lesson_resolve(const char *name_or_path)
{
	return scenario_resolve(name_or_path, "lessons", ".lesson");
}

/* --- against the topology ---------------------------------------------------------------- */

struct linter {
	const char *path;
	const struct topo *t;
	const char *data;
	FILE *err;
	int n;
};

__attribute__((format(printf, 3, 4))) static void lerr(struct linter *x, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	inifile_put_escaped(x->path, x->err);
	fprintf(x->err, ":%d: ", line);
	inifile_put_escaped(msg, x->err);
	fputc('\n', x->err);
	x->n++;
}

static const struct topo_node *node_named(struct linter *x, int line, const char *name)
{
	const struct topo_node *n = topo_node_find(x->t, name);
	if (!n) {
		char known[512] = "";
		for (int i = 0; i < x->t->n_nodes; i++)
			snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", i ? ", " : "",
				 x->t->nodes[i].name);
		lerr(x, line, "no node '%s' in topology %s (nodes: %s)", name, x->t->name, known);
	}
	return n;
}

struct names {
	char *buf;
	size_t size;
};

/* A {{if NAME}} of a services template, for node n: the conditions the
 * templates use, worked out from the topology as `up` does. An unknown one
 * counts as true (the daemon may run). */
static bool condition_holds(const struct topo *t, const struct topo_node *n, const char *name, size_t len)
{
	bool negate = len && name[0] == '!';
	name += negate, len -= negate;
	bool v = true;
	if (len == 9 && memcmp(name, "monitored", 9) == 0)
		v = topo_monitored(t);
	else if (len == 7 && memcmp(name, "replica", 7) == 0)
		v = topo_primary_of(t, n) != NULL;
	else if (len == 6 && memcmp(name, "binlog", 6) == 0)
		v = topo_is_primary(t, n);
	else if (len == 11 && memcmp(name, "replication", 11) == 0)
		v = topo_primary_of(t, n) || topo_is_primary(t, n);
	else if (len == 9 && memcmp(name, "holds_vip", 9) == 0)
		v = topo_holds_vip(t, n);
	else
		return true;
	return v != negate;
}

/* Does node n run daemon `d`? The services templates of its layers
 * (rootfs/LAYER/etc/stacklab/services) name them, one [section] each, some
 * behind a condition ({{if replica}}[replication]) that holds for n. Only
 * the names are read; the values hold placeholders. */
static bool role_runs(struct linter *x, const struct topo_node *n, const char *d, char *known, size_t size)
{
	const char *layers[ROLE_COUNT + 3];
	int n_layers = render_layers(x->t, n, layers);
	bool found = false, any = false;
	known[0] = '\0';
	for (int i = 0; i < n_layers; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/rootfs/%s/etc/stacklab/services", x->data, layers[i]);
		_cleanup_fclose_ FILE *f = fopen(path, "re");
		char line[256];
		while (f && fgets(line, sizeof(line), f)) {
			char *l = line, name[40];
			if (strncmp(l, "{{if ", 5) == 0 && strstr(l, "}}")) {
				char *close = strstr(l, "}}");
				if (!condition_holds(x->t, n, l + 5, (size_t)(close - l - 5)))
					continue;
				l = close + 2;
			}
			if (sscanf(l, "[%39[^]]]", name) != 1)
				continue;
			any = true;
			found |= strcmp(name, d) == 0;
			/* Named once (layers share a [replication]), compared whole:
			 * nginx is not nginx-exporter. */
			char whole[64], list[512];
			snprintf(whole, sizeof(whole), ", %s,", name);
			snprintf(list, sizeof(list), ", %s,", known);
			if (!strstr(list, whole))
				snprintf(known + strlen(known), size - strlen(known), "%s%s", known[0] ? ", " : "", name);
		}
	}
	return found || !any; /* no template: up will say */
}

static void lint_pred(struct linter *x, const struct pred *p)
{
	int line = p->line;
	char known[256];
	const struct topo_node *n;
	switch (p->kind) {
	case PRED_VIP: {
		bool vip = false;
		for (int v = 0; v < x->t->n_vips; v++)
			vip |= strcmp(x->t->vips[v].name, p->a) == 0;
		if (!vip)
			lerr(x, line, "no vip '%s' in topology %s", p->a, x->t->name);
		for (int k = 0; k < p->n_list; k++)
			node_named(x, line, p->list[k]);
		break;
	}
	case PRED_VRRP:
	case PRED_NODE:
	case PRED_CONNECT:
	case PRED_RUN:
		node_named(x, line, p->a);
		break;
	case PRED_SERVER:
		if ((n = node_named(x, line, p->a)) && !topo_has_role(n, ROLE_LB))
			lerr(x, line, "%s is not a load balancer (server LB/SERVER)", p->a);
		node_named(x, line, p->b);
		break;
	case PRED_DAEMON:
	case PRED_LOG:
		if ((n = node_named(x, line, p->a)) && !role_runs(x, n, p->b, known, sizeof(known)))
			lerr(x, line, "node %s runs no daemon '%s' (it runs: %s)", p->a, p->b, known);
		break;
	case PRED_SHARE:
		if ((n = node_named(x, line, p->a)) && !topo_has_role(n, ROLE_WEB))
			lerr(x, line, "%s is not a web server (traffic share WEB)", p->a);
		break;
	case PRED_PROM:
		if ((n = node_named(x, line, p->a)) && !topo_has_role(n, ROLE_WEB))
			lerr(x, line, "%s is not a web server (prometheus WEB …)", p->a);
		if (!topo_monitored(x->t))
			lerr(x, line, "topology %s has no monitor node (role monitor): no Prometheus to ask", x->t->name);
		break;
	case PRED_CAPTURE: {
		char node[64];
		str_copy(node, sizeof(node), p->a);
		char *dash = strrchr(node, '-'), *colon = strchr(node, ':');
		if (colon)
			*colon = '\0';
		else if (dash && !topo_node_find(x->t, node) && strncmp(dash + 1, "eth", 3) == 0)
			*dash = '\0';
		node_named(x, line, node);
		break;
	}
	case PRED_REPLICA:
		if ((n = node_named(x, line, p->a)) && !topo_primary_of(x->t, n))
			lerr(x, line, "%s is not a replica (it has no replica_of in topology %s)", p->a, x->t->name);
		break;
	case PRED_TRACE:
		for (int k = 0; k < p->n_list; k++)
			node_named(x, line, p->list[k]);
		break;
	case PRED_REQUEST:
	case PRED_TRAFFIC:
		break;
	}
}

/* `fail TARGET FAULT ARGS…`: a fault of the table (faults.h), on what it
 * breaks (a node's fault on a node, a link's on a link or a node with one
 * link), with as many words as it takes. node: the target if a node. */
static void lint_fault(struct linter *x, const struct words *w, const struct topo_node *node)
{
	char known[256], why[128];
	fault_words_list(known, sizeof(known));
	if (w->argc < 3) {
		lerr(x, w->line, "fail %s how? (known: %s)", w->argv[1], known);
		return;
	}
	const struct fault_word *f = fault_word_find(w->argv[2]);
	if (!f) {
		const char *names[16];
		size_t n = 0;
		for (; n < fault_words_n && n < ARRAY_SIZE(names); n++)
			names[n] = fault_words[n].name;
		const char *near = str_closest(w->argv[2], names, n);
		if (near)
			lerr(x, w->line, "'%s' is not a fault: did you mean '%s'? (known: %s)", w->argv[2], near, known);
		else
			lerr(x, w->line, "'%s' is not a fault (known: %s)", w->argv[2], known);
		return;
	}
	if (f->on == FAULT_ON_PAIR)
		lerr(x, w->line, "a partition is of two nodes: fail partition A B");
	else if (f->on == FAULT_ON_NODE && !node)
		lerr(x, w->line, "'%s' is a link: %s is a fault of a node", w->argv[1], f->name);
	else if (f->on == FAULT_ON_LINK && node && node->n_ifaces != 1)
		lerr(x, w->line, "node %s has %d links: %s is a fault of a link, name one (e.g. %s)", node->name,
		     node->n_ifaces, f->name, node->n_ifaces ? node->ifaces[0].peer : "NODE-eth0");
	else if (!fault_args_fit(f, w->argc - 3, why, sizeof(why)))
		lerr(x, w->line, "%s", why);
}

/* The stacklab commands a lesson may run, and what their words name. */
static void lint_words(struct linter *x, const struct words *w)
{
	static const char *const allowed[] = { "fail", "heal", "traffic", "request", "trace", "set", "dns", NULL };
	static const char *const options[] = { "--all", "--rate", "--seconds", "--path", "--data", "-d", "--json", NULL };
	for (int k = 1; k < w->argc; k++)
		if (w->argv[k][0] == '-' && !one_of(w->argv[k], options))
			lerr(x, w->line, "'%s': a lesson's commands take no such option (they act on the lesson's own lab)",
			     w->argv[k]);
	if (!one_of(w->argv[0], allowed)) {
		lerr(x, w->line, "'%s' is not a command a lesson runs (known: fail, heal, traffic, request, trace, set, dns)",
		     w->argv[0]);
		return;
	}
	if (strcmp(w->argv[0], "fail") == 0 || strcmp(w->argv[0], "heal") == 0) {
		if (w->argc < 2) {
			lerr(x, w->line, "%s what?", w->argv[0]);
			return;
		}
		const char *target = w->argv[1];
		if (strcmp(target, "--all") == 0 || strcmp(target, "partition") == 0) {
			for (int k = 2; k < w->argc; k++)
				node_named(x, w->line, w->argv[k]);
			char why[128];
			if (strcmp(target, "partition") == 0 && strcmp(w->argv[0], "fail") == 0 &&
			    !fault_args_fit(fault_word_find("partition"), w->argc - 2, why, sizeof(why)))
				lerr(x, w->line, "%s", why);
			return;
		}
		const struct topo_node *node = topo_node_find(x->t, target);
		bool link = false;
		/* a link: NODE-IFACE */
		for (int i = 0; !node && !link && i < x->t->n_nodes; i++)
			for (int k = 0; k < x->t->nodes[i].n_ifaces; k++)
				if (strcmp(x->t->nodes[i].ifaces[k].peer, target) == 0)
					link = true;
		if (!node && !link) {
			lerr(x, w->line, "no node or link '%s' in topology %s", target, x->t->name);
			return;
		}
		if (strcmp(w->argv[0], "fail") == 0)
			lint_fault(x, w, node);
	}
}

int pred_lint(const char *path, const struct pred *p, const struct topo *t, const char *data, FILE *err)
{
	struct linter x = { path, t, data, err, 0 };
	lint_pred(&x, p);
	return x.n;
}

int lesson_lint(const struct lesson *l, const struct topo *t, const char *data, char **errors)
{
	char *buf = NULL;
	size_t len = 0;
	struct linter x = { l->path, t, data, open_memstream(&buf, &len), 0 };
	if (!x.err)
		die("out of memory");
	for (int i = 0; i < l->n_steady; i++)
		lint_pred(&x, &l->steady[i]);
	for (int i = 0; i < l->n_steps; i++) {
		const struct step *s = &l->steps[i];
		if (s->has_wait)
			lint_pred(&x, &s->wait);
		for (int k = 0; k < s->n_measures; k++)
			if (s->measures[k].kind == MEASURE_UNTIL) {
				struct pred p = s->measures[k].until;
				p.line = s->measures[k].line;
				lint_pred(&x, &p);
			}
		for (int k = 0; k < s->n_do; k++)
			lint_words(&x, &s->do_[k]);
		for (int k = 0; k < s->n_solve; k++)
			lint_words(&x, &s->solve[k]);
	}
	for (int k = 0; k < l->n_cleanup; k++)
		lint_words(&x, &l->cleanup[k]);
	fclose(x.err);
	if (x.n == 0) {
		free(buf);
		buf = NULL;
	}
	*errors = buf;
	return x.n;
}
