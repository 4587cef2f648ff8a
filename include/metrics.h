/* metrics.h -- adstats' counters, gauges and histograms, for GET /metrics.
 *
 * Recording is lock-free and cheap enough for the hot path: every thread
 * that records gets a shard of its own (allocated on its first call and
 * registered once under a mutex), and only ever writes that shard, with
 * relaxed atomic loads and stores (plain moves on x86-64). Rendering takes
 * the registry mutex -- which no recorder holds after registration -- and
 * sums the shards. Shards live until metrics_free at exit, so the counts of
 * threads that ended are kept.
 *
 * A utility: metrics knows no endpoint, upstream outcome or event type.
 * The layers above count them by number and name the numbers once, at
 * metrics_init (struct metrics_names, which accounting.c fills in). */
#ifndef ADSTATS_METRICS_H
#define ADSTATS_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* How many of each numbered thing are counted apart. */
#define METRICS_NO_ROUTE 0      /* the route of requests no endpoint matched */
#define METRICS_MAX_ROUTES 32   /* including METRICS_NO_ROUTE */
#define METRICS_MAX_OUTCOMES 16
#define METRICS_MAX_EVENT_TYPES 16

enum redis_error_kind {
    REDIS_ERR_REPLY,       /* Redis answered a command with an error */
    REDIS_ERR_UNAVAILABLE, /* a batch failed: no connection, or it dropped */
    REDIS_ERR_TIMEOUT,     /* no answer within the timeout: connection dropped */
    REDIS_ERR_CONNECT,     /* a connection attempt failed */
    REDIS_ERR__COUNT
};

/* Values the registry does not own, gathered by the caller of
 * metrics_render (endpoints/metrics.c). */
struct metrics_gauges {
    long long requests_in_flight;
    long long open_connections;
    long long backend_log_dropped;
    long long backend_log_summarized; /* lines counted into summaries */
    long long diagnostics_summarized;
    long long access_log_dropped;
    bool ready;
};

/* The labels of numbered things, given by the layers that number them.
 * Route r (1..n_routes) is shown as endpoint=routes[r - 1], route 0 as
 * endpoint="unmatched"; every outcome is shown, zero or not; an event type
 * whose name is NULL (or past n_event_types) is shown by its number, and
 * only once counted. The arrays must outlive metrics_free. */
struct metrics_names {
    const char *const *routes;
    size_t n_routes;
    const char *const *outcomes;
    size_t n_outcomes;
    const char *const *event_types;
    size_t n_event_types;
};

/* Records the process start time and the names; call once at start-up. */
void metrics_init(const struct metrics_names *names);
/* Frees every shard; no thread may record afterwards. */
void metrics_free(void);

/* HTTP: one answered request on `route` (METRICS_NO_ROUTE when no
 * endpoint matched). */
void metrics_http_response(size_t route, unsigned status, long long latency_us);

/* Upstream: a transfer started, and a fetch finished (started or refused). */
void metrics_upstream_started(void);
void metrics_upstream_done(unsigned outcome, bool was_started, long long latency_us);

/* Redis. */
void metrics_redis_error(enum redis_error_kind kind);
/* An error reply, by its first word ("OOM", "READONLY", ... or "WAIT" for
 * unconfirmed writes); codes outside a fixed list count as "other". */
void metrics_redis_error_reply(const char *code);
/* A cluster redirection followed: ASK, or MOVED. */
void metrics_redis_redirect(bool ask);
/* A connection was made (`reconnect`: not the first of its client) or lost. */
void metrics_redis_connected(bool up, bool reconnect);

/* An event counted in Redis. */
void metrics_event(unsigned type);

/* A no-fill answered to a counted (not duplicate) ad request: `counted` in
 * Redis, or not (Redis failed; the no-fill is lost, the answer is not). */
void metrics_no_fill(bool counted);

/* A tracking pixel (GET /t) of event type `type` (numbered as events):
 * counted, or a duplicate of one counted before; and one refused (403:
 * its token was forged, altered, cut or expired; its type is unknown). */
enum metrics_pixel_outcome { METRICS_PIXEL_COUNTED, METRICS_PIXEL_DUPLICATE };
void metrics_pixel(unsigned type, enum metrics_pixel_outcome outcome);
void metrics_pixel_forbidden(void);

/* An ad that /ad was to add trackers to (--tracking-url): `injected`, or
 * passed on unchanged (a document the injector refuses: VAST 1.0, not
 * UTF-8 ...). */
void metrics_injection(bool injected);

/* Updates of the derived indexes (index_writer.h) dropped because their
 * buffer was full: top-list totals and session ids. */
void metrics_index_dropped(size_t top, size_t sessions);

/* Appends every metric in the Prometheus text format. */
void metrics_render(struct buf *out, const struct metrics_gauges *g);

#endif
