/* base64url.h -- base64url without padding (RFC 4648 section 5), strict.
 *
 * For tokens carried in URLs (track_token.h): the alphabet A-Z a-z 0-9 '-'
 * '_' needs no percent-encoding in a query string or in XML CDATA. The
 * decoder accepts exactly the encoder's output: no padding, no whitespace,
 * no other alphabet, no length of 1 modulo 4, and the unused low bits of the
 * last character must be zero -- so every byte string has one encoding, and
 * a token cannot be altered into another spelling that decodes the same. */
#ifndef ADSTATS_BASE64URL_H
#define ADSTATS_BASE64URL_H

#include <stdbool.h>
#include <stddef.h>

/* The encoded length of n bytes (a constant expression for constant n). */
#define BASE64URL_LEN(n) (((n) * 4 + 2) / 3)

/* Writes BASE64URL_LEN(n) characters to `out` (no terminator); returns
 * that length. */
size_t base64url_encode(const unsigned char *in, size_t n, char *out);

/* Decodes in[0..n) into `out`, which must hold n * 3 / 4 bytes, and sets
 * *out_len. Returns false if `in` is not a canonical encoding. */
bool base64url_decode(const char *in, size_t n, unsigned char *out, size_t *out_len);

#endif
