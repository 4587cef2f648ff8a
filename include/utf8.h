/* utf8.h -- strict UTF-8 decoding (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
#ifndef ADSTATS_UTF8_H
#define ADSTATS_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one code point at s (n bytes available). Returns the number of
 * bytes it took (1-4), or 0 if the bytes there are not valid UTF-8. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif
