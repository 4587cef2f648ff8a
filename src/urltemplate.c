/* urltemplate.c -- parsing and expanding the upstream URL template; see
 * urltemplate.h.
 *
 * Parsing splits the template into literal runs and placeholders, once;
 * expanding walks the parts and appends, so a fetch costs one pass over
 * the URL and no parsing. */
#include "urltemplate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[URLVAR__COUNT] = {
    [URLVAR_SDK_VERSION] = "sdk_version",
    [URLVAR_SESSION_ID] = "session_id",
    [URLVAR_PLATFORM] = "platform",
    [URLVAR_USERNAME] = "username",
    [URLVAR_COUNTRY_CODE] = "country_code",
    [URLVAR_CACHEBUSTER] = "cachebuster",
    [URLVAR_TIMESTAMP] = "timestamp",
};

#define KNOWN "{sdk_version} {session_id} {platform} {username} {country_code} " \
              "{cachebuster} {timestamp}"

const char *urlvar_name(enum urlvar v) {
    return names[v];
}

static int lookup_var(const char *name, size_t len) {
    for (int v = 0; v < URLVAR__COUNT; v++) {
        if (strlen(names[v]) == len && memcmp(names[v], name, len) == 0) return v;
    }
    return -1;
}

/* Where the path starts: placeholders before it would let a client's
 * value choose the host. A text without "://" has no authority. */
static size_t path_start(const char *text) {
    const char *scheme_end = strstr(text, "://");
    if (scheme_end == NULL) return 0;
    const char *authority = scheme_end + 3;
    return (size_t)(authority - text) + strcspn(authority, "/?#");
}

static void add_part(struct urltemplate *t, size_t offset, size_t len, int var) {
    if (var < 0 && len == 0) return;
    t->parts[t->n_parts++] = (struct urltemplate_part){offset, len, var};
    if (var >= 0) t->uses |= URLVAR_BIT(var);
}

/* Splits t->text into parts; false with a reason in `why`. */
static bool split(struct urltemplate *t, char *why, size_t why_cap) {
    const char *s = t->text;
    size_t authority_end = path_start(s), literal = 0, i = 0;
    while (s[i] != '\0') {
        if (s[i] == '}') {
            snprintf(why, why_cap, "'}' without '{' at byte %zu", i + 1);
            return false;
        }
        if (s[i] != '{') {
            i++;
            continue;
        }
        size_t len = strcspn(s + i + 1, "}");
        if (s[i + 1 + len] == '\0') {
            snprintf(why, why_cap, "'{' at byte %zu has no closing '}'", i + 1);
            return false;
        }
        int var = lookup_var(s + i + 1, len);
        if (var < 0) {
            snprintf(why, why_cap, "unknown placeholder {%.*s}; known: " KNOWN,
                     len > 40 ? 40 : (int)len, s + i + 1);
            return false;
        }
        if (i < authority_end) {
            snprintf(why, why_cap, "placeholder {%s} in the host: placeholders may stand only "
                     "in the path and query", names[var]);
            return false;
        }
        add_part(t, literal, i - literal, -1);
        add_part(t, i, len + 2, var);
        i += len + 2;
        literal = i;
    }
    add_part(t, literal, i - literal, -1);
    return true;
}

bool urltemplate_parse(struct urltemplate *t, const char *text, char *why, size_t why_cap) {
    memset(t, 0, sizeof(*t));
    size_t braces = 0;
    for (const char *c = text; *c; c++) braces += *c == '{';
    t->text = strdup(text);
    t->parts = calloc(2 * braces + 1, sizeof(*t->parts));
    if (t->text == NULL || t->parts == NULL) {
        snprintf(why, why_cap, "out of memory");
        urltemplate_free(t);
        return false;
    }
    if (split(t, why, why_cap)) return true;
    urltemplate_free(t);
    return false;
}

void urltemplate_free(struct urltemplate *t) {
    free(t->text);
    free(t->parts);
    memset(t, 0, sizeof(*t));
}

static bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
        || c == '.' || c == '_' || c == '~';
}

void url_encode_append(struct buf *out, const char *data, size_t len) {
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0; /* unreserved bytes not yet appended */
    if (len == 0) return;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (unreserved(c)) {
            run++;
            continue;
        }
        buf_append(out, data + i - run, run);
        run = 0;
        char escape[3] = {'%', hex[c >> 4], hex[c & 15]};
        buf_append(out, escape, sizeof(escape));
    }
    buf_append(out, data + len - run, run);
}

void urltemplate_expand(const struct urltemplate *t, const struct urlvalue values[URLVAR__COUNT],
                        struct buf *out) {
    for (size_t i = 0; i < t->n_parts; i++) {
        const struct urltemplate_part *p = &t->parts[i];
        if (p->var < 0) buf_append(out, t->text + p->offset, p->len);
        else url_encode_append(out, values[p->var].data, values[p->var].len);
    }
}
