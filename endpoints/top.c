/* top.c -- GET /statistics/top?dimension=D&metric=M&limit=N: the N values
 * of dimension D (username, sdk, country or platform) with the most
 * impressions, ad requests, completes or clicks (M, default impressions;
 * N 1..100, default 10), with their all-time counts, fill rate and unique
 * sessions (and, ranked by completes or clicks, the video counters of
 * /statistics?video=1).
 *
 * Two round trips: ZREVRANGE of the top list (a sorted set of all-time
 * counts that the deferred index writer keeps, index_writer.h: it trails
 * the counters by up to --index-flush-ms), then one HMGET and one PFCOUNT per
 * value listed. Values with equal counts come in reverse byte order, as
 * Redis orders them. Answers {"success": true, "dimension": D,
 * "metric": M, "top": [{"value": V, "impressions": I, "ad_requests": R,
 * "fill_rate": F, "unique_sessions": U}, ...]}, without "unique_sessions"
 * for a dimension that --sessions-dimensions leaves out (dimension.h). */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "dimension.h"
#include "endpoint.h"
#include "json.h"
#include "keys.h"
#include "request.h"
#include "stats.h"

#define TOP_DEFAULT 10
#define TOP_MAX 100
#define TOP_VALUE_MAX 64 /* longest value any dimension allows */

struct top_row {
    char value[TOP_VALUE_MAX];
    size_t len;
    struct stats_counts counts;
};

struct top_list {
    enum dimension dim;
    enum metric metric;
    size_t n;
    struct top_row rows[TOP_MAX];
};

/* ---- the answer -------------------------------------------------------- */

/* A ranking by completes or clicks shows each value's video counters. */
static unsigned row_members(const struct top_list *t) {
    return (dimension_has_sessions(t->dim) ? STATS_SESSIONS : 0)
         | (t->metric == METRIC_COMPLETES || t->metric == METRIC_CLICKS ? STATS_VIDEO : 0);
}

static void reply_list(struct request *req, const struct top_list *t) {
    struct buf body;
    buf_init(&body);
    buf_append_str(&body, "{\"success\": true, \"dimension\": \"");
    buf_append_str(&body, dimension_spec(t->dim)->name);
    buf_append_str(&body, "\", \"metric\": \"");
    buf_append_str(&body, metric_name(t->metric));
    buf_append_str(&body, "\", \"top\": [");
    for (size_t i = 0; i < t->n; i++) {
        buf_append_str(&body, i == 0 ? "{\"value\": " : ", {\"value\": ");
        json_append_string(&body, t->rows[i].value, t->rows[i].len);
        buf_append_str(&body, ", ");
        stats_append_members(&body, &t->rows[i].counts, row_members(t));
        buf_append_char(&body, '}');
    }
    buf_append_str(&body, "]}");
    request_reply_json(req, MHD_HTTP_OK, &body);
}

static bool store_ok(struct request *req) {
    if (req->store_status == STORE_OK) return true;
    request_reply_store_failure(req, "statistics not read");
    return false;
}

/* ---- step 2: each value's statistics ----------------------------------- */

static void row_reply(struct store_batch *b, size_t index, const redisReply *reply) {
    struct top_list *t = request_of_batch(b)->scratch;
    size_t per = STATS_TOTAL_CMDS(dimension_has_sessions(t->dim));
    stats_read_total(&t->rows[index / per].counts, index % per, reply, row_members(t));
}

static void rows_read(struct request *req) {
    if (store_ok(req)) reply_list(req, req->scratch);
}

static void read_rows(struct request *req) {
    struct top_list *t = req->scratch;
    bool sessions = dimension_has_sessions(t->dim);
    size_t cmds = t->n * STATS_TOTAL_CMDS(sessions);
    if (!store_batch_init_large(&req->batch, cmds, cmds * STATS_CMD_ARGS_MAX, cmds * KEY_MAX,
                                row_reply, NULL)) {
        request_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    for (size_t i = 0; i < t->n; i++)
        stats_add_totals(&req->batch, t->dim, t->rows[i].value, t->rows[i].len, sessions,
                         row_members(t));
    request_await_store(req, rows_read);
}

/* ---- step 1: the top list ---------------------------------------------- */

/* ZREVRANGE ... WITHSCORES: member, score, member, score... */
static void list_reply(struct store_batch *b, size_t index, const redisReply *reply) {
    struct top_list *t = request_of_batch(b)->scratch;
    (void)index;
    if (reply->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i + 1 < reply->elements && t->n < TOP_MAX; i += 2) {
        const redisReply *member = reply->element[i];
        if (member->type != REDIS_REPLY_STRING || member->len > TOP_VALUE_MAX) continue;
        struct top_row *row = &t->rows[t->n++];
        memcpy(row->value, member->str, member->len);
        row->len = member->len;
    }
}

static void list_read(struct request *req) {
    struct top_list *t = req->scratch;
    if (!store_ok(req)) return;
    if (t->n == 0) reply_list(req, t);
    else read_rows(req);
}

static void handle_top(struct request *req) {
    const struct param_value *d = &req->params.v[PARAM_DIMENSION];
    const struct param_value *m = &req->params.v[PARAM_METRIC];
    struct top_list *t = calloc(1, sizeof(*t));
    req->scratch = t;
    if (t == NULL) {
        request_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    dimension_by_name(d->data, d->len, &t->dim); /* validated already */
    t->metric = METRIC_IMPRESSIONS;
    if (m->data != NULL) metric_by_name(m->data, m->len, &t->metric);
    long limit = params_integer(&req->params, PARAM_LIMIT, TOP_DEFAULT);

    store_batch_init(&req->batch, list_reply, NULL);
    struct store_cmd *c = store_cmd_add(&req->batch);
    store_arg_static(c, "ZREVRANGE");
    store_arg_static(c, key_top(t->dim, t->metric));
    store_arg_static(c, "0");
    store_arg_ll(c, limit - 1);
    store_arg_static(c, "WITHSCORES");
    request_await_store(req, list_read);
}

const struct endpoint endpoint_top = {
    .path = "/statistics/top",
    .methods = METHOD_GET,
    .permitted = PARAM_BIT(PARAM_DIMENSION) | PARAM_BIT(PARAM_METRIC) | PARAM_BIT(PARAM_LIMIT),
    .required = PARAM_BIT(PARAM_DIMENSION),
    .headers = response_no_store,
    .handle = handle_top,
};
