/* dimension.c -- the table of dimensions and metrics; see dimension.h. */
#include "dimension.h"

#include <string.h>

static const struct dimension_spec specs[DIM__COUNT] = {
    [DIM_USER] = {"username", PARAM_USERNAME, PARAM_USERNAME},
    [DIM_SDK] = {"sdk", PARAM_SDK_VERSION, PARAM_SDK},
    [DIM_COUNTRY] = {"country", PARAM_COUNTRY_CODE, PARAM_COUNTRY},
    [DIM_PLATFORM] = {"platform", PARAM_PLATFORM, PARAM_PLATFORM},
};

static const char *const metric_names[METRIC__COUNT] = {
    [METRIC_IMPRESSIONS] = "impressions",
    [METRIC_AD_REQUESTS] = "ad_requests",
    [METRIC_COMPLETES] = "completes",
    [METRIC_CLICKS] = "clicks",
    [METRIC_STARTS] = "starts",
    [METRIC_FIRST_QUARTILES] = "first_quartiles",
    [METRIC_MIDPOINTS] = "midpoints",
    [METRIC_THIRD_QUARTILES] = "third_quartiles",
    [METRIC_INVALID] = "invalid",
};

static bool same(const char *a, const char *b, size_t len) {
    return strlen(a) == len && memcmp(a, b, len) == 0;
}

const struct dimension_spec *dimension_spec(enum dimension dim) {
    return &specs[dim];
}

bool dimension_by_name(const char *name, size_t len, enum dimension *dim) {
    for (int d = 0; d < DIM__COUNT; d++) {
        if (!same(specs[d].name, name, len)) continue;
        *dim = (enum dimension)d;
        return true;
    }
    return false;
}

const struct param_value *dimension_filter(const struct params *p, enum dimension *dim) {
    const struct param_value *first = NULL;
    for (int d = 0; d < DIM__COUNT; d++) {
        const struct param_value *v = &p->v[specs[d].filter_param];
        if (v->data == NULL || (first != NULL && v->order >= first->order)) continue;
        first = v;
        *dim = (enum dimension)d;
    }
    return first;
}

const char *metric_name(enum metric m) {
    return metric_names[m];
}

bool metric_by_name(const char *name, size_t len, enum metric *m) {
    for (int i = 0; i < METRIC__COUNT; i++) {
        if (!same(metric_names[i], name, len)) continue;
        *m = (enum metric)i;
        return true;
    }
    return false;
}

/* ---- which dimensions keep unique sessions ------------------------------ */

static unsigned sessions_set = (1u << DIM_SDK) | (1u << DIM_COUNTRY) | (1u << DIM_PLATFORM);

bool dimension_parse_set(const char *text, unsigned *set) {
    *set = 0;
    while (*text != '\0') {
        size_t len = strcspn(text, ",");
        enum dimension dim;
        if (!dimension_by_name(text, len, &dim)) return false;
        *set |= 1u << dim;
        text += len;
        if (*text == ',') text++;
    }
    return true;
}

void dimension_keep_sessions(unsigned set) {
    sessions_set = set;
}

bool dimension_has_sessions(enum dimension dim) {
    return (sessions_set >> dim) & 1u;
}
