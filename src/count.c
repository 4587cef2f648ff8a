/* count.c -- the one or two round trips of counting an event; see count.h.
 *
 * The count batch's on_reply passes the ranked totals its HINCRBYs replied
 * to the worker's deferred index writer, and once the event is counted its
 * session id follows (events.h): the top lists and the HyperLogLogs are
 * written later, off the acknowledged path (index_writer.h). */
#include "count.h"

#include <microhttpd.h>

#include "clock.h"
#include "index_writer.h"
#include "ioloop.h"
#include "tracking.h"

static struct index_writer *writer(void) {
    return ioloop_index(ioloop_current());
}

/* A tagged reply of the count batch: a ranked metric's new total. */
static void on_count_reply(struct store_batch *b, size_t index, const redisReply *reply) {
    struct request *req = request_of_batch(b);
    event_index_reply(writer(), b, index, reply, count_state(req)->counted, &req->params);
}

/* The event is counted: its session id goes to the HyperLogLogs. */
static void counted(struct request *req) {
    struct count_state *st = count_state(req);
    if (req->store_status == STORE_OK)
        event_index_sessions(writer(), st->counted, &req->params, st->counted_ms);
    st->then(req);
}

static void send_count(struct request *req) {
    struct count_state *st = count_state(req);
    store_batch_init(&req->batch, on_count_reply, NULL);
    store_batch_combinable(&req->batch);
    st->counted_ms = clock_now_ms();
    event_add_commands_as(&req->batch, st->type, st->counted, &req->params, st->counted_ms);
    if (st->chained) request_await_store_chained(req, counted);
    else request_await_store(req, counted);
}

/* SET ... NX answers OK when the id was free, nil when it was taken. */
static void on_claim_reply(struct store_batch *b, size_t index, const redisReply *reply) {
    (void)index;
    count_state(request_of_batch(b))->duplicate = reply->type == REDIS_REPLY_NIL;
}

static void claimed(struct request *req) {
    struct count_state *st = count_state(req);
    if (req->store_status != STORE_OK || st->duplicate) {
        st->then(req);
        return;
    }
    send_count(req);
}

void event_count(struct request *req, enum event_type type, request_fn *then) {
    event_count_as(req, type, type, then);
}

static void start_count(struct request *req, enum event_type type, enum event_type counted,
                        request_fn *then, bool chained) {
    *count_state(req) = (struct count_state){
        .then = then, .type = type, .counted = counted, .chained = chained,
    };
    if (req->params.v[PARAM_EVENT_ID].data == NULL) {
        send_count(req);
        return;
    }
    /* Chained: the connection waits from the claim to the count, without
     * a resume and a suspend between the two round trips. */
    store_batch_init(&req->batch, on_claim_reply, NULL);
    event_add_claim(&req->batch, type, &req->params);
    request_await_store_chained(req, claimed);
}

void event_count_as(struct request *req, enum event_type type, enum event_type counted,
                    request_fn *then) {
    start_count(req, type, counted, then, false);
}

void event_count_chained(struct request *req, enum event_type type, enum event_type counted,
                         request_fn *then) {
    start_count(req, type, counted, then, true);
}

enum event_type event_counted_type(struct request *req) {
    return count_state(req)->counted;
}

void event_count_no_fill(struct request *req, request_fn *then) {
    struct count_state *st = count_state(req);
    if (st->duplicate || st->counted == EVENT_INVALID) {
        req->store_status = STORE_OK;
        then(req);
        return;
    }
    store_batch_init(&req->batch, NULL, NULL);
    store_batch_combinable(&req->batch);
    event_add_no_fill(&req->batch, &req->params, st->counted_ms);
    request_await_store(req, then);
}

enum event_type event_counted_as(const struct request *req, enum event_type type) {
    if (!tracking_ivt_enabled()) return type; /* the hot path: nothing to look at */
    char storage[512];
    struct buf forwarded_for;
    buf_init_static(&forwarded_for, storage, sizeof(storage));
    bool found = request_header_all(req, "X-Forwarded-For", &forwarded_for);
    bool invalid = tracking_invalid(request_header(req, MHD_HTTP_HEADER_USER_AGENT),
                                    request_client_address(req),
                                    found && !forwarded_for.failed ? forwarded_for.data : NULL);
    buf_free(&forwarded_for);
    return invalid ? EVENT_INVALID : type;
}
