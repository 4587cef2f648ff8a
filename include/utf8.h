/* utf8.h -- strict UTF-8 decoding, and encoding (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
#ifndef ADSTATS_UTF8_H
#define ADSTATS_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one code point at s (n bytes available). Returns the number of
 * bytes it took (1-4), or 0 if the bytes there are not valid UTF-8. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Writes code point `cp` (at most U+10FFFF, not a surrogate) as UTF-8 to
 * `out`, which has room for 4 bytes. Returns the number of bytes written. */
size_t utf8_encode(uint32_t cp, unsigned char *out);

#endif
