/* base64url.c -- strict base64url without padding; see base64url.h.
 *
 * Every three bytes become four characters of six bits each, most
 * significant first; a tail of one or two bytes becomes two or three
 * characters, the low bits of the last one zero. */
#include "base64url.h"

#include <stdint.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int sextet(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

size_t base64url_encode(const unsigned char *in, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        size_t left = n - i;
        uint32_t v = (uint32_t)in[i] << 16;
        if (left > 1) v |= (uint32_t)in[i + 1] << 8;
        if (left > 2) v |= in[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        if (left > 1) out[o++] = alphabet[(v >> 6) & 63];
        if (left > 2) out[o++] = alphabet[v & 63];
    }
    return o;
}

bool base64url_decode(const char *in, size_t n, unsigned char *out, size_t *out_len) {
    if (n % 4 == 1) return false;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        size_t chars = n - i < 4 ? n - i : 4;
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            int s = j < chars ? sextet(in[i + j]) : 0;
            if (s < 0) return false;
            v = v << 6 | (uint32_t)s;
        }
        /* chars - 1 whole bytes; the bits below them must be zero. */
        size_t bytes = chars - 1;
        if (bytes < 3 && (v & ((1u << (8 * (3 - bytes))) - 1)) != 0) return false;
        for (size_t b = 0; b < bytes; b++) out[o++] = (unsigned char)(v >> (16 - 8 * b));
    }
    *out_len = o;
    return true;
}
