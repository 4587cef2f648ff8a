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
    stats_add_fields(&b->cmds[b->n_cmds - 1]);
    if (sessions) add_keyed(b, "PFCOUNT", key_sessions, dim, value, len);
}

void stats_add_fields(struct store_cmd *hmget) {
    store_arg_static(hmget, FIELD_IMPRESSIONS);
    store_arg_static(hmget, FIELD_AD_REQUESTS);
    store_arg_static(hmget, FIELD_NO_FILLS);
}

bool stats_read_hmget(const redisReply *reply, struct stats_counts *c) {
    long long *out[] = {&c->impressions, &c->ad_requests, &c->no_fills};
    const size_t n = sizeof(out) / sizeof(out[0]);
    bool found = false;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != n) return false;
    for (size_t i = 0; i < n; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_STRING) continue;
        *out[i] = strtoll(e->str, NULL, 10);
        found = true;
    }
    return found;
}

void stats_read_total(struct stats_counts *c, size_t k, const redisReply *reply) {
    if (k == 0) {
        c->found = stats_read_hmget(reply, c);
    } else if (reply->type == REDIS_REPLY_INTEGER) {
        c->unique_sessions = reply->integer;
    }
}

void stats_append_members(struct buf *body, const struct stats_counts *c, unsigned members) {
    buf_append_str(body, "\"impressions\": ");
    buf_append_ll(body, c->impressions);
    buf_append_str(body, ", \"ad_requests\": ");
    buf_append_ll(body, c->ad_requests);
    buf_append_str(body, ", \"fill_rate\": ");
    if (c->ad_requests > 0)
        json_append_double(body, (double)c->impressions / (double)c->ad_requests);
    else
        buf_append_char(body, '0');
    if (members & STATS_NO_FILLS) {
        buf_append_str(body, ", \"no_fills\": ");
        buf_append_ll(body, c->no_fills);
    }
    if (members & STATS_SESSIONS) {
        buf_append_str(body, ", \"unique_sessions\": ");
        buf_append_ll(body, c->unique_sessions);
    }
}
