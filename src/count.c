/* count.c -- the one or two round trips of counting an event; see count.h. */
#include "count.h"

#include "clock.h"

static void send_count(struct request *req) {
    struct count_state *st = count_state(req);
    store_batch_init(&req->batch, NULL, NULL);
    store_batch_combinable(&req->batch);
    st->counted_ms = clock_now_ms();
    event_add_commands(&req->batch, st->type, &req->params, st->counted_ms);
    request_await_store(req, st->then);
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
    *count_state(req) = (struct count_state){.then = then, .type = type};
    if (req->params.v[PARAM_EVENT_ID].data == NULL) {
        send_count(req);
        return;
    }
    store_batch_init(&req->batch, on_claim_reply, NULL);
    event_add_claim(&req->batch, type, &req->params);
    request_await_store(req, claimed);
}

void event_count_no_fill(struct request *req, request_fn *then) {
    struct count_state *st = count_state(req);
    if (st->duplicate) {
        req->store_status = STORE_OK;
        then(req);
        return;
    }
    store_batch_init(&req->batch, NULL, NULL);
    store_batch_combinable(&req->batch);
    event_add_no_fill(&req->batch, &req->params, st->counted_ms);
    request_await_store(req, then);
}
