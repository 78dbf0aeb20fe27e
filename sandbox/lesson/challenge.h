/* challenge.h — a challenge: a broken stack a student fixes, graded on the
 * lab's live behaviour (scenarios/challenges/NAME.challenge, INI read like a
 * lesson). Each student gets a variant of it, picked from a seed: one of
 * its [break] sections and one value of each var.
 *
 *   [challenge]  title, topology, symptom (what the student is told; a
 *                second symptom line goes on with it), skills (shown in
 *                the list), timing (fast, calm or real)
 *   [vars]       NAME = VALUE [VALUE…]     one of them per student
 *   [break NAME] run = NODE: COMMAND       (repeatable) breaks it, as root
 *                                          in the node, through sh -c
 *                solve = NODE: COMMAND     (repeatable) what fixes it
 *   [grade]      expect = PRED [within Ns] (repeatable; 10 s if not said)
 *   [hint N]     after = Ns, say = TEXT    shown once N s have passed
 *                                          (say repeatable: it goes on)
 *
 * {NAME} in a run, solve or expect line is the student's value of var
 * NAME. Predicates are the lessons' (lesson.h). */
#ifndef STACKLAB_CHALLENGE_H
#define STACKLAB_CHALLENGE_H

#include <stdint.h>

#include "lesson.h"
#include "topo.h"

#define CHALLENGE_FILE_MAX (64 << 10)
#define CHALLENGE_VARS_MAX 8
#define CHALLENGE_VALUES_MAX 8
#define CHALLENGE_BREAKS_MAX 8
#define CHALLENGE_LINES_MAX 16
#define CHALLENGE_HINTS_MAX 8
#define CHALLENGE_GRADE_WITHIN_S 10.0 /* an expect line's deadline unless it says one */
#define CHALLENGE_COMMAND_MAX 1024

/* "NODE: COMMAND", a line run in a node. */
struct node_line {
	char node[32];
	char *command;
	int line;
};

struct challenge_var {
	char name[32];
	char values[CHALLENGE_VALUES_MAX][64];
	int n_values;
	int line;
};

struct challenge_break {
	char name[32];
	int line;
	struct node_line run[CHALLENGE_LINES_MAX];
	int n_run;
	struct node_line solve[CHALLENGE_LINES_MAX];
	int n_solve;
};

struct challenge_expect {
	char *text;         /* as written, {vars} and all */
	int line;
};

struct challenge_hint {
	char name[32];
	double after_s;
	char *say;
	int line;
};

struct challenge {
	char *path;
	char name[64];      /* the file's base name */
	char title[128];
	char topology[256];
	char symptom[512];
	char skills[128];
	char timing[8];
	struct challenge_var vars[CHALLENGE_VARS_MAX];
	int n_vars;
	struct challenge_break breaks[CHALLENGE_BREAKS_MAX];
	int n_breaks;
	struct challenge_expect grade[CHALLENGE_LINES_MAX];
	int n_grade;
	struct challenge_hint hints[CHALLENGE_HINTS_MAX];
	int n_hints;          /* in the order of their delays */
};

/* One student's challenge: a break and a value of each var. */
struct variant {
	uint64_t seed;
	int brk;                           /* index into breaks */
	int value[CHALLENGE_VARS_MAX];     /* index into each var's values */
	char id[160];                      /* "wrong-port web=web1 port=8081" */
};

/* Parse the challenge in `f` (named `path` in messages). 0 and a new
 * challenge in *out, or -EINVAL with every problem as "path:line: what" in
 * *errors (malloc'd): keys, sections, a [break] without run or solve, a
 * {name} that is no var, a predicate that does not parse. */
int challenge_parse(FILE *f, const char *path, struct challenge **out, char **errors);
/* challenge_parse on a regular file of at most CHALLENGE_FILE_MAX bytes. */
int challenge_load(const char *path, struct challenge **out, char **errors);
void challenge_free(struct challenge *c);

/* Check a challenge against its topology, with every value of every var:
 * the nodes its lines run in and its predicates name. Appends
 * "path:line: what" lines to *errors (malloc'd, NULL if none); returns the
 * number of problems. */
int challenge_lint(const struct challenge *c, const struct topo *t, const char *data, char **errors);

/* The seed of a student's variant: from their user name, the challenge's
 * name and the class's salt (any text; "" for none). */
uint64_t challenge_seed(const char *user, const char *challenge, const char *salt);

/* The variant a seed picks. */
void challenge_variant(const struct challenge *c, uint64_t seed, struct variant *v);

/* The variant with break `brk` and the first value of every var (what
 * `challenge test` runs when asked for one variant a break). */
void challenge_variant_of_break(const struct challenge *c, int brk, struct variant *v);

/* Does break `brk` (with the grade) use var `var`? */
bool challenge_var_used(const struct challenge *c, int brk, int var);
/* v->id from its break and the values of the vars that break uses. */
void challenge_variant_name(const struct challenge *c, struct variant *v);

/* How many variants differ (each break × the values of the vars it uses). */
long challenge_variants(const struct challenge *c);

/* `text` with every {NAME} of a var replaced by the variant's value, into
 * buf. False if it does not fit. */
bool challenge_expand(const struct challenge *c, const struct variant *v, const char *text, char *buf, size_t size);

/* The variant's grade, parsed: its expect lines into preds (at most
 * CHALLENGE_LINES_MAX). Returns how many, or -1 with why. */
int challenge_grade_preds(const struct challenge *c, const struct variant *v, struct pred *preds, char *why,
			  size_t size);

/* Where a challenge called `name_or_path` lives: a path if it holds '/' or
 * ends in ".challenge", else scenarios/challenges/NAME.challenge. */
char *challenge_resolve(const char *name_or_path);

#endif
