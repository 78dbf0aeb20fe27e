/* faults.c — the faults a lab can be given, by name (see faults.h). */
#include "faults.h"

#include <string.h>

#include "util.h"

const struct fault_word fault_words[] = {
	{ "crash", FAULT_CRASH, FAULT_ON_NODE, 0, 0, "",
	  "every process of the node dies and its links go dark" },
	{ "freeze", FAULT_FREEZE, FAULT_ON_NODE, 0, 0, "",
	  "every process of the node stops, keeping its state" },
	{ "stop", FAULT_STOP, FAULT_ON_NODE, 1, 1, "DAEMON",
	  "one daemon stops (e.g. stacklab fail web1 stop nginx)" },
	{ "drain", FAULT_DRAIN, FAULT_ON_NODE, 0, 0, "",
	  "a web server gets no new request from the load\n"
	  "balancers (a deploy without errors); heal makes it\n"
	  "ready again" },
	{ "firewall", FAULT_FIREWALL, FAULT_ON_NODE, 1, 1, "off",
	  "the node's nftables firewall (its allow lines) is\n"
	  "removed; heal loads it again" },
	{ "down", FAULT_LINK_DOWN, FAULT_ON_LINK, 0, 0, "",
	  "the link loses carrier (a LINK is NODE-IFACE, e.g.\n"
	  "lb1-eth0, or a node with one link)" },
	{ "delay", FAULT_SHAPE, FAULT_ON_LINK, 1, 2, "MS [JITTER]",
	  "netem delays what the link carries toward the node by\nMS (give or take JITTER)" },
	{ "loss", FAULT_SHAPE, FAULT_ON_LINK, 1, 1, "PCT",
	  "netem drops PCT % of what the link carries toward\nthe node" },
	{ "rate", FAULT_SHAPE, FAULT_ON_LINK, 1, 1, "KBIT",
	  "a bandwidth cap on the link, toward the node" },
	{ "partition", FAULT_PARTITION, FAULT_ON_PAIR, 2, 2, "A B",
	  "A and B stay up but cannot reach each other" },
};
const size_t fault_words_n = ARRAY_SIZE(fault_words);

static const char *const kind_names[FAULT_KINDS] = {
	[FAULT_CRASH] = "crash",     [FAULT_FREEZE] = "freeze",       [FAULT_STOP] = "stop",
	[FAULT_LINK_DOWN] = "down",  [FAULT_SHAPE] = "shape",         [FAULT_PARTITION] = "partition",
	[FAULT_DRAIN] = "drain",     [FAULT_FIREWALL] = "firewall",
};

const struct fault_word *fault_word_find(const char *name)
{
	for (size_t i = 0; name && i < fault_words_n; i++)
		if (strcmp(fault_words[i].name, name) == 0)
			return &fault_words[i];
	return NULL;
}

const char *fault_kind_name(enum fault_kind kind)
{
	return (unsigned)kind < FAULT_KINDS ? kind_names[kind] : "?";
}

/* "stop DAEMON", or "crash". */
static void word_with_args(const struct fault_word *w, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", w->name, *w->args ? " " : "", w->args);
}

bool fault_args_fit(const struct fault_word *w, int n, char *why, size_t size)
{
	if (n >= w->min_args && n <= w->max_args)
		return true;
	char form[48], count[32];
	word_with_args(w, form, sizeof(form));
	if (w->max_args == 0)
		snprintf(count, sizeof(count), "no word");
	else if (w->min_args == w->max_args)
		snprintf(count, sizeof(count), "%d word%s", w->max_args, w->max_args == 1 ? "" : "s");
	else
		snprintf(count, sizeof(count), "%d or %d words", w->min_args, w->max_args);
	snprintf(why, size, "'%s' takes %s after it, not %d: %s", w->name, count, n, form);
	return false;
}

void fault_words_list(char *buf, size_t size)
{
	size_t at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < fault_words_n && at < size; i++) {
		char form[48];
		word_with_args(&fault_words[i], form, sizeof(form));
		int n = snprintf(buf + at, size - at, "%s%s", i ? ", " : "", form);
		if (n < 0)
			break;
		at += (size_t)n;
	}
}

void fault_words_usage(char *buf, size_t size)
{
	static const struct {
		enum fault_target on;
		const char *what;
	} forms[] = { { FAULT_ON_NODE, "NODE" }, { FAULT_ON_LINK, "LINK" }, { FAULT_ON_PAIR, "" } };
	FILE *out = fmemopen(buf, size, "w");
	if (!out) {
		snprintf(buf, size, "stacklab fail [--lab NAME] NODE|LINK FAULT [ARGS]");
		return;
	}
	for (size_t f = 0; f < ARRAY_SIZE(forms); f++) {
		fprintf(out, "%sstacklab fail [--lab NAME] %s%s", f ? "\n" : "", forms[f].what, *forms[f].what ? " " : "");
		bool first = true;
		for (size_t i = 0; i < fault_words_n; i++) {
			if (fault_words[i].on != forms[f].on)
				continue;
			char form[48];
			word_with_args(&fault_words[i], form, sizeof(form));
			fprintf(out, "%s%s", first ? "" : "|", form);
			first = false;
		}
	}
	fclose(out);
	buf[size - 1] = '\0'; /* a full buffer gets no terminator of fmemopen's */
}

void fault_words_help(FILE *out)
{
	fputc('\n', out);
	for (size_t i = 0; i < fault_words_n; i++) {
		char form[48];
		word_with_args(&fault_words[i], form, sizeof(form));
		const char *h = fault_words[i].help;
		fprintf(out, "  %-18s ", form);
		for (; *h; h++) {
			fputc(*h, out);
			if (*h == '\n')
				fprintf(out, "  %-18s ", "");
		}
		fputc('\n', out);
	}
}
