/* events.c -- the Redis commands of one event; see events.h. */
#include "events.h"

#include <stdio.h>

#include "day.h"
#include "keys.h"

/* Settings, fixed at start-up (events_configure) and read-only after. */
static long retention_days;
static char retention_ttl[24];
static char stream_name[sizeof(((struct config *)0)->events_stream)];
static const char *stream; /* stream_name, or NULL for none */
static char stream_maxlen[24];
static char claim_ms[24];

void events_configure(const struct config *cfg) {
    retention_days = cfg->retention_days;
    snprintf(retention_ttl, sizeof(retention_ttl), "%ld",
             (long)cfg->retention_days * SECONDS_PER_DAY);
    snprintf(stream_name, sizeof(stream_name), "%s", cfg->events_stream);
    stream = stream_name[0] != '\0' ? stream_name : NULL;
    snprintf(stream_maxlen, sizeof(stream_maxlen), "%ld", cfg->events_maxlen);
    snprintf(claim_ms, sizeof(claim_ms), "%d", 2 * cfg->redis_timeout_ms);
}

const char *event_type_name(enum event_type type) {
    switch (type) {
    case EVENT_IMPRESSION: return "impression";
    case EVENT_AD_REQUEST: return "ad_request";
    }
    return NULL;
}

struct key_ref {
    const char *data;
    size_t len;
};

/* Adds `cmd <key>` as a new command. The key is built into the batch's
 * arena, where later commands can reference it through `ref`. */
static struct store_cmd *add_keyed(struct store_batch *b, const char *cmd, enum dimension dim,
                                   enum key_scope scope, const char *date,
                                   const struct param_value *v, struct key_ref *ref) {
    char key[KEY_MAX];
    size_t len = key_format(key, sizeof(key), dim, scope, date, v->data, v->len);
    struct store_cmd *c = store_cmd_add(b);
    store_arg_static(c, cmd);
    const char *copy = len <= sizeof(key) ? store_arg_copy(b, c, key, len) : NULL;
    if (copy == NULL) b->overflow = true;
    if (ref != NULL) {
        ref->data = copy;
        ref->len = len;
    }
    return c;
}

static void add_expire(struct store_batch *b, const struct key_ref *key) {
    struct store_cmd *c = store_cmd_add(b);
    store_arg_static(c, "EXPIRE");
    store_arg_ref(c, key->data, key->len);
    store_arg_static(c, retention_ttl);
}

/* +1 to `field` of the value's all-time and day counters. */
static void add_counters(struct store_batch *b, enum dimension dim, const char *field,
                         const struct param_value *v, const char *date) {
    struct key_ref day_key;
    struct store_cmd *c;

    c = add_keyed(b, "HINCRBY", dim, SCOPE_TOTAL, date, v, NULL);
    store_arg_static(c, field);
    store_arg_static(c, "1");

    c = add_keyed(b, "HINCRBY", dim, SCOPE_DAY, date, v, &day_key);
    store_arg_static(c, field);
    store_arg_static(c, "1");
    add_expire(b, &day_key);
}

static const struct param_value *dimension_value(const struct params *p, enum dimension dim) {
    return &p->v[dimension_spec(dim)->event_param];
}

static void add_dimension(struct store_batch *b, enum dimension dim, enum metric m,
                          const struct params *p, const char *date) {
    const struct param_value *v = dimension_value(p, dim);
    const struct param_value *session = &p->v[PARAM_SESSION_ID];
    struct key_ref day_sessions;
    struct store_cmd *c;

    add_counters(b, dim, metric_field(m), v, date);

    c = add_keyed(b, "PFADD", dim, SCOPE_SESSIONS, date, v, NULL);
    store_arg_ref(c, session->data, session->len);

    c = add_keyed(b, "PFADD", dim, SCOPE_SESSIONS_DAY, date, v, &day_sessions);
    store_arg_ref(c, session->data, session->len);
    add_expire(b, &day_sessions);

    c = store_cmd_add(b);
    store_arg_static(c, "ZINCRBY");
    store_arg_static(c, key_top(dim, m));
    store_arg_static(c, "1");
    store_arg_ref(c, v->data, v->len);
}

static void add_stream_entry(struct store_batch *b, enum metric m, const struct params *p,
                             long long now_ms) {
    static const enum param_id fields[] = {PARAM_SDK_VERSION, PARAM_SESSION_ID, PARAM_PLATFORM,
                                           PARAM_USERNAME, PARAM_COUNTRY_CODE, PARAM_EVENT_ID};
    struct store_cmd *c = store_cmd_add(b);
    store_arg_static(c, "XADD");
    store_arg_static(c, stream);
    store_arg_static(c, "MAXLEN");
    store_arg_static(c, "~");
    store_arg_static(c, stream_maxlen);
    store_arg_static(c, "*");
    store_arg_static(c, "type");
    store_arg_static(c, m == METRIC_IMPRESSIONS ? "impression" : "ad_request");
    store_arg_static(c, "time");
    store_arg_ll(c, now_ms);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const struct param_value *v = &p->v[fields[i]];
        if (v->data == NULL) continue;
        store_arg_static(c, param_name(fields[i]));
        store_arg_ref(c, v->data, v->len);
    }
}

/* SET as:e:<t>:<id> 1 <options...> */
static struct store_cmd *add_id_set(struct store_batch *b, enum metric m, const struct params *p) {
    const struct param_value *id = &p->v[PARAM_EVENT_ID];
    char storage[KEY_MAX];
    struct buf key;
    buf_init_static(&key, storage, sizeof(storage));
    key_event_id(&key, m, id->data, id->len);
    struct store_cmd *c = store_cmd_add(b);
    store_arg_static(c, "SET");
    if (!key.failed) store_arg_copy(b, c, key.data, key.len);
    else b->overflow = true;
    store_arg_static(c, "1");
    buf_free(&key);
    return c;
}

/* The UTC day of a time in ms, as YYYYMMDD. */
static void format_day(long long ms, char date[DAY_COMPACT_LEN + 1]) {
    day_format_compact(day_of_epoch(ms / 1000), date);
}

void event_add_commands(struct store_batch *b, enum event_type type, const struct params *p,
                        long long now_ms) {
    enum metric m = (enum metric)type;
    char date[DAY_COMPACT_LEN + 1];
    format_day(now_ms, date);
    for (int dim = 0; dim < DIM__COUNT; dim++) add_dimension(b, (enum dimension)dim, m, p, date);
    if (stream != NULL) add_stream_entry(b, m, p, now_ms);
    if (p->v[PARAM_EVENT_ID].data != NULL) {
        struct store_cmd *c = add_id_set(b, m, p);
        store_arg_static(c, "EX");
        store_arg_static(c, EVENT_ID_TTL_S_TEXT);
    }
}

void event_add_no_fill(struct store_batch *b, const struct params *p, long long counted_ms) {
    char date[DAY_COMPACT_LEN + 1];
    format_day(counted_ms, date);
    for (int dim = 0; dim < DIM__COUNT; dim++)
        add_counters(b, (enum dimension)dim, FIELD_NO_FILLS, dimension_value(p, (enum dimension)dim),
                     date);
}

void event_add_claim(struct store_batch *b, enum event_type type, const struct params *p) {
    struct store_cmd *c = add_id_set(b, (enum metric)type, p);
    store_arg_static(c, "NX");
    store_arg_static(c, "PX");
    store_arg_static(c, claim_ms);
}

/* ---- forgetting a value ------------------------------------------------ */

/* All-time counters and HyperLogLog, two top-list members per metric pair,
 * and two keys per day of the window. */
size_t event_forget_cmds(void) {
    return 2 + METRIC__COUNT + 2 * (size_t)(retention_days + 2);
}

void event_add_forget(struct store_batch *b, enum dimension dim, const char *value, size_t len,
                      long today) {
    struct param_value v = {(char *)value, len, 0};
    add_keyed(b, "DEL", dim, SCOPE_TOTAL, NULL, &v, NULL);
    add_keyed(b, "DEL", dim, SCOPE_SESSIONS, NULL, &v, NULL);
    for (int m = 0; m < METRIC__COUNT; m++) {
        struct store_cmd *c = store_cmd_add(b);
        store_arg_static(c, "ZREM");
        store_arg_static(c, key_top(dim, (enum metric)m));
        store_arg_copy(b, c, value, len);
    }
    for (long day = today - retention_days; day <= today + 1; day++) {
        if (day < DAY_MIN) continue;
        char date[DAY_COMPACT_LEN + 1];
        day_format_compact(day, date);
        add_keyed(b, "DEL", dim, SCOPE_DAY, date, &v, NULL);
        add_keyed(b, "DEL", dim, SCOPE_SESSIONS_DAY, date, &v, NULL);
    }
}
