/* cors.c -- CORS headers; see cors.h.
 *
 * With "*" or a single origin the answer does not depend on the request's
 * Origin header, so shared, prebuilt responses can carry it too; `Vary:
 * Origin` is still sent for a specific origin, as caches expect. With a
 * list, only the pipeline knows the request (cors_variant_of), so it adds
 * the variant's headers to the responses it builds per request and picks a
 * prebuilt variant of its shared ones: no shared response is ever changed
 * after start-up, since several threads send them at once. */
#include "cors.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

typedef char origin_text[CORS_ORIGIN_MAX + 1];

static origin_text origins[CORS_ORIGINS_MAX];
static size_t n_origins;
static bool with_credentials;

/* Splits `list` at commas into `out`, dropping blanks around each item.
 * Returns the number of items, or -1 if one is empty or too long or there
 * are more than CORS_ORIGINS_MAX. */
static int split_origins(const char *list, origin_text out[CORS_ORIGINS_MAX]) {
    int n = 0;
    for (const char *p = list; *p != '\0';) {
        const char *end = p + strcspn(p, ",");
        const char *s = p, *e = end;
        while (s < e && *s == ' ') s++;
        while (e > s && e[-1] == ' ') e--;
        size_t len = (size_t)(e - s);
        if (len == 0 || len > CORS_ORIGIN_MAX || n == CORS_ORIGINS_MAX) return -1;
        memcpy(out[n], s, len);
        out[n++][len] = '\0';
        if (*end == '\0') break;
        p = end + 1;
        if (*p == '\0') return -1; /* a trailing comma */
    }
    return n;
}

void cors_configure(const char *list, bool credentials) {
    int n = split_origins(list, origins);
    n_origins = n > 0 ? (size_t)n : 0;
    with_credentials = credentials;
}

bool cors_enabled(void) {
    return n_origins > 0;
}

size_t cors_variants(void) {
    return n_origins >= 2 ? n_origins : 0;
}

size_t cors_variant_of(const char *origin) {
    if (origin == NULL || n_origins < 2) return 0;
    for (size_t i = 0; i < n_origins; i++) {
        if (strcmp(origins[i], origin) == 0) return i + 1;
    }
    return 0;
}

static bool add_allow_origin(struct MHD_Response *r, const char *origin) {
    return MHD_add_response_header(r, "Access-Control-Allow-Origin", origin) == MHD_YES
        && MHD_add_response_header(r, "Access-Control-Expose-Headers",
                                  "Retry-After, Allow, Adstats-Duplicate, Adstats-Ad-Id")
               == MHD_YES
        && (!with_credentials
            || MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true") == MHD_YES);
}

bool cors_add_headers(struct MHD_Response *r) {
    if (!cors_enabled() || r == NULL) return true;
    bool wildcard = strcmp(origins[0], "*") == 0;
    if (cors_variants() == 0 && !add_allow_origin(r, origins[0])) return false;
    return wildcard || MHD_add_response_header(r, "Vary", "Origin") == MHD_YES;
}

bool cors_add_variant_headers(struct MHD_Response *r, size_t variant) {
    if (variant == 0 || variant > cors_variants()) return true;
    return add_allow_origin(r, origins[variant - 1]);
}

struct MHD_Response *cors_preflight_response(const char *methods) {
    char allow[96];
    snprintf(allow, sizeof(allow), "%s, OPTIONS", methods);
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (r == NULL) return NULL;
    if (!cors_add_headers(r)
        || MHD_add_response_header(r, "Access-Control-Allow-Methods", allow) != MHD_YES
        || MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                   "Content-Type, Authorization") != MHD_YES
        || MHD_add_response_header(r, "Access-Control-Max-Age", CORS_MAX_AGE) != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

static bool origin_valid(const char *origin) {
    const char *rest = NULL;
    if (strncmp(origin, "http://", 7) == 0) rest = origin + 7;
    else if (strncmp(origin, "https://", 8) == 0) rest = origin + 8;
    if (rest == NULL || *rest == '\0' || *rest == ':') return false;
    for (const char *c = rest; *c; c++) {
        if (*c <= ' ' || *c >= 0x7F || *c == '/' || *c == '?' || *c == '#') return false;
    }
    return true;
}

bool cors_origins_valid(const char *list) {
    if (strcmp(list, "*") == 0 || list[0] == '\0') return true;
    origin_text items[CORS_ORIGINS_MAX];
    int n = split_origins(list, items);
    if (n <= 0) return false;
    for (int i = 0; i < n; i++) {
        if (!origin_valid(items[i])) return false;
    }
    return true;
}
