/* metrics.c -- GET /metrics: every counter in the Prometheus text format
 * (see src/metrics.c for what is counted and how). Gathers the few values
 * that live elsewhere, then renders. */
#include <microhttpd.h>

#include "access_log.h"
#include "accounting.h"
#include "backend_log.h"
#include "connections.h"
#include "endpoint.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "request.h"

static void handle_metrics(struct request *req) {
    struct metrics_gauges g = {
        .requests_in_flight = accounting_requests_in_flight(),
        .open_connections = connections_open(),
        .backend_log_dropped = backend_log_dropped(),
        .backend_log_summarized = backend_log_summarized(),
        .diagnostics_summarized = log_repeated_summarized(),
        .access_log_dropped = access_log_dropped(),
        .ready = lifecycle_get() == LIFECYCLE_READY,
    };
    struct buf body;
    buf_init(&body);
    metrics_render(&body, &g);
    request_reply_body(req, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &body);
}

const struct endpoint endpoint_metrics = {
    .path = "/metrics",
    .methods = METHOD_GET,
    .handle = handle_metrics,
};
