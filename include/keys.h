/* keys.h -- how adstats names its Redis keys.
 *
 * Every counter lives in a small hash `as:<dim>:<scope>:<value>`:
 *   dim    u (username), s (SDK version)
 *   scope  t for all-time totals
 *   value  the parameter's value, last, so no value can forge another key
 * e.g. as:u:t:alice and as:s:t:1.0 -- user "1.0" and SDK "1.0" never meet.
 * The hash fields are `imp` (impressions) and `req` (ad requests). */
#ifndef ADSTATS_KEYS_H
#define ADSTATS_KEYS_H

#include <stddef.h>

#include "buf.h"

enum dimension {
    DIM_USER,
    DIM_SDK,
    DIM__COUNT
};

#define FIELD_IMPRESSIONS "imp"
#define FIELD_AD_REQUESTS "req"

/* Longest key: prefix plus the longest value any dimension allows. */
#define KEY_MAX 96

/* Writes the all-time key of `value` in `dim` into `b`. */
void key_total(struct buf *b, enum dimension dim, const char *value, size_t len);

#endif
