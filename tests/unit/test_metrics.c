/* test_metrics.c -- unit tests for metrics.c (with accounting.c's names
 * and endpoint numbering, as adstats runs it): what is recorded comes out
 * of metrics_render in the Prometheus text format, with counts summed over
 * the shards of several threads, status codes and endpoints kept apart,
 * up/down gauges as differences, and histograms bucketed by latency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounting.h"
#include "events.h"
#include "metrics.h"
#include "routing.h"
#include "upstream.h"

/* The value of the sample line starting with `prefix` (name{labels} ),
 * or -1 if there is none. */
static long long sample(const char *text, const char *prefix) {
    size_t n = strlen(prefix);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, prefix, n) == 0 && line[n] == ' ') return atoll(line + n + 1);
    }
    return -1;
}

static char *render(void) {
    struct metrics_gauges g = {.requests_in_flight = 2, .open_connections = 3,
                               .access_log_dropped = 5, .ready = true};
    struct buf b;
    buf_init(&b);
    metrics_render(&b, &g);
    assert_false(b.failed);
    return buf_steal(&b);
}

/* The number requests to `path` are counted by, as the pipeline gets it. */
static size_t route_of(const char *path) {
    size_t route;
    assert_non_null(routing_find_endpoint(path, &route));
    return route;
}

static int teardown(void **state) {
    (void)state;
    metrics_free();
    return 0;
}

static void test_http_responses_by_endpoint_and_code(void **state) {
    (void)state;
    metrics_init(accounting_metric_names());
    accounting_count_response(route_of("/impression"), 200, 50);
    accounting_count_response(route_of("/impression"), 200, 700);
    accounting_count_response(route_of("/impression"), 400, 20000000);
    accounting_count_response(METRICS_NO_ROUTE, 404, 10);
    accounting_count_response(route_of("/ad"), 999, 10); /* out of range: latency only */
    char *t = render();
    assert_int_equal(sample(t, "adstats_http_requests_total{endpoint=\"/impression\",code=\"200\"}"), 2);
    assert_int_equal(sample(t, "adstats_http_requests_total{endpoint=\"/impression\",code=\"400\"}"), 1);
    assert_int_equal(sample(t, "adstats_http_requests_total{endpoint=\"unmatched\",code=\"404\"}"), 1);
    assert_int_equal(sample(t, "adstats_http_requests_total{endpoint=\"/ad\",code=\"200\"}"), -1);
    const char *h = "adstats_http_request_duration_seconds";
    char name[160];
    snprintf(name, sizeof(name), "%s_bucket{endpoint=\"/impression\",le=\"0.0001\"}", h);
    assert_int_equal(sample(t, name), 1);
    snprintf(name, sizeof(name), "%s_bucket{endpoint=\"/impression\",le=\"0.001\"}", h);
    assert_int_equal(sample(t, name), 2);
    snprintf(name, sizeof(name), "%s_bucket{endpoint=\"/impression\",le=\"10\"}", h);
    assert_int_equal(sample(t, name), 2);
    snprintf(name, sizeof(name), "%s_bucket{endpoint=\"/impression\",le=\"+Inf\"}", h);
    assert_int_equal(sample(t, name), 3);
    snprintf(name, sizeof(name), "%s_count{endpoint=\"/ad\"}", h);
    assert_int_equal(sample(t, name), 1);
    snprintf(name, sizeof(name), "%s_count{endpoint=\"/statistics\"}", h);
    assert_int_equal(sample(t, name), -1); /* no requests, no series */
    assert_non_null(strstr(t, "# TYPE adstats_http_request_duration_seconds histogram\n"));
    free(t);
}

static void test_gauges_and_other_families(void **state) {
    (void)state;
    metrics_upstream_started();
    metrics_upstream_started();
    metrics_upstream_done(UPSTREAM_TIMEOUT, true, 2000000);
    metrics_upstream_done(UPSTREAM_BUSY, false, 0);
    metrics_redis_error(REDIS_ERR_TIMEOUT);
    metrics_redis_connected(true, false);
    metrics_redis_connected(false, false);
    metrics_redis_connected(true, true);
    metrics_event(EVENT_IMPRESSION);
    metrics_no_fill(true);
    metrics_no_fill(true);
    metrics_no_fill(false);
    char *t = render();
    assert_int_equal(sample(t, "adstats_http_open_connections"), 3);
    assert_int_equal(sample(t, "adstats_upstream_fetches_total{outcome=\"timeout\"}"), 1);
    assert_int_equal(sample(t, "adstats_upstream_fetches_total{outcome=\"busy\"}"), 1);
    assert_int_equal(sample(t, "adstats_upstream_fetches_total{outcome=\"ok\"}"), 0);
    assert_int_equal(sample(t, "adstats_upstream_fetch_duration_seconds_count"), 1);
    assert_int_equal(sample(t, "adstats_upstream_in_flight"), 1);
    assert_int_equal(sample(t, "adstats_redis_errors_total{kind=\"timeout\"}"), 1);
    assert_int_equal(sample(t, "adstats_redis_errors_total{kind=\"reply\"}"), 0);
    assert_int_equal(sample(t, "adstats_redis_reconnects_total"), 1);
    assert_int_equal(sample(t, "adstats_redis_connected"), 1);
    assert_int_equal(sample(t, "adstats_events_total{type=\"impression\"}"), 1);
    assert_int_equal(sample(t, "adstats_events_total{type=\"ad_request\"}"), 0);
    assert_int_equal(sample(t, "adstats_events_total{type=\"no_fill\"}"), 2);
    assert_int_equal(sample(t, "adstats_events_lost_total{type=\"no_fill\"}"), 1);
    assert_int_equal(sample(t, "adstats_http_requests_in_flight"), 2);
    assert_int_equal(sample(t, "adstats_log_lines_dropped_total{log=\"access\"}"), 5);
    assert_int_equal(sample(t, "adstats_ready"), 1);
    assert_true(sample(t, "process_start_time_seconds") > 1000000000);
    assert_non_null(strstr(t, "adstats_build_info{version=\""));
    free(t);
}

#define THREADS 4
#define PER_THREAD 10000

static void *record_many(void *arg) {
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        accounting_count_response(route_of("/statistics"), 200, i);
        metrics_event(EVENT_AD_REQUEST);
    }
    return NULL;
}

static void test_shards_of_all_threads_are_summed(void **state) {
    (void)state;
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, record_many, NULL), 0);
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    char *t = render();
    /* Threads that ended still count. */
    assert_int_equal(sample(t, "adstats_http_requests_total{endpoint=\"/statistics\",code=\"200\"}"),
                     THREADS * PER_THREAD);
    assert_int_equal(sample(t, "adstats_http_request_duration_seconds_count{endpoint=\"/statistics\"}"),
                     THREADS * PER_THREAD);
    assert_int_equal(sample(t, "adstats_events_total{type=\"ad_request\"}"), THREADS * PER_THREAD);
    free(t);
}

static void test_free_resets(void **state) {
    (void)state;
    metrics_event(EVENT_IMPRESSION);
    metrics_free();
    char *t = render();
    assert_int_equal(sample(t, "adstats_events_total{type=\"impression\"}"), 0);
    free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_responses_by_endpoint_and_code),
        cmocka_unit_test(test_gauges_and_other_families),
        cmocka_unit_test_teardown(test_shards_of_all_threads_are_summed, teardown),
        cmocka_unit_test_teardown(test_free_resets, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
