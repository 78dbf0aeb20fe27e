/* cli.c — helpers shared by the commands (see cli.h). */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <sys/wait.h>
#include <limits.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "userns.h"
#include "paths.h"
#include "util.h"

bool cli_may_run_labs(const char *cmd)
{
	if (!rootless())
		return true;
	struct sl_error err = { 0 };
	if (userns_check_own(&err) == 0)
		return true;
	fprintf(stderr, "stacklab %s: %s\n", cmd, err.msg);
	return false;
}

/* The labs up in run directory `dir`, as `prefix` + name, appended to
 * labs[*n…] (grown as needed). */
static char **labs_in(char **labs, size_t *n, const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !ctl_lab_name_ok(e->d_name))
			continue;
		_cleanup_free_ char *ref = xasprintf("%s%s", prefix, e->d_name);
		int fd = ctl_connect(ref);
		if (fd < 0)
			continue;
		close(fd);
		labs = realloc(labs, (*n + 2) * sizeof(char *));
		if (!labs)
			die("out of memory");
		labs[(*n)++] = steal_ptr(&ref);
		labs[*n] = NULL;
	}
	if (d)
		closedir(d);
	return labs;
}

char **cli_labs_up(void)
{
	size_t n = 0;
	char **labs = xcalloc(1, sizeof(char *));
	labs = labs_in(labs, &n, run_dir(), "");
	/* A user may watch root's labs through their watch group. */
	if (rootless())
		labs = labs_in(labs, &n, SYSTEM_RUN_DIR, "root/");
	return labs;
}

char **cli_labs_all(void)
{
	size_t n = 0;
	char **labs = xcalloc(1, sizeof(char *));
	labs = labs_in(labs, &n, SYSTEM_RUN_DIR, "");
	DIR *d = opendir("/run/user");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct passwd *pw = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? getpwuid((uid_t)atoi(e->d_name)) : NULL;
		if (!pw || !ctl_lab_ref_ok(pw->pw_name) /* any name a lab ref can carry */)
			continue;
		_cleanup_free_ char *dir = xasprintf("/run/user/%s/stacklab", e->d_name);
		_cleanup_free_ char *prefix = xasprintf("%s/", pw->pw_name);
		labs = labs_in(labs, &n, dir, prefix);
	}
	if (d)
		closedir(d);
	return labs;
}

void cli_labs_free(char **labs)
{
	for (char **l = labs; l && *l; l++)
		free(*l);
	free(labs);
}

bool cli_owns(const char *lab)
{
	if (!rootless())
		return true;
	_cleanup_free_ char *dir = ctl_lab_dir(lab);
	struct stat st;
	return stat(dir, &st) == 0 && st.st_uid == getuid();
}

char *cli_pick_lab(const char *cmd, const char *given)
{
	if (!given || !*given)
		given = getenv("STACKLAB_LAB");
	if (given && *given) {
		if (!ctl_lab_ref_ok(given)) {
			fprintf(stderr, "stacklab %s: '%s' is not a lab name (a-z, 0-9 and '-', at most %d; or USER/NAME)\n",
				cmd, given, CTL_LAB_NAME_MAX - 1);
			return NULL;
		}
		/* A user's name is theirs first; else root's lab of that name,
		 * which its watch group may watch. */
		_cleanup_free_ char *own = ctl_lab_dir(given);
		_cleanup_free_ char *shared = xasprintf("%s/%s", SYSTEM_RUN_DIR, given);
		if (rootless() && !strchr(given, '/') && access(own, F_OK) < 0 && access(shared, F_OK) == 0)
			return xasprintf("root/%s", given);
		return xstrdup(given);
	}
	char **labs = cli_labs_up();
	char *pick = NULL;
	/* A student on a shared server: the labs up are others', and none
	 * of their business; what they can do is start their own. */
	if (!labs[0] && rootless()) {
		fprintf(stderr, "stacklab %s: no lab of yours is up (start one with: stacklab up)\n", cmd);
	} else if (!labs[0]) {
		fprintf(stderr, "stacklab %s: no lab is up (start one with: stacklab up)\n", cmd);
	} else if (labs[1]) {
		fprintf(stderr, "stacklab %s: several labs are up (", cmd);
		for (char **l = labs; *l; l++)
			fprintf(stderr, "%s%s", l == labs ? "" : ", ", *l);
		fprintf(stderr, "): name one with --lab\n");
	} else {
		pick = xstrdup(labs[0]);
	}
	cli_labs_free(labs);
	return pick;
}

json_t *cli_request(const char *cmd, const char *lab, json_t *req)
{
	return cli_request_peer(cmd, lab, req, NULL);
}

json_t *cli_request_peer(const char *cmd, const char *lab, json_t *req, struct ucred *peer)
{
	json_t *reply = NULL;
	int r = ctl_call_peer(lab, req, &reply, peer);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		fprintf(stderr, "stacklab %s: lab %s is not up\n", cmd, lab);
		return NULL;
	}
	if (r == -EACCES) {
		fprintf(stderr, "stacklab %s: lab %s: permission denied (root may watch and change a lab; the "
				"members of its watch group may watch it: see stacklab up --group)\n", cmd, lab);
		return NULL;
	}
	if (r < 0) {
		fprintf(stderr, "stacklab %s: lab %s: %s\n", cmd, lab, strerror(-r));
		return NULL;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *err = json_string_value(json_object_get(reply, "error"));
		fprintf(stderr, "stacklab %s: %s\n", cmd, err ? err : "the lab refused the request");
		json_decref(reply);
		return NULL;
	}
	return reply;
}

json_t *cli_status(const char *cmd, const char *lab)
{
	json_t *req = json_pack("{s:s}", "cmd", "status");
	json_t *st = cli_request(cmd, lab, req);
	json_decref(req);
	return st;
}

json_t *cli_node(const char *cmd, const char *lab, json_t *st, const char *name)
{
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(st, "nodes"), i, n)
		if (strcmp(ctl_str(n, "name"), name) == 0)
			return n;
	fprintf(stderr, "stacklab %s: no node '%s' in lab %s (nodes:", cmd, name, lab);
	json_array_foreach(json_object_get(st, "nodes"), i, n)
		fprintf(stderr, " %s", json_string_value(json_object_get(n, "name")));
	fprintf(stderr, ")\n");
	return NULL;
}

int cli_door(const char *cmd, const char *lab, const char *node, const char *role, struct cli_door *out)
{
	if (!cli_owns(lab)) {
		fprintf(stderr, "stacklab %s: lab %s is not yours: only its owner (and root) may enter its nodes\n", cmd, lab);
		return -1;
	}
	/* Who answers is the kernel's word: the daemon's pid and user come
	 * from SO_PEERCRED, never from its reply (another user's daemon may
	 * name any process, a third user's node among them). */
	struct ucred peer = { 0 };
	json_t *req = json_pack("{s:s}", "cmd", "status");
	json_t *st = cli_request_peer(cmd, lab, req, &peer);
	json_decref(req);
	if (!st)
		return -1;
	if (peer.pid <= 0) {
		fprintf(stderr, "stacklab %s: lab %s: the kernel does not say which process answered\n", cmd, lab);
		json_decref(st);
		return -1;
	}
	/* Root in a user's lab enters its nodes (a lesson's requests, exec)
	 * only as far as the owner lets it change the lab. */
	const char *allow = json_string_value(json_object_get(st, "allow"));
	if (strchr(lab, '/') && allow && strcmp(allow, "lessons") != 0) {
		fprintf(stderr, "stacklab %s: lab %s: the lab's owner has not let others into its nodes (they may: "
				"stacklab allow lessons)\n", cmd, lab);
		json_decref(st);
		return -1;
	}
	json_t *n = NULL, *it;
	size_t i;
	if (node) {
		n = cli_node(cmd, lab, st, node);
	} else {
		json_array_foreach(json_object_get(st, "nodes"), i, it)
			if (!n && strcmp(ctl_str(it, "role"), role) == 0)
				n = it;
		if (!n)
			fprintf(stderr, "stacklab %s: lab %s has no %s node\n", cmd, lab, role);
	}
	int r = -1;
	if (n) {
		const char *state = json_string_value(json_object_get(n, "state"));
		str_copy(out->node, sizeof(out->node), json_string_value(json_object_get(n, "name")));
		snprintf(out->domain, sizeof(out->domain), "%s", json_string_value(json_object_get(st, "domain")));
		snprintf(out->scheme, sizeof(out->scheme), "%s",
			 json_is_false(json_object_get(st, "https")) ? "http" : "https");
		out->door = (struct node_door){
			.init = (pid_t)json_integer_value(json_object_get(n, "pid")),
			.daemon = peer.pid,
			.owner = peer.uid,
			.lab = lab,
			.node = out->node,
			.roles = role_mask(json_string_value(json_object_get(n, "role"))),
		};
		if (out->door.init <= 0 || !out->door.roles || strcmp(state, "up") != 0)
			fprintf(stderr, "stacklab %s: node %s of lab %s is %s\n", cmd, out->node, lab, state);
		else
			r = 0;
	}
	json_decref(st);
	return r;
}

const char *cli_paint(char *buf, size_t size, const char *word, int width)
{
	static int on = -1;
	if (on < 0) {
		const char *term = getenv("TERM"), *no = getenv("NO_COLOR");
		on = isatty(STDOUT_FILENO) && !(no && *no) && term && strcmp(term, "dumb") != 0;
	}
	static const char *const good[] = { "up", "UP", "running", "MASTER", "BACKUP", "ok", NULL };
	static const char *const bad[] = { "crashed", "down", "DOWN", "exited", "FAULT", "failed", NULL };
	static const char *const odd[] = { "frozen", "DRAIN", "MAINT", "starting", "stopping", NULL };
	const char *colour = NULL;
	for (int i = 0; !colour && good[i]; i++)
		colour = strcmp(word, good[i]) == 0 ? "32" : NULL;
	for (int i = 0; !colour && bad[i]; i++)
		colour = strcmp(word, bad[i]) == 0 ? "1;31" : NULL;
	for (int i = 0; !colour && odd[i]; i++)
		colour = strcmp(word, odd[i]) == 0 ? "33" : NULL;
	if (on && colour)
		snprintf(buf, size, "\033[%sm%s\033[0m%*s", colour, word, width > (int)strlen(word) ? width - (int)strlen(word) : 0, "");
	else
		snprintf(buf, size, "%-*s", width, word);
	return buf;
}

int cli_subscribe(const char *cmd, const char *lab, const char *filter)
{
	int fd = ctl_connect(lab);
	json_t *req = json_pack("{s:s, s:s}", "cmd", "subscribe", "filter", filter);
	if (fd < 0 || ctl_send(fd, req) < 0) {
		fprintf(stderr, "stacklab %s: lab %s is not up\n", cmd, lab);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	json_decref(req);
	return fd;
}

int cli_follow(const char *cmd, const char *lab, int fd, bool (*fn)(json_t *ev, const char *line, void *ctx), void *ctx)
{
	struct ctl_reader *rd = xcalloc(1, sizeof(*rd));
	setvbuf(stdout, NULL, _IOLBF, 0);
	bool first = true, more = true;
	int code = EXIT_OK;
	while (more) {
		char *line = NULL;
		int r = ctl_read_line(fd, rd, &line);
		if (r <= 0) {
			fprintf(stderr, "stacklab %s: lab %s went away\n", cmd, lab);
			code = r == 0 ? EXIT_OK : EXIT_FAIL;
			break;
		}
		json_t *ev = ctl_parse(line);
		if (!first && ev) /* the first line is the reply to subscribe */
			more = fn(ev, line, ctx);
		first = false;
		json_decref(ev);
		free(line);
	}
	free(rd);
	return code;
}
