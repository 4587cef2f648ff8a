/* headcheck.c -- screening raw request heads; see headcheck.h.
 *
 * A small hand-written scanner over RFC 9112's request-line and field-line
 * grammar. It walks the bytes once, left to right, and stops at the first
 * thing wrong; running out of bytes is never an error in itself, only
 * running past a limit is. So the same scan serves a head that arrived
 * whole and one that is still arriving a byte at a time. */
#include "headcheck.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "params.h"

#define METHOD_MAX 32
#define LEADING_BLANK_MAX 16 /* bytes of empty lines tolerated before a request */
#define CONTENT_LENGTH_DIGITS_MAX 15

struct scan {
    const unsigned char *s;
    size_t len;
    size_t pos;
    unsigned request;  /* 1 for the connection's first request */
    struct headcheck *out;
};

/* What one request's head says about what follows it. */
struct framing {
    bool chunked;           /* any Transfer-Encoding: libmicrohttpd or adstats frames it */
    unsigned lengths;       /* Content-Length fields seen */
    unsigned long long body;
};

static enum headcheck_verdict reject(struct scan *sc, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum headcheck_verdict reject(struct scan *sc, unsigned status, const char *fmt, ...) {
    char *m = sc->out->message;
    size_t cap = sizeof(sc->out->message);
    int n = 0;
    if (sc->request > 1) n = snprintf(m, cap, "request %u on this connection: ", sc->request);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
    sc->out->status = status;
    return HEAD_REJECT;
}

static bool is_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Bytes a request-target or field value may hold (besides HTAB in values):
 * visible ASCII and anything non-ASCII, which later checks judge. */
static bool is_text(unsigned char c) {
    return c > 0x20 && c != 0x7F;
}

static bool at_end(const struct scan *sc) {
    return sc->pos >= sc->len;
}

/* At a CR or LF: consumes a line ending. INCOMPLETE when the CR is the last
 * byte there is; REJECT for a CR not followed by LF. */
static enum headcheck_verdict line_end(struct scan *sc) {
    if (sc->s[sc->pos] == '\n') {
        sc->pos++;
        return HEAD_ACCEPT;
    }
    if (sc->pos + 1 >= sc->len) return HEAD_INCOMPLETE;
    if (sc->s[sc->pos + 1] != '\n') return reject(sc, 400, "a CR not followed by LF in the request head");
    sc->pos += 2;
    return HEAD_ACCEPT;
}

static enum headcheck_verdict skip_blank_lines(struct scan *sc) {
    size_t start = sc->pos;
    while (!at_end(sc) && (sc->s[sc->pos] == '\r' || sc->s[sc->pos] == '\n')) {
        enum headcheck_verdict v = line_end(sc);
        if (v != HEAD_ACCEPT) return v;
        if (sc->pos - start > LEADING_BLANK_MAX)
            return reject(sc, 400, "too many empty lines before the request line");
    }
    return at_end(sc) ? HEAD_INCOMPLETE : HEAD_ACCEPT;
}

static enum headcheck_verdict malformed_line(struct scan *sc) {
    return reject(sc, 400, "malformed request line: expected \"METHOD /target HTTP/1.1\"");
}

static enum headcheck_verdict scan_method(struct scan *sc) {
    size_t start = sc->pos;
    while (!at_end(sc) && is_tchar(sc->s[sc->pos])) {
        if (++sc->pos - start > METHOD_MAX) return reject(sc, 400, "request method too long");
    }
    if (at_end(sc)) return HEAD_INCOMPLETE;
    if (sc->pos == start || sc->s[sc->pos] != ' ') return malformed_line(sc);
    sc->pos++;
    return HEAD_ACCEPT;
}

static enum headcheck_verdict scan_target(struct scan *sc) {
    size_t start = sc->pos;
    size_t query = 0;  /* where the query starts; 0 before the '?' */
    unsigned args = 0; /* '&'-separated pieces of the query so far */
    for (; !at_end(sc) && is_text(sc->s[sc->pos]); sc->pos++) {
        unsigned char c = sc->s[sc->pos];
        if (query == 0 && c == '?') {
            query = sc->pos + 1;
            args = 1;
        } else if (query == 0 && sc->pos - start >= HEADCHECK_PATH_MAX) {
            return reject(sc, 414, "request URI too long (at most %d bytes of path)",
                          HEADCHECK_PATH_MAX);
        } else if (query > 0 && sc->pos - query >= HEADCHECK_QUERY_MAX) {
            return reject(sc, 414, HEADCHECK_QUERY_TOO_LONG);
        } else if (c == '&' && query > 0 && ++args > HEADCHECK_ARGS_MAX) {
            return reject(sc, 400, PARAMS_TOO_MANY_MESSAGE);
        }
    }
    if (at_end(sc)) return HEAD_INCOMPLETE;
    unsigned char c = sc->s[sc->pos];
    if (sc->pos == start) return malformed_line(sc);
    if (c == '\r' || c == '\n')
        return reject(sc, 400, "the request line has no HTTP version (HTTP/0.9 is not supported)");
    if (c != ' ') return reject(sc, 400, "a control character in the request target");
    sc->pos++;
    return HEAD_ACCEPT;
}

/* "HTTP/" DIGIT "." DIGIT, major version 1, then the line's end. */
static enum headcheck_verdict scan_version(struct scan *sc) {
    static const char shape[] = "HTTP/d.d";
    size_t start = sc->pos;
    for (size_t i = 0; i < sizeof(shape) - 1; i++, sc->pos++) {
        if (at_end(sc)) return HEAD_INCOMPLETE;
        unsigned char c = sc->s[sc->pos];
        bool fits = shape[i] == 'd' ? (c >= '0' && c <= '9') : c == (unsigned char)shape[i];
        if (!fits) return reject(sc, 400, "malformed HTTP version in the request line");
    }
    if (at_end(sc)) return HEAD_INCOMPLETE;
    if (sc->s[sc->pos] != '\r' && sc->s[sc->pos] != '\n')
        return reject(sc, 400, "malformed HTTP version in the request line");
    if (sc->s[start + 5] != '1')
        return reject(sc, 400, "HTTP/%c.%c is not supported: send HTTP/1.1 or HTTP/1.0",
                      sc->s[start + 5], sc->s[start + 7]);
    return line_end(sc);
}

static enum headcheck_verdict scan_request_line(struct scan *sc) {
    enum headcheck_verdict v = scan_method(sc);
    if (v == HEAD_ACCEPT) v = scan_target(sc);
    if (v == HEAD_ACCEPT) v = scan_version(sc);
    return v;
}

/* Content-Length: 1*DIGIT, optionally surrounded by whitespace. */
static enum headcheck_verdict read_length(struct scan *sc, const unsigned char *v, size_t n,
                                          struct framing *f) {
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    unsigned long long value = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return reject(sc, 400, "Content-Length is not a number");
        value = value * 10 + (unsigned)(v[i] - '0');
        if (i + 1 > CONTENT_LENGTH_DIGITS_MAX) return reject(sc, 413, "request body too large");
    }
    if (n == 0) return reject(sc, 400, "Content-Length is not a number");
    f->lengths++;
    f->body = value;
    return HEAD_ACCEPT;
}

static bool name_is(const unsigned char *name, size_t n, const char *want) {
    return n == strlen(want) && strncasecmp((const char *)name, want, n) == 0;
}

/* A field name ran into whitespace: either whitespace before the colon
 * (which RFC 9112 says to refuse) or a line that has no colon at all. */
static enum headcheck_verdict whitespace_in_name(struct scan *sc, const unsigned char *name,
                                                 size_t name_len) {
    for (size_t i = sc->pos; i < sc->len; i++) {
        if (sc->s[i] == '\r' || sc->s[i] == '\n') break;
        if (sc->s[i] == ':')
            return reject(sc, 400, "whitespace before the colon in header field \"%.*s\"",
                          (int)(name_len > 40 ? 40 : name_len), (const char *)name);
        if (i + 1 == sc->len) return HEAD_INCOMPLETE;
    }
    return reject(sc, 400, "a header line without a colon");
}

/* One field line, "name: value", up to and including its line end. */
static enum headcheck_verdict scan_field(struct scan *sc, struct framing *f) {
    const unsigned char *name = sc->s + sc->pos;
    size_t start = sc->pos;
    while (!at_end(sc) && is_tchar(sc->s[sc->pos])) sc->pos++;
    if (at_end(sc)) return HEAD_INCOMPLETE;
    size_t name_len = sc->pos - start;
    unsigned char c = sc->s[sc->pos];
    if (c == ' ' || c == '\t') return whitespace_in_name(sc, name, name_len);
    if (c == '\r' || c == '\n') return reject(sc, 400, "a header line without a colon");
    if (c != ':' || name_len == 0) return reject(sc, 400, "invalid character in a header field name");
    const unsigned char *value = sc->s + ++sc->pos;
    while (!at_end(sc) && (is_text(sc->s[sc->pos]) || sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t'))
        sc->pos++;
    if (at_end(sc)) return HEAD_INCOMPLETE;
    size_t value_len = (size_t)(sc->s + sc->pos - value);
    c = sc->s[sc->pos];
    if (c != '\r' && c != '\n')
        return reject(sc, 400, "a control character in header field \"%.*s\"",
                      (int)(name_len > 40 ? 40 : name_len), (const char *)name);
    enum headcheck_verdict v = line_end(sc);
    if (v != HEAD_ACCEPT) return v;
    if (name_is(name, name_len, "Content-Length")) return read_length(sc, value, value_len, f);
    if (name_is(name, name_len, "Transfer-Encoding")) f->chunked = true;
    return HEAD_ACCEPT;
}

static enum headcheck_verdict scan_fields(struct scan *sc, struct framing *f) {
    size_t start = sc->pos;
    for (unsigned fields = 0;; fields++) {
        if (at_end(sc)) return HEAD_INCOMPLETE;
        unsigned char c = sc->s[sc->pos];
        if (c == '\r' || c == '\n') return line_end(sc); /* the empty line: head done */
        if (fields == HEADCHECK_FIELDS_MAX)
            return reject(sc, 431, "too many header fields (at most %d)", HEADCHECK_FIELDS_MAX);
        if (c == ' ' || c == '\t')
            return reject(sc, 400, "a header line starts with whitespace (obsolete line folding)");
        enum headcheck_verdict v = scan_field(sc, f);
        if (sc->pos - start > HEADCHECK_SECTION_MAX)
            return reject(sc, 431, "header fields too large (at most %d bytes)",
                          HEADCHECK_SECTION_MAX);
        if (v != HEAD_ACCEPT) return v;
    }
}

/* Bounds a field that is still arriving: scan_fields only measures the
 * section after a whole line. */
static enum headcheck_verdict check_partial(struct scan *sc, size_t fields_start,
                                            enum headcheck_verdict v) {
    if (v == HEAD_INCOMPLETE && sc->len - fields_start > HEADCHECK_SECTION_MAX)
        return reject(sc, 431, "header fields too large (at most %d bytes)", HEADCHECK_SECTION_MAX);
    return v;
}

/* One request: optional empty lines, request line, fields. On ACCEPT,
 * `f` says how its body is framed. */
static enum headcheck_verdict scan_head(struct scan *sc, struct framing *f) {
    enum headcheck_verdict v = skip_blank_lines(sc);
    if (v == HEAD_ACCEPT) v = scan_request_line(sc);
    if (v != HEAD_ACCEPT) return v;
    size_t fields_start = sc->pos;
    return check_partial(sc, fields_start, scan_fields(sc, f));
}

enum headcheck_verdict headcheck_scan(const char *data, size_t len, struct headcheck *out) {
    struct scan sc = {(const unsigned char *)data, len, 0, 0, out};
    out->status = 0;
    out->message[0] = '\0';
    bool whole = false;
    while (!at_end(&sc)) {
        struct framing f = {false, 0, 0};
        sc.request++;
        enum headcheck_verdict v = scan_head(&sc, &f);
        if (v == HEAD_REJECT) return v;
        if (v == HEAD_INCOMPLETE) break;
        whole = true;
        /* Past a body framed other than by one length, adstats refuses the
         * request and closes: nothing after it will be read. */
        if (f.chunked || f.lengths > 1 || f.body > len - sc.pos) break;
        sc.pos += (size_t)f.body;
    }
    return whole ? HEAD_ACCEPT : HEAD_INCOMPLETE;
}
