/* faults.h — the faults a lab can be given, by name: one table that
 * `stacklab fail` (its words, its --help and --list), the lab daemon (what a
 * request may ask, and the name of each fault it records), and the lesson
 * format's lint all read. How a fault is applied and undone is the lab
 * daemon's (labd/fault.c), with the daemons' and the kernel's own
 * mechanisms. */
#ifndef STACKLAB_FAULTS_H
#define STACKLAB_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A fault as the lab records it: delay, loss and rate are all one shaping
 * of a link (a link has one at a time). */
enum fault_kind { FAULT_CRASH, FAULT_FREEZE, FAULT_STOP, FAULT_LINK_DOWN, FAULT_SHAPE, FAULT_PARTITION, FAULT_DRAIN,
		  FAULT_FIREWALL, FAULT_KINDS };

/* What a fault's first word names. */
enum fault_target {
	FAULT_ON_NODE,             /* stacklab fail NODE crash */
	FAULT_ON_LINK,             /* stacklab fail LINK delay 200 */
	FAULT_ON_PAIR,             /* stacklab fail partition A B */
};

struct fault_word {
	const char *name;          /* the word: "crash", "delay" */
	enum fault_kind kind;
	enum fault_target on;
	int min_args, max_args;    /* after the word (a partition's: its two nodes) */
	const char *args;          /* their names, for usage: "MS [JITTER]" */
	const char *help;          /* what it does, lines of at most 58 columns */
};

extern const struct fault_word fault_words[];
extern const size_t fault_words_n;

/* The word named `name`, or NULL. */
const struct fault_word *fault_word_find(const char *name);

/* The recorded kind's name, as status and events say it ("shape"). */
const char *fault_kind_name(enum fault_kind kind);

/* Check that `n` arguments fit word w; else a sentence in why. */
bool fault_args_fit(const struct fault_word *w, int n, char *why, size_t size);

/* "crash, freeze, stop DAEMON, …, partition A B": every word, for errors. */
void fault_words_list(char *buf, size_t size);

/* `stacklab fail`'s usage lines, one a kind of target, '\n' between. */
void fault_words_usage(char *buf, size_t size);
/* The table of what each fault does, as fail's help shows it. */
void fault_words_help(FILE *out);

#endif
