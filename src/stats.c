/* stats.c -- all-time statistics reads and their JSON; see stats.h. */
#include "stats.h"

#include <stdlib.h>

#include "json.h"
#include "keys.h"

static void add_keyed(struct store_batch *b, const char *cmd,
                      void (*name)(struct buf *, enum dimension, const char *, size_t),
                      enum dimension dim, const char *value, size_t len) {
    char storage[KEY_MAX];
    struct buf key;
    buf_init_static(&key, storage, sizeof(storage));
    name(&key, dim, value, len);
    struct store_cmd *c = store_cmd_add(b);
    store_arg_static(c, cmd);
    if (key.failed || store_arg_copy(b, c, key.data, key.len) == NULL) b->overflow = true;
    buf_free(&key);
}

void stats_add_totals(struct store_batch *b, enum dimension dim, const char *value, size_t len,
                      bool sessions) {
    add_keyed(b, "HMGET", key_total, dim, value, len);
    struct store_cmd *c = &b->cmds[b->n_cmds - 1];
    store_arg_static(c, FIELD_IMPRESSIONS);
    store_arg_static(c, FIELD_AD_REQUESTS);
    if (sessions) add_keyed(b, "PFCOUNT", key_sessions, dim, value, len);
}

bool stats_read_hmget(const redisReply *reply, long long *impressions, long long *ad_requests) {
    long long *out[2] = {impressions, ad_requests};
    bool found = false;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) return false;
    for (size_t i = 0; i < 2; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_STRING) continue;
        *out[i] = strtoll(e->str, NULL, 10);
        found = true;
    }
    return found;
}

void stats_read_total(struct stats_counts *c, size_t k, const redisReply *reply) {
    if (k == 0) {
        c->found = stats_read_hmget(reply, &c->impressions, &c->ad_requests);
    } else if (reply->type == REDIS_REPLY_INTEGER) {
        c->unique_sessions = reply->integer;
    }
}

void stats_append_members(struct buf *body, const struct stats_counts *c, bool sessions) {
    buf_append_str(body, "\"impressions\": ");
    buf_append_ll(body, c->impressions);
    buf_append_str(body, ", \"ad_requests\": ");
    buf_append_ll(body, c->ad_requests);
    buf_append_str(body, ", \"fill_rate\": ");
    if (c->ad_requests > 0)
        json_append_double(body, (double)c->impressions / (double)c->ad_requests);
    else
        buf_append_char(body, '0');
    if (sessions) {
        buf_append_str(body, ", \"unique_sessions\": ");
        buf_append_ll(body, c->unique_sessions);
    }
}
