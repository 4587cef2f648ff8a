/* impression.c -- GET|POST /impression: count one impression in every
 * dimension (count.h), then answer the Flask service's success message. An
 * impression whose event_id was counted before is acknowledged the same
 * way, with "duplicate": true, and not counted again. With --ivt-filter,
 * invalid traffic is answered the same and counted as `invalid` instead. */
#include <microhttpd.h>

#include "count.h"
#include "endpoint.h"
#include "metrics.h"
#include "request.h"

static void impression_counted(struct request *req) {
    if (req->store_status != STORE_OK) {
        request_reply_store_failure(req, "impression not counted");
    } else if (count_state(req)->duplicate) {
        struct buf body;
        buf_init(&body);
        buf_append_str(&body, "{" REQUEST_SUCCESS_FETCHED_MEMBERS ", \"duplicate\": true}");
        request_reply_json(req, MHD_HTTP_OK, &body);
    } else {
        metrics_event(event_counted_type(req));
        request_reply_success_fetched(req);
    }
}

static void handle_impression(struct request *req) {
    event_count_as(req, EVENT_IMPRESSION, event_counted_as(req, EVENT_IMPRESSION),
                   impression_counted);
}

const struct endpoint endpoint_impression = {
    .path = "/impression",
    EVENT_ENDPOINT,
    .handle = handle_impression,
};
