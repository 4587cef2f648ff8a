/* events.h -- what counting one event writes to Redis (layout 3, keys.h).
 *
 * An event (an ad request or an impression) is counted in each of its
 * dimensions (dimension.h): its user, SDK version, country and platform.
 * Per dimension value, with one single-key command each:
 *
 *   HINCRBY  all-time counters   as:<d>:t:<v>       the event type's field, +1
 *   HINCRBY  today's day bucket  as:<d>:e<day>:b<n> field i:<v> (or r:<v>), +1
 *
 * and an `EXPIREAT <day bucket> <end of day + --retention-days>` only when
 * this worker has not sent it yet (expiry_cache.h: once per key and worker,
 * again after 10 minutes). Per event, after the four dimensions: an XADD of
 * the whole event if --events-stream is set, and the SET that records its
 * event_id if it has one. That is 8 commands, plus up to 4 EXPIREATs (12)
 * and the XADD and SET: 8 to 14, all in one batch and one round trip, every
 * command one a sharding proxy (twemproxy) can route (XADD aside: see
 * docs/ANALYTICS.md). Nothing here allocates.
 *
 * The derived indexes are not in that batch: the top lists (sorted sets
 * as:<d>:top:<metric> of the ranked metrics: impressions, ad requests,
 * completes, clicks) and the session HyperLogLogs (as:<d>:h:<v> and
 * as:<d>:h<day>:<v>, for the dimensions of --sessions-dimensions, with the
 * impressions and ad requests) are written by the worker's deferred writer
 * (index_writer.h), off the acknowledged path. For it, the all-time HINCRBY
 * of a ranked metric is tagged (batch.h) with 1 + its dimension: its reply,
 * the value's new total, goes to event_index_reply; once the event is
 * counted, event_index_sessions hands its session id over.
 *
 * A new user costs no key of its own beyond its all-time hash: its day is a
 * field of a bucket hash that exists anyway, and it has no HyperLogLogs by
 * default. The shared SDK, country and platform commands merge across the
 * events of a loop turn (combine.h).
 *
 * Event ids (retries): before counting an event that carries an event_id,
 * a first round trip claims the id with `SET as:e:<t>:<id> 1 NX PX <ms>`;
 * only if that succeeds is the event counted, and the count batch then
 * extends the claim to 24 hours. A claim whose count fails lapses after
 * the short PX (twice --redis-timeout-ms), so a retry is counted.
 *
 * No-fills: when the upstream has no ad for a counted ad request, a second
 * batch adds the no-fill to the same hashes, per dimension value:
 *
 *   HINCRBY  all-time counters   nof, +1
 *   HINCRBY  that day's bucket   field n:<v>, +1
 *   EXPIREAT that day's bucket   (only if this worker has not set it)
 *
 * 8 to 12 commands, one round trip. The day is the ad request's, so that a
 * day's no-fills never outnumber its ad requests. A no-fill has no top
 * list, no session count and no stream entry: it is an outcome of an ad
 * request, which was counted (and streamed) already.
 *
 * Forgetting a value (DELETE /statistics, event_add_forget): DEL of its
 * all-time hash and HyperLogLog, ZREM from the four top lists, and per day of
 * the retention window an HDEL of its bucket fields (layout 3's and layout
 * 2's bucket), a DEL of layout 1's day hash and a DEL of the day
 * HyperLogLog. */
#ifndef ADSTATS_EVENTS_H
#define ADSTATS_EVENTS_H

#include "config.h"
#include "dimension.h"
#include "index_writer.h"
#include "params.h"
#include "store.h"

/* The five parameters every event carries, all required. */
#define EVENT_PARAMS                                                                       \
    (PARAM_BIT(PARAM_SDK_VERSION) | PARAM_BIT(PARAM_SESSION_ID) | PARAM_BIT(PARAM_PLATFORM) \
     | PARAM_BIT(PARAM_USERNAME) | PARAM_BIT(PARAM_COUNTRY_CODE))

/* ...and the optional ones. */
#define EVENT_OPTIONAL_PARAMS PARAM_BIT(PARAM_EVENT_ID)

/* An event type is the metric it counts. The tracking pixels (GET /t)
 * count an impression or one of the video events; an event that
 * --ivt-filter finds invalid counts as EVENT_INVALID instead of its type. */
enum event_type {
    EVENT_IMPRESSION = METRIC_IMPRESSIONS,
    EVENT_AD_REQUEST = METRIC_AD_REQUESTS,
    EVENT_COMPLETE = METRIC_COMPLETES,
    EVENT_CLICK = METRIC_CLICKS,
    EVENT_START = METRIC_STARTS,
    EVENT_FIRST_QUARTILE = METRIC_FIRST_QUARTILES,
    EVENT_MIDPOINT = METRIC_MIDPOINTS,
    EVENT_THIRD_QUARTILE = METRIC_THIRD_QUARTILES,
    EVENT_INVALID = METRIC_INVALID,
};

#define EVENT__COUNT METRIC__COUNT /* event types are numbered below this */

/* The event type's name in /metrics and the event stream ("ad_request",
 * "first_quartile", "invalid"). */
const char *event_type_name(enum event_type type);

#define EVENT_ID_TTL_S_TEXT "86400" /* how long a counted id is remembered */

/* Takes the settings that shape the commands: --retention-days,
 * --events-stream, --events-maxlen, --redis-timeout-ms. Call once at
 * start-up, before any event is counted. */
void events_configure(const struct config *cfg);

/* Adds the commands that count one event, happening at `now_ms`, to `b`.
 * `p` must outlive the batch (arguments point into it). */
void event_add_commands(struct store_batch *b, enum event_type type, const struct params *p,
                        long long now_ms);

/* The same, for an event counted as `counted` (EVENT_INVALID: invalid
 * traffic) whose event_id is `type`'s: its claim is extended under the key
 * event_add_claim(type) took. */
void event_add_commands_as(struct store_batch *b, enum event_type type, enum event_type counted,
                           const struct params *p, long long now_ms);

/* A reply to command `index` of a batch of event_add_commands_as, for an
 * event counted as `counted` with parameters `p`: a tagged total goes to
 * the writer (others are ignored). */
void event_index_reply(struct index_writer *w, const struct store_batch *b, size_t index,
                       const redisReply *reply, enum event_type counted,
                       const struct params *p);

/* An event counted as `counted` at `now_ms`: its session id, for the
 * HyperLogLogs of the dimensions that keep sessions (impressions and ad
 * requests only). */
void event_index_sessions(struct index_writer *w, enum event_type counted,
                          const struct params *p, long long now_ms);

/* Adds the commands that count a no-fill of the ad request `p`, counted
 * at `counted_ms`. `p` must outlive the batch. */
void event_add_no_fill(struct store_batch *b, const struct params *p, long long counted_ms);

/* Adds the command that claims the event's id: its reply is a status
 * (claimed) or nil (the id was counted, or is being counted, already). */
void event_add_claim(struct store_batch *b, enum event_type type, const struct params *p);

/* Forgetting a dimension value (DELETE /statistics): the commands that
 * delete everything counting wrote for it -- all-time counters and
 * HyperLogLog, its members of the top lists, and the day buckets of every
 * day that can still hold one (from `today` - --retention-days to
 * `today` + 1, for clocks slightly ahead) -- each a single-key DEL or ZREM,
 * since a sharding proxy can route neither KEYS nor SCAN. Every reply is
 * an integer: how many keys or members went. */
size_t event_forget_cmds(void);
size_t event_forget_args(void);  /* arguments of those commands, in all */
size_t event_forget_arena(void); /* bytes of copied arguments they need */
void event_add_forget(struct store_batch *b, enum dimension dim, const char *value, size_t len,
                      long today);

#endif
