/* options.c — one parser for every command's options, and the help written
 * from the same table (see options.h). Its own rather than getopt_long's:
 * the errors name the command, suggest the option meant, and check a
 * value's kind and range once for every command. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "util.h"

static const struct opt help_row = { .name = "help", .letter = 'h', .kind = OPT_FLAG, .help = "show this help" };

static bool takes_value(const struct opt *o)
{
	return o->kind != OPT_FLAG;
}

/* The row called `name` (or, if none is, the one it is the start of, when
 * it is the start of one only), or NULL after saying why. */
static const struct opt *find_long(const struct command_line *cl, const char *name, size_t len)
{
	const struct opt *prefix = NULL;
	int prefixes = 0;
	for (const struct opt *o = cl->opts; o->name; o++) {
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
		if (strncmp(o->name, name, len) == 0) {
			prefix = o;
			prefixes++;
		}
	}
	if (len == 4 && strncmp(name, "help", 4) == 0)
		return &help_row;
	if (prefixes == 1)
		return prefix;
	char word[64];
	snprintf(word, sizeof(word), "%.*s", (int)len, name);
	if (prefixes > 1) {
		fprintf(stderr, "stacklab %s: '--%s' is the start of more than one option (stacklab %s --help lists them)\n",
			cl->name, word, cl->name);
		return NULL;
	}
	const char *names[64];
	size_t n = 0;
	for (const struct opt *o = cl->opts; o->name && n < 63; o++)
		names[n++] = o->name;
	names[n++] = "help";
	const char *near = str_closest(word, names, n);
	if (near)
		fprintf(stderr, "stacklab %s: unknown option '--%s': did you mean '--%s'?\n", cl->name, word, near);
	else
		fprintf(stderr, "stacklab %s: unknown option '--%s' (stacklab %s --help lists them)\n", cl->name, word,
			cl->name);
	return NULL;
}

static const struct opt *find_short(const struct command_line *cl, char letter)
{
	for (const struct opt *o = cl->opts; o->name; o++)
		if (o->letter == letter)
			return o;
	if (letter == 'h')
		return &help_row;
	fprintf(stderr, "stacklab %s: unknown option '-%c' (stacklab %s --help lists them)\n", cl->name, letter, cl->name);
	return NULL;
}

/* "none, watch or lessons" into buf. */
static const char *word_list(const char *const *words, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; words[i] && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i == 0 ? "" : words[i + 1] ? ", " : " or ", words[i]);
	return buf;
}

/* Store `value` (NULL for a flag) in o's destination, or say why not. */
static bool take(const struct command_line *cl, const struct opt *o, const char *value)
{
	switch (o->kind) {
	case OPT_FLAG:
		*(bool *)o->dest = true;
		return true;
	case OPT_STRING:
		*(const char **)o->dest = value;
		return true;
	case OPT_NUMBER: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (end == value || *end || errno || v < o->min || v > o->max) {
			if (o->max == LONG_MAX)
				fprintf(stderr, "stacklab %s: --%s takes a whole number, %ld or more, not '%s'\n", cl->name,
					o->name, o->min, value);
			else
				fprintf(stderr, "stacklab %s: --%s takes a whole number from %ld to %ld, not '%s'\n",
					cl->name, o->name, o->min, o->max, value);
			return false;
		}
		*(long *)o->dest = v;
		return true;
	}
	case OPT_WORD:
		for (int i = 0; o->words[i]; i++)
			if (strcmp(o->words[i], value) == 0) {
				*(int *)o->dest = i;
				return true;
			}
		char known[256];
		fprintf(stderr, "stacklab %s: --%s takes %s, not '%s'\n", cl->name, o->name,
			word_list(o->words, known, sizeof(known)), value);
		return false;
	case OPT_PARSE:
		return o->parse(cl->name, value, o->dest);
	}
	return false;
}

/* One option at argv[*i] ("--name", "--name=value", "-x", "-xvalue" or
 * "-xyz" of flags), and its value from the next word if it takes one.
 * Sets *help for --help. */
static bool one_option(const struct command_line *cl, int argc, char **argv, int *i, bool *help)
{
	const char *word = argv[*i];
	if (word[1] == '-') {
		const char *name = word + 2, *eq = strchr(name, '=');
		const struct opt *o = find_long(cl, name, eq ? (size_t)(eq - name) : strlen(name));
		if (!o)
			return false;
		if (o == &help_row) {
			*help = true;
			return true;
		}
		if (!takes_value(o)) {
			if (eq) {
				fprintf(stderr, "stacklab %s: --%s takes no value\n", cl->name, o->name);
				return false;
			}
			return take(cl, o, NULL);
		}
		if (eq)
			return take(cl, o, eq + 1);
		if (*i + 1 >= argc) {
			fprintf(stderr, "stacklab %s: --%s needs a value (%s)\n", cl->name, o->name, o->value);
			return false;
		}
		return take(cl, o, argv[++*i]);
	}
	for (const char *p = word + 1; *p; p++) {
		const struct opt *o = find_short(cl, *p);
		if (!o)
			return false;
		if (o == &help_row) {
			*help = true;
			return true;
		}
		if (!takes_value(o)) {
			if (!take(cl, o, NULL))
				return false;
			continue;
		}
		if (p[1])
			return take(cl, o, p + 1);
		if (*i + 1 >= argc) {
			fprintf(stderr, "stacklab %s: -%c needs a value (%s)\n", cl->name, *p, o->value);
			return false;
		}
		return take(cl, o, argv[++*i]);
	}
	return true;
}

int cli_options(const struct command_line *cl, int argc, char **argv, int *first)
{
	/* Arguments are gathered apart, then put back at the end of argv in
	 * their order: the options' values are argv's own strings, so only
	 * the pointers move. */
	_cleanup_free_ char **args = xcalloc((size_t)argc + 1, sizeof(char *));
	int n = 0, i;
	bool help = false;
	for (i = 1; i < argc; i++) {
		const char *word = argv[i];
		if (strcmp(word, "--") == 0) {
			i++;
			break;
		}
		if (word[0] != '-' || word[1] == '\0') {
			if (cl->stop_at_argument)
				break;
			args[n++] = argv[i];
			continue;
		}
		if (!one_option(cl, argc, argv, &i, &help))
			return EXIT_USAGE;
		if (help) { /* whatever follows: as getopt's commands did */
			cli_help(cl, stdout);
			return EXIT_OK;
		}
	}
	while (i < argc)
		args[n++] = argv[i++];
	if (n > cl->args_max) {
		fprintf(stderr, "stacklab %s: unexpected argument '%s' (see stacklab %s --help)\n", cl->name,
			args[cl->args_max], cl->name);
		return EXIT_USAGE;
	}
	*first = argc - n;
	memcpy(argv + *first, args, (size_t)n * sizeof(char *));
	return OPTIONS_GO;
}

/* "  -l, --lab NAME" into buf. */
static int left_column(const struct opt *o, char *buf, size_t size)
{
	char letter[8] = "    ";
	if (o->letter)
		snprintf(letter, sizeof(letter), "-%c, ", o->letter);
	return snprintf(buf, size, "  %s--%s%s%s", letter, o->name, o->value ? " " : "", o->value ? o->value : "");
}

enum { HELP_COLUMN_MAX = 28 };

static void help_row_print(const struct opt *o, int column, FILE *out)
{
	char left[128];
	int w = left_column(o, left, sizeof(left));
	fputs(left, out);
	if (w + 2 > column)
		fprintf(out, "\n%*s", column, "");
	else
		fprintf(out, "%*s", column - w, "");
	for (const char *p = o->help; *p; p++) {
		fputc(*p, out);
		if (*p == '\n')
			fprintf(out, "%*s", column, "");
	}
	fputc('\n', out);
}

void cli_help(const struct command_line *cl, FILE *out)
{
	fputs("usage: ", out);
	for (const char *p = cl->usage; *p; p++) {
		fputc(*p, out);
		if (*p == '\n')
			fputs("       ", out);
	}
	fprintf(out, "\n\n%s\n", cl->about);
	if (cl->more)
		cl->more(out);
	fputc('\n', out);
	int column = 0;
	char left[128];
	for (const struct opt *o = cl->opts; o->name; o++) {
		int w = left_column(o, left, sizeof(left)) + 2;
		if (w <= HELP_COLUMN_MAX && w > column)
			column = w;
	}
	if (column < 18)
		column = 18;
	for (const struct opt *o = cl->opts; o->name; o++)
		help_row_print(o, column, out);
	help_row_print(&help_row, column, out);
	if (cl->after)
		fprintf(out, "\n%s\n", cl->after);
}
