/* proc.c — running programs and waiting for them (see proc.h). */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

int run_argv(char *const argv[], struct sl_error *e)
{
	/* Tools like openssl chat when all is well: keep what they say (on
	 * either stream: mariadb-install-db tells its errors on stdout), and
	 * show its end only if they fail. */
	_cleanup_close_ int err = -1;
	char tmpl[] = "/tmp/stacklab-run.XXXXXX";
	err = mkostemp(tmpl, O_CLOEXEC);
	if (err < 0)
		return -errno;
	unlink(tmpl);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(err, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (code != 0) {
		char buf[768];
		off_t size = lseek(err, 0, SEEK_END);
		off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
		ssize_t n = pread(err, buf, sizeof(buf) - 1, from);
		buf[n > 0 ? n : 0] = '\0';
		text_clean(buf);
		sl_err(e, EIO, "%s failed (status %d)%s%s", argv[0], code, n > 0 ? "; it said:\n" : "", buf);
	}
	return code;
}

pid_t run_self_start(char *const args[], int *out)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	char *argv[32];
	int k = 0;
	argv[k++] = exe;
	for (int i = 0; args[i] && k < (int)ARRAY_SIZE(argv) - 1; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		/* The running binary itself, even if a rebuild replaced the file. */
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(p[1]);
	*out = p[0];
	return pid;
}

int run_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_self(char *const args[], char *out, size_t size)
{
	int fd;
	pid_t pid = run_self_start(args, &fd);
	if (pid < 0)
		return pid;
	size_t len = 0;
	ssize_t got;
	while ((got = read(fd, out + len, size - 1 - len)) > 0 || (got < 0 && errno == EINTR)) {
		if (got > 0)
			len += (size_t)got;
		if (len == size - 1) { /* keep the start; drain the rest */
			char sink[4096];
			while (read(fd, sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	out[len] = '\0';
	close(fd);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return run_status(status);
}
