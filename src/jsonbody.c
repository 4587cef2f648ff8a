/* jsonbody.c -- request parameters from a JSON body; see jsonbody.h.
 *
 * A strict reader of exactly what is accepted, one flat object, rather than
 * a general JSON library: nothing is allocated, and what would need a tree
 * (nesting) is refused on sight. Like form_parse it decodes in place. A
 * string is decoded over its own bytes: no escape is shorter than what it
 * stands for (\u00e9 is 6 bytes for 2), so the output never overtakes the
 * input and its terminator lands on the closing quote at the latest. A
 * number is kept as its text, moved one byte to the left (over the ':' or
 * blank read before it) to make room for its terminator. */
#include "jsonbody.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

struct reader {
    char *s;
    size_t len;
    size_t pos;
};

static bool at_end(const struct reader *r) {
    return r->pos >= r->len;
}

static char peek(const struct reader *r) {
    return at_end(r) ? '\0' : r->s[r->pos];
}

static void skip_blanks(struct reader *r) {
    for (char c = peek(r); c == ' ' || c == '\t' || c == '\r' || c == '\n'; c = peek(r))
        r->pos++;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits of a \u escape at r->pos (just past the 'u'). */
static bool read_hex4(struct reader *r, uint32_t *out) {
    if (r->len - r->pos < 4) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(r->s[r->pos + i]);
        if (d < 0) return false;
        v = v << 4 | (uint32_t)d;
    }
    r->pos += 4;
    *out = v;
    return true;
}

/* A \u escape, r->pos just past the 'u'; a UTF-16 surrogate pair takes two. */
static enum jsonbody_status read_u_escape(struct reader *r, uint32_t *cp) {
    if (!read_hex4(r, cp)) return JSONBODY_MALFORMED;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF) return JSONBODY_BAD_UTF8;
    if (*cp < 0xD800 || *cp > 0xDBFF) return JSONBODY_OK;
    uint32_t low;
    if (r->len - r->pos < 2 || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u')
        return JSONBODY_BAD_UTF8;
    r->pos += 2;
    if (!read_hex4(r, &low)) return JSONBODY_MALFORMED;
    if (low < 0xDC00 || low > 0xDFFF) return JSONBODY_BAD_UTF8;
    *cp = 0x10000 + ((*cp - 0xD800) << 10) + (low - 0xDC00);
    return JSONBODY_OK;
}

/* One escape, r->pos on the backslash; the code point goes to *cp. */
static enum jsonbody_status read_escape(struct reader *r, uint32_t *cp) {
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    r->pos++;
    if (at_end(r)) return JSONBODY_MALFORMED;
    char c = r->s[r->pos++];
    if (c == 'u') return read_u_escape(r, cp);
    const char *hit = strchr(from, c);
    if (hit == NULL || c == '\0') return JSONBODY_MALFORMED;
    *cp = (unsigned char)to[hit - from];
    return JSONBODY_OK;
}

/* A string, r->pos on its opening quote: decoded in place, from the byte
 * after the quote, and NUL-terminated. */
static enum jsonbody_status read_string(struct reader *r, char **out, size_t *out_len) {
    size_t start = ++r->pos, w = start;
    for (;;) {
        if (at_end(r)) return JSONBODY_MALFORMED;
        unsigned char c = (unsigned char)r->s[r->pos];
        if (c == '"') break;
        if (c < 0x20) return JSONBODY_MALFORMED;
        if (c == '\\') {
            uint32_t cp;
            enum jsonbody_status st = read_escape(r, &cp);
            if (st != JSONBODY_OK) return st;
            w += utf8_encode(cp, (unsigned char *)r->s + w);
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode((const unsigned char *)r->s + r->pos, r->len - r->pos, &cp);
        if (n == 0) return JSONBODY_BAD_UTF8;
        memmove(r->s + w, r->s + r->pos, n);
        w += n;
        r->pos += n;
    }
    r->s[w] = '\0';
    r->pos++;
    *out = r->s + start;
    *out_len = w - start;
    return JSONBODY_OK;
}

static size_t skip_digits(struct reader *r) {
    size_t n = 0;
    while (!at_end(r) && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') r->pos++, n++;
    return n;
}

/* A number, r->pos on its first byte (which follows the ':' or a blank):
 * its text is moved one byte left and NUL-terminated. */
static enum jsonbody_status read_number(struct reader *r, char **out, size_t *out_len) {
    size_t start = r->pos;
    if (peek(r) == '-') r->pos++;
    if (peek(r) == '0') r->pos++;
    else if (skip_digits(r) == 0) return JSONBODY_MALFORMED;
    if (peek(r) == '.') {
        r->pos++;
        if (skip_digits(r) == 0) return JSONBODY_MALFORMED;
    }
    if (peek(r) == 'e' || peek(r) == 'E') {
        r->pos++;
        if (peek(r) == '+' || peek(r) == '-') r->pos++;
        if (skip_digits(r) == 0) return JSONBODY_MALFORMED;
    }
    size_t n = r->pos - start;
    memmove(r->s + start - 1, r->s + start, n);
    r->s[start - 1 + n] = '\0';
    *out = r->s + start - 1;
    *out_len = n;
    return JSONBODY_OK;
}

static enum jsonbody_status read_value(struct reader *r, char **out, size_t *out_len) {
    char c = peek(r);
    if (c == '"') return read_string(r, out, out_len);
    if (c == '-' || (c >= '0' && c <= '9')) return read_number(r, out, out_len);
    if (c != '\0' && strchr("{[tfn", c) != NULL) return JSONBODY_NOT_FLAT;
    return JSONBODY_MALFORMED;
}

/* One "key": value member, r->pos on the key's opening quote. */
static enum jsonbody_status read_member(struct reader *r, struct params *p) {
    char *key, *value;
    size_t key_len, value_len;
    enum jsonbody_status st = read_string(r, &key, &key_len);
    if (st != JSONBODY_OK) return st;
    skip_blanks(r);
    if (peek(r) != ':') return JSONBODY_MALFORMED;
    r->pos++;
    skip_blanks(r);
    st = read_value(r, &value, &value_len);
    if (st != JSONBODY_OK) return st;
    if (params_add(p, key, key_len, value, value_len) != FORM_OK) return JSONBODY_TOO_MANY;
    return JSONBODY_OK;
}

static enum jsonbody_status read_object(struct reader *r, struct params *p) {
    skip_blanks(r);
    char c = peek(r);
    if (c != '{') {
        bool json = c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9')
                 || (c != '\0' && strchr("tfn", c) != NULL);
        return json ? JSONBODY_NOT_OBJECT : JSONBODY_MALFORMED;
    }
    r->pos++;
    skip_blanks(r);
    if (peek(r) == '}') {
        r->pos++;
        return JSONBODY_OK;
    }
    for (;;) {
        if (peek(r) != '"') return JSONBODY_MALFORMED;
        enum jsonbody_status st = read_member(r, p);
        if (st != JSONBODY_OK) return st;
        skip_blanks(r);
        c = peek(r);
        if (c != ',' && c != '}') return JSONBODY_MALFORMED;
        r->pos++;
        if (c == '}') return JSONBODY_OK;
        skip_blanks(r);
    }
}

enum jsonbody_status jsonbody_parse(char *in, size_t len, struct params *p, size_t *at) {
    struct reader r = {.s = in, .len = len, .pos = 0};
    enum jsonbody_status st = read_object(&r, p);
    if (st == JSONBODY_OK) {
        skip_blanks(&r);
        if (!at_end(&r)) st = JSONBODY_MALFORMED;
    }
    *at = r.pos < len ? r.pos : len;
    return st;
}

void jsonbody_message(enum jsonbody_status status, size_t at, struct buf *msg) {
    switch (status) {
    case JSONBODY_OK: return;
    case JSONBODY_MALFORMED:
        buf_printf(msg, "malformed JSON body (at byte %zu)", at);
        return;
    case JSONBODY_NOT_OBJECT:
        buf_append_str(msg, "a JSON body must be an object of parameters, "
                            "such as {\"username\": \"alice\"}");
        return;
    case JSONBODY_NOT_FLAT:
        buf_printf(msg, "JSON body values must be strings or numbers, not objects, arrays, "
                        "true, false or null (at byte %zu)", at);
        return;
    case JSONBODY_BAD_UTF8:
        buf_printf(msg, "a JSON body must be valid UTF-8 (at byte %zu)", at);
        return;
    case JSONBODY_TOO_MANY:
        buf_append_str(msg, PARAMS_TOO_MANY_MESSAGE);
        return;
    }
}
