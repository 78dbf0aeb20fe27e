/* Unit tests of util.c's text helpers: "did you mean" and cutting a string
 * cut short back to whole UTF-8 characters. */
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
	return done_testing();
}
