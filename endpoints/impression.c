/* impression.c -- GET|POST /impression: count one impression for the user
 * and the SDK version, then answer the Flask service's success message. */
#include <microhttpd.h>

#include "endpoint.h"
#include "events.h"
#include "metrics.h"
#include "request.h"

static void impression_counted(struct request *req) {
    if (req->store_status == STORE_OK) {
        metrics_event(EVENT_IMPRESSION);
        request_reply_shared(req, MHD_HTTP_OK, response_success_fetched());
    } else {
        request_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "statistics store unavailable: impression not counted, retry later");
    }
}

static void handle_impression(struct request *req) {
    store_batch_init(&req->batch, NULL, NULL);
    event_add_commands(&req->batch, EVENT_IMPRESSION, &req->params);
    request_await_store(req, impression_counted);
}

const struct endpoint endpoint_impression = {
    .path = "/impression",
    .methods = METHOD_GET | METHOD_POST,
    .permitted = EVENT_PARAMS,
    .required = EVENT_PARAMS,
    .handle = handle_impression,
};
