/* keys.h -- how adstats names its Redis keys.
 *
 * Every key of a dimension value is `as:<dim>:<scope>:<value>`:
 *   dim    u (username), s (SDK version), c (country), p (platform)
 *   scope  t          all-time counters       hash {imp, req, nof}
 *          YYYYMMDD   that UTC day's counters hash {imp, req, nof}, with a TTL
 *          h          all-time session ids    HyperLogLog
 *          hYYYYMMDD  that day's session ids  HyperLogLog, with a TTL
 *   value  the parameter's value, last, so no value can forge another key
 * e.g. as:u:t:alice, as:s:20250101:1.0, as:c:h:US -- user "1.0" and SDK
 * "1.0" never meet, and no value can reach a key of another scope.
 *
 * Keys without a value:
 *   as:<dim>:top:imp, as:<dim>:top:req   top lists: sorted sets whose
 *       members are the dimension's values, scored by their count ("top" is
 *       no scope of a value key, so no value can forge these)
 *   as:e:i:<event_id>, as:e:r:<event_id> event ids already counted, per
 *       event type (impression, ad request); "e" is no dimension letter.
 *   as:import:flask:<dim>:<value>  what `adstats import-flask` has added to
 *       that value's all-time counters from the Flask service's hash of the
 *       same name: hash {imp, req} ("import" is no dimension letter).
 *
 * The hash fields are `imp` (impressions), `req` (ad requests) and `nof`
 * (no-fills: ad requests the upstream had no ad for). A no-fill is a
 * counter, not a metric of its own: no top list, no event id key. */
#ifndef ADSTATS_KEYS_H
#define ADSTATS_KEYS_H

#include <stddef.h>

#include "buf.h"
#include "dimension.h"

#define FIELD_IMPRESSIONS "imp"
#define FIELD_AD_REQUESTS "req"
#define FIELD_NO_FILLS "nof"

/* Longest key: "as:u:hYYYYMMDD:" plus the longest value any dimension or
 * event id allows (64 bytes). */
#define KEY_MAX 96

/* The scopes of a value key, for key_format. */
enum key_scope { SCOPE_TOTAL, SCOPE_DAY, SCOPE_SESSIONS, SCOPE_SESSIONS_DAY };

/* Returns the length of a value key, and writes it to `out` (no NUL) if
 * it fits in `cap`, like snprintf. `date` is the day as YYYYMMDD
 * (day_format_compact), read only for the daily scopes. The event path
 * uses this to format the date once for all of an event's keys. */
size_t key_format(char *out, size_t cap, enum dimension dim, enum key_scope scope,
                  const char *date, const char *value, size_t len);

void key_total(struct buf *b, enum dimension dim, const char *value, size_t len);
void key_day(struct buf *b, enum dimension dim, long day, const char *value, size_t len);
void key_sessions(struct buf *b, enum dimension dim, const char *value, size_t len);
void key_sessions_day(struct buf *b, enum dimension dim, long day, const char *value,
                      size_t len);
void key_event_id(struct buf *b, enum metric m, const char *id, size_t len);
void key_flask_import(struct buf *b, enum dimension dim, const char *value, size_t len);

/* Static strings. */
const char *key_top(enum dimension dim, enum metric m);
const char *metric_field(enum metric m);

#endif
