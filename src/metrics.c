/* metrics.c -- the metrics registry; see metrics.h.
 *
 * A shard is a plain struct of counters. Requests are counted per route
 * (the endpoint's index in the routing table + 1, 0 for requests no
 * endpoint matched)
 * and per status code (100-599, one slot each), so recording a response is
 * two array indexings and a few increments on one thread's own cache lines.
 * Gauges that go up and down (fetches in flight, Redis connections) are kept
 * as two monotonic counters and rendered as their difference, which stays
 * right when the ups and downs happen on different threads. */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "prom.h"
#include "version.h"

/* The error replies counted apart; the last is everything else. */
static const char *const redis_codes[] = {
    "OOM", "READONLY", "NOSCRIPT", "WRONGTYPE", /* not-a-command: error codes */
    "CLUSTERDOWN", "TRYAGAIN", "MOVED", "ASK",
    "LOADING", "BUSY", "MASTERDOWN", "NOAUTH", "WRONGPASS", "NOPERM", "EXECABORT", "ERR",
    "WAIT", "other",
};
#define METRICS_REDIS_CODES (sizeof(redis_codes) / sizeof(redis_codes[0]))

#define STATUS_MIN 100
#define STATUS_SLOTS 500

typedef _Atomic unsigned long long counter;

struct histogram {
    counter buckets[PROM_BUCKETS + 1];
    counter sum_us;
};

struct shard {
    counter http[METRICS_MAX_ROUTES][STATUS_SLOTS];
    struct histogram http_latency[METRICS_MAX_ROUTES];
    counter upstream[METRICS_MAX_OUTCOMES];
    struct histogram upstream_latency;
    counter upstream_started, upstream_finished;
    counter redis_errors[REDIS_ERR__COUNT];
    counter redis_error_replies[METRICS_REDIS_CODES];
    counter redis_redirects[2]; /* MOVED, ASK */
    counter redis_reconnects;
    counter redis_ups, redis_downs; /* connections made and lost */
    counter events[METRICS_MAX_EVENT_TYPES];
    counter no_fills, no_fills_lost;
    counter pixels[2][METRICS_MAX_EVENT_TYPES]; /* counted, duplicate */
    counter pixels_forbidden;
    counter injections[2]; /* passed through, injected */
    counter index_dropped[2]; /* top lists, sessions */
    struct shard *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shard *shards;
static struct shard fallback; /* for threads whose shard could not be allocated */
static bool fallback_listed;
static _Thread_local struct shard *mine;
static double start_time;
static struct metrics_names names; /* set by metrics_init, read-only after */

/* ---- recording --------------------------------------------------------- */

/* Single writer per shard: a relaxed load and store, no locked instruction. */
static inline void bump(counter *c, unsigned long long by) {
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
                          memory_order_relaxed);
}

static struct shard *register_shard(void) {
    struct shard *s = calloc(1, sizeof(*s));
    pthread_mutex_lock(&registry_lock);
    if (s == NULL) {
        s = &fallback; /* shared: racing bumps may be lost, never corrupt */
        if (!fallback_listed) {
            fallback.next = shards;
            shards = &fallback;
            fallback_listed = true;
        }
    } else {
        s->next = shards;
        shards = s;
    }
    pthread_mutex_unlock(&registry_lock);
    return s;
}

static inline struct shard *shard(void) {
    if (__builtin_expect(mine == NULL, 0)) mine = register_shard();
    return mine;
}

static void observe(struct histogram *h, long long us) {
    if (us < 0) us = 0;
    bump(&h->buckets[prom_bucket(us)], 1);
    bump(&h->sum_us, (unsigned long long)us);
}

void metrics_http_response(size_t route, unsigned status, long long latency_us) {
    struct shard *s = shard();
    size_t slot = route < METRICS_MAX_ROUTES ? route : 0;
    if (status >= STATUS_MIN && status < STATUS_MIN + STATUS_SLOTS)
        bump(&s->http[slot][status - STATUS_MIN], 1);
    observe(&s->http_latency[slot], latency_us);
}

void metrics_upstream_started(void) {
    bump(&shard()->upstream_started, 1);
}

void metrics_upstream_done(unsigned outcome, bool was_started, long long latency_us) {
    struct shard *s = shard();
    if (outcome < METRICS_MAX_OUTCOMES) bump(&s->upstream[outcome], 1);
    if (was_started) {
        bump(&s->upstream_finished, 1);
        observe(&s->upstream_latency, latency_us);
    }
}

void metrics_redis_error(enum redis_error_kind kind) {
    if ((unsigned)kind < REDIS_ERR__COUNT) bump(&shard()->redis_errors[kind], 1);
}

void metrics_redis_error_reply(const char *code) {
    size_t i = 0;
    while (i < METRICS_REDIS_CODES - 1 && strcmp(redis_codes[i], code) != 0) i++;
    bump(&shard()->redis_error_replies[i], 1);
}

void metrics_redis_redirect(bool ask) {
    bump(&shard()->redis_redirects[ask ? 1 : 0], 1);
}

void metrics_redis_connected(bool up, bool reconnect) {
    struct shard *s = shard();
    bump(up ? &s->redis_ups : &s->redis_downs, 1);
    if (up && reconnect) bump(&s->redis_reconnects, 1);
}

void metrics_event(unsigned type) {
    if (type < METRICS_MAX_EVENT_TYPES) bump(&shard()->events[type], 1);
}

void metrics_pixel(unsigned type, enum metrics_pixel_outcome outcome) {
    if (type < METRICS_MAX_EVENT_TYPES) bump(&shard()->pixels[outcome][type], 1);
}

void metrics_pixel_forbidden(void) {
    bump(&shard()->pixels_forbidden, 1);
}

void metrics_index_dropped(size_t top, size_t sessions) {
    struct shard *s = shard();
    bump(&s->index_dropped[0], top);
    bump(&s->index_dropped[1], sessions);
}

void metrics_injection(bool injected) {
    bump(&shard()->injections[injected ? 1 : 0], 1);
}

void metrics_no_fill(bool counted) {
    struct shard *s = shard();
    bump(counted ? &s->no_fills : &s->no_fills_lost, 1);
}

/* ---- start and stop ---------------------------------------------------- */

void metrics_init(const struct metrics_names *n) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    names = *n;
    if (names.n_routes + 1 > METRICS_MAX_ROUTES) {
        log_error("metrics: %zu endpoints, only %d are counted apart; raise METRICS_MAX_ROUTES",
                  names.n_routes, METRICS_MAX_ROUTES - 1);
        names.n_routes = METRICS_MAX_ROUTES - 1;
    }
    if (names.n_outcomes > METRICS_MAX_OUTCOMES) {
        log_error("metrics: %zu upstream outcomes; raise METRICS_MAX_OUTCOMES", names.n_outcomes);
        names.n_outcomes = METRICS_MAX_OUTCOMES;
    }
    if (names.n_event_types > METRICS_MAX_EVENT_TYPES) {
        log_error("metrics: %zu event types; raise METRICS_MAX_EVENT_TYPES", names.n_event_types);
        names.n_event_types = METRICS_MAX_EVENT_TYPES;
    }
}

void metrics_free(void) {
    pthread_mutex_lock(&registry_lock);
    while (shards != NULL) {
        struct shard *next = shards->next;
        if (shards != &fallback) free(shards);
        shards = next;
    }
    fallback_listed = false;
    memset(&fallback, 0, sizeof(fallback));
    pthread_mutex_unlock(&registry_lock);
    mine = NULL;
}

/* ---- rendering --------------------------------------------------------- */

static unsigned long long load(const counter *c) {
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Sums the counter at byte offset `off` over every shard (lock held). */
static unsigned long long total(size_t off) {
    unsigned long long sum = 0;
    for (const struct shard *s = shards; s != NULL; s = s->next)
        sum += load((const counter *)((const char *)s + off));
    return sum;
}

/* Sums a histogram at byte offset `off`; false if it is empty. */
static bool total_histogram(size_t off, unsigned long long counts[PROM_BUCKETS + 1],
                            unsigned long long *sum_us) {
    unsigned long long n = 0;
    for (size_t i = 0; i <= PROM_BUCKETS; i++) {
        counts[i] = total(off + offsetof(struct histogram, buckets) + i * sizeof(counter));
        n += counts[i];
    }
    *sum_us = total(off + offsetof(struct histogram, sum_us));
    return n > 0;
}

static const char *endpoint_label(size_t slot) {
    return slot == 0 ? "unmatched" : names.routes[slot - 1];
}

static size_t endpoint_slots(void) {
    return names.n_routes + 1;
}

static void endpoint_labels(struct buf *labels, size_t slot) {
    buf_reset(labels);
    buf_append_str(labels, "endpoint=");
    prom_label_value(labels, endpoint_label(slot));
}

static void render_http(struct buf *out) {
    struct buf labels;
    buf_init(&labels);
    prom_family(out, "adstats_http_requests_total", "counter",
                "HTTP requests answered, by endpoint and status code.");
    for (size_t ep = 0; ep < endpoint_slots(); ep++) {
        for (size_t code = 0; code < STATUS_SLOTS; code++) {
            unsigned long long n = total(offsetof(struct shard, http)
                                         + (ep * STATUS_SLOTS + code) * sizeof(counter));
            if (n == 0) continue;
            endpoint_labels(&labels, ep);
            buf_printf(&labels, ",code=\"%zu\"", code + STATUS_MIN);
            prom_sample(out, "adstats_http_requests_total", labels.data, n);
        }
    }
    prom_family(out, "adstats_http_request_duration_seconds", "histogram",
                "Time from the request line to the response being queued, by endpoint.");
    for (size_t ep = 0; ep < endpoint_slots(); ep++) {
        unsigned long long counts[PROM_BUCKETS + 1], sum;
        size_t off = offsetof(struct shard, http_latency) + ep * sizeof(struct histogram);
        if (!total_histogram(off, counts, &sum)) continue;
        endpoint_labels(&labels, ep);
        prom_histogram(out, "adstats_http_request_duration_seconds", labels.data, counts, sum);
    }
    buf_free(&labels);
}

/* One sample per label value of the counter array at `offset` in the
 * shard: name{key="values[i]"}. */
static void render_labelled(struct buf *out, const char *name, const char *key,
                            const char *const *values, size_t n, size_t offset) {
    char labels[96];
    for (size_t i = 0; i < n; i++) {
        snprintf(labels, sizeof(labels), "%s=\"%s\"", key, values[i]);
        prom_sample(out, name, labels, total(offset + i * sizeof(counter)));
    }
}

static void render_upstream(struct buf *out) {
    prom_family(out, "adstats_upstream_fetches_total", "counter",
                "Upstream ad fetches, by outcome (busy: refused at the in-flight limit).");
    render_labelled(out, "adstats_upstream_fetches_total", "outcome", names.outcomes,
                    names.n_outcomes, offsetof(struct shard, upstream));
    unsigned long long counts[PROM_BUCKETS + 1], sum;
    total_histogram(offsetof(struct shard, upstream_latency), counts, &sum);
    prom_family(out, "adstats_upstream_fetch_duration_seconds", "histogram",
                "Duration of upstream fetches that were started.");
    prom_histogram(out, "adstats_upstream_fetch_duration_seconds", NULL, counts, sum);
    prom_family(out, "adstats_upstream_in_flight", "gauge", "Upstream fetches in flight now.");
    prom_sample_signed(out, "adstats_upstream_in_flight", NULL,
                       (long long)(total(offsetof(struct shard, upstream_started))
                                   - total(offsetof(struct shard, upstream_finished))));
}

static void render_redis(struct buf *out) {
    static const char *const kinds[REDIS_ERR__COUNT] = {
        [REDIS_ERR_REPLY] = "reply", [REDIS_ERR_UNAVAILABLE] = "unavailable",
        [REDIS_ERR_TIMEOUT] = "timeout", [REDIS_ERR_CONNECT] = "connect"};
    prom_family(out, "adstats_redis_errors_total", "counter",
                "Redis errors: reply (an error answer), unavailable (a batch failed for want of "
                "a connection), timeout (no answer in time), connect (a failed attempt).");
    render_labelled(out, "adstats_redis_errors_total", "kind", kinds, REDIS_ERR__COUNT,
                    offsetof(struct shard, redis_errors));
    prom_family(out, "adstats_redis_error_replies_total", "counter",
                "Error replies from Redis, by their first word (WAIT: fewer replicas than "
                "--redis-wait-replicas confirmed the writes; other: any code not listed).");
    render_labelled(out, "adstats_redis_error_replies_total", "code", redis_codes,
                    METRICS_REDIS_CODES, offsetof(struct shard, redis_error_replies));
    prom_family(out, "adstats_redis_redirects_total", "counter",
                "Redis Cluster redirections followed (MOVED: the slot map changed; ASK: a slot "
                "being migrated).");
    prom_sample(out, "adstats_redis_redirects_total", "kind=\"moved\"",
                total(offsetof(struct shard, redis_redirects)));
    prom_sample(out, "adstats_redis_redirects_total", "kind=\"ask\"",
                total(offsetof(struct shard, redis_redirects) + sizeof(counter)));
    prom_family(out, "adstats_redis_reconnects_total", "counter",
                "Connections to Redis made again after the first.");
    prom_sample(out, "adstats_redis_reconnects_total", NULL,
                total(offsetof(struct shard, redis_reconnects)));
    prom_family(out, "adstats_redis_connected", "gauge",
                "Redis connections up now (each worker thread has one).");
    prom_sample_signed(out, "adstats_redis_connected", NULL,
                       (long long)(total(offsetof(struct shard, redis_ups))
                                   - total(offsetof(struct shard, redis_downs))));
}

/* One sample per event type of the counter array at `offset`, labelled
 * type="<name>" then `more` (more labels, or ""); a type without a name
 * only when counted, and with `zeros` false no zero at all. */
static void render_event_types(struct buf *out, const char *metric, const char *more,
                               size_t offset, bool zeros) {
    char labels[96];
    for (size_t t = 0; t < METRICS_MAX_EVENT_TYPES; t++) {
        unsigned long long n = total(offset + t * sizeof(counter));
        const char *name = t < names.n_event_types ? names.event_types[t] : NULL;
        if (n == 0 && (name == NULL || !zeros)) continue;
        if (name != NULL) snprintf(labels, sizeof(labels), "type=\"%s\"%s", name, more);
        else snprintf(labels, sizeof(labels), "type=\"%zu\"%s", t, more);
        prom_sample(out, metric, labels, n);
    }
}

static void render_events(struct buf *out) {
    prom_family(out, "adstats_events_total", "counter", "Events counted in Redis, by type.");
    render_event_types(out, "adstats_events_total", "", offsetof(struct shard, events), true);
    /* A no-fill is no event type (it is counted in the ad request's hashes)
     * but is counted in Redis all the same. */
    prom_sample(out, "adstats_events_total", "type=\"no_fill\"",
                total(offsetof(struct shard, no_fills)));
    prom_family(out, "adstats_events_lost_total", "counter",
                "Events that could not be counted in Redis and were not refused: no-fills "
                "(their ad request was counted and answered already).");
    prom_sample(out, "adstats_events_lost_total", "type=\"no_fill\"",
                total(offsetof(struct shard, no_fills_lost)));
}

static void render_tracking(struct buf *out) {
    static const char *const outcomes[] = {",outcome=\"counted\"", ",outcome=\"duplicate\""};
    prom_family(out, "adstats_pixels_total", "counter",
                "Tracking pixels (GET /t) by event type and outcome: counted, duplicate (fired "
                "before: answered, not counted), forbidden (a bad token: 403).");
    for (size_t o = 0; o < 2; o++)
        render_event_types(out, "adstats_pixels_total", outcomes[o],
                           offsetof(struct shard, pixels)
                               + o * METRICS_MAX_EVENT_TYPES * sizeof(counter),
                           false);
    prom_sample(out, "adstats_pixels_total", "outcome=\"forbidden\"",
                total(offsetof(struct shard, pixels_forbidden)));
    prom_family(out, "adstats_vast_injections_total", "counter",
                "Ads /ad was to add trackers to (--tracking-url): injected, or passed through "
                "unchanged (VAST 1.0, not UTF-8, ...).");
    prom_sample(out, "adstats_vast_injections_total", "outcome=\"injected\"",
                total(offsetof(struct shard, injections) + sizeof(counter)));
    prom_sample(out, "adstats_vast_injections_total", "outcome=\"passed_through\"",
                total(offsetof(struct shard, injections)));
    prom_family(out, "adstats_index_dropped_total", "counter",
                "Updates of the top lists and unique-session counts dropped because the "
                "deferred writer's buffer was full (Redis slow or down): the counters are exact, "
                "these indexes trail.");
    prom_sample(out, "adstats_index_dropped_total", "index=\"top\"",
                total(offsetof(struct shard, index_dropped)));
    prom_sample(out, "adstats_index_dropped_total", "index=\"sessions\"",
                total(offsetof(struct shard, index_dropped) + sizeof(counter)));
}

static void render_process(struct buf *out, const struct metrics_gauges *g) {
    prom_family(out, "adstats_http_open_connections", "gauge", "Client connections open now.");
    prom_sample_signed(out, "adstats_http_open_connections", NULL, g->open_connections);
    prom_family(out, "adstats_http_requests_in_flight", "gauge",
                "Requests received and not yet completed.");
    prom_sample_signed(out, "adstats_http_requests_in_flight", NULL, g->requests_in_flight);
    prom_family(out, "adstats_log_lines_dropped_total", "counter",
                "Log lines lost to a full queue or a failing disk.");
    prom_sample_signed(out, "adstats_log_lines_dropped_total", "log=\"backend\"",
                       g->backend_log_dropped);
    prom_sample_signed(out, "adstats_log_lines_dropped_total", "log=\"access\"",
                       g->access_log_dropped);
    prom_family(out, "adstats_log_lines_summarized_total", "counter",
                "Log lines not written one by one but counted into a once-a-second summary "
                "(backend: the backend error log; diagnostics: repeated diagnostics on stderr).");
    prom_sample_signed(out, "adstats_log_lines_summarized_total", "log=\"backend\"",
                       g->backend_log_summarized);
    prom_sample_signed(out, "adstats_log_lines_summarized_total", "log=\"diagnostics\"",
                       g->diagnostics_summarized);
    prom_family(out, "adstats_ready", "gauge", "1 when start-up has finished and not stopping.");
    prom_sample(out, "adstats_ready", NULL, g->ready ? 1 : 0);
    prom_family(out, "process_start_time_seconds", "gauge",
                "Start time of the process since the Unix epoch in seconds.");
    prom_sample_double(out, "process_start_time_seconds", NULL, start_time);
    prom_family(out, "adstats_build_info", "gauge", "Always 1; labelled with the version.");
    prom_sample(out, "adstats_build_info", "version=\"" ADSTATS_VERSION "\"", 1);
}

void metrics_render(struct buf *out, const struct metrics_gauges *g) {
    pthread_mutex_lock(&registry_lock);
    render_http(out);
    render_upstream(out);
    render_redis(out);
    render_events(out);
    render_tracking(out);
    pthread_mutex_unlock(&registry_lock);
    render_process(out, g);
}
