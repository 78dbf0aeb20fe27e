/* inifile.h — reading a teacher's INI file (a topology, a lesson) with
 * libinih: only a regular file of bounded size, every line counted as it is
 * in the file (however long), and every problem reported at once as
 * "file:line: what", with whatever the file holds escaped (\xNN) so no raw
 * byte reaches the user's terminal. */
#ifndef STACKLAB_INIFILE_H
#define STACKLAB_INIFILE_H

#include <ini.h>
#include <stdbool.h>
#include <stdio.h>

struct inifile {
	const char *path;              /* as given, for messages */
	FILE *f;
	size_t max;                    /* bytes read at most */
	int line;                      /* the line inih is on */
	size_t bytes;
	bool too_big;
	FILE *err;                     /* the messages so far */
	char *errbuf;
	size_t errlen;
	int n_errors;
};

/* Open `path` for inifile_parse(): refuses what is not a regular file (a
 * FIFO, a device, a directory: reading one could hang) or is larger than
 * `max`, with "path: what" in *errors (malloc'd). `what` names the kind of
 * file in messages ("a topology"). Returns 0 or -errno. */
int inifile_open(const char *path, size_t max, const char *what, FILE **out, char **errors);

/* Parse f with inih, calling handler(user, section, key, value); report
 * through inifile_error() from it. Returns the number of errors so far. */
int inifile_parse(struct inifile *in, FILE *f, const char *path, size_t max, ini_handler handler, void *user);

/* Report a problem at `line` (0: the file as a whole). */
void inifile_error(struct inifile *in, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The messages (malloc'd, one per line), or NULL if there were none; ends
 * the reading. */
char *inifile_end(struct inifile *in);

/* Is s printable UTF-8 throughout (no control character, C1 included)? */
bool inifile_printable(const char *s);

/* Write s with every byte that is not printable UTF-8 as \xNN. */
void inifile_put_escaped(const char *s, FILE *out);

#endif
