/* util.h — small helpers every module uses: cleanup attributes, logging,
 * files and directories, time. */
#ifndef STACKLAB_UTIL_H
#define STACKLAB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "error.h"

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
/* Hand ownership of an fd out of a _cleanup_close_ variable. */
static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}
static inline void *steal_ptr(void *pp)
{
	void **p = pp;
	void *r = *p;
	*p = NULL;
	return r;
}

/* Messages go to stderr prefixed with the program name; the lab daemon points
 * its stderr at the `up` client while starting and at its log file after. */
void log_set_prefix(const char *prefix);
__attribute__((format(printf, 1, 2))) void log_err(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_info(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

/* malloc that never returns NULL: out of memory is not recoverable here. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

/* Copy src into a fixed buffer of `size` bytes. dst is always a string
 * afterwards (for size > 0): when src does not fit it holds src's first
 * size - 1 bytes, cut back to a whole UTF-8 character, and str_copy returns
 * -ENAMETOOLONG; 0 when all of src fit. */
int str_copy(char *dst, size_t size, const char *src);
bool str_has_prefix(const char *s, const char *prefix);
/* The candidate closest to a mistyped `word` (at most 2 edits away, and
 * fewer than half its letters), for "did you mean"; NULL if none is. */
const char *str_closest(const char *word, const char *const *candidates, size_t n);
/* Cut a multibyte character that a bounded copy left unfinished at the end
 * of s (text that is valid UTF-8 but for that stays valid). */
void utf8_trim(char *s);

int mkdir_p(const char *path, mode_t mode);
/* Remove a tree without crossing into other file systems or following links. */
int rm_rf(const char *path);
int write_file(const char *path, const char *data, mode_t mode);
/* Read a whole file; returns NULL and sets errno on failure. */
char *read_file(const char *path, size_t *len);
int copy_file(const char *src, const char *dst);

/* Copy a directory tree (files, directories, symlinks, modes), giving
 * everything to uid:gid. */
int copy_tree(const char *src, const char *dst, uid_t uid, gid_t gid);

/* Run argv[0] (a path) and wait. Its output is dropped unless it fails,
 * then its stderr is in `err`. Returns its exit status, or -errno. */
int run_argv(char *const argv[], struct sl_error *err);

/* Files a node can write (its /etc, its database's log) are hostile: open
 * `rel` under directory `base` without following any link or leaving
 * `base`, without blocking (a FIFO never hangs the lab), and only if it is
 * a regular file. Returns the fd, or -errno (-EINVAL: not a regular file). */
int open_beneath(const char *base, const char *rel);

/* At most `max` bytes of fd from offset `from`, NUL-terminated (malloc'd),
 * their number in *len if len is not NULL. */
char *read_fd_from(int fd, off_t from, size_t max, size_t *len);

/* open_beneath() and the first `max` bytes; NULL and errno on failure. */
char *read_beneath(const char *base, const char *rel, size_t max);

/* The last `n` lines of a file (malloc'd, possibly empty), or NULL. */
char *tail_file(const char *path, int n);
/* The same of `text` (len bytes, NUL-terminated, malloc'd), in place. */
char *tail_text(char *text, size_t len, int n);

/* Length of the valid UTF-8 character at s (1 to 4), or 0 if none starts
 * there (overlong forms and surrogates are not valid). */
size_t utf8_char_len(const unsigned char *s);

/* Make text from elsewhere (a node, a file, another user's daemon) safe for
 * a terminal and for JSON: bytes that are not valid UTF-8, and control
 * characters other than newline and tab (C0, DEL, C1, and the bidirectional
 * overrides and isolates), become '?'. In place. */
void text_clean(char *text);

/* A rate in bits a second, short: "830", "12k", "3.4M". */
void format_rate(char *buf, size_t size, double bps);

/* Milliseconds on the monotonic clock. */
uint64_t now_ms(void);
double now_sec(void);

/* Write all of buf, retrying on short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);

/* Directory holding this program's data (rootfs/, scenarios/): the source
 * tree when run from it, else the install location. */
const char *data_dir(void);

/* Root's labs are the machine's; an ordinary user's labs are their own,
 * run by a daemon in a user namespace of theirs (userns_enter_own). */
#define SYSTEM_RUN_DIR "/run/stacklab"

/* Decide, from the real uid, whose labs these are, and where they live.
 * main() calls it first: a rootless daemon is uid 0 once in its user
 * namespace, and must still find the user's directories. */
void paths_init(void);

/* Is this an ordinary user's stacklab (not root's)? */
bool rootless(void);

/* A user's `up` makes a user namespace of theirs and runs again in it,
 * telling itself whose it is in this variable (userns_enter_own). */
#define USERNS_OF_ENV "STACKLAB_USERNS_OF"

/* Is this the `up` of a user, running in the user namespace it made? */
bool in_own_userns(void);

/* Whose labs these are: the real uid, or (in_own_userns) the user's. */
uid_t lab_user(void);

/* Where the labs that are up keep their sockets, locks and logs: root's in
 * /run/stacklab, a user's in $XDG_RUNTIME_DIR/stacklab (else
 * /run/user/UID/stacklab). */
const char *run_dir(void);

/* Where stacklab keeps what outlives a lab (the CA, the database template):
 * $STACKLAB_CACHE, else /var/lib/stacklab for root and
 * $XDG_CACHE_HOME/stacklab or ~/.cache/stacklab for a user. */
const char *cache_dir(void);

#endif
