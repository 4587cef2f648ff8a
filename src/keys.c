/* keys.c -- Redis key naming; see keys.h for the layout. */
#include "keys.h"

#include <stdlib.h>
#include <string.h>

#include "day.h"

static const char dim_letter[DIM__COUNT] = {
    [DIM_USER] = 'u',
    [DIM_SDK] = 's',
    [DIM_COUNTRY] = 'c',
    [DIM_PLATFORM] = 'p',
};

static const char *const top_keys[DIM__COUNT][METRIC_RANKED__COUNT] = {
    [DIM_USER] = {"as:u:top:imp", "as:u:top:req", "as:u:top:cmp", "as:u:top:clk"},
    [DIM_SDK] = {"as:s:top:imp", "as:s:top:req", "as:s:top:cmp", "as:s:top:clk"},
    [DIM_COUNTRY] = {"as:c:top:imp", "as:c:top:req", "as:c:top:cmp", "as:c:top:clk"},
    [DIM_PLATFORM] = {"as:p:top:imp", "as:p:top:req", "as:p:top:cmp", "as:p:top:clk"},
};

/* Every metric's all-time field and day-bucket letter (keys.h). */
static const struct {
    const char *field;
    char letter;
} counters[METRIC__COUNT] = {
    [METRIC_IMPRESSIONS] = {FIELD_IMPRESSIONS, FIELD_LETTER_IMPRESSIONS},
    [METRIC_AD_REQUESTS] = {FIELD_AD_REQUESTS, FIELD_LETTER_AD_REQUESTS},
    [METRIC_COMPLETES] = {FIELD_COMPLETES, FIELD_LETTER_COMPLETES},
    [METRIC_CLICKS] = {FIELD_CLICKS, FIELD_LETTER_CLICKS},
    [METRIC_STARTS] = {FIELD_STARTS, FIELD_LETTER_STARTS},
    [METRIC_FIRST_QUARTILES] = {FIELD_FIRST_QUARTILES, FIELD_LETTER_FIRST_QUARTILES},
    [METRIC_MIDPOINTS] = {FIELD_MIDPOINTS, FIELD_LETTER_MIDPOINTS},
    [METRIC_THIRD_QUARTILES] = {FIELD_THIRD_QUARTILES, FIELD_LETTER_THIRD_QUARTILES},
    [METRIC_INVALID] = {FIELD_INVALID, FIELD_LETTER_INVALID},
};

size_t key_format(char *out, size_t cap, enum dimension dim, enum key_scope scope,
                  const char *date, const char *value, size_t len) {
    bool sessions = scope == SCOPE_SESSIONS || scope == SCOPE_SESSIONS_DAY;
    bool daily = scope == SCOPE_DAY || scope == SCOPE_SESSIONS_DAY;
    size_t need = 5 + (sessions ? 1 : 0) + (daily ? DAY_COMPACT_LEN : scope == SCOPE_TOTAL)
                + 1 + len;
    if (need > cap) return need;
    char *p = out;
    memcpy(p, "as:", 3);
    p[3] = dim_letter[dim];
    p[4] = ':';
    p += 5;
    if (sessions) *p++ = 'h';
    if (daily) {
        memcpy(p, date, DAY_COMPACT_LEN);
        p += DAY_COMPACT_LEN;
    } else if (scope == SCOPE_TOTAL) {
        *p++ = 't';
    }
    *p++ = ':';
    memcpy(p, value, len);
    return need;
}

static void build(struct buf *b, enum dimension dim, enum key_scope scope, long day,
                  const char *value, size_t len) {
    char date[DAY_COMPACT_LEN + 1] = "";
    if (scope == SCOPE_DAY || scope == SCOPE_SESSIONS_DAY) day_format_compact(day, date);
    char storage[KEY_MAX];
    size_t n = key_format(storage, sizeof(storage), dim, scope, date, value, len);
    char *key = n <= sizeof(storage) ? storage : malloc(n);
    if (key == NULL) {
        b->failed = true;
        return;
    }
    if (key != storage) key_format(key, n, dim, scope, date, value, len);
    buf_append(b, key, n);
    if (key != storage) free(key);
}

uint64_t key_hash64(const char *s, size_t len) {
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The value's day bucket: FNV-1a, 32 bit, mod `buckets`. */
static unsigned key_bucket(const char *value, size_t len, unsigned buckets) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)value[i];
        h *= 16777619u;
    }
    return h % buckets;
}

_Static_assert(DAY_BUCKETS <= 10000 && DAY_BUCKETS_V2 <= 10000, "a bucket number has 4 digits");

/* as:<dim>:<scope><date>:b<NNNN>, NNNN the value's bucket of `buckets`. */
static void bucket_format(char out[DAY_BUCKET_KEY_LEN], enum dimension dim, char scope,
                          unsigned buckets, const char *date, const char *value, size_t len) {
    unsigned bucket = key_bucket(value, len, buckets);
    memcpy(out, "as:", 3);
    out[3] = dim_letter[dim];
    out[4] = ':';
    out[5] = scope;
    memcpy(out + 6, date, DAY_COMPACT_LEN);
    memcpy(out + 14, ":b", 2);
    for (int i = 19; i >= 16; i--, bucket /= 10) out[i] = (char)('0' + bucket % 10);
}

void key_day_bucket_format(char out[DAY_BUCKET_KEY_LEN], enum dimension dim, const char *date,
                           const char *value, size_t len) {
    bucket_format(out, dim, 'e', DAY_BUCKETS, date, value, len);
}

void key_day_bucket_v2_format(char out[DAY_BUCKET_KEY_LEN], enum dimension dim, const char *date,
                              const char *value, size_t len) {
    bucket_format(out, dim, 'd', DAY_BUCKETS_V2, date, value, len);
}

size_t key_day_field_format(char *out, size_t cap, char letter, const char *value, size_t len) {
    size_t need = 2 + len;
    if (need > cap) return need;
    out[0] = letter;
    out[1] = ':';
    memcpy(out + 2, value, len);
    return need;
}

/* `format`'s bucket of day `day`, appended to `b`. */
static void append_bucket(struct buf *b, key_bucket_format_fn *format, enum dimension dim,
                          long day, const char *value, size_t len) {
    char date[DAY_COMPACT_LEN + 1], key[DAY_BUCKET_KEY_LEN];
    day_format_compact(day, date);
    format(key, dim, date, value, len);
    buf_append(b, key, sizeof(key));
}

void key_day_bucket(struct buf *b, enum dimension dim, long day, const char *value, size_t len) {
    append_bucket(b, key_day_bucket_format, dim, day, value, len);
}

void key_day_bucket_v2(struct buf *b, enum dimension dim, long day, const char *value,
                       size_t len) {
    append_bucket(b, key_day_bucket_v2_format, dim, day, value, len);
}

void key_total(struct buf *b, enum dimension dim, const char *value, size_t len) {
    build(b, dim, SCOPE_TOTAL, 0, value, len);
}

void key_day(struct buf *b, enum dimension dim, long day, const char *value, size_t len) {
    build(b, dim, SCOPE_DAY, day, value, len);
}

void key_sessions(struct buf *b, enum dimension dim, const char *value, size_t len) {
    build(b, dim, SCOPE_SESSIONS, 0, value, len);
}

void key_sessions_day(struct buf *b, enum dimension dim, long day, const char *value,
                      size_t len) {
    build(b, dim, SCOPE_SESSIONS_DAY, day, value, len);
}

void key_event_id(struct buf *b, enum metric m, const char *id, size_t len) {
    buf_append_str(b, m == METRIC_IMPRESSIONS   ? "as:e:i:"
                      : m == METRIC_AD_REQUESTS ? "as:e:r:"
                                                : "as:e:t:");
    buf_append(b, id, len);
}

void key_flask_import(struct buf *b, enum dimension dim, const char *value, size_t len) {
    buf_append_str(b, "as:import:flask:");
    buf_append_char(b, dim_letter[dim]);
    buf_append_char(b, ':');
    buf_append(b, value, len);
}

const char *key_top(enum dimension dim, enum metric m) {
    return top_keys[dim][m];
}

char metric_letter(enum metric m) {
    return counters[m].letter;
}

const char *metric_field(enum metric m) {
    return counters[m].field;
}
