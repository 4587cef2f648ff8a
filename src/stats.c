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
                      bool sessions, unsigned members) {
    add_keyed(b, "HMGET", key_total, dim, value, len);
    stats_add_fields(&b->cmds[b->n_cmds - 1], members);
    if (sessions) add_keyed(b, "PFCOUNT", key_sessions, dim, value, len);
}

/* The video members, in the order the answer shows them. */
static const enum metric video_metrics[] = {METRIC_STARTS, METRIC_FIRST_QUARTILES,
                                            METRIC_MIDPOINTS, METRIC_THIRD_QUARTILES,
                                            METRIC_COMPLETES, METRIC_CLICKS};
#define N_VIDEO (sizeof(video_metrics) / sizeof(video_metrics[0]))

size_t stats_tracked_metrics(unsigned members, enum metric out[METRIC__COUNT]) {
    size_t n = 0;
    if (members & STATS_VIDEO) {
        for (size_t i = 0; i < N_VIDEO; i++) out[n++] = video_metrics[i];
    }
    if (members & STATS_INVALID) out[n++] = METRIC_INVALID;
    return n;
}

void stats_add_fields(struct store_cmd *hmget, unsigned members) {
    store_arg_static(hmget, FIELD_IMPRESSIONS);
    store_arg_static(hmget, FIELD_AD_REQUESTS);
    store_arg_static(hmget, FIELD_NO_FILLS);
    enum metric more[METRIC__COUNT];
    size_t n = stats_tracked_metrics(members, more);
    for (size_t i = 0; i < n; i++) store_arg_static(hmget, metric_field(more[i]));
}

bool stats_read_hmget(const redisReply *reply, struct stats_counts *c, unsigned members) {
    long long *out[3 + METRIC__COUNT] = {&c->impressions, &c->ad_requests, &c->no_fills};
    enum metric more[METRIC__COUNT];
    size_t n = 3 + stats_tracked_metrics(members, more);
    for (size_t i = 3; i < n; i++) out[i] = &c->tracked[more[i - 3]];
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

void stats_read_total(struct stats_counts *c, size_t k, const redisReply *reply,
                      unsigned members) {
    if (k == 0) {
        c->found = stats_read_hmget(reply, c, members);
    } else if (reply->type == REDIS_REPLY_INTEGER) {
        c->unique_sessions = reply->integer;
    }
}

/* ", "name": part / whole" (0 without a whole) */
static void append_ratio(struct buf *body, const char *name, long long part, long long whole) {
    buf_printf(body, ", \"%s\": ", name);
    if (whole > 0) json_append_double(body, (double)part / (double)whole);
    else buf_append_char(body, '0');
}

static void append_video(struct buf *body, const struct stats_counts *c) {
    for (size_t i = 0; i < N_VIDEO; i++) {
        buf_printf(body, ", \"%s\": ", metric_name(video_metrics[i]));
        buf_append_ll(body, c->tracked[video_metrics[i]]);
    }
    append_ratio(body, "completion_rate", c->tracked[METRIC_COMPLETES], c->tracked[METRIC_STARTS]);
    append_ratio(body, "ctr", c->tracked[METRIC_CLICKS], c->impressions);
}

void stats_append_members(struct buf *body, const struct stats_counts *c, unsigned members) {
    buf_append_str(body, "\"impressions\": ");
    buf_append_ll(body, c->impressions);
    buf_append_str(body, ", \"ad_requests\": ");
    buf_append_ll(body, c->ad_requests);
    append_ratio(body, "fill_rate", c->impressions, c->ad_requests);
    if (members & STATS_NO_FILLS) {
        buf_append_str(body, ", \"no_fills\": ");
        buf_append_ll(body, c->no_fills);
    }
    if (members & STATS_SESSIONS) {
        buf_append_str(body, ", \"unique_sessions\": ");
        buf_append_ll(body, c->unique_sessions);
    }
    if (members & STATS_VIDEO) append_video(body, c);
    if (members & STATS_INVALID) {
        buf_append_str(body, ", \"invalid\": ");
        buf_append_ll(body, c->tracked[METRIC_INVALID]);
    }
}
