/* Unit tests of base's text helpers and error object: "did you mean", cutting a string
 * cut short back to whole UTF-8 characters, and str_copy's contract (dst is
 * a string whatever src was). */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "util.h"

static void closest(const char *word, const char *want)
{
	static const char *const names[] = { "status", "stop", "trace", "traffic", "lb1", "lb2", "lb1-eth0", "kill-master" };
	const char *got = str_closest(word, names, sizeof(names) / sizeof(names[0]));
	if (!ok(want ? got && strcmp(got, want) == 0 : got == NULL, "'%s' suggests %s", word, want ? want : "nothing"))
		diag("got %s", got ? got : "nothing");
}

static void trim(const char *in, const char *want)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", in);
	utf8_trim(buf);
	if (!ok(strcmp(buf, want) == 0, "utf8_trim('%s') is '%s'", in, want))
		diag("got '%s'", buf);
}

/* str_copy into 8 bytes: what dst holds after, and what it returns. */
static void copy(const char *src, const char *want, int want_r)
{
	char buf[8 + 1];
	memset(buf, 'X', sizeof(buf)); /* not a string until str_copy makes it one */
	buf[8] = 'Y';
	int r = str_copy(buf, 8, src);
	if (!ok(r == want_r && memchr(buf, '\0', 8) && strcmp(buf, want) == 0 && buf[8] == 'Y',
		"str_copy('%s', 8) is '%s', %d", src, want, want_r))
		diag("got '%.8s', %d", memchr(buf, '\0', 8) ? buf : "(no end)", r);
}

static void clean(const char *in, const char *want, const char *what)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", in);
	text_clean(buf);
	if (!ok(strcmp(buf, want) == 0, "text_clean: %s", what))
		diag("got '%s'", buf);
}

int main(void)
{
	closest("stauts", "status");      /* a swap */
	closest("trac", "trace");         /* a letter short */
	closest("lb3", "lb1");            /* one letter off */
	closest("lb1-eht0", "lb1-eth0");
	closest("kil-master", "kill-master");
	closest("xyz", NULL);             /* nothing near */
	closest("s", NULL);               /* too short to guess */
	trim("delay 200 ms \xc2\xb1 20 ms", "delay 200 ms \xc2\xb1 20 ms"); /* whole: kept */
	trim("delay 200 ms \xc2", "delay 200 ms ");                     /* ± cut after its first byte */
	trim("arrow \xe2\x86", "arrow ");                                /* → cut after two of three */
	trim("arrow \xe2\x86\x92", "arrow \xe2\x86\x92");
	trim("", "");
	clean("\x1b]0;PWNED\x07\x1b[2J", "?]0;PWNED??[2J", "C0 controls (ESC, BEL)");
	clean("a\xc2\x9b" "2J b\xc2\x9d" "0;x", "a?2J b?0;x", "C1 controls (U+009B CSI, U+009D OSC)");
	clean("\xe2\x80\xae" "evil\xe2\x81\xa6" "x\xe2\x81\xa9", "?evil?x?", "bidirectional overrides and isolates");
	clean("caf\xc3\xa9 \xc2\xb1 \xc2\xa0\xe2\x86\x92 \xe2\x80\xa6", "caf\xc3\xa9 \xc2\xb1 \xc2\xa0\xe2\x86\x92 \xe2\x80\xa6",
	      "letters, \xc2\xb1, no-break space, arrows and \xe2\x80\xa6 stay");
	clean("line\n\tnext\r", "line\n\tnext?", "newline and tab stay, CR goes");
	copy("qps", "qps", 0);
	copy("1234567", "1234567", 0);                  /* exactly fits */
	copy("12345678", "1234567", -ENAMETOOLONG);     /* cut, and still a string */
	copy("qps web-01=10.0 web-02=9.9", "qps web", -ENAMETOOLONG);
	copy("abcde\xc2\xb1xyz", "abcde\xc2\xb1", -ENAMETOOLONG);
	copy("abcdef\xc2\xb1", "abcdef", -ENAMETOOLONG); /* not inside the ± */

	/* sl_err_wrap is called on a failure: it never reports success. */
	ok(sl_err_wrap(NULL, "make CA: ") == -EIO, "sl_err_wrap with no error object fails (-EIO)");
	struct sl_error e = { 0 };
	int r = sl_err_wrap(&e, "make CA: ");
	if (!ok(r == -EIO && strcmp(e.msg, "make CA: failed") == 0, "sl_err_wrap with nothing recorded fails, with its context"))
		diag("got %d '%s'", r, e.msg);
	e = (struct sl_error){ 0 };
	sl_err(&e, ENOENT, "no file");
	r = sl_err_wrap(&e, "node web1: ");
	if (!ok(r == -ENOENT && strcmp(e.msg, "node web1: no file") == 0, "sl_err_wrap puts context in front"))
		diag("got %d '%s'", r, e.msg);
	return done_testing();
}
