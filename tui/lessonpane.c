/* lessonpane.c — the lesson runner as a child of the TUI (see lessonpane.h). */
#include "lessonpane.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

int pane_start(struct lesson_pane *p, const char *lab, const char *path, const char *title, int steps,
	       double slack, char *msg, size_t size)
{
	memset(p, 0, sizeof(*p));
	p->to = p->from = -1;
	snprintf(p->path, sizeof(p->path), "%s", path);
	snprintf(p->title, sizeof(p->title), "%s", title);
	p->steps = steps;
	char exe[PATH_MAX], slack_s[32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int in[2], out[2];
	if (n < 0 || pipe2(in, O_CLOEXEC) < 0) {
		snprintf(msg, size, "cannot start the lesson: %s", strerror(errno));
		return -errno;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		snprintf(msg, size, "cannot start the lesson: %s", strerror(e));
		return -e;
	}
	exe[n] = '\0';
	snprintf(slack_s, sizeof(slack_s), "%g", slack);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		snprintf(msg, size, "cannot start the lesson: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		/* If the TUI dies, the lesson still cleans up after itself. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		execl("/proc/self/exe", exe, "lesson", "run", "--feed", "--lab", lab, "--slack", slack_s, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	p->pid = pid;
	p->to = in[1];
	p->from = out[0];
	fcntl(p->from, F_SETFL, O_NONBLOCK);
	fcntl(p->to, F_SETFL, O_NONBLOCK);
	return 0;
}

static void add(struct lesson_pane *p, const char *kind, bool ok, const char *text)
{
	if (p->n == PANE_LINES) {
		memmove(p->lines, p->lines + PANE_LINES / 4, sizeof(p->lines[0]) * (PANE_LINES - PANE_LINES / 4));
		p->n -= PANE_LINES / 4;
	}
	struct pane_line *l = &p->lines[p->n++];
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	l->ok = ok;
	snprintf(l->text, sizeof(l->text), "%s", text);
	/* One line each: a newline in a lesson's text would break the pane. */
	for (char *c = l->text; *c; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
}

static void take(struct lesson_pane *p, const char *line)
{
	json_t *j = ctl_parse(line);
	const char *kind = json_string_value(json_object_get(j, "kind"));
	const char *text = json_string_value(json_object_get(j, "text"));
	if (!kind || !text) { /* not the runner's words: an error it printed */
		add(p, "note", true, line);
		json_decref(j);
		return;
	}
	bool ok = json_is_true(json_object_get(j, "ok"));
	if (strcmp(kind, "trace") == 0) { /* the lesson's own trace: for the stepper */
		json_t *t = json_object_get(j, "trace");
		if (json_is_object(t)) {
			json_decref(p->trace);
			p->trace = json_incref(t);
		}
	} else if (strcmp(kind, "waiting") == 0) {
		snprintf(p->waiting, sizeof(p->waiting), "%s", text);
		snprintf(p->now, sizeof(p->now), "%s", json_string_value(json_object_get(j, "now")) ?: "");
	} else if (strcmp(kind, "pause") == 0) {
		snprintf(p->pause, sizeof(p->pause), "%s", text);
		p->waiting[0] = '\0';
	} else {
		if (strcmp(kind, "step") == 0) {
			snprintf(p->step, sizeof(p->step), "%s", text);
			p->step_no++;
			p->pause[0] = '\0';
		}
		if (strcmp(kind, "verdict") == 0 || strcmp(kind, "step") == 0)
			p->waiting[0] = '\0';
		if (strcmp(kind, "end") == 0) {
			p->ended = true;
			p->passed = ok;
			p->pause[0] = p->waiting[0] = '\0';
		}
		add(p, strcmp(kind, "title") == 0 ? "explain" : kind, ok, text);
	}
	json_decref(j);
}

bool pane_pump(struct lesson_pane *p)
{
	bool changed = false;
	while (p->from >= 0) {
		char *line = NULL;
		int r = ctl_read_line(p->from, &p->rd, &line);
		if (r == -EAGAIN)
			break;
		if (r <= 0) { /* the runner is done: reaped as it exits (pane_check) */
			close(p->from);
			p->from = -1;
			p->done_ms = now_ms();
			pane_check(p);
			changed = true;
			break;
		}
		take(p, line);
		free(line);
		changed = true;
	}
	return changed;
}

void pane_say(struct lesson_pane *p, const char *word)
{
	if (p->to < 0)
		return;
	char line[16];
	int n = snprintf(line, sizeof(line), "%s\n", word);
	if (write(p->to, line, (size_t)n) < 0 && errno == EPIPE) {
		close(p->to);
		p->to = -1;
	}
}

void pane_stop(struct lesson_pane *p)
{
	if (p->pid > 0 && !p->stopping) {
		kill(p->pid, SIGINT);
		p->stopping = true;
		add(p, "note", true, "stopping the lesson: its cleanup runs…");
	}
}

/* The runner is gone (its exit status, or 1): no more input to it. */
static void gone(struct lesson_pane *p, int status)
{
	p->status = status;
	p->pid = 0;
	if (p->to >= 0)
		close(p->to);
	p->to = -1;
	p->ended = true;
}

/* Reap the runner if it has exited; true if it has (or cannot be waited for). */
static bool try_reap(struct lesson_pane *p)
{
	int status;
	pid_t r = waitpid(p->pid, &status, WNOHANG);
	if (r == p->pid || (r < 0 && errno != EINTR)) {
		gone(p, r == p->pid && WIFEXITED(status) ? WEXITSTATUS(status) : 1);
		return true;
	}
	return false;
}

bool pane_check(struct lesson_pane *p)
{
	if (p->pid <= 0)
		return false;
	if (try_reap(p))
		return true;
	if (now_ms() - p->done_ms > 5000) /* its output ended long ago: it will not exit */
		pane_reap(p, 0);
	return p->pid == 0;
}

void pane_reap(struct lesson_pane *p, int ms)
{
	for (int waited = 0; p->pid > 0 && !try_reap(p) && waited < ms; waited += 20)
		poll(NULL, 0, 20);
	if (p->pid > 0) { /* a runner that would not stop */
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		gone(p, 1);
	}
}
