/* util.c — helpers shared by every module (see util.h). */
#include "util.h"

#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <string.h>
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef DATADIR
#define DATADIR "/usr/local/share/stacklab"
#endif

static const char *log_prefix = "stacklab";

void log_set_prefix(const char *prefix) { log_prefix = prefix; }

static void vlog(const char *kind, const char *fmt, va_list ap)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "%s: %s", log_prefix, kind);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	/* One write per message keeps lines whole when several processes share
	 * the stream (the daemon and its node inits). */
	size_t len = strlen(buf);
	if (len + 1 < sizeof(buf)) {
		buf[len++] = '\n';
		buf[len] = '\0';
	}
	(void)write_all(STDERR_FILENO, buf, len);
}

void log_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
	exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die("out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		die("out of memory");
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		die("out of memory");
	return s;
}

int str_copy(char *dst, size_t size, const char *src)
{
	if (size == 0)
		return -ENAMETOOLONG;
	size_t n = strnlen(src, size);
	if (n < size) {
		memcpy(dst, src, n + 1);
		return 0;
	}
	/* Whatever the caller does next, dst is a string: cut, and not
	 * inside a character. */
	memcpy(dst, src, size - 1);
	dst[size - 1] = '\0';
	utf8_trim(dst);
	return -ENAMETOOLONG;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

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

void format_rate(char *buf, size_t size, double bps)
{
	if (bps >= 1e6)
		snprintf(buf, size, "%.1fM", bps / 1e6);
	else if (bps >= 1e3)
		snprintf(buf, size, "%.0fk", bps / 1e3);
	else
		snprintf(buf, size, "%.0f", bps);
}

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* Decided once, before a rootless daemon enters its user namespace (where
 * it is uid 0 but still the user's): main() calls paths_init() first. */
static struct {
	bool known, rootless, in_own_ns;
	uid_t user;
	char run[PATH_MAX], cache[PATH_MAX];
} paths;

/* Is this process in a user namespace other than the host's? */
static bool in_child_userns(void)
{
	_cleanup_free_ char *map = read_file("/proc/self/uid_map", NULL);
	unsigned long inside, outside, count;
	return map && !(sscanf(map, "%lu %lu %lu", &inside, &outside, &count) == 3 && outside == 0 &&
			count == 4294967295ul);
}

void paths_init(void)
{
	if (paths.known)
		return;
	paths.known = true;
	paths.user = getuid();
	paths.rootless = paths.user != 0;
	/* A user's `up`, run again inside the user namespace it made: uid 0
	 * there, the user's all the same. */
	const char *of = getenv(USERNS_OF_ENV);
	if (of && paths.user == 0 && in_child_userns()) {
		paths.user = (uid_t)strtoul(of, NULL, 10);
		paths.rootless = paths.in_own_ns = true;
	}
	/* Kept: what runs itself again in the namespace (the TUI's lesson
	 * pane) must know whose it is too. It says nothing outside one. */
	if (!paths.rootless) {
		str_copy(paths.run, sizeof(paths.run), SYSTEM_RUN_DIR);
	} else {
		/* $XDG_RUNTIME_DIR, as rootless Podman; where a login made
		 * none (su, runuser), the one systemd would make. */
		const char *xdg = getenv("XDG_RUNTIME_DIR");
		if (xdg && *xdg == '/')
			snprintf(paths.run, sizeof(paths.run), "%s/stacklab", xdg);
		else
			snprintf(paths.run, sizeof(paths.run), "/run/user/%u/stacklab", (unsigned)paths.user);
	}
	const char *env = getenv("STACKLAB_CACHE"), *xdg_cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (env && *env == '/')
		str_copy(paths.cache, sizeof(paths.cache), env);
	else if (!paths.rootless)
		str_copy(paths.cache, sizeof(paths.cache), "/var/lib/stacklab");
	else if (xdg_cache && *xdg_cache == '/')
		snprintf(paths.cache, sizeof(paths.cache), "%s/stacklab", xdg_cache);
	else {
		struct passwd *pw = home && *home == '/' ? NULL : getpwuid(paths.user);
		snprintf(paths.cache, sizeof(paths.cache), "%s/.cache/stacklab", pw ? pw->pw_dir : home ? home : "/");
	}
}

bool rootless(void)
{
	paths_init();
	return paths.rootless;
}

bool in_own_userns(void)
{
	paths_init();
	return paths.in_own_ns;
}

uid_t lab_user(void)
{
	paths_init();
	return paths.user;
}

const char *run_dir(void)
{
	paths_init();
	return paths.run;
}

const char *cache_dir(void)
{
	paths_init();
	return paths.cache;
}

size_t utf8_char_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0 || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4))
		return 0; /* a stray continuation byte, an overlong or too large start */
	for (size_t k = 1; k < n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
	    (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
		return 0; /* overlong, a surrogate, or past U+10FFFF */
	return n;
}

/* A character a terminal acts on rather than shows, beyond C0 and DEL:
 * the C1 controls (U+0080-U+009F: U+009B is CSI, U+009D OSC) and the
 * bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069),
 * which make a line read other than it is. */
static bool text_is_control(const unsigned char *s, size_t n)
{
	if (n == 2)
		return s[0] == 0xc2 && s[1] < 0xa0;
	if (n == 3 && s[0] == 0xe2 && s[1] == 0x80)
		return s[2] >= 0xaa && s[2] <= 0xae;
	if (n == 3 && s[0] == 0xe2 && s[1] == 0x81)
		return s[2] >= 0xa6 && s[2] <= 0xa9;
	return false;
}

void text_clean(char *text)
{
	unsigned char *s = (unsigned char *)text, *out;
	/* Most of a daemon's output is printable ASCII: it stays where it is. */
	while ((*s >= 0x20 && *s < 0x7f) || *s == '\n' || *s == '\t')
		s++;
	out = s;
	while (*s) {
		size_t n = utf8_char_len(s);
		if (n == 0 || (n == 1 && ((*s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7f))) {
			*out++ = '?';
			s++;
			continue;
		}
		if (text_is_control(s, n)) { /* one '?' for the whole character */
			*out++ = '?';
			s += n;
			continue;
		}
		memmove(out, s, n);
		out += n;
		s += n;
	}
	*out = '\0';
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

/* Edits (insert, delete, replace, swap two neighbours) from a to b. */
static size_t edits(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return SIZE_MAX;
	size_t d[64][64];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *str_closest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t e = edits(word, candidates[i]);
		if (e < best_d) {
			best_d = e;
			best = candidates[i];
		}
	}
	return best && best_d <= 2 && best_d * 2 < strlen(word) ? best : NULL;
}

void utf8_trim(char *s)
{
	size_t n = strlen(s), k = n;
	/* Back over continuation bytes to the last lead byte: if the sequence
	 * it starts is shorter than it says, it was cut. */
	while (k > 0 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
		k--;
	if (k == 0)
		return;
	unsigned char lead = (unsigned char)s[k - 1];
	size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (n - (k - 1) < want)
		s[k - 1] = '\0';
}
