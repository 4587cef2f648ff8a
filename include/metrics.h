/* metrics.h -- adstats' counters, gauges and histograms, for GET /metrics.
 *
 * Recording is lock-free and cheap enough for the hot path: every thread
 * that records gets a shard of its own (allocated on its first call and
 * registered once under a mutex), and only ever writes that shard, with
 * relaxed atomic loads and stores (plain moves on x86-64). Rendering takes
 * the registry mutex -- which no recorder holds after registration -- and
 * sums the shards. Shards live until metrics_free at exit, so the counts of
 * threads that ended are kept. */
#ifndef ADSTATS_METRICS_H
#define ADSTATS_METRICS_H

#include <stdbool.h>

#include "buf.h"
#include "endpoint.h"
#include "events.h"
#include "upstream.h"

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
    long long access_log_dropped;
    bool ready;
};

/* Records the process start time; call once at start-up. */
void metrics_init(void);
/* Frees every shard; no thread may record afterwards. */
void metrics_free(void);

/* HTTP: one answered request (`ep` NULL when no endpoint matched). */
void metrics_http_response(const struct endpoint *ep, unsigned status, long long latency_us);

/* Upstream: a transfer started, and a fetch finished (started or refused). */
void metrics_upstream_started(void);
void metrics_upstream_done(enum upstream_outcome outcome, bool was_started, long long latency_us);

/* Redis. */
void metrics_redis_error(enum redis_error_kind kind);
/* A connection was made (`reconnect`: not the first of its client) or lost. */
void metrics_redis_connected(bool up, bool reconnect);

/* An event counted in Redis. */
void metrics_event(enum event_type type);

/* A no-fill answered to a counted (not duplicate) ad request: `counted` in
 * Redis, or not (Redis failed; the no-fill is lost, the answer is not). */
void metrics_no_fill(bool counted);

/* Appends every metric in the Prometheus text format. */
void metrics_render(struct buf *out, const struct metrics_gauges *g);

#endif
