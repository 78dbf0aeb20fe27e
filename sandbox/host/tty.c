/* tty.c — a terminal of its own for what `exec` runs in a node (see tty.h). */
#include "tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

static int pipe_if_tty(int fd, int p[2])
{
	p[0] = p[1] = -1;
	if (!isatty(fd))
		return 0;
	return pipe2(p, O_CLOEXEC) < 0 ? -errno : 0;
}

int tty_relay_open(struct tty_relay *t)
{
	memset(t, 0, sizeof(*t));
	t->master = t->channel[0] = t->channel[1] = t->null_fd = -1;
	t->pipe_in[0] = t->pipe_in[1] = t->pipe_out[0] = t->pipe_out[1] = t->pipe_err[0] = t->pipe_err[1] = -1;
	/* Only the terminal's foreground may take it (make it raw, read it):
	 * anything else is stopped by SIGTTOU or SIGTTIN, and stays stopped
	 * (`timeout 5 stacklab exec …` runs in a group of its own, `exec … &`
	 * in the background). There the command gets no input and a pipe for
	 * its output. */
	bool fg = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
	t->pty = fg && isatty(STDOUT_FILENO);
	t->null_in = isatty(STDIN_FILENO) && !fg;
	t->null_fd = t->null_in ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
	if (t->null_in && t->null_fd < 0)
		return -errno;
	if (!t->pty) {
		int r;
		if ((!t->null_in && (r = pipe_if_tty(STDIN_FILENO, t->pipe_in)) < 0) ||
		    (r = pipe_if_tty(STDOUT_FILENO, t->pipe_out)) < 0 ||
		    (r = pipe_if_tty(STDERR_FILENO, t->pipe_err)) < 0)
			return r;
		return 0;
	}
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, t->channel) < 0 ? -errno : 0;
}

/* In the command, inside the node: a pty of the node's devpts; the master
 * goes to the caller, the slave is returned. */
static int node_pty(struct tty_relay *t)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	char name[64];
	if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		return -1;
	int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	char byte = 0;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c = { 0 };
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (slave < 0 || sendmsg(t->channel[1], &msg, MSG_NOSIGNAL) < 0)
		return -1;
	close(master);
	return slave;
}

/* In the caller: the master the command sent, or -1 if it died first. */
static int recv_master(int channel)
{
	char byte;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	if (recvmsg(channel, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int fd = -1;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

void tty_relay_child(struct tty_relay *t)
{
	setsid();
	if (t->pty) {
		int slave = node_pty(t);
		if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 || dup2(slave, 1) < 0 ||
		    dup2(slave, 2) < 0)
			_exit(126);
		return;
	}
	if ((t->null_in && dup2(t->null_fd, 0) < 0) || (t->pipe_in[0] >= 0 && dup2(t->pipe_in[0], 0) < 0) ||
	    (t->pipe_out[1] >= 0 && dup2(t->pipe_out[1], 1) < 0) || (t->pipe_err[1] >= 0 && dup2(t->pipe_err[1], 2) < 0))
		_exit(126);
}

static struct termios saved;
static bool raw;

static void restore(void)
{
	if (raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	raw = false;
}

/* Copy what is there from `from` to `to`: 1 if it passed some (or was
 * interrupted), -EAGAIN if there is nothing now, 0 at its end (a pty whose
 * every slave closed says EIO). */
static int pass(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && errno == EINTR)
		return 1;
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	if (n <= 0)
		return 0;
	return write_all(to, buf, (size_t)n) == 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int tty_relay_run(struct tty_relay *t, pid_t child)
{
	/* The command's ends are its own now. */
	close_fd(&t->channel[1]);
	close_fd(&t->pipe_in[0]);
	close_fd(&t->pipe_out[1]);
	close_fd(&t->pipe_err[1]);
	close_fd(&t->null_fd);

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return -errno;
	if (t->pty) {
		t->master = recv_master(t->channel[0]);
		close_fd(&t->channel[0]);
		/* The node's terminal starts as the user's: same modes, same size. */
		struct termios tio;
		struct winsize ws;
		if (t->master >= 0 && tcgetattr(STDIN_FILENO, &tio) == 0)
			tcsetattr(t->master, TCSANOW, &tio);
		if (t->master >= 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
			ioctl(t->master, TIOCSWINSZ, &ws);
	}
	if (t->pty && t->master >= 0 && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios tio = saved;
		cfmakeraw(&tio);
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0;
	}

	/* Sources and where they go: the user's input to the command, the
	 * command's output to the user's terminal. */
	int from[3], to[3], n = 0;
	if (t->pty) {
		from[n] = STDIN_FILENO, to[n++] = t->master;
		from[n] = t->master, to[n++] = STDOUT_FILENO;
	} else {
		if (t->pipe_in[1] >= 0)
			from[n] = STDIN_FILENO, to[n++] = t->pipe_in[1];
		if (t->pipe_out[0] >= 0)
			from[n] = t->pipe_out[0], to[n++] = STDOUT_FILENO;
		if (t->pipe_err[0] >= 0)
			from[n] = t->pipe_err[0], to[n++] = STDERR_FILENO;
	}
	int status = -1, hangups = 0;
	bool done = false;
	while (!done) {
		struct pollfd p[4];
		for (int k = 0; k < n; k++)
			p[k] = (struct pollfd){ from[k], from[k] >= 0 ? POLLIN : 0, 0 };
		p[n] = (struct pollfd){ sfd, POLLIN, 0 };
		if (poll(p, (nfds_t)n + 1, -1) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n; k++)
			if (p[k].revents && pass(from[k], to[k]) == 0) {
				/* The user's input ended: so does the command's. */
				if (from[k] == STDIN_FILENO && t->pipe_in[1] >= 0)
					close_fd(&t->pipe_in[1]);
				from[k] = -1;
			}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			struct winsize ws;
			if (si.ssi_signo == SIGWINCH && t->pty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
				ioctl(t->master, TIOCSWINSZ, &ws);
			else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP)
				/* the waiter hangs the command up; asked again, it ends it */
				kill(child, hangups++ ? SIGKILL : SIGHUP);
		}
		if (waitpid(child, &status, WNOHANG) == child)
			done = true;
	}
	/* What the command wrote last, without waiting on what it left
	 * running in the node (which may hold its end, and write, for ever):
	 * what is there now, 64 KiB at most. */
	restore();
	for (int k = 0; k < n; k++)
		if (from[k] >= 0 && from[k] != STDIN_FILENO) {
			fcntl(from[k], F_SETFL, O_NONBLOCK);
			for (int rounds = 0; rounds < 4 && pass(from[k], to[k]) == 1; rounds++)
				;
		}
	close_fd(&t->master);
	close_fd(&t->pipe_in[1]);
	close_fd(&t->pipe_out[0]);
	close_fd(&t->pipe_err[0]);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	if (!done && waitpid(child, &status, 0) < 0)
		return -errno;
	return status;
}
