/* stats.h -- reading a dimension value's all-time statistics back, as
 * /statistics and /statistics/top both do, and writing them as JSON.
 *
 * All-time counts are one HMGET of the value's totals hash; its unique
 * sessions, when asked for, one PFCOUNT of its session HyperLogLog. */
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
    long long unique_sessions;
    bool found;        /* a counter exists */
};

/* Commands per value added by stats_add_totals. */
#define STATS_TOTAL_CMDS(sessions) ((sessions) ? 2u : 1u)

/* Adds the reads of one value's all-time statistics to `b`. */
void stats_add_totals(struct store_batch *b, enum dimension dim, const char *value, size_t len,
                      bool sessions);

/* Reads the reply to the k-th command stats_add_totals added. */
void stats_read_total(struct stats_counts *c, size_t k, const redisReply *reply);

/* Reads an HMGET ... imp req reply into *impressions, *ad_requests;
 * returns true if either field was set. */
bool stats_read_hmget(const redisReply *reply, long long *impressions, long long *ad_requests);

/* Appends "impressions": I, "ad_requests": R, "fill_rate": F, and
 * "unique_sessions": U when `sessions` -- the members of a counts object,
 * without braces. A fill rate without ad requests is 0, as in Flask. */
void stats_append_members(struct buf *body, const struct stats_counts *c, bool sessions);

#endif
