/* stats_range.c -- statistics over a range of days; see stats_range.h. */
#include "stats_range.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hll.h"
#include "keys.h"
#include "layout.h"

static size_t n_days(const struct stats_range *r) {
    return (size_t)(r->to - r->from + 1);
}

/* The batch: the all-time HMGET; the upgrade markers' SET NX and GET
 * while this process has no answers (layout.h); per day the bucket fields
 * and, when asked for, the day's HyperLogLog; then layout 1's day hashes
 * and layout 2's day buckets of the days read-both still covers, each a
 * prefix of the range. */
static size_t cmds_per_day(const struct stats_range *r) {
    return r->sessions ? 2 : 1;
}

static size_t first_day_cmd(const struct stats_range *r) {
    return 1 + (r->marker ? LAYOUT_MARKER_CMDS : 0);
}

/* The first command of older layout `old`'s reads. */
static size_t first_old_cmd(const struct stats_range *r, enum layout_old old) {
    size_t first = first_day_cmd(r) + n_days(r) * cmds_per_day(r);
    for (int i = 0; i < (int)old; i++) first += r->n_old[i];
    return first;
}

struct stats_range *stats_range_new(long from, long to, bool sessions, bool series,
                                    unsigned members) {
    size_t days = (size_t)(to - from + 1);
    struct stats_range *r = calloc(1, sizeof(*r) + days * sizeof(r->days[0]));
    if (r == NULL) return NULL;
    r->from = from;
    r->to = to;
    r->sessions = sessions;
    r->series = series;
    r->members = members;
    return r;
}

void stats_range_free(void *range) {
    struct stats_range *r = range;
    if (r == NULL) return;
    for (size_t i = 0; i < n_days(r); i++) free(r->days[i].hll);
    free(r);
}

static void add_day_key(struct store_batch *b, const char *cmd,
                        void (*name)(struct buf *, enum dimension, long, const char *, size_t),
                        enum dimension dim, long day, const char *value, size_t len) {
    char storage[KEY_MAX];
    struct buf key;
    buf_init_static(&key, storage, sizeof(storage));
    name(&key, dim, day, value, len);
    struct store_cmd *c = store_cmd_add(b);
    store_arg_static(c, cmd);
    if (key.failed || store_arg_copy(b, c, key.data, key.len) == NULL) b->overflow = true;
    buf_free(&key);
}

/* The value's fields of a day bucket, in stats_read_hmget's order: the
 * first day's HMGET copies them into the arena, later days point at those
 * copies (the arena thus holds them once, not once a day). */
struct day_fields {
    const char *data[3 + METRIC__COUNT];
    size_t len[3 + METRIC__COUNT];
    size_t n;
    bool copied;
};

static void day_fields_init(struct day_fields *f, unsigned members) {
    enum metric more[METRIC__COUNT];
    f->n = 3 + stats_tracked_metrics(members, more);
    f->copied = false;
}

static void copy_day_fields(struct store_batch *b, struct store_cmd *c, struct day_fields *f,
                            unsigned members, const char *value, size_t len) {
    char letters[3 + METRIC__COUNT] = {FIELD_LETTER_IMPRESSIONS, FIELD_LETTER_AD_REQUESTS,
                                       FIELD_LETTER_NO_FILLS};
    enum metric more[METRIC__COUNT];
    stats_tracked_metrics(members, more);
    for (size_t i = 3; i < f->n; i++) letters[i] = metric_letter(more[i - 3]);
    for (size_t i = 0; i < f->n; i++) {
        char field[KEY_MAX];
        f->len[i] = key_day_field_format(field, sizeof(field), letters[i], value, len);
        f->data[i] = f->len[i] <= sizeof(field) ? store_arg_copy(b, c, field, f->len[i]) : NULL;
        if (f->data[i] == NULL) b->overflow = true;
    }
    f->copied = true;
}

static void add_day_fields(struct store_batch *b, struct day_fields *f, unsigned members,
                           const char *value, size_t len) {
    struct store_cmd *c = &b->cmds[b->n_cmds - 1];
    if (!f->copied) {
        copy_day_fields(b, c, f, members, value, len);
        return;
    }
    for (size_t i = 0; i < f->n; i++) store_arg_ref(c, f->data[i], f->len[i]);
}

bool stats_range_prepare(struct stats_range *r, struct store_batch *b, enum dimension dim,
                         const char *value, size_t len, store_reply_fn *on_reply,
                         store_done_fn *on_done) {
    size_t cmds = 1 + LAYOUT_MARKER_CMDS + n_days(r) * cmds_per_day(r);
    for (int old = 0; old < LAYOUT_OLD__COUNT; old++) {
        size_t n = 0;
        while (n < n_days(r) && layout_reads_old((enum layout_old)old, r->from + (long)n)) n++;
        r->n_old[old] = n;
        cmds += n;
    }
    struct day_fields fields;
    day_fields_init(&fields, r->members);
    /* The arena: a key per command at most, and the day fields once. */
    if (!store_batch_init_large(b, cmds, cmds * STATS_CMD_ARGS_MAX, (cmds + fields.n) * KEY_MAX,
                                on_reply, on_done))
        return false;
    stats_add_totals(b, dim, value, len, false, 0);
    r->marker = layout_add_markers(b, clock_today());
    for (long day = r->from; day <= r->to; day++) {
        add_day_key(b, "HMGET", key_day_bucket, dim, day, value, len);
        add_day_fields(b, &fields, r->members, value, len);
        if (r->sessions) add_day_key(b, "GET", key_sessions_day, dim, day, value, len);
    }
    for (size_t i = 0; i < r->n_old[LAYOUT_OLD_DAY_HASHES]; i++) {
        add_day_key(b, "HMGET", key_day, dim, r->from + (long)i, value, len);
        stats_add_fields(&b->cmds[b->n_cmds - 1], r->members);
    }
    for (size_t i = 0; i < r->n_old[LAYOUT_OLD_BUCKETS_V2]; i++) {
        add_day_key(b, "HMGET", key_day_bucket_v2, dim, r->from + (long)i, value, len);
        add_day_fields(b, &fields, r->members, value, len);
    }
    return true;
}

static void add_counts(struct stats_counts *to, const struct stats_counts *part) {
    to->impressions += part->impressions;
    to->ad_requests += part->ad_requests;
    to->no_fills += part->no_fills;
    for (int m = 0; m < METRIC__COUNT; m++) to->tracked[m] += part->tracked[m];
}

void stats_range_reply(struct stats_range *r, size_t index, const redisReply *reply) {
    if (index == 0) {
        struct stats_counts all_time = {0}; /* only whether it exists matters */
        r->total.found = stats_read_hmget(reply, &all_time, 0);
        return;
    }
    if (index < first_day_cmd(r)) {
        layout_learn(index - 1, reply); /* the markers' */
        return;
    }
    for (int old = LAYOUT_OLD__COUNT - 1; old >= 0; old--) {
        size_t first = first_old_cmd(r, (enum layout_old)old);
        if (index < first) continue;
        stats_read_hmget(reply, &r->days[index - first].old[old], r->members);
        return;
    }
    size_t k = index - first_day_cmd(r);
    struct stats_day *d = &r->days[k / cmds_per_day(r)];
    if (k % cmds_per_day(r) == 0) {
        struct stats_counts part = {0};
        stats_read_hmget(reply, &part, r->members);
        add_counts(&d->counts, &part);
    } else if (reply->type == REDIS_REPLY_STRING && reply->len > 0) {
        d->hll = malloc(reply->len);
        if (d->hll == NULL) {
            r->corrupt = true;
            return;
        }
        memcpy(d->hll, reply->str, reply->len);
        d->hll_len = reply->len;
    }
}

/* The union of the days (and each day's own estimate for a series). */
static void count_sessions(struct stats_range *r) {
    uint8_t *all = calloc(r->series ? 2 : 1, HLL_REGISTERS);
    if (all == NULL) {
        r->corrupt = true;
        return;
    }
    uint8_t *day = r->series ? all + HLL_REGISTERS : all;
    for (size_t i = 0; i < n_days(r); i++) {
        struct stats_day *d = &r->days[i];
        if (d->hll == NULL) continue;
        if (r->series) memset(day, 0, HLL_REGISTERS);
        if (!hll_merge(day, d->hll, d->hll_len)) {
            r->corrupt = true;
            continue;
        }
        if (!r->series) continue;
        d->counts.unique_sessions = (long long)hll_count(day);
        for (size_t j = 0; j < HLL_REGISTERS; j++) {
            if (day[j] > all[j]) all[j] = day[j];
        }
    }
    r->total.unique_sessions = (long long)hll_count(all);
    free(all);
}

/* The older layouts' counts are added to the days read-both covers: with
 * the cutoffs this batch may just have learnt, fewer than it read. */
void stats_range_finish(struct stats_range *r) {
    for (size_t i = 0; i < n_days(r); i++) {
        struct stats_day *d = &r->days[i];
        for (int old = 0; old < LAYOUT_OLD__COUNT; old++) {
            if (i < r->n_old[old] && layout_reads_old((enum layout_old)old, r->from + (long)i))
                add_counts(&d->counts, &d->old[old]);
        }
        add_counts(&r->total, &d->counts);
    }
    if (r->sessions) count_sessions(r);
}
