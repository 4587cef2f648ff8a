/* cors.h -- Cross-Origin Resource Sharing for browser SDKs and players.
 *
 * Off by default. --cors-origin takes "*", one origin, or a comma-separated
 * list of origins; --cors-credentials adds
 * Access-Control-Allow-Credentials: true (refused with "*" by config.c, as
 * browsers refuse it). A preflight (OPTIONS on a known endpoint) is
 * answered 204 with the allowed methods, headers and how long the browser
 * may cache the answer. The request pipeline applies CORS to every
 * endpoint alike; endpoints know nothing of it.
 *
 * Two modes, so that the common cases cost nothing per request:
 *
 *   fixed   "*" or a single origin: the headers do not depend on the
 *           request, and cors_add_headers puts them on every response,
 *           prebuilt shared ones included (the browser itself refuses a
 *           page whose origin is not the one named);
 *   echo    two or more origins: a request whose Origin is listed gets it
 *           echoed back (a "variant", 1..cors_variants()), any other
 *           request gets no Access-Control-Allow-Origin at all. Every
 *           response still carries Vary: Origin. */
#ifndef ADSTATS_CORS_H
#define ADSTATS_CORS_H

#include <stdbool.h>
#include <stddef.h>

struct MHD_Response;

#define CORS_MAX_AGE "86400"
#define CORS_ORIGINS_MAX 16
#define CORS_ORIGIN_MAX 255 /* bytes of one origin */

/* Call once at start-up, before any response is built, with a list that
 * cors_origins_valid accepted. "" turns CORS off. */
void cors_configure(const char *origins, bool credentials);
bool cors_enabled(void);

/* Echo mode: the number of listed origins; 0 in fixed mode or when off
 * (then no request needs a variant). */
size_t cors_variants(void);

/* The variant for a request's Origin header (may be NULL): 1..cors_variants()
 * if it is listed, else 0 (no CORS headers of its own). */
size_t cors_variant_of(const char *origin);

/* Adds the request-independent CORS headers to `r`: in fixed mode
 * Access-Control-Allow-Origin and its companions, in echo mode
 * Vary: Origin. False if a header could not be added. */
bool cors_add_headers(struct MHD_Response *r);

/* Echo mode: adds the headers of `variant` (>= 1) to `r`, which already
 * has cors_add_headers'. False if a header could not be added. */
bool cors_add_variant_headers(struct MHD_Response *r, size_t variant);

/* A new 204 answer to a preflight for an endpoint allowing `methods`
 * ("GET, POST"), with the request-independent headers; NULL when out of
 * memory. The caller owns it. */
struct MHD_Response *cors_preflight_response(const char *methods);

/* True if `origins` is acceptable for --cors-origin: "", "*", or a
 * comma-separated list (blanks around commas allowed) of at most
 * CORS_ORIGINS_MAX origins scheme://host[:port], with no path and nothing
 * unprintable. */
bool cors_origins_valid(const char *origins);

#endif
