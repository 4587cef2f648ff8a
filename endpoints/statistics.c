/* statistics.c -- GET /statistics?username=X or ?sdk=Y: impressions, ad
 * requests and fill rate of one user or SDK version. When both are given,
 * the one that comes first in the query wins, as it did in the Flask
 * service. */
#include <microhttpd.h>
#include <stdlib.h>

#include "endpoint.h"
#include "json.h"
#include "keys.h"
#include "request.h"

#define SUBJECT_PARAMS (PARAM_BIT(PARAM_USERNAME) | PARAM_BIT(PARAM_SDK))

enum { VALUE_IMPRESSIONS, VALUE_AD_REQUESTS };

static const struct param_value *subject(const struct request *req, enum dimension *dim) {
    const struct param_value *user = &req->params.v[PARAM_USERNAME];
    const struct param_value *sdk = &req->params.v[PARAM_SDK];
    bool by_user = user->data != NULL && (sdk->data == NULL || user->order < sdk->order);
    *dim = by_user ? DIM_USER : DIM_SDK;
    return by_user ? user : sdk;
}

/* HMGET answers an array of two bulk strings, nil where a field is unset. */
static void read_counts(struct store_batch *b, size_t index, const redisReply *reply) {
    struct request *req = (struct request *)((char *)b - offsetof(struct request, batch));
    (void)index;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) return;
    for (size_t i = 0; i < 2; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_STRING) continue;
        req->values[i] = strtoll(e->str, NULL, 10);
        req->found = true;
    }
}

static void append_counts(struct buf *body, long long impressions, long long ad_requests) {
    buf_append_str(body, "{\"impressions\": ");
    buf_append_ll(body, impressions);
    buf_append_str(body, ", \"ad_requests\": ");
    buf_append_ll(body, ad_requests);
    buf_append_str(body, ", \"fill_rate\": ");
    if (ad_requests > 0) json_append_double(body, (double)impressions / (double)ad_requests);
    else buf_append_char(body, '0');
    buf_append_char(body, '}');
}

static void counts_read(struct request *req) {
    enum dimension dim;
    const struct param_value *who = subject(req, &dim);
    struct buf body;
    buf_init(&body);
    if (req->store_status != STORE_OK) {
        request_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "statistics store unavailable, retry later");
    } else if (!req->found) {
        buf_append_str(&body, "{\"success\": false, \"message\": ");
        struct buf message;
        buf_init(&message);
        buf_append(&message, who->data, who->len);
        buf_append_str(&message, " not found");
        json_append_string(&body, message.data, message.len);
        buf_free(&message);
        buf_append_char(&body, '}');
        request_reply_json(req, MHD_HTTP_NOT_FOUND, &body);
    } else {
        buf_append_str(&body, "{\"success\": true, ");
        json_append_string(&body, who->data, who->len);
        buf_append_str(&body, ": ");
        append_counts(&body, req->values[VALUE_IMPRESSIONS], req->values[VALUE_AD_REQUESTS]);
        buf_append_char(&body, '}');
        request_reply_json(req, MHD_HTTP_OK, &body);
    }
    buf_free(&body);
}

static void handle_statistics(struct request *req) {
    enum dimension dim;
    const struct param_value *who = subject(req, &dim);
    char storage[KEY_MAX];
    struct buf key;
    buf_init_static(&key, storage, sizeof(storage));
    key_total(&key, dim, who->data, who->len);

    store_batch_init(&req->batch, read_counts, NULL);
    struct store_cmd *c = store_cmd_add(&req->batch);
    store_arg_static(c, "HMGET");
    store_arg_copy(&req->batch, c, key.data, key.len);
    store_arg_static(c, FIELD_IMPRESSIONS);
    store_arg_static(c, FIELD_AD_REQUESTS);
    buf_free(&key);
    request_await_store(req, counts_read);
}

const struct endpoint endpoint_statistics = {
    .path = "/statistics",
    .methods = METHOD_GET,
    .permitted = SUBJECT_PARAMS,
    .required_one = SUBJECT_PARAMS,
    .handle = handle_statistics,
};
