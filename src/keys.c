/* keys.c -- Redis key naming; see keys.h for the layout. */
#include "keys.h"

#include "day.h"

static const char dim_letter[DIM__COUNT] = {
    [DIM_USER] = 'u',
    [DIM_SDK] = 's',
    [DIM_COUNTRY] = 'c',
    [DIM_PLATFORM] = 'p',
};

static const char *const top_keys[DIM__COUNT][METRIC__COUNT] = {
    [DIM_USER] = {"as:u:top:imp", "as:u:top:req"},
    [DIM_SDK] = {"as:s:top:imp", "as:s:top:req"},
    [DIM_COUNTRY] = {"as:c:top:imp", "as:c:top:req"},
    [DIM_PLATFORM] = {"as:p:top:imp", "as:p:top:req"},
};

/* as:<dim>:<tag><day>:<value>; `tag` may be empty, `day` < 0 means none. */
static void build(struct buf *b, enum dimension dim, const char *tag, long day, const char *value,
                  size_t len) {
    char prefix[] = {'a', 's', ':', dim_letter[dim], ':'};
    buf_append(b, prefix, sizeof(prefix));
    buf_append_str(b, tag);
    if (day >= 0) {
        char date[DAY_COMPACT_LEN + 1];
        day_format_compact(day, date);
        buf_append(b, date, DAY_COMPACT_LEN);
    }
    buf_append_char(b, ':');
    buf_append(b, value, len);
}

void key_total(struct buf *b, enum dimension dim, const char *value, size_t len) {
    build(b, dim, "t", -1, value, len);
}

void key_day(struct buf *b, enum dimension dim, long day, const char *value, size_t len) {
    build(b, dim, "", day, value, len);
}

void key_sessions(struct buf *b, enum dimension dim, const char *value, size_t len) {
    build(b, dim, "h", -1, value, len);
}

void key_sessions_day(struct buf *b, enum dimension dim, long day, const char *value,
                      size_t len) {
    build(b, dim, "h", day, value, len);
}

void key_event_id(struct buf *b, enum metric m, const char *id, size_t len) {
    buf_append_str(b, m == METRIC_IMPRESSIONS ? "as:e:i:" : "as:e:r:");
    buf_append(b, id, len);
}

const char *key_top(enum dimension dim, enum metric m) {
    return top_keys[dim][m];
}

const char *metric_field(enum metric m) {
    return m == METRIC_IMPRESSIONS ? FIELD_IMPRESSIONS : FIELD_AD_REQUESTS;
}
