/* endpoint.h -- what an endpoint module declares.
 *
 * Each file in endpoints/ defines one `struct endpoint`: its path, the
 * methods it answers, the parameters it permits and requires, and a handler.
 * The request pipeline (request.c) does everything else the same way for
 * all of them: routing, 404/405, reading the query string or form body,
 * missing and invalid parameters, the admin token where the method needs it,
 * and sending the response. The handler runs only for a request that passed
 * all of that.
 *
 * Most endpoints answer one exact path; a `subtree` endpoint also answers
 * every path below it (path + "/..."), and reads which one with
 * request_path(). `headers` are added to every response the endpoint sends,
 * errors included (e.g. the dashboard's Content-Security-Policy). `init`
 * and `cleanup` run once, before the first request and after the last
 * (e.g. to build shared responses, or to read a setting). */
#ifndef ADSTATS_ENDPOINT_H
#define ADSTATS_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "params.h"

struct request;

enum http_method {
    METHOD_GET = 1 << 0,
    METHOD_HEAD = 1 << 1,
    METHOD_POST = 1 << 2,
    METHOD_PUT = 1 << 3,
    METHOD_DELETE = 1 << 4,
    METHOD_PATCH = 1 << 5,
    METHOD_OPTIONS = 1 << 6,
    METHOD_OTHER = 1 << 7,
};

/* One response header; arrays of them end with {NULL, NULL}. */
struct http_header {
    const char *name;
    const char *value;
};

struct endpoint {
    const char *path;
    bool subtree;           /* also answers path + "/anything" */
    unsigned methods;       /* METHOD_* mask */
    uint32_t permitted;     /* PARAM_BIT mask: parameters read and validated */
    uint32_t required;      /* all of these must be present */
    uint32_t required_one;  /* at least one of these must be present */
    uint32_t required_one_shown; /* which of those the 400 message names (0: all) */
    unsigned admin_methods; /* METHOD_* mask that needs the admin token (admin.h) */
    const struct http_header *headers; /* on every response; NULL: none */
    bool (*init)(const struct config *cfg); /* NULL: nothing to set up; false stops start-up */
    void (*cleanup)(void);
    void (*handle)(struct request *req);
};

extern const struct endpoint endpoint_ad;
extern const struct endpoint endpoint_impression;
extern const struct endpoint endpoint_track;
extern const struct endpoint endpoint_statistics;
extern const struct endpoint endpoint_top;
extern const struct endpoint endpoint_metrics;
extern const struct endpoint endpoint_healthz;
extern const struct endpoint endpoint_readyz;
extern const struct endpoint endpoint_openapi;
extern const struct endpoint endpoint_root;
extern const struct endpoint endpoint_dashboard;

/* The routing table, NULL-terminated (routes.c). */
extern const struct endpoint *const endpoints[];

#endif
