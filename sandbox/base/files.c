/* files.c — files and directories, and reading what a node wrote (see files.h). */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <string.h>
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#ifndef DATADIR
#define DATADIR "/usr/local/share/stacklab"
#endif

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (str_copy(buf, sizeof(buf), path) < 0)
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return -errno;
	return 0;
}

int write_file(const char *path, const char *data, mode_t mode)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	return write_all(fd, data, strlen(data));
}

char *read_file(const char *path, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb)
				die("out of memory");
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int copy_file(const char *src, const char *dst)
{
	struct stat st;
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0)
		return -errno;
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
	if (out < 0)
		return -errno;
	/* In-kernel copy where the file systems allow it (the MariaDB datadir
	 * is tens of megabytes); a plain loop where they do not. */
	off_t left = st.st_size;
	while (left > 0) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (n <= 0)
			break;
		left -= n;
	}
	if (left == 0)
		return 0;
	char buf[65536];
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		int w = write_all(out, buf, (size_t)r);
		if (w < 0)
			return w;
	}
}

int copy_tree(const char *src, const char *dst, uid_t uid, gid_t gid)
{
	struct stat st;
	if (lstat(src, &st) < 0)
		return -errno;
	int r = 0;
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(dst, st.st_mode & 07777) < 0 && errno != EEXIST)
			return -errno;
		DIR *d = opendir(src);
		if (!d)
			return -errno;
		struct dirent *e;
		while (r == 0 && (e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char s[PATH_MAX], t[PATH_MAX];
			snprintf(s, sizeof(s), "%s/%s", src, e->d_name);
			snprintf(t, sizeof(t), "%s/%s", dst, e->d_name);
			r = copy_tree(s, t, uid, gid);
		}
		closedir(d);
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (symlink(target, dst) < 0)
			return -errno;
	} else if (S_ISREG(st.st_mode)) {
		if ((r = copy_file(src, dst)) < 0)
			return r;
	} else {
		return 0;
	}
	if (lchown(dst, uid, gid) < 0)
		return -errno;
	return r;
}

char *tail_file(const char *path, int n)
{
	size_t len;
	char *text = read_file(path, &len);
	return text ? tail_text(text, len, n) : NULL;
}

char *tail_text(char *text, size_t len, int n)
{
	size_t start = len;
	int lines = 0;
	if (start > 0 && text[start - 1] == '\n')
		start--;
	while (start > 0 && lines < n) {
		start--;
		if (text[start] == '\n')
			lines++;
	}
	if (text[start] == '\n')
		start++;
	memmove(text, text + start, len - start + 1);
	return text;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

const char *data_dir(void)
{
	static char dir[PATH_MAX];
	if (dir[0])
		return dir;
	const char *env = getenv("STACKLAB_DATA");
	if (env && *env) {
		str_copy(dir, sizeof(dir), env);
		return dir;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			char probe[PATH_MAX + 32];
			snprintf(probe, sizeof(probe), "%s/rootfs/common", exe);
			if (access(probe, F_OK) == 0) {
				str_copy(dir, sizeof(dir), exe);
				return dir;
			}
		}
	}
	str_copy(dir, sizeof(dir), DATADIR);
	return dir;
}

int open_beneath(const char *base, const char *rel)
{
	_cleanup_close_ int dir = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	int fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL; /* a FIFO, a device, a directory: not a file to read */
	}
	return fd;
}

char *read_fd_from(int fd, off_t from, size_t max, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size >= from && (size_t)(st.st_size - from) < max)
		max = (size_t)(st.st_size - from); /* what is there now, not the bound */
	char *buf = xmalloc(max + 1);
	size_t n = 0;
	while (n < max) {
		ssize_t r = pread(fd, buf + n, max - n, from + (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

char *read_beneath(const char *base, const char *rel, size_t max)
{
	int fd = open_beneath(base, rel);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	char *text = read_fd_from(fd, 0, max, NULL);
	close(fd);
	return text;
}
