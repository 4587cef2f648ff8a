/* ivt.c -- general invalid traffic classifier; see ivt.h.
 *
 * Patterns are kept lower-cased, so matching lowers only the User-Agent's
 * bytes as it compares them (ASCII only: the patterns are ASCII). A request
 * costs one scan of the User-Agent per pattern and one prefix comparison
 * per CIDR: linear, which is plenty for lists of the default's size (tens
 * of patterns, a handful of CIDRs); a longer deny list would want a trie. */
#include "ivt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pattern {
    char *text;   /* lower-cased, NUL-terminated */
    size_t len;
};

struct cidr {
    struct ivt_addr net;
    unsigned prefix;  /* 0 to 128, IPv4 ones as mapped: 96 to 128 */
};

struct ivt {
    struct pattern *patterns;
    size_t n_patterns, cap_patterns;
    struct cidr *cidrs;
    size_t n_cidrs, cap_cidrs;
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
    free(v->cidrs);
    free(v);
}

size_t ivt_user_agent_count(const struct ivt *v) {
    return v->n_patterns;
}

size_t ivt_deny_count(const struct ivt *v) {
    return v->n_cidrs;
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

/* ---- addresses and CIDRs ------------------------------------------------ */

static void map_ipv4(const struct in_addr *a4, struct ivt_addr *out) {
    memset(out->b, 0, 10);
    out->b[10] = out->b[11] = 0xff;
    memcpy(out->b + 12, &a4->s_addr, 4);
}

bool ivt_addr_parse(const char *s, size_t len, struct ivt_addr *out) {
    char text[INET6_ADDRSTRLEN];
    if (len == 0 || len >= sizeof(text)) return false;
    memcpy(text, s, len);
    text[len] = '\0';
    if (memchr(text, ':', len) != NULL) return inet_pton(AF_INET6, text, out->b) == 1;
    struct in_addr a4;
    if (inet_pton(AF_INET, text, &a4) != 1) return false;
    map_ipv4(&a4, out);
    return true;
}

bool ivt_addr_from_sockaddr(const struct sockaddr *sa, struct ivt_addr *out) {
    if (sa == NULL) return false;
    if (sa->sa_family == AF_INET) {
        map_ipv4(&((const struct sockaddr_in *)sa)->sin_addr, out);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(out->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return true;
    }
    return false;
}

/* True if a and b agree on their first `bits` bits. */
static bool same_prefix(const struct ivt_addr *a, const struct ivt_addr *b, unsigned bits) {
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a->b, b->b, whole) != 0) return false;
    if (rest == 0) return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a->b[whole] & mask) == (b->b[whole] & mask);
}

static bool host_bits_zero(const struct ivt_addr *a, unsigned bits) {
    for (unsigned i = bits; i < 128; i++) {
        if (a->b[i / 8] & (0x80 >> (i % 8))) return false;
    }
    return true;
}

/* Reads a prefix length: 1 to 3 digits, no leading zero, at most `max`. */
static bool parse_prefix(const char *s, size_t len, unsigned max, unsigned *out) {
    if (len == 0 || len > 3 || (s[0] == '0' && len > 1)) return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return v <= max;
}

static const char *parse_cidr(const char *s, size_t len, struct cidr *out) {
    const char *slash = memchr(s, '/', len);
    size_t addr_len = slash ? (size_t)(slash - s) : len;
    if (!ivt_addr_parse(s, addr_len, &out->net)) return "is not an IPv4 or IPv6 address";
    bool v4 = memchr(s, ':', addr_len) == NULL;
    unsigned max = v4 ? 32 : 128, prefix = max;
    if (slash && !parse_prefix(slash + 1, len - addr_len - 1, max, &prefix))
        return v4 ? "has a prefix length that is not 0 to 32" : "has a prefix length that is not 0 to 128";
    out->prefix = v4 ? prefix + 96 : prefix;
    if (!host_bits_zero(&out->net, out->prefix)) return "has address bits set below its prefix length";
    return NULL;
}

bool ivt_add_deny_list(struct ivt *v, const char *list, struct buf *err) {
    size_t keep = v->n_cidrs, i = 0, len = strlen(list);
    while (i < len) {
        size_t n = strcspn(list + i, ", \t\r\n");
        if (n == 0) {
            i++;
            continue;
        }
        struct cidr c;
        const char *why = parse_cidr(list + i, n, &c);
        if (why == NULL && v->n_cidrs >= IVT_CIDRS_MAX) why = "is one more than 4096 CIDRs";
        if (why == NULL && !grow((void **)&v->cidrs, &v->cap_cidrs, v->n_cidrs, sizeof(c)))
            why = "could not be stored: out of memory";
        if (why != NULL) {
            buf_printf(err, "deny list entry '%.*s' %s", (int)(n > 64 ? 64 : n), list + i, why);
            v->n_cidrs = keep;
            return false;
        }
        v->cidrs[v->n_cidrs++] = c;
        i += n;
    }
    return true;
}

bool ivt_address_denied(const struct ivt *v, const struct ivt_addr *a) {
    if (a == NULL) return false;
    for (size_t i = 0; i < v->n_cidrs; i++) {
        if (same_prefix(a, &v->cidrs[i].net, v->cidrs[i].prefix)) return true;
    }
    return false;
}

/* ---- verdict ------------------------------------------------------------ */

enum ivt_verdict ivt_classify(const struct ivt *v, const char *ua, size_t ua_len,
                              const struct ivt_addr *a) {
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
