/* events.c -- the Redis commands of one event; see events.h. */
#include "events.h"

#include "keys.h"

static void add_hincrby(struct store_batch *b, enum dimension dim, const struct param_value *v,
                        const char *field) {
    char storage[KEY_MAX];
    struct buf key;
    buf_init_static(&key, storage, sizeof(storage));
    key_total(&key, dim, v->data, v->len);

    struct store_cmd *c = store_cmd_add(b);
    store_arg_static(c, "HINCRBY");
    store_arg_copy(b, c, key.data, key.len);
    store_arg_static(c, field);
    store_arg_static(c, "1");
    buf_free(&key);
}

void event_add_commands(struct store_batch *b, enum event_type type, const struct params *p) {
    const char *field = type == EVENT_IMPRESSION ? FIELD_IMPRESSIONS : FIELD_AD_REQUESTS;
    add_hincrby(b, DIM_USER, &p->v[PARAM_USERNAME], field);
    add_hincrby(b, DIM_SDK, &p->v[PARAM_SDK_VERSION], field);
}
