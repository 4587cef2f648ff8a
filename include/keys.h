/* keys.h -- how adstats names its Redis keys (layout 3; layout 2 came
 * with issue 15).
 *
 * Every command adstats sends is a single-key command with its key at
 * argv[1]: no scripts, no MULTI, no multi-key command on the event or the
 * read path. A Redis Cluster client routes each command by the CRC16 slot
 * of argv[1], and twemproxy by its hash of argv[1], so every command goes
 * to exactly one shard by itself. Therefore no key needs a hash tag, and
 * none has one: the keys of a hot value do not pile up on one master.
 *
 * A dimension value's keys are `as:<dim>:<scope>:<value>`:
 *   dim    u (username), s (SDK version), c (country), p (platform)
 *   scope  t          all-time counters       hash {imp, req, nof, and the
 *                                             tracking fields below}
 *          h          all-time session ids    HyperLogLog
 *          hYYYYMMDD  that day's session ids  HyperLogLog, expiring
 *   value  the parameter's value, last, so no value can forge another key
 * e.g. as:u:t:alice, as:c:h:US -- user "1.0" and SDK "1.0" never meet, and
 * no value can reach a key of another scope. The session HyperLogLogs exist
 * only for the dimensions of --sessions-dimensions (dimension.h).
 *
 * A day's counters live in day buckets, DAY_BUCKETS hashes per dimension
 * and UTC day, shared by the values that hash to them:
 *   as:<dim>:e<YYYYMMDD>:b<NNNN>   e.g. as:u:e20250310:b0999
 *   fields <m>:<value>  m = i (impressions), r (ad requests), n (no-fills),
 *                       and the tracking letters below; the value last, so
 *                       no value can forge another field
 *   bucket NNNN = FNV-1a (32 bit) of the value's bytes mod DAY_BUCKETS,
 *          4 digits: the same on every process and architecture
 * A bucket expires at the end of its day plus --retention-days (EXPIREAT,
 * a fixed instant, sent once per worker: expiry_cache.h). Bucketing is
 * what makes a new user-day cheap: a field in a hash that exists anyway,
 * not a key of its own with its own TTL (docs/ANALYTICS.md measures it).
 *
 * Layout 2 (issue 15) had 1024 buckets a day, `as:<dim>:d<YYYYMMDD>:b<NNNN>`
 * (NNNN mod 1024, the same fields). Layout 3 has 4096 because Redis keeps
 * a hash of up to 512 fields as a listpack, whose HINCRBY searches it
 * field by field: 1024 buckets reached that size at about 500,000 active
 * values a day, where a bucket's HINCRBY costs Redis far more than at 70
 * fields (docs/ANALYTICS.md, "Why 4096"). The scope letter differs (e, not
 * d), so no layout-3 key is a layout-2 key. Layout 2's buckets are read
 * and deleted, never written (read-both, layout.h).
 *
 * Layout 1 (before issue 15) kept a day's counters in a hash per value,
 * `as:<dim>:<YYYYMMDD>:<value>` {imp, req, nof}, with an EXPIRE per event.
 * Nothing writes those any more; readers still add them in (a read-both
 * period: stats_range.h) and DELETE /statistics deletes them, until
 * --retention-days after the upgrade none is left. The scope `d<date>`
 * begins with a letter no layout-1 scope begins with (t, h, top, digits),
 * so no layout-2 key can be a layout-1 key.
 *
 * Keys without a value:
 *   as:<dim>:top:imp, as:<dim>:top:req   top lists: sorted sets whose
 *   as:<dim>:top:cmp, as:<dim>:top:clk   members are the dimension's
 *       values, scored by their count of impressions, ad requests,
 *       completes, clicks ("top" is no scope of a value key, so no value
 *       can forge these)
 *   as:e:i:<event_id>, as:e:r:<event_id> event ids already counted, per
 *       event type (impression, ad request); "e" is no dimension letter.
 *   as:e:t:<ad id>:<event>  tracking pixels already counted (GET /t): the
 *       served ad's id (32 hex digits) and the VAST event (start ...). The
 *       impression pixel claims as:e:i:<ad id> instead, the key an
 *       /impression with event_id=<ad id> claims: so an SDK that reports
 *       the ad's impression too cannot count it twice (README.md).
 *   as:import:flask:<dim>:<value>  what `adstats import-flask` has added to
 *       that value's all-time counters from the Flask service's hash of the
 *       same name: hash {imp, req} ("import" is no dimension letter).
 *
 * The hash fields are `imp` (impressions), `req` (ad requests) and `nof`
 * (no-fills: ad requests the upstream had no ad for). A no-fill is a
 * counter, not a metric of its own: no top list, no event id key.
 *
 * Tracking (issue 14) adds, all-time field / day letter:
 *   sta / s  starts             q1 / 1  first quartiles
 *   q2  / 2  midpoints          q3 / 3  third quartiles
 *   cmp / c  completes          clk / k  clicks
 *   inv / v  invalid traffic (--ivt-filter): events and pixels counted as
 *            this instead of as what they were */
#ifndef ADSTATS_KEYS_H
#define ADSTATS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dimension.h"

#define FIELD_IMPRESSIONS "imp"
#define FIELD_AD_REQUESTS "req"
#define FIELD_NO_FILLS "nof"
#define FIELD_STARTS "sta"
#define FIELD_FIRST_QUARTILES "q1"
#define FIELD_MIDPOINTS "q2"
#define FIELD_THIRD_QUARTILES "q3"
#define FIELD_COMPLETES "cmp"
#define FIELD_CLICKS "clk"
#define FIELD_INVALID "inv"

/* Longest key: "as:u:hYYYYMMDD:" plus the longest value any dimension or
 * event id allows (64 bytes). Also the longest day-bucket field. */
#define KEY_MAX 96

/* Day buckets per dimension and day: part of the layout, never change it
 * without a new layout (a value would move to another bucket). 4096 keeps
 * a bucket a short listpack (fields = active values x metrics / 4096: 73
 * for 300,000 daily users) up to about 2 million active values a day,
 * while a day of all four dimensions is only 16,384 keys, and every read
 * touches one bucket per day whatever the count: docs/ANALYTICS.md. */
#define DAY_BUCKETS 4096
#define DAY_BUCKETS_V2 1024   /* layout 2's: read and deleted, never written */
#define DAY_BUCKET_KEY_LEN 20 /* as:u:eYYYYMMDD:bNNNN (layout 2: as:u:dYYYYMMDD:bNNNN) */

/* The metric letters of day-bucket fields. */
#define FIELD_LETTER_IMPRESSIONS 'i'
#define FIELD_LETTER_AD_REQUESTS 'r'
#define FIELD_LETTER_NO_FILLS 'n'
#define FIELD_LETTER_STARTS 's'
#define FIELD_LETTER_FIRST_QUARTILES '1'
#define FIELD_LETTER_MIDPOINTS '2'
#define FIELD_LETTER_THIRD_QUARTILES '3'
#define FIELD_LETTER_COMPLETES 'c'
#define FIELD_LETTER_CLICKS 'k'
#define FIELD_LETTER_INVALID 'v'

/* The scopes of a value key, for key_format. SCOPE_DAY is layout 1's day
 * hash: read and deleted, never written. */
enum key_scope { SCOPE_TOTAL, SCOPE_DAY, SCOPE_SESSIONS, SCOPE_SESSIONS_DAY };

/* FNV-1a, 64 bit (for in-process tables). */
uint64_t key_hash64(const char *s, size_t len);

/* The day bucket of a value (DAY_BUCKET_KEY_LEN bytes, no NUL) and its
 * field `<letter>:<value>` (returns the length; writes it if it fits in
 * `cap`). `date` is YYYYMMDD. The _v2 forms name layout 2's bucket of the
 * value, whose fields are the same. */
typedef void key_bucket_format_fn(char out[DAY_BUCKET_KEY_LEN], enum dimension dim,
                                  const char *date, const char *value, size_t len);
key_bucket_format_fn key_day_bucket_format, key_day_bucket_v2_format;
size_t key_day_field_format(char *out, size_t cap, char letter, const char *value, size_t len);
/* Those keys of day `day`, appended to `b`. */
void key_day_bucket(struct buf *b, enum dimension dim, long day, const char *value, size_t len);
void key_day_bucket_v2(struct buf *b, enum dimension dim, long day, const char *value, size_t len);

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

/* Static strings. key_top: the ranked metrics only (m <
 * METRIC_RANKED__COUNT). */
const char *key_top(enum dimension dim, enum metric m);
const char *metric_field(enum metric m);
char metric_letter(enum metric m); /* of day-bucket fields */

#endif
