/* text.h — bounded copies, UTF-8, and text from elsewhere made safe
 * for a terminal. */
#ifndef STACKLAB_TEXT_H
#define STACKLAB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
