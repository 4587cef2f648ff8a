/* stats.h -- reading a dimension value's all-time statistics back, as
 * /statistics and /statistics/top both do, and writing them as JSON.
 *
 * All-time counts are one HMGET of the value's totals hash (impressions, ad
 * requests and no-fills, whichever the answer shows); its unique sessions,
 * when asked for, one PFCOUNT of its session HyperLogLog. */
#ifndef ADSTATS_STATS_H
#define ADSTATS_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "dimension.h"
#include "store.h"

struct stats_counts {
    long long impressions;
    long long ad_requests;
    long long no_fills;
    long long unique_sessions;
    long long tracked[METRIC__COUNT]; /* the metrics past Flask's two, by metric */
    bool found;        /* a counter exists */
};

/* The members a counts object shows besides Flask's three (impressions,
 * ad_requests, fill_rate), each asked for with its /statistics flag. */
enum stats_member {
    STATS_NO_FILLS = 1,        /* "no_fills" (no_fills=1) */
    STATS_SESSIONS = 2,        /* "unique_sessions" (unique_sessions=1) */
    STATS_VIDEO = 4,           /* "starts" ... "clicks", "completion_rate", "ctr" (video=1) */
    STATS_INVALID = 8,         /* "invalid" (invalid=1) */
};

/* Arguments of the longest command added here (HMGET key imp req nof, the
 * six video fields and inv), for sizing a large batch. */
#define STATS_CMD_ARGS_MAX 12

/* Commands per value added by stats_add_totals. */
#define STATS_TOTAL_CMDS(sessions) ((sessions) ? 2u : 1u)

/* Adds the reads of one value's all-time statistics to `b`: the
 * counters `members` (enum stats_member bits) shows. */
void stats_add_totals(struct store_batch *b, enum dimension dim, const char *value, size_t len,
                      bool sessions, unsigned members);

/* Reads the reply to the k-th command stats_add_totals added. */
void stats_read_total(struct stats_counts *c, size_t k, const redisReply *reply,
                      unsigned members);

/* The metrics past impressions and ad requests that `members` shows, in
 * the order of an HMGET's fields after imp, req and nof; returns how many
 * (at most METRIC__COUNT). */
size_t stats_tracked_metrics(unsigned members, enum metric out[METRIC__COUNT]);

/* Appends the counter fields (imp req nof, then those of `members`) to an
 * HMGET of a counters hash, and reads its reply into `c`; returns true if
 * any field was set. */
void stats_add_fields(struct store_cmd *hmget, unsigned members);
bool stats_read_hmget(const redisReply *reply, struct stats_counts *c, unsigned members);

/* Appends "impressions": I, "ad_requests": R, "fill_rate": F, then the
 * `members` (enum stats_member bits) -- the members of a counts object,
 * without braces. A fill rate without ad requests is 0, as in Flask; it
 * stays impressions / ad requests, no-fills or not. completion_rate is
 * completes / starts, ctr clicks / impressions, each 0 without a divisor. */
void stats_append_members(struct buf *body, const struct stats_counts *c, unsigned members);

#endif
