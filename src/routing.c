/* routing.c -- which endpoint answers a request; see routing.h.
 *
 * The table itself (endpoints[]) is the endpoint layer's: endpoints/routes.c.
 * It is short, so a linear scan is as fast as anything cleverer. */
#include "routing.h"

#include <stdio.h>
#include <string.h>

#include "metrics.h"

static const struct {
    const char *name;
    enum http_method method;
} methods[] = {
    {"GET", METHOD_GET},       {"HEAD", METHOD_HEAD},     {"POST", METHOD_POST},
    {"PUT", METHOD_PUT},       {"DELETE", METHOD_DELETE}, {"PATCH", METHOD_PATCH},
    {"OPTIONS", METHOD_OPTIONS},
};

enum http_method routing_method(const char *method) {
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strcmp(methods[i].name, method) == 0) return methods[i].method;
    }
    return METHOD_OTHER;
}

/* The place + 1 of path's endpoint: an exact match wins over a subtree
 * that holds the path. */
static size_t find_route(const char *path) {
    size_t below = METRICS_NO_ROUTE;
    for (size_t i = 0; endpoints[i] != NULL; i++) {
        const struct endpoint *ep = endpoints[i];
        size_t n = strlen(ep->path);
        if (strcmp(ep->path, path) == 0) return i + 1;
        if (ep->subtree && below == METRICS_NO_ROUTE && strncmp(ep->path, path, n) == 0
            && path[n] == '/')
            below = i + 1;
    }
    return below;
}

const struct endpoint *routing_find_endpoint(const char *path, size_t *route) {
    size_t found = find_route(path);
    if (route != NULL) *route = found;
    return found == METRICS_NO_ROUTE ? NULL : endpoints[found - 1];
}

const char *routing_allow_header(const struct endpoint *ep) {
    static _Thread_local char allow[64];
    size_t len = 0;
    allow[0] = '\0';
    for (size_t i = 0; ep != NULL && i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (!(ep->methods & methods[i].method)) continue;
        len += (size_t)snprintf(allow + len, sizeof(allow) - len, "%s%s", len ? ", " : "",
                                methods[i].name);
    }
    return allow;
}
