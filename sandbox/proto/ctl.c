/* ctl.c — control protocol plumbing shared by daemon and clients (see ctl.h). */
#include "ctl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <string.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "paths.h"
#include "util.h"

const char *const lab_allow_names[] = { "none", "watch", "lessons", NULL };

int lab_allow_find(const char *word)
{
	for (int k = ALLOW_NONE; word && k <= ALLOW_LESSONS; k++)
		if (strcmp(word, lab_allow_names[k]) == 0)
			return k;
	return -1;
}

int ctl_lab_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= CTL_LAB_NAME_MAX || !islower((unsigned char)name[0]))
		return 0;
	for (const char *c = name; *c; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-')
			return 0;
	return 1;
}

int ctl_lab_ref_ok(const char *ref)
{
	const char *slash = strchr(ref, '/');
	if (!slash)
		return ctl_lab_name_ok(ref);
	size_t n = (size_t)(slash - ref);
	if (n == 0 || n >= CTL_USER_NAME_MAX || !(islower((unsigned char)ref[0]) || ref[0] == '_'))
		return 0;
	for (const char *c = ref; c < slash; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
			return 0;
	return ctl_lab_name_ok(slash + 1);
}

/* USER/NAME: the user's name into user[CTL_USER_NAME_MAX], and the lab's
 * name; NULL for a bare NAME. */
static const char *ref_user(const char *ref, char user[CTL_USER_NAME_MAX])
{
	const char *slash = strchr(ref, '/');
	if (!slash)
		return NULL;
	snprintf(user, CTL_USER_NAME_MAX, "%.*s", (int)(slash - ref), ref);
	return slash + 1;
}

/* The run directory of user `name`'s labs: root's are the machine's, one's
 * own is where this process keeps its labs, another user's is where
 * systemd gives them their runtime directory. NULL if there is no such
 * user. */
static char *user_run_dir(const char *name)
{
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return NULL;
	if (pw->pw_uid == 0)
		return xstrdup(SYSTEM_RUN_DIR);
	if (pw->pw_uid == lab_user() && rootless())
		return xstrdup(run_dir());
	return xasprintf("/run/user/%u/stacklab", (unsigned)pw->pw_uid);
}

char *ctl_lab_dir(const char *lab)
{
	char user[CTL_USER_NAME_MAX];
	const char *name = ref_user(lab, user);
	if (!name)
		return xasprintf("%s/%s", run_dir(), lab);
	_cleanup_free_ char *dir = user_run_dir(user);
	/* No such user: a path that is not there, so "not up" is the answer. */
	return xasprintf("%s/%s", dir ? dir : "/nonexistent/stacklab", name);
}

char *ctl_lab_path(const char *lab, const char *file)
{
	_cleanup_free_ char *dir = ctl_lab_dir(lab);
	return xasprintf("%s/%s", dir, file);
}

static int sockaddr_for(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	return str_copy(sa->sun_path, sizeof(sa->sun_path), path);
}

int ctl_listen(const char *path, gid_t gid, struct sl_error *err)
{
	struct sockaddr_un sa;
	if (sockaddr_for(path, &sa) < 0)
		return sl_err(err, ENAMETOOLONG, "control socket %s: %s", path, strerror(ENAMETOOLONG));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return sl_err(err, errno, "control socket %s: %s", path, strerror(errno));
	unlink(path);
	/* Nobody can connect before listen(): the mode is set in between. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chown(path, 0, gid) < 0 ||
	    chmod(path, gid ? 0660 : 0600) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		return sl_err(err, e, "control socket %s: %s", path, strerror(e));
	}
	return fd;
}

#define CTL_CONNECT_WAIT_MS 3000

int ctl_connect(const char *lab)
{
	_cleanup_free_ char *path = ctl_lab_path(lab, "ctl.sock");
	struct sockaddr_un sa;
	if (sockaddr_for(path, &sa) < 0)
		return -ENAMETOOLONG;
	/* Non-blocking: a daemon whose backlog is full (stalled, or another
	 * user's filled on purpose) makes connect say EAGAIN rather than
	 * hold the caller; it is tried again for CTL_CONNECT_WAIT_MS. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	int r;
	for (int waited = 0; (r = connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0 && errno == EAGAIN &&
			     waited < CTL_CONNECT_WAIT_MS;
	     waited += 10)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	if (r < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		int e = errno == EAGAIN ? ETIMEDOUT : errno;
		close(fd);
		return -e;
	}
	/* USER/NAME: whoever answers must be that user's lab daemon, not
	 * another lab's reached through a link (a user's directory is
	 * theirs to fill). The kernel says who listens. */
	char user[CTL_USER_NAME_MAX];
	if (ref_user(lab, user)) {
		struct passwd *pw = getpwnam(user);
		struct ucred cred;
		socklen_t len = sizeof(cred);
		if (!pw || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != pw->pw_uid) {
			close(fd);
			return -EPERM;
		}
	}
	return fd;
}

#define CTL_SEND_WAIT_MS 2000

int ctl_send(int fd, json_t *msg)
{
	_cleanup_free_ char *text = json_dumps(msg, CTL_JSON_FLAGS);
	if (!text)
		return -ENOMEM;
	size_t n = strlen(text);
	text[n] = '\n'; /* json_dumps' terminator becomes the line end */
	int r = 0;
	/* MSG_NOSIGNAL: a client that left must not kill the daemon. */
	for (size_t off = 0; off <= n;) {
		ssize_t w = send(fd, text + off, n + 1 - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		/* A non-blocking peer whose buffer is full: wait a little for
		 * room rather than send half a reply. */
		struct pollfd p = { fd, POLLOUT, 0 };
		if (w < 0 && errno == EAGAIN && poll(&p, 1, CTL_SEND_WAIT_MS) > 0)
			continue;
		if (w < 0) {
			r = -errno;
			break;
		}
		off += (size_t)w;
	}
	return r;
}

int ctl_read_line(int fd, struct ctl_reader *rd, char **line)
{
	for (;;) {
		char *nl = memchr(rd->buf, '\n', rd->len);
		if (nl) {
			size_t n = (size_t)(nl - rd->buf);
			*line = strndup(rd->buf, n);
			if (!*line)
				return -ENOMEM;
			memmove(rd->buf, nl + 1, rd->len - n - 1);
			rd->len -= n + 1;
			return 1;
		}
		if (rd->len == sizeof(rd->buf))
			return -E2BIG;
		ssize_t r = read(fd, rd->buf + rd->len, sizeof(rd->buf) - rd->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		if (r == 0)
			return 0;
		rd->len += (size_t)r;
	}
}

pid_t ctl_peer_pid(const char *lab)
{
	_cleanup_close_ int fd = ctl_connect(lab);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	return fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
}

/* Another user's lab answers within this or not at all (a trace, the
 * slowest request, takes seconds): its daemon is theirs to stall. */
#define CTL_OTHERS_REPLY_S 30

static json_t *clean_strings(json_t *j)
{
	if (json_is_string(j)) {
		_cleanup_free_ char *text = xstrdup(json_string_value(j));
		text_clean(text);
		if (strcmp(text, json_string_value(j)) != 0)
			json_string_set(j, text);
	} else if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v)
			clean_strings(v);
	} else if (json_is_object(j)) {
		const char *key;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(j, tmp, key, v) {
			clean_strings(v);
			_cleanup_free_ char *k = xstrdup(key);
			text_clean(k);
			if (strcmp(k, key) != 0) {
				json_object_set(j, k, v);
				json_object_del(j, key);
			}
		}
	}
	return j;
}

json_t *ctl_parse(const char *line)
{
	json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	return j ? clean_strings(j) : NULL;
}

int ctl_call(const char *lab, json_t *req, json_t **reply)
{
	return ctl_call_peer(lab, req, reply, NULL);
}

int ctl_call_peer(const char *lab, json_t *req, json_t **reply, struct ucred *peer)
{
	return ctl_call_pidfd(lab, req, reply, peer, NULL);
}

int ctl_call_pidfd(const char *lab, json_t *req, json_t **reply, struct ucred *peer, int *pidfd)
{
	if (pidfd)
		*pidfd = -1;
	_cleanup_close_ int fd = ctl_connect(lab);
	if (fd < 0)
		return fd;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if ((peer || pidfd) && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	if (peer)
		*peer = cred;
	if (pidfd && cred.pid > 0)
		*pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
	struct timeval limit = { CTL_OTHERS_REPLY_S, 0 };
	if (strchr(lab, '/'))
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	int r = ctl_send(fd, req);
	if (r < 0)
		return r;
	struct ctl_reader *rd = xcalloc(1, sizeof(*rd));
	char *line = NULL;
	r = ctl_read_line(fd, rd, &line);
	free(rd);
	if (r <= 0)
		return r == 0 ? -ECONNRESET : r;
	*reply = ctl_parse(line);
	free(line);
	return *reply ? 0 : -EPROTO;
}
