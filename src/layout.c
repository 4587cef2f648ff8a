/* layout.c -- the upgrade markers that end read-both; see layout.h. */
#include "layout.h"

#include <stdatomic.h>
#include <string.h>

#include "day.h"

#define CUTOFF_UNKNOWN (-1L) /* no day is negative (DAY_MIN is 1970-01-01) */

static const char *const marker_keys[LAYOUT_OLD__COUNT] = {
    [LAYOUT_OLD_DAY_HASHES] = LAYOUT_MARKER_V2_KEY,
    [LAYOUT_OLD_BUCKETS_V2] = LAYOUT_MARKER_V3_KEY,
};

/* The markers' days, shared by the process' workers. */
static _Atomic long cutoff[LAYOUT_OLD__COUNT] = {CUTOFF_UNKNOWN, CUTOFF_UNKNOWN};

static bool all_known(void) {
    for (int i = 0; i < LAYOUT_OLD__COUNT; i++) {
        if (atomic_load_explicit(&cutoff[i], memory_order_relaxed) == CUTOFF_UNKNOWN) return false;
    }
    return true;
}

bool layout_add_markers(struct store_batch *b, long today) {
    if (all_known()) return false;
    char date[DAY_COMPACT_LEN + 1];
    day_format_compact(today, date);
    for (int i = 0; i < LAYOUT_OLD__COUNT; i++) {
        struct store_cmd *c = store_cmd_add(b);
        store_arg_static(c, "SET");
        store_arg_static(c, marker_keys[i]);
        if (store_arg_copy(b, c, date, DAY_COMPACT_LEN) == NULL) b->overflow = true;
        store_arg_static(c, "NX");
        c = store_cmd_add(b);
        store_arg_static(c, "GET");
        store_arg_static(c, marker_keys[i]);
    }
    return true;
}

/* YYYYMMDD as a day, through day_parse's YYYY-MM-DD. */
static bool parse_compact(const char *s, size_t len, long *day) {
    if (len != DAY_COMPACT_LEN) return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
    }
    char iso[DAY_ISO_LEN];
    memcpy(iso, s, 4);
    iso[4] = '-';
    memcpy(iso + 5, s + 4, 2);
    iso[7] = '-';
    memcpy(iso + 8, s + 6, 2);
    return day_parse(iso, sizeof(iso), day);
}

void layout_learn(size_t index, const redisReply *reply) {
    long day;
    if (index >= LAYOUT_MARKER_CMDS || index % 2 == 0) return; /* a SET's reply */
    if (reply->type != REDIS_REPLY_STRING || !parse_compact(reply->str, reply->len, &day)) return;
    atomic_store_explicit(&cutoff[index / 2], day, memory_order_relaxed);
}

bool layout_reads_old(enum layout_old old, long day) {
    long c = atomic_load_explicit(&cutoff[old], memory_order_relaxed);
    return c == CUTOFF_UNKNOWN || day <= c + 1;
}

void layout_forget(void) {
    for (int i = 0; i < LAYOUT_OLD__COUNT; i++)
        atomic_store_explicit(&cutoff[i], CUTOFF_UNKNOWN, memory_order_relaxed);
}
