/* flask_layout.c -- recognising the Flask service's counters and deciding
 * what to import from them; see flask_layout.h. No I/O here. */
#include "flask_layout.h"

#include <string.h>

#include "buf.h"
#include "params.h"

static const char *const as_names[] = {
    [FLASK_AS_AUTO] = "auto",
    [FLASK_AS_USER] = "user",
    [FLASK_AS_SDK] = "sdk",
    [FLASK_AS_BOTH] = "both",
};

bool flask_parse_count(const char *s, size_t len, long long *out) {
    if (len == 0 || len > 16 || (s[0] == '0' && len > 1)) return false;
    long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > FLASK_COUNT_MAX) return false;
    *out = v;
    return true;
}

enum flask_verdict flask_read_hash(long long hlen, const char *const value[METRIC_FLASK__COUNT],
                                   const size_t len[METRIC_FLASK__COUNT], struct flask_counts *out) {
    if (hlen <= 0) return FLASK_GONE;
    long long present = 0;
    for (int m = 0; m < METRIC_FLASK__COUNT; m++) {
        out->n[m] = 0;
        if (value[m] == NULL) continue;
        present++;
        if (!flask_parse_count(value[m], len[m], &out->n[m])) return FLASK_NOT_A_COUNT;
    }
    return present == hlen ? FLASK_COUNTERS : FLASK_OTHER_FIELDS;
}

bool flask_as_parse(const char *s, enum flask_as *out) {
    for (size_t i = 0; i < sizeof(as_names) / sizeof(as_names[0]); i++) {
        if (strcmp(s, as_names[i]) != 0) continue;
        *out = (enum flask_as)i;
        return true;
    }
    return false;
}

const char *flask_as_name(enum flask_as as) {
    return as_names[as];
}

/* Runs params_validate on a copy (validation may normalise in place). */
bool flask_name_valid(enum dimension dim, const char *name, size_t len) {
    enum param_id id = dimension_spec(dim)->event_param;
    char storage[128], msg_storage[128];
    struct buf copy, msg;
    buf_init_static(&copy, storage, sizeof(storage));
    buf_init_static(&msg, msg_storage, sizeof(msg_storage));
    buf_append(&copy, name, len);
    buf_append_char(&copy, '\0');
    bool valid = false;
    if (!copy.failed && len > 0) {
        struct params p;
        memset(&p, 0, sizeof(p));
        p.v[id].data = copy.data;
        p.v[id].len = len;
        valid = params_validate(&p, PARAM_BIT(id), &msg);
    }
    buf_free(&copy);
    buf_free(&msg);
    return valid;
}

unsigned flask_resolve(enum flask_as as, const char *name, size_t len) {
    switch (as) {
    case FLASK_AS_USER: return FLASK_DIM_BIT(DIM_USER);
    case FLASK_AS_SDK: return FLASK_DIM_BIT(DIM_SDK);
    case FLASK_AS_BOTH: return FLASK_DIM_BIT(DIM_USER) | FLASK_DIM_BIT(DIM_SDK);
    case FLASK_AS_AUTO: break;
    }
    return FLASK_DIM_BIT(flask_name_valid(DIM_SDK, name, len) ? DIM_SDK : DIM_USER);
}

enum flask_delta flask_delta(const struct flask_counts *source,
                             const struct flask_counts *imported, struct flask_counts *delta) {
    bool any = false;
    for (int m = 0; m < METRIC_FLASK__COUNT; m++) {
        if (source->n[m] < imported->n[m]) return FLASK_DELTA_LOWER;
        delta->n[m] = source->n[m] - imported->n[m];
        if (delta->n[m] > 0) any = true;
    }
    return any ? FLASK_DELTA_NEW : FLASK_DELTA_SAME;
}
