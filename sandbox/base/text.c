/* text.c — bounded copies, UTF-8, text from elsewhere made safe (see text.h). */
#include "text.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

void format_rate(char *buf, size_t size, double bps)
{
	if (bps >= 1e6)
		snprintf(buf, size, "%.1fM", bps / 1e6);
	else if (bps >= 1e3)
		snprintf(buf, size, "%.0fk", bps / 1e3);
	else
		snprintf(buf, size, "%.0f", bps);
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
