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
    bool found;        /* a counter exists */
};

/* The members a counts object shows besides Flask's three (impressions,
 * ad_requests, fill_rate), each asked for with its /statistics flag. */
enum stats_member {
    STATS_NO_FILLS = 1,        /* "no_fills" (no_fills=1) */
    STATS_SESSIONS = 2,        /* "unique_sessions" (unique_sessions=1) */
};

/* Arguments of the longest command added here (HMGET key imp req nof),
 * for sizing a large batch. */
#define STATS_CMD_ARGS_MAX 5

/* Commands per value added by stats_add_totals. */
#define STATS_TOTAL_CMDS(sessions) ((sessions) ? 2u : 1u)

/* Adds the reads of one value's all-time statistics to `b`. */
void stats_add_totals(struct store_batch *b, enum dimension dim, const char *value, size_t len,
                      bool sessions);

/* Reads the reply to the k-th command stats_add_totals added. */
void stats_read_total(struct stats_counts *c, size_t k, const redisReply *reply);

/* Appends the counter fields (imp req nof) to an HMGET of a counters hash,
 * and reads its reply into `c`'s impressions, ad_requests and no_fills;
 * returns true if any field was set. */
void stats_add_fields(struct store_cmd *hmget);
bool stats_read_hmget(const redisReply *reply, struct stats_counts *c);

/* Appends "impressions": I, "ad_requests": R, "fill_rate": F, then the
 * `members` (enum stats_member bits) -- the members of a counts object,
 * without braces. A fill rate without ad requests is 0, as in Flask; it
 * stays impressions / ad requests, no-fills or not. */
void stats_append_members(struct buf *body, const struct stats_counts *c, unsigned members);

#endif
