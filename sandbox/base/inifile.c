/* inifile.c — reading a teacher's INI file (see inifile.h). */
#include "inifile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

/* How many bytes of one printable character start at s, or 0: not the C0
 * controls, DEL, or the C1 controls (U+0080 to U+009F, which some terminals
 * obey like ESC). */
static size_t printable_len(const unsigned char *s)
{
	size_t n = utf8_char_len(s);
	if (s[0] < 0x20 || s[0] == 0x7f || (n == 2 && s[0] == 0xc2 && s[1] < 0xa0))
		return 0;
	return n;
}

bool inifile_printable(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		size_t n = printable_len(c);
		if (n == 0)
			return false;
		c += n;
	}
	return true;
}

void inifile_put_escaped(const char *s, FILE *out)
{
	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		size_t n = printable_len(c);
		if (n == 0)
			fprintf(out, "\\x%02x", *c++);
		else
			fwrite(c, 1, n, out), c += n;
	}
}

static void verror(struct inifile *in, int line, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		die("out of memory");
	inifile_put_escaped(in->path, in->err);
	if (line > 0)
		fprintf(in->err, ":%d", line);
	fputs(": ", in->err);
	inifile_put_escaped(msg, in->err);
	fputc('\n', in->err);
	in->n_errors++;
}

void inifile_error(struct inifile *in, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(in, line, fmt, ap);
	va_end(ap);
}

static bool is_comment(const char *line)
{
	line += strspn(line, " \t");
	return *line == ';' || *line == '#';
}

/* inih reads line by line through this, which lets us know the line number
 * of each key it hands to the handler. Its buffer is `num` bytes and it would
 * take a longer line in pieces, counting each piece as a line; so we read
 * whole lines ourselves and in->line counts the newlines actually consumed.
 * A line too long for inih (but a comment), or one holding a NUL byte, is
 * reported here and handed on as a blank line. Reading stops after
 * in->max bytes, so an endless stream cannot hold us. */
static char *line_reader(char *str, int num, void *stream)
{
	struct inifile *in = stream;
	size_t len = 0, room = (size_t)num - 1;
	bool nul = false, newline = false;
	int c;
	if (in->too_big)
		return NULL;
	while (!newline && (c = getc(in->f)) != EOF) {
		if (++in->bytes > in->max) {
			inifile_error(in, in->line + 1, "the file is larger than %zu bytes", in->max);
			in->too_big = true;
			return NULL;
		}
		newline = c == '\n';
		nul |= c == '\0';
		if (len < room && !newline)
			str[len] = (char)c;
		len += !newline;
	}
	if (len == 0 && !newline)
		return NULL;
	in->line++;
	str[len < room ? len : room] = '\0';
	if (nul)
		inifile_error(in, in->line, "the line holds a NUL byte");
	else if (len > room && !is_comment(str))
		inifile_error(in, in->line, "the line is longer than %zu characters", room);
	if (nul || len > room)
		str[0] = '\0';
	return str;
}

int inifile_parse(struct inifile *in, FILE *f, const char *path, size_t max, ini_handler handler, void *user)
{
	*in = (struct inifile){ .path = path, .f = f, .max = max };
	in->err = open_memstream(&in->errbuf, &in->errlen);
	if (!in->err)
		die("out of memory");
	ini_allow_multiline = false;
	int r = ini_parse_stream(line_reader, in, handler, user);
	if (r > 0)
		inifile_error(in, r, "not a 'key = value' line or a [section] header");
	else if (r < 0)
		inifile_error(in, 0, "cannot parse (out of memory)");
	return in->n_errors;
}

char *inifile_end(struct inifile *in)
{
	fclose(in->err);
	if (in->n_errors)
		return in->errbuf;
	free(in->errbuf);
	return NULL;
}

static const char *file_kind(mode_t mode)
{
	return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO" : S_ISSOCK(mode) ? "a socket" : "a device";
}

int inifile_open(const char *path, size_t max, const char *what, FILE **out, char **errors)
{
	*out = NULL;
	/* O_NONBLOCK: opening a FIFO would wait for a writer. It changes nothing
	 * for the regular files we go on to read. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		*errors = xasprintf("%s: cannot open: %s\n", path, strerror(e));
		return -e;
	}
	/* Not a FIFO or a device: reading one could wait or never end. */
	if (!S_ISREG(st.st_mode)) {
		*errors = xasprintf("%s: is %s, not %s file\n", path, file_kind(st.st_mode), what);
		return -EINVAL;
	}
	if ((size_t)st.st_size > max) {
		*errors = xasprintf("%s: is %lld bytes, larger than %s may be (%zu)\n", path, (long long)st.st_size,
				    what, max);
		return -EFBIG;
	}
	FILE *f = fdopen(fd, "re");
	if (!f) {
		int e = errno;
		*errors = xasprintf("%s: cannot read: %s\n", path, strerror(e));
		return -e;
	}
	steal_fd(&fd);
	*out = f;
	return 0;
}
