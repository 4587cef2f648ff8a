/* routing.h -- from a request line to the endpoint that answers it:
 * the method, the endpoint (routes.c's table), and the Allow header of a
 * 405 or a preflight. */
#ifndef ADSTATS_ROUTING_H
#define ADSTATS_ROUTING_H

#include <stddef.h>

#include "endpoint.h"

/* METHOD_OTHER for a method adstats does not know. */
enum http_method routing_method(const char *method);

/* The endpoint of `path` (without the query string), or NULL: an exact
 * path wins over a subtree that holds it. Unless `route` is NULL, it gets
 * the endpoint's place in the routing table + 1, the number metrics.h
 * counts it by (METRICS_NO_ROUTE when none matched), so that counting the
 * response needs no second scan. */
const struct endpoint *routing_find_endpoint(const char *path, size_t *route);

/* The methods `ep` answers, "GET, POST" (this thread's buffer, valid until
 * the next call). */
const char *routing_allow_header(const struct endpoint *ep);

#endif
