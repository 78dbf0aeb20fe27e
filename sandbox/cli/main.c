/* main.c — the `stacklab` command: parse the command word, dispatch. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "paths.h"
#include "util.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

static int cmd_help(int argc, char **argv);

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "up", cmd_up, "build a lab and start it (default topology: scale-up)" },
	{ "down", cmd_down, "stop a lab and remove everything it made" },
	{ "status", cmd_status, "show a lab's nodes, addresses and state" },
	{ "exec", cmd_exec, "run a command, or a shell, inside a node" },
	{ "request", cmd_request, "send one HTTPS request from the client and show who served it" },
	{ "trace", cmd_trace, "one request, hop by hop, from the daemons' own logs" },
	{ "incidents", cmd_incidents, "every fault and heal: what followed, what users felt" },
	{ "logs", cmd_logs, "show what a node's daemons printed" },
	{ "tui", cmd_tui, "the lab live on one screen; break and heal it from the keyboard" },
	{ "events", cmd_events, "print the lab's events as they happen" },
	{ "traffic", cmd_traffic, "steady HTTPS traffic from the client, and how it fares" },
	{ "fail", cmd_fail, "break a node, a daemon or a link on purpose" },
	{ "heal", cmd_heal, "undo a failure, or all of them" },
	{ "capture", cmd_capture, "show the packets crossing one link, or write them to a pcap file" },
	{ "dns", cmd_dns, "what the lab's resolver has cached, and flushing it" },
	{ "set", cmd_set, "change a running lab: an lb's balance, the www record or TTL of the domain" },
	{ "lesson", cmd_lesson, "a lesson: narrated steps on a live lab, with measured numbers" },
	{ "challenge", cmd_challenge, "a broken stack to fix, graded on what the lab does" },
	{ "list", cmd_list, "list the labs that are up" },
	{ "allow", cmd_allow, "let the teacher (root) watch your lab, or run lessons on it" },
	{ "help", cmd_help, "show this help, or a command's (stacklab help CMD)" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: stacklab COMMAND [OPTIONS]\n\n"
		     "A teaching sandbox: the web infrastructure of www.foobar.com, built from\n"
		     "namespaces and the real daemons, on this machine.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'stacklab COMMAND --help' tells more. Without root, your labs are your own.\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 1 && find(argv[1]) && strcmp(argv[1], "help") != 0) {
		char *help_argv[] = { argv[1], "--help", NULL };
		return find(argv[1])->fn(2, help_argv);
	}
	usage(stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	paths_init(); /* whose labs: before anything may enter a user namespace */
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("stacklab %s\n", VERSION);
		return EXIT_OK;
	}
	/* What stacklab makes has the modes it asks for, whatever the
	 * caller's umask (umask 000 once made the control socket 0777). */
	umask(022);
	const struct command *c = find(argv[1]);
	if (!c) {
		const char *names[sizeof(commands) / sizeof(commands[0])];
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			names[i] = commands[i].name;
		const char *near = str_closest(argv[1], names, sizeof(names) / sizeof(names[0]));
		if (near)
			fprintf(stderr, "stacklab: unknown command '%s': did you mean '%s'? (see stacklab --help)\n", argv[1], near);
		else
			fprintf(stderr, "stacklab: unknown command '%s' (see stacklab --help)\n", argv[1]);
		return EXIT_USAGE;
	}
	return c->fn(argc - 1, argv + 1);
}
