/* options.h — one parser for every command's options. A command is a table
 * of rows; its --help is written from the same rows, so an option cannot be
 * taken without being shown, nor shown without being taken. */
#ifndef STACKLAB_OPTIONS_H
#define STACKLAB_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

enum opt_kind {
	OPT_FLAG,   /* bool *: true when given */
	OPT_STRING, /* const char **: the value as given */
	OPT_NUMBER, /* long *: a whole number from min to max */
	OPT_WORD,   /* int *: which of `words` the value is */
	OPT_PARSE,  /* parse(cmd, value, dest): false after saying why */
};

struct opt {
	const char *name;   /* --name */
	char letter;        /* -l, or 0 for none */
	enum opt_kind kind;
	void *dest;
	const char *value;  /* what the value is called in the help (N, NAME) */
	const char *help;   /* a '\n' goes on at the help's column */
	long min, max;      /* OPT_NUMBER's range */
	const char *const *words; /* OPT_WORD's, NULL-terminated */
	bool (*parse)(const char *cmd, const char *value, void *dest);
};

/* The rows every command that acts on a lab, or prints JSON, shares. */
#define OPT_LAB(d) { .name = "lab", .letter = 'l', .kind = OPT_STRING, .dest = (d), .value = "NAME", \
		     .help = "the lab (default: the only lab that is up)" }
#define OPT_JSON(d, what) { .name = "json", .letter = 'j', .kind = OPT_FLAG, .dest = (d), .help = (what) }

struct command_line {
	const char *name;        /* the command word: "traffic" */
	const char *usage;       /* "stacklab traffic …" lines, '\n' between */
	const char *about;       /* what it does, before the options */
	void (*more)(FILE *out); /* text of its own after `about`, or NULL */
	const char *after;       /* after the options, or NULL */
	const struct opt *opts;  /* ends with { 0 }; --help is added */
	bool stop_at_argument;   /* options end at the first argument (exec:
				  * what follows the node is its command) */
	int args_max;            /* arguments it takes at most (0: none;
				  * ARGS_ANY: it checks them itself) */
};

enum { ARGS_ANY = 1 << 20 };

/* What cli_options returns when the command goes on. */
enum { OPTIONS_GO = -1 };

/* Parse argv's options (argv[0] is the command word) into their rows'
 * destinations. Options and arguments may come in any order (unless
 * stop_at_argument); "--" ends the options. Returns OPTIONS_GO with the
 * arguments, in their order, at argv[*first..argc); or EXIT_OK after
 * printing the help at --help (what follows it unread); or EXIT_USAGE after naming the bad option,
 * value or argument (past args_max) on stderr. */
int cli_options(const struct command_line *cl, int argc, char **argv, int *first);

/* The command's help, as --help prints it. */
void cli_help(const struct command_line *cl, FILE *out);

#endif
