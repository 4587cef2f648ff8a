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
        uint32_t cp;
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

/* Writes the shortest "%.*e" form of v that reads back as v into out and
 * returns its decimal exponent. */
static int shortest_exponent_form(double v, char *out, size_t cap) {
    for (int precision = 0; precision <= 16; precision++) {
        snprintf(out, cap, "%.*e", precision, v);
        if (strtod(out, NULL) == v) break;
    }
    return atoi(strchr(out, 'e') + 1);
}

/* Python's repr: positional from 1e-4 up to 1e16, else exponent form. */
void json_append_double(struct buf *b, double v) {
    char sci[40];
    if (!isfinite(v)) v = 0;
    int exp = shortest_exponent_form(v, sci, sizeof(sci));
    if (exp < -4 || exp >= 16) {
        buf_append_str(b, sci);
        return;
    }
    char digits[20];
    size_t n = 0;
    const char *p = sci;
    if (*p == '-') buf_append_char(b, *p++);
    for (; *p != 'e'; p++) {
        if (*p != '.') digits[n++] = *p;
    }
    if (exp < 0) {
        buf_append_str(b, "0.");
        for (int i = -1; i > exp; i--) buf_append_char(b, '0');
        buf_append(b, digits, n);
        return;
    }
    size_t whole = (size_t)exp + 1;
    for (size_t i = 0; i < whole; i++) buf_append_char(b, i < n ? digits[i] : '0');
    buf_append_char(b, '.');
    if (n > whole) buf_append(b, digits + whole, n - whole);
    else buf_append_char(b, '0');
}

void json_append_error(struct buf *b, const char *message, size_t len) {
    buf_append_str(b, "{\"success\": false, \"message\": ");
    json_append_string(b, message, len);
    buf_append_char(b, '}');
}
