/* main.c -- start-up and graceful shutdown.
 *
 * Signals are blocked before any thread starts and taken by the main thread
 * with sigwait, so no handler ever runs inside a worker. On SIGTERM or
 * SIGINT adstats stops accepting, lets requests in flight finish (for at
 * most --drain-ms), fails whatever still waits on Redis or the upstream,
 * and exits 0. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "admin.h"
#include "backend_log.h"
#include "clock.h"
#include "config.h"
#include "events.h"
#include "ioloop.h"
#include "log.h"
#include "server.h"
#include "vast.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until `count` returns 0 or `budget_ms` passes. */
static bool wait_for_zero(int (*count)(void), long budget_ms) {
    long long deadline = now_ms() + budget_ms;
    while (count() > 0) {
        if (now_ms() >= deadline) return false;
        sleep_ms(5);
    }
    return true;
}

static void shut_down(struct MHD_Daemon *daemon, struct ioloop *loop, int drain_ms) {
    MHD_quiesce_daemon(daemon);
    if (!wait_for_zero(server_requests_in_flight, drain_ms))
        log_warn("shutdown: %d requests still in flight after %d ms", server_requests_in_flight(),
                 drain_ms);
    request_pipeline_drain();
    ioloop_abort(loop);
    wait_for_zero(request_pipeline_awaiting, 60000);
    MHD_stop_daemon(daemon);
    ioloop_stop(loop);
}

static int wait_for_signal(const sigset_t *set) {
    int sig = 0;
    while (sigwait(set, &sig) != 0) continue;
    return sig;
}

int main(int argc, char **argv) {
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
    events_configure(&cfg);
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
    backend_log_open(cfg.error_log, cfg.vast_url);
    struct ioloop *loop = ioloop_start(&cfg);
    if (loop == NULL || !request_pipeline_init(loop)) return 1;

    struct http_settings http = {cfg.bind, cfg.port, cfg.threads, cfg.max_connections,
                                 cfg.idle_timeout_s};
    struct MHD_Daemon *daemon = http_start(&http, request_on_access, request_on_uri,
                                           request_on_completed);
    if (daemon == NULL) {
        log_error("cannot listen on %s:%d (in use, or not permitted?)", cfg.bind, cfg.port);
        ioloop_stop(loop);
        return 1;
    }
    log_info("adstats listening on %s:%d", cfg.bind, cfg.port);

    int sig = wait_for_signal(&stop);
    log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    shut_down(daemon, loop, cfg.drain_ms);
    request_pipeline_free();
    backend_log_close();
    curl_global_cleanup();
    log_info("adstats stopped");
    return 0;
}
