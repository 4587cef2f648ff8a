/* main.c -- start-up and graceful shutdown.
 *
 * Signals are blocked before any thread starts and taken by the main thread
 * with sigwait, so no handler ever runs inside a worker. The main thread
 * starts one worker per core (ioloop.h) and then only waits: on SIGTERM or
 * SIGINT adstats stops accepting, lets requests in flight finish (for at
 * most --drain-ms), has every worker's deferred index writer write what
 * it holds (index_writer.h), fails whatever still waits on Redis or the
 * upstream, and exits 0. /readyz answers 503 from the signal on, so load balancers
 * stop sending traffic while the drain runs. Redis being unreachable at
 * start-up is not fatal: the store keeps retrying (and /readyz says so).
 *
 * `adstats import-flask ...` runs a one-shot command instead of the server
 * (import_flask.h). */
#include <curl/curl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access_log.h"
#include "accounting.h"
#include "admin.h"
#include "backend_log.h"
#include "clock.h"
#include "config.h"
#include "cors.h"
#include "events.h"
#include "import_flask.h"
#include "index_writer.h"
#include "ioloop.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "server.h"
#include "store.h"
#include "tracking.h"
#include "vast.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Waits until `count` returns 0 or `budget_ms` passes. */
static bool wait_for_zero(int (*count)(void), long budget_ms) {
    long long deadline = clock_monotonic_ms() + budget_ms;
    while (count() > 0) {
        if (clock_monotonic_ms() >= deadline) return false;
        sleep_ms(5);
    }
    return true;
}

/* One worker: an event loop with its HTTP daemon, Redis connection and
 * upstream client (ioloop.h). */
struct worker {
    struct ioloop *loop;
    struct http_server *http;
    struct io_job quiesce;
    struct io_job close_http;
};

#define WORKER_OF(job, member) ((struct worker *)((char *)(job) - offsetof(struct worker, member)))

static void quiesce_http(struct io_job *job) {
    http_quiesce(WORKER_OF(job, quiesce)->http);
}

static void close_http(struct io_job *job) {
    struct worker *w = WORKER_OF(job, close_http);
    http_stop(w->http);
    w->http = NULL;
}

static void stop_workers(struct worker *workers, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        if (workers[i].loop == NULL) continue;
        workers[i].close_http.run = close_http;
        ioloop_stop(workers[i].loop, workers[i].http ? &workers[i].close_http : NULL);
    }
    free(workers);
}

static struct worker *start_workers(const struct config *cfg, unsigned *n) {
    struct http_settings http = {cfg->bind, cfg->port, cfg->threads, cfg->max_connections,
                                 cfg->idle_timeout_s};
    *n = http_thread_count(&http);
    if (!http_port_free(&http)) {
        log_error("cannot listen on %s:%d: address in use (or not permitted)", cfg->bind, cfg->port);
        return NULL;
    }
    struct worker *workers = calloc(*n, sizeof(*workers));
    if (workers == NULL) return NULL;
    for (unsigned i = 0; i < *n; i++) {
        struct worker *w = &workers[i];
        w->loop = ioloop_new(cfg);
        if (w->loop == NULL) goto fail;
        w->http = http_start(&http, ioloop_base(w->loop), request_on_access, request_on_uri,
                             request_on_completed);
        if (w->http == NULL) {
            log_error("cannot listen on %s:%d (in use, or not permitted?)", cfg->bind, cfg->port);
            goto fail;
        }
        ioloop_set_http(w->loop, w->http);
        if (!ioloop_start(w->loop)) goto fail;
    }
    return workers;
fail:
    stop_workers(workers, *n);
    return NULL;
}

/* Stop accepting, let requests in flight finish for up to drain_ms, then
 * fail what still waits on Redis or the upstream, and stop. */
static void shut_down(struct worker *workers, unsigned n, int drain_ms, int redis_timeout_ms) {
    for (unsigned i = 0; i < n; i++) {
        workers[i].quiesce.run = quiesce_http;
        ioloop_call(workers[i].loop, &workers[i].quiesce);
    }
    if (!wait_for_zero(accounting_requests_in_flight, drain_ms))
        log_warn("shutdown: %d requests still in flight after %d ms",
                 accounting_requests_in_flight(), drain_ms);
    request_pipeline_drain();
    /* The top lists and sessions buffered: one last flush (index_writer.h). */
    for (unsigned i = 0; i < n; i++) ioloop_drain_index(workers[i].loop);
    if (!wait_for_zero(index_writer_draining, 2L * redis_timeout_ms + 500))
        log_warn("shutdown: top-list and session updates not all written");
    for (unsigned i = 0; i < n; i++) ioloop_abort(workers[i].loop);
    wait_for_zero(request_pipeline_awaiting, 10000);
    stop_workers(workers, n);
}

/* --redis-wait-replicas needs WAIT, which twemproxy cannot forward. */
static bool check_wait_support(const struct config *cfg) {
    if (cfg->redis_wait_replicas == 0) return true;
    char why[512];
    switch (store_probe_wait(cfg, why, sizeof(why))) {
    case STORE_PROBE_OK: return true;
    case STORE_PROBE_UNREACHABLE:
        log_warn("redis: could not check that Redis supports WAIT for --redis-wait-replicas "
                 "(%s); starting anyway",
                 why);
        return true;
    case STORE_PROBE_UNSUPPORTED: break;
    }
    log_error("--redis-wait-replicas %d needs WAIT, which this Redis endpoint refuses (%s): "
              "twemproxy cannot forward WAIT; point --redis-url at Redis itself, use "
              "--redis-cluster, or set --redis-wait-replicas 0",
              cfg->redis_wait_replicas, why);
    return false;
}

static int wait_for_signal(const sigset_t *set) {
    int sig = 0;
    while (sigwait(set, &sig) != 0) continue;
    return sig;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "import-flask") == 0)
        return import_flask_main(argc - 1, argv + 1);
    struct config cfg;
    switch (config_load(&cfg, argc, argv, ".env", stdout, stderr)) {
    case CONFIG_OK: break;
    case CONFIG_EXIT_OK: return 0;
    case CONFIG_ERROR: return 2;
    }
    log_set_level(cfg.log_level);
    config_describe(&cfg, stderr);
    long long now_s;
    if (cfg.now[0] != '\0' && clock_parse(cfg.now, &now_s)) {
        clock_freeze(now_s);
        log_warn("clock frozen at %s by --now (testing only)", cfg.now);
    }
    if (!check_wait_support(&cfg)) return 2;
    events_configure(&cfg);
    struct buf why;
    buf_init(&why);
    if (!tracking_configure(&cfg, &why)) {
        log_error("%s", why.data != NULL ? why.data : "tracking: out of memory");
        buf_free(&why);
        return 2;
    }
    buf_free(&why);
    admin_configure(cfg.admin_token);

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("cannot initialise libcurl");
        return 1;
    }
    vast_init();
    metrics_init(accounting_metric_names());
    cors_configure(cfg.cors_origin, cfg.cors_credentials);
    backend_log_open(cfg.error_log, cfg.vast_url);
    if (!access_log_open(cfg.access_log)) return 1;
    unsigned n_workers;
    struct worker *workers = request_pipeline_init(&cfg) ? start_workers(&cfg, &n_workers) : NULL;
    if (workers == NULL) return 1;
    lifecycle_set(LIFECYCLE_READY);
    log_info("adstats listening on %s:%d with %u worker threads", cfg.bind, cfg.port, n_workers);

    int sig = wait_for_signal(&stop);
    lifecycle_set(LIFECYCLE_STOPPING);
    log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    shut_down(workers, n_workers, cfg.drain_ms, cfg.redis_timeout_ms);
    request_pipeline_free();
    backend_log_close();
    access_log_close();
    metrics_free();
    tracking_free();
    curl_global_cleanup();
    log_info("adstats stopped");
    return 0;
}
