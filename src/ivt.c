/* ivt.c -- general invalid traffic classifier; see ivt.h.
 *
 * Patterns are kept lower-cased, so matching lowers only the User-Agent's
 * bytes as it compares them (ASCII only: the patterns are ASCII). A request
 * costs one scan of the User-Agent per pattern and one prefix comparison
 * deny-list block (netaddr.h): linear, which is plenty for lists of the default's size (tens
 * of patterns, a handful of CIDRs); a longer deny list would want a trie. */
#include "ivt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pattern {
    char *text;   /* lower-cased, NUL-terminated */
    size_t len;
};

struct ivt {
    struct pattern *patterns;
    size_t n_patterns, cap_patterns;
    struct netaddr_list deny;
};

struct ivt *ivt_new(void) {
    return calloc(1, sizeof(struct ivt));
}

static void drop_patterns_from(struct ivt *v, size_t keep) {
    while (v->n_patterns > keep) free(v->patterns[--v->n_patterns].text);
}

void ivt_free(struct ivt *v) {
    if (v == NULL) return;
    drop_patterns_from(v, 0);
    free(v->patterns);
    netaddr_list_free(&v->deny);
    free(v);
}

size_t ivt_user_agent_count(const struct ivt *v) {
    return v->n_patterns;
}

size_t ivt_deny_count(const struct ivt *v) {
    return v->deny.n;
}

/* Makes room for one more element of `size` bytes in *arr. */
static bool grow(void **arr, size_t *cap, size_t n, size_t size) {
    if (n < *cap) return true;
    size_t want = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, want * size);
    if (p == NULL) return false;
    *arr = p;
    *cap = want;
    return true;
}

static char lower(char c) {
    return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

/* ---- User-Agent patterns ----------------------------------------------- */

/* What is wrong with one trimmed, non-empty, non-comment line, or NULL. */
static const char *pattern_problem(const char *s, size_t len) {
    if (len > IVT_PATTERN_MAX_LEN) return "pattern longer than 256 bytes";
    bool literal = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] > 0x7E) return "pattern must be printable ASCII";
        if (s[i] != '*') literal = true;
    }
    if (!literal) return "a pattern of only '*' would match every user agent";
    return NULL;
}

static bool add_pattern(struct ivt *v, const char *s, size_t len) {
    if (!grow((void **)&v->patterns, &v->cap_patterns, v->n_patterns, sizeof(struct pattern)))
        return false;
    char *text = malloc(len + 1);
    if (text == NULL) return false;
    for (size_t i = 0; i < len; i++) text[i] = lower(s[i]);
    text[len] = '\0';
    v->patterns[v->n_patterns++] = (struct pattern){.text = text, .len = len};
    return true;
}

/* Adds one line of a pattern file; false with `why` set if it is bad. */
static bool add_line(struct ivt *v, const char *s, size_t len, const char **why) {
    while (len > 0 && is_blank(s[len - 1])) len--;
    while (len > 0 && is_blank(s[0])) s++, len--;
    if (len == 0 || s[0] == '#') return true;
    *why = pattern_problem(s, len);
    if (*why == NULL && v->n_patterns >= IVT_PATTERNS_MAX) *why = "more than 1024 patterns";
    if (*why == NULL && !add_pattern(v, s, len)) *why = "out of memory";
    return *why == NULL;
}

bool ivt_add_user_agents(struct ivt *v, const char *text, size_t len, struct buf *err) {
    size_t keep = v->n_patterns, start = 0;
    unsigned line = 1;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *why = NULL;
        if (!add_line(v, text + start, end - start, &why)) {
            buf_printf(err, "line %u: %s", line, why);
            drop_patterns_from(v, keep);
            return false;
        }
        start = end + 1;
        line++;
    }
    return true;
}

bool ivt_load_user_agents(struct ivt *v, const char *path, struct buf *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        buf_printf(err, "%s: %s", path, strerror(errno));
        return false;
    }
    char *text = malloc(IVT_FILE_MAX + 1);
    size_t len = text ? fread(text, 1, IVT_FILE_MAX + 1, f) : 0;
    bool read_failed = ferror(f);
    fclose(f);
    bool ok = false;
    if (text == NULL) buf_printf(err, "%s: out of memory", path);
    else if (read_failed) buf_printf(err, "%s: read error", path);
    else if (len > IVT_FILE_MAX) buf_printf(err, "%s: larger than 256 KiB", path);
    else {
        struct buf why;
        buf_init(&why);
        ok = ivt_add_user_agents(v, text, len, &why);
        if (!ok) buf_printf(err, "%s: %s", path, why.failed ? "out of memory" : why.data);
        buf_free(&why);
    }
    free(text);
    return ok;
}

/* The offset just past the first case-insensitive occurrence of the
 * lower-case needle[0..n) in hay[from..len), or -1. */
static long find_after(const char *hay, size_t len, size_t from, const char *needle, size_t n) {
    for (size_t i = from; i + n <= len; i++) {
        size_t j = 0;
        while (j < n && lower(hay[i + j]) == needle[j]) j++;
        if (j == n) return (long)(i + n);
    }
    return -1;
}

/* The pieces between '*'s must occur in the User-Agent in order. */
static bool pattern_matches(const struct pattern *p, const char *ua, size_t len) {
    size_t at = 0, i = 0;
    while (i < p->len) {
        const char *star = memchr(p->text + i, '*', p->len - i);
        size_t piece = star ? (size_t)(star - (p->text + i)) : p->len - i;
        if (piece > 0) {
            long after = find_after(ua, len, at, p->text + i, piece);
            if (after < 0) return false;
            at = (size_t)after;
        }
        i += piece + 1;
    }
    return true;
}

bool ivt_user_agent_matches(const struct ivt *v, const char *ua, size_t len) {
    if (ua == NULL || len == 0) return false;
    for (size_t i = 0; i < v->n_patterns; i++) {
        if (pattern_matches(&v->patterns[i], ua, len)) return true;
    }
    return false;
}

/* ---- deny list ---------------------------------------------------------- */

bool ivt_set_deny_list(struct ivt *v, const char *list, struct buf *err) {
    struct netaddr_list parsed;
    char why[160];
    if (!netaddr_list_parse(list, &parsed, why, sizeof(why))) {
        buf_printf(err, "deny list: %s", why);
        return false;
    }
    if (parsed.n > IVT_CIDRS_MAX) {
        buf_printf(err, "deny list: %zu entries, at most %d are allowed", parsed.n, IVT_CIDRS_MAX);
        netaddr_list_free(&parsed);
        return false;
    }
    netaddr_list_free(&v->deny);
    v->deny = parsed;
    return true;
}

bool ivt_address_denied(const struct ivt *v, const struct netaddr *a) {
    return a != NULL && netaddr_list_contains(&v->deny, a);
}

/* ---- verdict ------------------------------------------------------------ */

enum ivt_verdict ivt_classify(const struct ivt *v, const char *ua, size_t ua_len,
                              const struct netaddr *a) {
    if (ivt_user_agent_matches(v, ua, ua_len)) return IVT_USER_AGENT;
    if (ivt_address_denied(v, a)) return IVT_ADDRESS;
    return IVT_VALID;
}

const char *ivt_verdict_name(enum ivt_verdict verdict) {
    switch (verdict) {
    case IVT_VALID: return "valid";
    case IVT_USER_AGENT: return "user_agent";
    case IVT_ADDRESS: return "address";
    }
    return "unknown";
}
