/* files.h — files and directories; reading what a node wrote without
 * trusting it. */
#ifndef STACKLAB_FILES_H
#define STACKLAB_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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

/* Write all of buf, retrying on short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);

/* Directory holding this program's data (rootfs/, scenarios/): the source
 * tree when run from it, else the install location. */
const char *data_dir(void);

#endif
