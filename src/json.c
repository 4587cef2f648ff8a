/* json.c -- JSON string escaping and number formatting; see json.h. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static void append_u_escape(struct buf *b, uint32_t cp) {
    static const char hex[] = "0123456789abcdef";
    char esc[6] = {'\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15],
                   hex[(cp >> 4) & 15], hex[cp & 15]};
    buf_append(b, esc, sizeof(esc));
}

/* Returns the short escape for an ASCII byte, or NULL if it needs none (or
 * needs a \u escape, signalled by "u"). */
static const char *ascii_escape(unsigned char c) {
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '<': case '>': case '&': case 0x7F: return "u";
    default: return c < 0x20 ? "u" : NULL;
    }
}

void json_append_string(struct buf *b, const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, plain = 0; /* plain: start of the run copied verbatim */

    buf_append_char(b, '"');
    while (i < len) {
        uint32_t cp = 0;
        size_t n = utf8_decode(p + i, len - i, &cp);
        const char *esc = n == 1 ? ascii_escape(p[i]) : NULL;
        bool separator = cp == 0x2028 || cp == 0x2029;
        if (n != 0 && esc == NULL && !separator) {
            i += n;
            continue;
        }
        buf_append(b, p + plain, i - plain);
        if (n == 0) {
            append_u_escape(b, 0xFFFD);
            n = 1;
        } else if (esc != NULL && esc[0] == '\\') {
            buf_append_str(b, esc);
        } else {
            append_u_escape(b, cp);
        }
        i += n;
        plain = i;
    }
    buf_append(b, p + plain, len - plain);
    buf_append_char(b, '"');
}

/* Python's repr of a float: the shortest digits that read back as the same
 * double, written positionally for exponents from -4 to 15 and in
 * exponent form outside that range. */
void json_append_double(struct buf *b, double v) {
    char out[40];
    if (!isfinite(v)) v = 0;
    int digits = 1;
    for (; digits < 17; digits++) {
        snprintf(out, sizeof(out), "%.*e", digits - 1, v);
        if (strtod(out, NULL) == v) break;
    }
    snprintf(out, sizeof(out), "%.*e", digits - 1, v);
    int exp10 = atoi(strchr(out, 'e') + 1);
    if (exp10 >= -4 && exp10 < 16) {
        int decimals = digits - 1 - exp10;
        snprintf(out, sizeof(out), "%.*f", decimals > 0 ? decimals : 0, v);
    }
    buf_append_str(b, out);
    if (strpbrk(out, ".e") == NULL) buf_append_str(b, ".0");
}

void json_append_error(struct buf *b, const char *message, size_t len) {
    buf_append_str(b, "{\"success\": false, \"message\": ");
    json_append_string(b, message, len);
    buf_append_char(b, '}');
}
