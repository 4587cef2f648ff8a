/* health.c -- GET|HEAD /healthz and /readyz, for load balancers and
 * container schedulers.
 *
 * /healthz answers 200 whenever the process can answer at all (liveness).
 * /readyz answers 200 only when start-up has finished, shutdown has not
 * begun, and Redis answers a PING right now -- a real round trip through
 * the store, as any request would make -- and 503 with the reason
 * otherwise (readiness). */
#include <microhttpd.h>
#include <string.h>

#include "endpoint.h"
#include "lifecycle.h"
#include "request.h"

static void reply_ok(struct request *req, const char *status) {
    struct buf body;
    buf_init(&body);
    buf_printf(&body, "{\"success\": true, \"status\": \"%s\"}", status);
    request_reply_json(req, MHD_HTTP_OK, &body);
}

static void handle_healthz(struct request *req) {
    reply_ok(req, "alive");
}

/* What /readyz's PING got back. */
struct readyz_state {
    bool pong;
};

REQUEST_STATE(struct readyz_state, readyz_state)

static void read_pong(struct store_batch *b, size_t index, const redisReply *reply) {
    (void)index;
    readyz_state(request_of_batch(b))->pong = reply->type == REDIS_REPLY_STATUS
                                              && strcmp(reply->str, "PONG") == 0;
}

static void ping_answered(struct request *req) {
    if (req->store_status == STORE_OK && readyz_state(req)->pong)
        reply_ok(req, "ready");
    else if (req->store_status == STORE_UNAVAILABLE)
        request_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "not ready: Redis is unreachable (no connection, or no answer to "
                            "PING within the timeout)");
    else
        request_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "not ready: Redis answered PING with an error");
}

static void handle_readyz(struct request *req) {
    switch (lifecycle_get()) {
    case LIFECYCLE_STARTING:
        request_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: starting up");
        return;
    case LIFECYCLE_STOPPING:
        request_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: shutting down");
        return;
    case LIFECYCLE_READY:
        break;
    }
    store_batch_init(&req->batch, read_pong, NULL);
    store_arg_static(store_cmd_add(&req->batch), "PING");
    request_await_store(req, ping_answered);
}

const struct endpoint endpoint_healthz = {
    .path = "/healthz",
    .methods = METHOD_GET | METHOD_HEAD,
    .handle = handle_healthz,
};

const struct endpoint endpoint_readyz = {
    .path = "/readyz",
    .methods = METHOD_GET | METHOD_HEAD,
    .handle = handle_readyz,
};
