/* cmd_exec.c — `stacklab exec NODE [-- CMD...]`: enter a node like nsenter,
 * with the node's confinement plus the network capabilities a teacher needs. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "options.h"
#include "node.h"
#include "profile.h"
#include "role.h"
#include "tty.h"
#include "util.h"

static void __attribute__((noreturn)) run_inside(const char *node, char **cmd, bool rc)
{
	const char *term = getenv("TERM");
	clearenv();
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/root", 1);
	setenv("HOSTNAME", node, 1);
	setenv("TERM", term ? term : "xterm", 1);
	setenv("PS1", "[\\h] \\w # ", 1);
	if (cmd[0]) {
		execvp(cmd[0], cmd);
		die("exec %s in node %s: %s", cmd[0], node, strerror(errno));
	}
	if (rc)
		execl("/bin/bash", "bash", "-i", (char *)NULL);
	else
		execl("/bin/bash", "bash", "--norc", "-i", (char *)NULL);
	execl("/bin/sh", "sh", "-i", (char *)NULL);
	die("no shell in node %s: %s", node, strerror(errno));
}

int cmd_exec(int argc, char **argv)
{
	const char *given = NULL;
	bool rc = false;
	const struct opt opts[] = {
		OPT_LAB(&given),
		{ .name = "rc", .kind = OPT_FLAG, .dest = &rc,
		  .help = "the shell reads the node's /etc/bash.bashrc and ~/.bashrc" },
		{ 0 },
	};
	const struct command_line cl = {
		.name = "exec",
		.usage = "stacklab exec [--lab NAME] [--rc] NODE [--] [COMMAND [ARG...]]",
		.about = "Run COMMAND inside NODE (its namespaces and its root), or an interactive\n"
			 "shell when none is given. Inside, ip, tc, tcpdump and nft act on the node's\n"
			 "own network; mounting, loading modules and leaving the root are refused.\n\n"
			 "The shell reads none of the node's rc files: what the node's root wrote\n"
			 "there would run with exec's network capabilities.",
		.opts = opts,
		.stop_at_argument = true, /* the command's own options pass through */
		.args_max = ARGS_ANY,
	};
	int first, parsed = cli_options(&cl, argc, argv, &first);
	if (parsed != OPTIONS_GO)
		return parsed;
	if (first >= argc) {
		fprintf(stderr, "stacklab exec: which node? (stacklab exec NODE [-- COMMAND])\n");
		return EXIT_USAGE;
	}
	const char *node = argv[first++];
	if (first < argc && strcmp(argv[first], "--") == 0)
		first++;
	_cleanup_free_ char *lab = cli_pick_lab("exec", given);
	if (!lab)
		return EXIT_FAIL;
	struct cli_door in;
	if (cli_door("exec", lab, node, NULL, &in) < 0)
		return EXIT_FAIL;
	in.door.extra_caps = profile_exec_caps;

	/* The node never gets the user's terminal: a pty or pipes of its own. */
	struct tty_relay tty;
	int r = tty_relay_open(&tty);
	if (r < 0) {
		fprintf(stderr, "stacklab exec: a terminal for node %s: %s\n", node, strerror(-r));
		return EXIT_FAIL;
	}
	pid_t child = node_enter(&in.door);
	if (child < 0) {
		fprintf(stderr, "stacklab exec: cannot enter node %s: %s\n", node, strerror(-child));
		return EXIT_FAIL;
	}
	if (child == 0) {
		tty_relay_child(&tty);
		run_inside(node, argv + first, rc);
	}
	/* Ctrl-C is for the command inside, not for us waiting on it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	int status = tty_relay_run(&tty, child);
	if (status < 0)
		return EXIT_FAIL;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
