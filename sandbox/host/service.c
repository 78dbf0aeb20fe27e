/* service.c — starting and watching a node's daemons (see service.h). */
#include "service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <poll.h>
#include <pwd.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

struct loader {
	struct service_set *set;
	const char *path;
	char *err;
	size_t errsize;
	int line;
	FILE *f;
	bool failed;
};

static char *counting_reader(char *str, int num, void *stream)
{
	struct loader *l = stream;
	char *r = fgets(str, num, l->f);
	if (r)
		l->line++;
	return r;
}

__attribute__((format(printf, 2, 3))) static int load_error(struct loader *l, const char *fmt, ...)
{
	if (l->failed)
		return 0;
	l->failed = true;
	int n = snprintf(l->err, l->errsize, "%s:%d: ", l->path, l->line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errsize - (size_t)n, fmt, ap);
	va_end(ap);
	return 0;
}

static int parse_ready(struct loader *l, struct service *s, const char *value)
{
	char addr[64];
	unsigned port;
	if (strcmp(value, "running") == 0) {
		s->ready_kind = READY_RUNNING;
		return 1;
	}
	bool greets = sscanf(value, "greets %63[0-9.]:%u", addr, &port) == 2;
	if ((greets || sscanf(value, "tcp %63[0-9.]:%u", addr, &port) == 2) && port > 0 && port < 65536) {
		s->ready_kind = greets ? READY_GREETS : READY_TCP;
		s->ready_addr.sin_family = AF_INET;
		s->ready_addr.sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &s->ready_addr.sin_addr) == 1)
			return 1;
	}
	return load_error(l, "ready = '%s': expected 'running', 'tcp ADDRESS:PORT' or 'greets ADDRESS:PORT'", value);
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct loader *l = user;
	struct service_set *set = l->set;
	struct service *s = NULL;
	for (int i = 0; i < set->n; i++)
		if (strcmp(set->s[i].name, section) == 0)
			s = &set->s[i];
	if (!s) {
		if (set->n >= SERVICES_MAX)
			return load_error(l, "more than %d services", SERVICES_MAX);
		s = &set->s[set->n++];
		if (str_copy(s->name, sizeof(s->name), section) < 0)
			return load_error(l, "service name '%s' is too long", section);
		/* The name becomes a log file's name on the host. */
		if (!*section || strspn(section, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(section))
			return load_error(l, "service name '%s' may hold only a-z, 0-9, '_' and '-'", section);
		s->output = -1;
	}
	if (strcmp(key, "command") == 0) {
		/* An indented line continues the command (inih hands it to us
		 * as the same key again). */
		size_t have = strlen(s->command);
		if (have && have + 1 < sizeof(s->command))
			s->command[have++] = ' ';
		if (str_copy(s->command + have, sizeof(s->command) - have, value) < 0)
			return load_error(l, "command of %s is too long", section);
		return 1;
	}
	if (strcmp(key, "ready") == 0)
		return parse_ready(l, s, value);
	if (strcmp(key, "rundir") == 0) {
		if (sscanf(value, "%63[a-z0-9_-] %31[a-z0-9_-]", s->rundir, s->rundir_user) != 2)
			return load_error(l, "rundir = '%s': expected 'DIR USER'", value);
		return 1;
	}
	if (strcmp(key, "reload") == 0) {
		static const struct { const char *name; int sig; } sigs[] = { { "HUP", SIGHUP }, { "USR1", SIGUSR1 },
									    { "USR2", SIGUSR2 } };
		for (size_t k = 0; k < ARRAY_SIZE(sigs); k++)
			if (strcmp(value, sigs[k].name) == 0) {
				s->reload_sig = sigs[k].sig;
				return 1;
			}
		return load_error(l, "reload = '%s': expected HUP, USR1 or USR2 (the signal that makes it re-read its config)",
				  value);
	}
	return load_error(l, "unknown key '%s' (known: command, ready, rundir, reload)", key);
}

int service_load(const char *path, struct service_set *set, char *err, size_t errsize)
{
	memset(set, 0, sizeof(*set));
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	struct loader l = { set, path, err, errsize, 0, f, false };
	ini_allow_multiline = true;
	int r = ini_parse_stream(counting_reader, &l, handler, &l);
	fclose(f);
	if (r > 0 && !l.failed) {
		l.line = r;
		load_error(&l, "not a 'key = value' line");
	}
	for (int i = 0; !l.failed && i < set->n; i++) {
		struct service *s = &set->s[i];
		int argc = 0;
		char *save = NULL;
		for (char *a = strtok_r(s->command, " \t", &save); a; a = strtok_r(NULL, " \t", &save)) {
			if (argc == SERVICE_ARGS_MAX) {
				load_error(&l, "command of %s has more than %d words", s->name, SERVICE_ARGS_MAX);
				break;
			}
			s->argv[argc++] = a;
		}
		s->argv[argc] = NULL;
		if (!s->argv[0])
			load_error(&l, "service %s has no command", s->name);
	}
	return l.failed ? -EINVAL : 0;
}

int service_start(struct service *s, char *err, size_t errsize)
{
	if (access(s->argv[0], X_OK) < 0) {
		int e = errno;
		snprintf(err, errsize, "%s: cannot run %s: %s (is its Debian package installed? sudo make up installs it)",
			 s->name, s->argv[0], strerror(e));
		return -e;
	}
	if (s->rundir[0]) {
		char dir[128];
		struct passwd *pw = getpwnam(s->rundir_user);
		snprintf(dir, sizeof(dir), "/run/%s", s->rundir);
		if (!pw || (mkdir(dir, 0755) < 0 && errno != EEXIST) || chown(dir, pw->pw_uid, pw->pw_gid) < 0) {
			snprintf(err, errsize, "%s: cannot make %s for user %s", s->name, dir, s->rundir_user);
			return -EPERM;
		}
	}
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* Its own process group: stopping a daemon stops its workers too.
		 * And the signals the init blocks for its signalfd (SIGCHLD,
		 * SIGTERM, SIGINT) must not stay blocked in a daemon: `stop`
		 * sends SIGTERM. */
		setpgid(0, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		int devnull = open("/dev/null", O_RDWR);
		int out = s->output >= 0 ? s->output : devnull;
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		execv(s->argv[0], s->argv);
		dprintf(2, "exec %s: %s\n", s->argv[0], strerror(errno));
		_exit(127);
	}
	s->pid = pid;
	s->ready = false;
	s->status = 0;
	return 0;
}

bool service_is_ready(const struct service *s)
{
	if (s->pid <= 0)
		return false;
	if (s->ready_kind == READY_RUNNING)
		return true;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	/* Addresses are the node's own: connect answers at once. */
	bool ok = connect(fd, (const struct sockaddr *)&s->ready_addr, sizeof(s->ready_addr)) == 0;
	if (ok && s->ready_kind == READY_GREETS) {
		/* The kernel completes a connection as soon as the daemon
		 * listens; only a daemon that takes it says hello (MariaDB
		 * listens before it is ready to). */
		struct pollfd p = { fd, POLLIN, 0 };
		char hello;
		ok = poll(&p, 1, SERVICE_GREETING_WAIT_MS) == 1 && recv(fd, &hello, 1, MSG_DONTWAIT) == 1;
	}
	close(fd);
	return ok;
}

struct service *service_by_pid(struct service_set *set, pid_t pid)
{
	for (int i = 0; i < set->n; i++)
		if (set->s[i].pid == pid)
			return &set->s[i];
	return NULL;
}
