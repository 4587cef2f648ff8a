/* stats_range.h -- a dimension value's statistics over a range of UTC
 * days: the sums of its day buckets, a per-day series, and the unique
 * sessions of the range.
 *
 * One batch reads everything: an HMGET of the all-time counters (does the
 * value exist at all?), the upgrade markers' SET NX + GET while this
 * process has no answers (layout.h), then per day an HMGET of the value's
 * fields of the day bucket and, when unique sessions are wanted, a GET of
 * the day's HyperLogLog; then an HMGET of layout 1's day hash for each day
 * up to its marker's day + 1, and of layout 2's day bucket for each day up
 * to its marker's day + 1 (read-both, keys.h: data counted before an
 * upgrade, or by old nodes during a rolling one, is added in; the key is
 * absent otherwise, and costs Redis one lookup). The
 * HyperLogLogs are merged here (hll.h), because a sharding proxy cannot
 * route a PFCOUNT over several keys. At 400 days that is up to 1605
 * commands, so the batch takes its storage from the heap. Replies are only
 * copied as they arrive; the merging happens once, in stats_range_finish.
 * All of it runs on the request's worker loop: merging 400 dense
 * HyperLogLogs (the worst case) takes it about 7 ms. */
#ifndef ADSTATS_STATS_RANGE_H
#define ADSTATS_STATS_RANGE_H

#include <stdbool.h>

#include "layout.h"
#include "stats.h"

#define STATS_RANGE_MAX_DAYS 400

struct stats_day {
    struct stats_counts counts;
    struct stats_counts old[LAYOUT_OLD__COUNT]; /* older layouts' counts, added in by
                                                  * stats_range_finish */
    char *hll;        /* copy of the day's HyperLogLog, NULL if none */
    size_t hll_len;
};

struct stats_range {
    long from, to;
    bool sessions;             /* unique sessions wanted */
    bool series;               /* ...per day too */
    unsigned members;          /* the counters read (stats.h's enum stats_member) */
    bool corrupt;              /* a day's HyperLogLog could not be read */
    bool marker;               /* the batch asks the upgrade markers (layout.h) */
    size_t n_old[LAYOUT_OLD__COUNT]; /* days whose older layouts' keys the batch reads */
    struct stats_counts total; /* found: the value has all-time counters */
    struct stats_day days[];   /* to - from + 1 */
};

/* NULL if out of memory. `to - from + 1` must be 1..STATS_RANGE_MAX_DAYS.
 * `members`: the counters to read besides impressions, ad requests and
 * no-fills (STATS_VIDEO, STATS_INVALID). */
struct stats_range *stats_range_new(long from, long to, bool sessions, bool series,
                                    unsigned members);
void stats_range_free(void *range);

/* Initialises `b` with the range's reads (heap storage: the owner calls
 * store_batch_release). Returns false if out of memory. */
bool stats_range_prepare(struct stats_range *r, struct store_batch *b, enum dimension dim,
                         const char *value, size_t len, store_reply_fn *on_reply,
                         store_done_fn *on_done);

/* The reply to command `index` of that batch. */
void stats_range_reply(struct stats_range *r, size_t index, const redisReply *reply);

/* Once the batch is done: sums and unique-session estimates. */
void stats_range_finish(struct stats_range *r);

#endif
