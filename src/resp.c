/* resp.c -- a Redis command in RESP, written in one pass; see resp.h. */
#include "resp.h"

#include <string.h>

/* Decimal digits of n. */
static size_t digits(size_t n) {
    size_t d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* Writes `<prefix><n>\r\n`; returns the bytes written. */
static size_t write_header(char *out, char prefix, size_t n) {
    size_t d = digits(n);
    out[0] = prefix;
    for (size_t i = d; i > 0; i--) {
        out[i] = (char)('0' + n % 10);
        n /= 10;
    }
    out[d + 1] = '\r';
    out[d + 2] = '\n';
    return d + 3;
}

size_t resp_command_size(int argc, const char *const *argv, const size_t *argvlen) {
    (void)argv;
    size_t size = 1 + digits((size_t)argc) + 2;
    for (int i = 0; i < argc; i++) size += 1 + digits(argvlen[i]) + 2 + argvlen[i] + 2;
    return size;
}

size_t resp_command_write(char *out, int argc, const char *const *argv, const size_t *argvlen) {
    char *p = out;
    p += write_header(p, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        p += write_header(p, '$', argvlen[i]);
        if (argvlen[i] > 0) memcpy(p, argv[i], argvlen[i]);
        p += argvlen[i];
        *p++ = '\r';
        *p++ = '\n';
    }
    return (size_t)(p - out);
}
