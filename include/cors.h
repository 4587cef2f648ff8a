/* cors.h -- Cross-Origin Resource Sharing for browser SDKs.
 *
 * Off by default. With --cors-origin set (one origin, or "*"), every
 * response carries Access-Control-Allow-Origin, and a preflight (OPTIONS on
 * a known endpoint) is answered 204 with the allowed methods, headers and
 * how long the browser may cache the answer. The request pipeline applies
 * it to every endpoint alike; endpoints know nothing of it. */
#ifndef ADSTATS_CORS_H
#define ADSTATS_CORS_H

#include <stdbool.h>

struct MHD_Response;

#define CORS_MAX_AGE "86400"

/* Call once at start-up, before any response is built. "" turns CORS off. */
void cors_configure(const char *origin);
bool cors_enabled(void);

/* Adds Access-Control-Allow-Origin (and its companions) to `r` if CORS is
 * on. Returns false if a header could not be added. */
bool cors_add_headers(struct MHD_Response *r);

/* A new 204 answer to a preflight for an endpoint allowing `methods`
 * ("GET, POST"); NULL when out of memory. The caller owns it. */
struct MHD_Response *cors_preflight_response(const char *methods);

/* True if `origin` is acceptable for --cors-origin: "*" or
 * scheme://host[:port] with no path and nothing unprintable. */
bool cors_origin_valid(const char *origin);

#endif
