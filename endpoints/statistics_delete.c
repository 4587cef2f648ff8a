/* statistics_delete.c -- DELETE /statistics?username=X (or sdk=, country=,
 * platform=): forget one subject's statistics -- all-time counters, unique
 * sessions, day buckets and top-list entries (events.h lists the keys; the
 * no-fill counters are fields of the counter hashes, so they go with them).
 * Admin only: the pipeline has checked the bearer token before we run.
 * Answers {"success": true, "message": "...", "deleted": N}, N counting the
 * keys and top-list members removed (0 when there was nothing: deleting is
 * idempotent). Events counted while the delete runs may survive it. */
#include <microhttpd.h>

#include "clock.h"
#include "dimension.h"
#include "endpoint.h"
#include "events.h"
#include "index_writer.h"
#include "ioloop.h"
#include "json.h"
#include "request.h"
#include "statistics.h"

#define DELETE_REFUSED \
    (PARAM_BIT(PARAM_FROM) | PARAM_BIT(PARAM_TO) | PARAM_BIT(PARAM_INTERVAL) \
     | PARAM_BIT(PARAM_UNIQUE_SESSIONS) | PARAM_BIT(PARAM_NO_FILLS))

/* The request's state (request.h's REQUEST_STATE). */
struct delete_state {
    long long deleted;   /* keys and top-list members removed */
};

REQUEST_STATE(struct delete_state, delete_state)

/* Each reply counts at most one: a key (DEL), a top-list member (ZREM), or
 * a day's counters of the value (HDEL of its day-bucket fields), as when
 * those were a key of their own (keys.h, layout 1). */
static void count_deleted(struct store_batch *b, size_t index, const redisReply *reply) {
    (void)index;
    if (reply->type == REDIS_REPLY_INTEGER && reply->integer > 0)
        delete_state(request_of_batch(b))->deleted++;
}

static void deleted(struct request *req) {
    enum dimension dim;
    const struct param_value *who = dimension_filter(&req->params, &dim);
    if (req->store_status != STORE_OK) {
        request_reply_store_failure(req, "nothing or not everything was deleted");
        return;
    }
    struct buf body, message;
    buf_init(&body);
    buf_init(&message);
    buf_append_str(&message, "statistics of ");
    buf_append(&message, who->data, who->len);
    buf_append_str(&message, " deleted");
    buf_append_str(&body, "{\"success\": true, \"message\": ");
    json_append_string(&body, message.data, message.len);
    buf_append_str(&body, ", \"deleted\": ");
    buf_append_ll(&body, delete_state(req)->deleted);
    buf_append_char(&body, '}');
    buf_free(&message);
    request_reply_json(req, MHD_HTTP_OK, &body);
}

void statistics_delete(struct request *req) {
    if (params_any(&req->params, DELETE_REFUSED)) {
        request_reply_error(req, MHD_HTTP_BAD_REQUEST,
                            "DELETE /statistics deletes all of a subject's statistics and takes "
                            "only username, sdk, country or platform");
        return;
    }
    enum dimension dim;
    const struct param_value *who = dimension_filter(&req->params, &dim);
    if (!store_batch_init_large(&req->batch, event_forget_cmds(), event_forget_args(),
                                event_forget_arena(), count_deleted, NULL)) {
        request_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    delete_state(req)->deleted = 0;
    event_add_forget(&req->batch, dim, who->data, who->len, clock_today());
    /* this worker's pending top-list updates of the value would re-add it */
    index_writer_forget(ioloop_index(ioloop_current()), dim, who->data, who->len);
    request_await_store(req, deleted);
}
