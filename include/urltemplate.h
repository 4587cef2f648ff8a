/* urltemplate.h -- the upstream URL with per-request placeholders.
 *
 * --vast-url may hold placeholders, such as
 *   https://ads.example/vast?u={username}&cb={cachebuster}
 * that are replaced, for each fetch, by values percent-encoded as RFC 3986
 * asks (every byte but the unreserved A-Z a-z 0-9 - . _ ~). The template
 * is parsed once, at start-up: an unknown placeholder, a '{' without its
 * '}', a '}' without its '{' or a placeholder before the path (in the host
 * or port, where a client's value could pick the server) is refused with a
 * one-line reason. A template without placeholders has one literal part,
 * so that its caller can see there is nothing to do per request. */
#ifndef ADSTATS_URLTEMPLATE_H
#define ADSTATS_URLTEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum urlvar {
    URLVAR_SDK_VERSION,
    URLVAR_SESSION_ID,
    URLVAR_PLATFORM,
    URLVAR_USERNAME,
    URLVAR_COUNTRY_CODE,
    URLVAR_CACHEBUSTER, /* a random number, new for every fetch */
    URLVAR_TIMESTAMP,   /* Unix time in seconds */
    URLVAR__COUNT
};

#define URLVAR_BIT(v) (1u << (v))

/* One value to substitute; data may be NULL when len is 0. */
struct urlvalue {
    const char *data;
    size_t len;
};

struct urltemplate_part {
    size_t offset, len; /* a literal: text[offset, offset + len) */
    int var;            /* or a placeholder: its enum urlvar; -1 for a literal */
};

struct urltemplate {
    char *text;                    /* owned copy of the template */
    struct urltemplate_part *parts;
    size_t n_parts;
    unsigned uses;                 /* URLVAR_BIT mask of the placeholders present */
};

/* The placeholder's name, without braces ("username"). */
const char *urlvar_name(enum urlvar v);

/* Parses `text`. On failure returns false, writes a one-line reason to
 * `why` and leaves `t` empty (urltemplate_free is then harmless). */
bool urltemplate_parse(struct urltemplate *t, const char *text, char *why, size_t why_cap);

void urltemplate_free(struct urltemplate *t);

/* Appends the URL with every placeholder replaced by its encoded value. */
void urltemplate_expand(const struct urltemplate *t, const struct urlvalue values[URLVAR__COUNT],
                        struct buf *out);

/* Appends `len` bytes percent-encoded: unreserved characters as they are,
 * every other byte as %XX (upper-case hex). */
void url_encode_append(struct buf *out, const char *data, size_t len);

#endif
