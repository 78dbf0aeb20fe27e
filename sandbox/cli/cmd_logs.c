/* cmd_logs.c — `stacklab logs NODE [DAEMON]`: what a node's daemons printed,
 * as the lab daemon collected it. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>

#include "cli.h"
#include "options.h"
#include "ctl.h"
#include "util.h"

static bool node_exists(const char *lab, const char *node)
{
	json_t *st = cli_status("logs", lab);
	if (!st)
		return false;
	bool found = cli_node("logs", lab, st, node) != NULL;
	json_decref(st);
	return found;
}

#define LOG_BYTES_MAX (8 << 20) /* the lab rotates a log at this size */

/* A log is read as the lab left it: a regular file, no link followed and
 * nothing waited on (root reading a user's lab reads their files), at most
 * twice what the lab keeps before it rotates. */
static void print_log(const char *path, const char *prefix, long lines)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	size_t len = 0;
	_cleanup_free_ char *text = read_fd_from(fd, 0, 2 * LOG_BYTES_MAX, &len);
	if (!text)
		return;
	if (lines > 0)
		tail_text(text, len, (int)lines);
	text_clean(text); /* a node's daemons wrote it */
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		printf("%s%.*s\n", prefix, (int)(nl - line + (*nl != '\n')), line);
	}
}

struct follow {
	const char *node, *daemon;
};

/* A new line of the node's daemons (or of one daemon's). */
static bool print_new(json_t *ev, const char *line, void *ctx)
{
	(void)line;
	const struct follow *f = ctx;
	const char *n = json_string_value(json_object_get(ev, "node"));
	const char *d = json_string_value(json_object_get(ev, "daemon"));
	if (n && d && strcmp(n, f->node) == 0 && (!f->daemon || strcmp(d, f->daemon) == 0))
		printf("%s%s%s\n", f->daemon ? "" : d, f->daemon ? "" : "| ", json_string_value(json_object_get(ev, "line")) ?: "");
	return true;
}

static int follow_logs(int fd, const char *lab, const char *node, const char *daemon)
{
	struct follow f = { node, daemon };
	return cli_follow("logs", lab, fd, print_new, &f);
}

int cmd_logs(int argc, char **argv)
{
	const char *given = NULL;
	long lines = 0;
	bool follow = false;
	const struct opt opts[] = {
		OPT_LAB(&given),
		{ .name = "lines", .letter = 'n', .kind = OPT_NUMBER, .dest = &lines, .value = "N", .min = 1, .max = 1000000,
		  .help = "only the last N lines of each daemon (default: all)" },
		{ .name = "follow", .letter = 'f', .kind = OPT_FLAG, .dest = &follow,
		  .help = "then print new lines as they come, until Ctrl-C or the\n"
			  "lab goes away" },
		{ 0 },
	};
	const struct command_line cl = {
		.name = "logs",
		.usage = "stacklab logs [--lab NAME] [-n LINES] [-f] NODE [DAEMON]",
		.about = "Show what the daemons of NODE printed (or only DAEMON's), oldest first.\n"
			 "Every line of all of a node's daemons is prefixed with the daemon's name.",
		.opts = opts,
		.args_max = ARGS_ANY,
	};
	int first, rc = cli_options(&cl, argc, argv, &first);
	if (rc != OPTIONS_GO)
		return rc;
	if (first >= argc || argc - first > 2) {
		fprintf(stderr, "stacklab logs: expected NODE [DAEMON]\n");
		return EXIT_USAGE;
	}
	const char *node = argv[first], *daemon = first + 1 < argc ? argv[first + 1] : NULL;
	_cleanup_free_ char *lab = cli_pick_lab("logs", given);
	if (!lab || !node_exists(lab, node))
		return EXIT_FAIL;

	/* Following: listen before reading what is there, so no line falls
	 * between the two. */
	_cleanup_close_ int fd = follow ? cli_subscribe("logs", lab, "log") : -1;
	if (follow && fd < 0)
		return EXIT_FAIL;
	_cleanup_free_ char *logs = ctl_lab_path(lab, "logs");
	_cleanup_free_ char *dir = xasprintf("%s/%s", logs, node);
	DIR *d = opendir(dir);
	struct dirent *e;
	char names[16][64];
	int n = 0;
	while (d && (e = readdir(d)) && n < 16) {
		size_t len = strlen(e->d_name);
		if (len > 4 && len < 64 && strcmp(e->d_name + len - 4, ".log") == 0)
			snprintf(names[n++], sizeof(names[0]), "%.*s", (int)(len - 4), e->d_name);
	}
	if (d)
		closedir(d);
	if (daemon) {
		for (int i = 0; i < n; i++)
			if (strcmp(names[i], daemon) == 0) {
				_cleanup_free_ char *path = xasprintf("%s/%s.log", dir, daemon);
				print_log(path, "", lines);
				return follow ? follow_logs(fd, lab, node, daemon) : EXIT_OK;
			}
		fprintf(stderr, "stacklab logs: node %s has no daemon '%s' with output (", node, daemon);
		for (int i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", names[i]);
		fprintf(stderr, "%s)\n", n ? "" : "none");
		return EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s.log", dir, names[i]);
		_cleanup_free_ char *prefix = xasprintf("%s| ", names[i]);
		print_log(path, prefix, lines);
	}
	if (n == 0 && !follow)
		printf("node %s has no daemon output\n", node);
	return follow ? follow_logs(fd, lab, node, NULL) : EXIT_OK;
}
