/* events.c -- the Redis commands of one event; see events.h. */
#include "events.h"

#include <stdio.h>

#include "clock.h"
#include "day.h"
#include "expiry_cache.h"
#include "index_writer.h"
#include "keys.h"

/* Settings, fixed at start-up (events_configure) and read-only after. */
static long retention_days;
static char stream_name[sizeof(((struct config *)0)->events_stream)];
static const char *stream; /* stream_name, or NULL for none */
static char stream_maxlen[24];
static char claim_ms[24];

void events_configure(const struct config *cfg) {
    retention_days = cfg->retention_days;
    unsigned sessions = 0;
    dimension_parse_set(cfg->sessions_dimensions, &sessions); /* validated by config.c */
    dimension_keep_sessions(sessions);
    snprintf(stream_name, sizeof(stream_name), "%s", cfg->events_stream);
    stream = stream_name[0] != '\0' ? stream_name : NULL;
    snprintf(stream_maxlen, sizeof(stream_maxlen), "%ld", cfg->events_maxlen);
    snprintf(claim_ms, sizeof(claim_ms), "%d", 2 * cfg->redis_timeout_ms);
}

static const char *const type_names[EVENT__COUNT] = {
    [EVENT_IMPRESSION] = "impression",
    [EVENT_AD_REQUEST] = "ad_request",
    [EVENT_COMPLETE] = "complete",
    [EVENT_CLICK] = "click",
    [EVENT_START] = "start",
    [EVENT_FIRST_QUARTILE] = "first_quartile",
    [EVENT_MIDPOINT] = "midpoint",
    [EVENT_THIRD_QUARTILE] = "third_quartile",
    [EVENT_INVALID] = "invalid",
};

const char *event_type_name(enum event_type type) {
    return (unsigned)type < EVENT__COUNT ? type_names[type] : NULL;
}

/* Sessions are counted with the events the Flask service counted. */
static bool counts_sessions(enum metric m) {
    return m == METRIC_IMPRESSIONS || m == METRIC_AD_REQUESTS;
}

/* Adds `cmd <key>` as a new command, the key built into the batch's arena. */
static struct store_cmd *add_keyed(struct store_batch *b, const char *cmd, enum dimension dim,
                                   enum key_scope scope, const char *date,
                                   const struct param_value *v) {
    char key[KEY_MAX];
    size_t len = key_format(key, sizeof(key), dim, scope, date, v->data, v->len);
    struct store_cmd *c = store_cmd_add(b);
    store_arg_static(c, cmd);
    if (len > sizeof(key) || store_arg_copy(b, c, key, len) == NULL) b->overflow = true;
    return c;
}

/* The day an event is counted in: its date, and the instant its day keys
 * expire -- the end of the day plus --retention-days, on Redis' clock. */
struct event_day {
    char date[DAY_COMPACT_LEN + 1];
    long long expire_at_s;
    long long now_ms;
};

static void event_day_init(struct event_day *d, long long ms) {
    long day = day_of_epoch(ms / 1000);
    day_format_compact(day, d->date);
    d->expire_at_s = clock_redis_s(((long long)day + 1 + retention_days) * SECONDS_PER_DAY);
    d->now_ms = ms;
}

/* EXPIREAT <key> <end of day + retention>, unless this worker sent it
 * already (expiry_cache.h). */
static void add_expire_at(struct store_batch *b, const char *key, size_t len,
                          const struct event_day *d) {
    if (key == NULL || !expiry_cache_claim(key, len, d->expire_at_s, d->now_ms)) return;
    struct store_cmd *c = store_cmd_add(b);
    store_arg_static(c, "EXPIREAT");
    store_arg_ref(c, key, len);
    store_arg_ll(c, d->expire_at_s);
}

/* +1 to the value's all-time counter `field` and to its day-bucket field
 * `<letter>:<value>`. The all-time HINCRBY carries `tag` (0: none), so that
 * its reply, the new total, reaches the batch's on_reply. */
static void add_counters(struct store_batch *b, enum dimension dim, const char *field,
                         char letter, const struct param_value *v, const struct event_day *d,
                         unsigned char tag) {
    struct store_cmd *c = add_keyed(b, "HINCRBY", dim, SCOPE_TOTAL, d->date, v);
    store_arg_static(c, field);
    store_arg_static(c, "1");
    c->tag = tag;

    char bucket[DAY_BUCKET_KEY_LEN], day_field[KEY_MAX];
    key_day_bucket_format(bucket, dim, d->date, v->data, v->len);
    size_t n = key_day_field_format(day_field, sizeof(day_field), letter, v->data, v->len);
    c = store_cmd_add(b);
    store_arg_static(c, "HINCRBY");
    const char *key = store_arg_copy(b, c, bucket, sizeof(bucket));
    if (n > sizeof(day_field) || store_arg_copy(b, c, day_field, n) == NULL) b->overflow = true;
    store_arg_static(c, "1");
    add_expire_at(b, key, sizeof(bucket), d);
}

static const struct param_value *dimension_value(const struct params *p, enum dimension dim) {
    return &p->v[dimension_spec(dim)->event_param];
}

/* The tag of a ranked metric's all-time HINCRBY: its dimension, plus 1. */
static unsigned char total_tag(enum dimension dim, enum metric m) {
    return m < METRIC_RANKED__COUNT ? (unsigned char)(1 + dim) : 0;
}

static void add_dimension(struct store_batch *b, enum dimension dim, enum metric m,
                          const struct params *p, const struct event_day *d) {
    add_counters(b, dim, metric_field(m), metric_letter(m), dimension_value(p, dim), d,
                 total_tag(dim, m));
}

/* ---- the derived indexes (index_writer.h) ------------------------------ */

void event_index_reply(struct index_writer *w, const struct store_batch *b, size_t index,
                       const redisReply *reply, enum event_type counted,
                       const struct params *p) {
    unsigned tag = index < b->n_cmds ? b->cmds[index].tag : 0;
    if (tag == 0 || tag > DIM__COUNT || reply->type != REDIS_REPLY_INTEGER) return;
    enum dimension dim = (enum dimension)(tag - 1);
    const struct param_value *v = dimension_value(p, dim);
    index_writer_total(w, dim, (enum metric)counted, v->data, v->len, reply->integer);
}

/* The all-time and the day HyperLogLog of each dimension that keeps
 * sessions (the day's with its EXPIREAT instant). */
void event_index_sessions(struct index_writer *w, enum event_type counted,
                          const struct params *p, long long now_ms) {
    if (!counts_sessions((enum metric)counted)) return;
    const struct param_value *session = &p->v[PARAM_SESSION_ID];
    struct event_day d;
    event_day_init(&d, now_ms);
    for (int i = 0; i < DIM__COUNT; i++) {
        enum dimension dim = (enum dimension)i;
        if (!dimension_has_sessions(dim)) continue;
        const struct param_value *v = dimension_value(p, dim);
        char key[KEY_MAX];
        size_t len = key_format(key, sizeof(key), dim, SCOPE_SESSIONS, d.date, v->data, v->len);
        if (len <= sizeof(key))
            index_writer_session(w, key, len, 0, session->data, session->len);
        len = key_format(key, sizeof(key), dim, SCOPE_SESSIONS_DAY, d.date, v->data, v->len);
        if (len <= sizeof(key))
            index_writer_session(w, key, len, d.expire_at_s, session->data, session->len);
    }
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
    store_arg_static(c, type_names[m]);
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

void event_add_commands(struct store_batch *b, enum event_type type, const struct params *p,
                        long long now_ms) {
    event_add_commands_as(b, type, type, p, now_ms);
}

void event_add_commands_as(struct store_batch *b, enum event_type type, enum event_type counted,
                           const struct params *p, long long now_ms) {
    enum metric m = (enum metric)counted;
    struct event_day d;
    event_day_init(&d, now_ms);
    for (int dim = 0; dim < DIM__COUNT; dim++) add_dimension(b, (enum dimension)dim, m, p, &d);
    if (stream != NULL) add_stream_entry(b, m, p, now_ms);
    if (p->v[PARAM_EVENT_ID].data != NULL) {
        struct store_cmd *c = add_id_set(b, (enum metric)type, p);
        store_arg_static(c, "EX");
        store_arg_static(c, EVENT_ID_TTL_S_TEXT);
    }
}

void event_add_no_fill(struct store_batch *b, const struct params *p, long long counted_ms) {
    struct event_day d;
    event_day_init(&d, counted_ms);
    for (int dim = 0; dim < DIM__COUNT; dim++)
        add_counters(b, (enum dimension)dim, FIELD_NO_FILLS, FIELD_LETTER_NO_FILLS,
                     dimension_value(p, (enum dimension)dim), &d, 0);
}

void event_add_claim(struct store_batch *b, enum event_type type, const struct params *p) {
    struct store_cmd *c = add_id_set(b, (enum metric)type, p);
    store_arg_static(c, "NX");
    store_arg_static(c, "PX");
    store_arg_static(c, claim_ms);
}

/* ---- forgetting a value ------------------------------------------------ */

/* All-time counters and HyperLogLog, a top-list member per metric, and
 * per day of the window: the value's fields of its day bucket and of
 * layout 2's, layout 1's day hash and the day's HyperLogLog. */
#define FORGET_FIELDS (METRIC__COUNT + 1)
#define FORGET_DAYS ((size_t)(retention_days + 2))

size_t event_forget_cmds(void) {
    return 2 + METRIC_RANKED__COUNT + 4 * FORGET_DAYS;
}

size_t event_forget_args(void) {
    return 2 * 2 + METRIC_RANKED__COUNT * 3 + FORGET_DAYS * (2 * (2 + FORGET_FIELDS) + 2 * 2);
}

/* Arena bytes for event_add_forget: a key per command at most, and the
 * value's day-bucket fields once (every day's HDEL points at the same
 * copies). */
size_t event_forget_arena(void) {
    return (event_forget_cmds() + FORGET_FIELDS) * KEY_MAX;
}

/* The value's day-bucket fields, every metric's and the no-fills': copied
 * with the first day's HDEL, referenced by the later ones. */
struct forget_fields {
    const char *data[FORGET_FIELDS];
    size_t len[FORGET_FIELDS];
    bool copied;
};

static void copy_forget_fields(struct store_batch *b, struct store_cmd *c,
                               struct forget_fields *f, const struct param_value *v) {
    for (int i = 0; i < FORGET_FIELDS; i++) {
        char letter = i < METRIC__COUNT ? metric_letter((enum metric)i) : FIELD_LETTER_NO_FILLS;
        char field[KEY_MAX];
        f->len[i] = key_day_field_format(field, sizeof(field), letter, v->data, v->len);
        f->data[i] = f->len[i] <= sizeof(field) ? store_arg_copy(b, c, field, f->len[i]) : NULL;
        if (f->data[i] == NULL) b->overflow = true;
    }
    f->copied = true;
}

/* HDEL <day bucket> i:<v> r:<v> ... (every metric's field) n:<v>, of
 * the bucket `format` names (layout 3's, or layout 2's). */
static void add_forget_day_fields(struct store_batch *b, key_bucket_format_fn *format,
                                  enum dimension dim, const char *date,
                                  const struct param_value *v, struct forget_fields *f) {
    char bucket[DAY_BUCKET_KEY_LEN];
    format(bucket, dim, date, v->data, v->len);
    struct store_cmd *c = store_cmd_add(b);
    store_arg_static(c, "HDEL");
    store_arg_copy(b, c, bucket, sizeof(bucket));
    if (!f->copied) {
        copy_forget_fields(b, c, f, v);
        return;
    }
    for (int i = 0; i < FORGET_FIELDS; i++) store_arg_ref(c, f->data[i], f->len[i]);
}

void event_add_forget(struct store_batch *b, enum dimension dim, const char *value, size_t len,
                      long today) {
    struct param_value v = {(char *)value, len, 0};
    struct forget_fields fields = {.copied = false};
    add_keyed(b, "DEL", dim, SCOPE_TOTAL, NULL, &v);
    add_keyed(b, "DEL", dim, SCOPE_SESSIONS, NULL, &v);
    for (int m = 0; m < METRIC_RANKED__COUNT; m++) {
        struct store_cmd *c = store_cmd_add(b);
        store_arg_static(c, "ZREM");
        store_arg_static(c, key_top(dim, (enum metric)m));
        store_arg_copy(b, c, value, len);
    }
    for (long day = today - retention_days; day <= today + 1; day++) {
        if (day < DAY_MIN) continue;
        char date[DAY_COMPACT_LEN + 1];
        day_format_compact(day, date);
        add_forget_day_fields(b, key_day_bucket_format, dim, date, &v, &fields);
        add_forget_day_fields(b, key_day_bucket_v2_format, dim, date, &v, &fields);
        add_keyed(b, "DEL", dim, SCOPE_DAY, date, &v);
        add_keyed(b, "DEL", dim, SCOPE_SESSIONS_DAY, date, &v);
    }
}
