/* cors.c -- CORS headers; see cors.h.
 *
 * With a single configured origin the answer does not depend on the
 * request's Origin header, so shared, prebuilt responses can carry it too;
 * `Vary: Origin` is still sent for a specific origin, as caches expect. */
#include "cors.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

static char allowed_origin[256];

void cors_configure(const char *origin) {
    snprintf(allowed_origin, sizeof(allowed_origin), "%s", origin);
}

bool cors_enabled(void) {
    return allowed_origin[0] != '\0';
}

bool cors_add_headers(struct MHD_Response *r) {
    if (!cors_enabled() || r == NULL) return true;
    bool ok = MHD_add_response_header(r, "Access-Control-Allow-Origin", allowed_origin) == MHD_YES
           && MHD_add_response_header(r, "Access-Control-Expose-Headers", "Retry-After, Allow")
                  == MHD_YES;
    if (ok && strcmp(allowed_origin, "*") != 0)
        ok = MHD_add_response_header(r, "Vary", "Origin") == MHD_YES;
    return ok;
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

bool cors_origin_valid(const char *origin) {
    if (strcmp(origin, "*") == 0 || origin[0] == '\0') return true;
    const char *rest = NULL;
    if (strncmp(origin, "http://", 7) == 0) rest = origin + 7;
    else if (strncmp(origin, "https://", 8) == 0) rest = origin + 8;
    if (rest == NULL || *rest == '\0' || *rest == ':' || strlen(origin) >= sizeof(allowed_origin))
        return false;
    for (const char *c = rest; *c; c++) {
        if (*c <= ' ' || *c >= 0x7F || *c == '/' || *c == '?' || *c == '#' || *c == ',')
            return false;
    }
    return true;
}
