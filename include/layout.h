/* layout.h -- the upgrade marker: since which day this deployment writes
 * layout 2 (keys.h), which ends the read-both period.
 *
 * Readers add layout 1's day hashes into every day they read, because
 * data counted before the upgrade, or by old nodes during a rolling one,
 * lives there. That costs a lookup per day read, for every read, forever
 * -- unless the readers know when the old nodes stopped writing. The first
 * new node to need that records it, in one single-key string
 *
 *   as:layout:v2   YYYYMMDD   its UTC day then; never changed, no TTL
 *
 * with `SET as:layout:v2 <today> NX` followed by `GET as:layout:v2`: the
 * GET answers the day of whichever node was first (NX), so every node
 * agrees. The two commands travel in the range read that first needs the
 * answer (layout_add_marker: no round trip of their own), and the answer
 * is cached per process in an atomic (layout_learn), so each process asks
 * until one of its reads has an answer, and then never again.
 *
 * The cutoff: layout 1's day hash of a day is read only for days up to
 * the marker's day + 1 (layout_reads_old). The + 1 covers a rolling
 * upgrade across midnight: old nodes still counting into the day after
 * the first new node's. Without an answer yet (Redis unreachable, or the
 * marker unreadable), readers read both, as before the marker.
 *
 * A node marks on its first range read, not its first event, so the
 * marker may be later than the day layout 2 was first written: that only
 * makes read-both last longer (reading absent keys), never loses a count.
 * The rule for operators (docs/ANALYTICS.md): stop every old node within a
 * day of starting the first new one. */
#ifndef ADSTATS_LAYOUT_H
#define ADSTATS_LAYOUT_H

#include <stdbool.h>

#include "batch.h"

#define LAYOUT_MARKER_KEY "as:layout:v2"
#define LAYOUT_MARKER_CMDS 2 /* SET NX, GET */

/* Adds SET NX + GET of the marker to `b` when this process has no answer
 * yet; returns whether it did (their replies then come next, in order). */
bool layout_add_marker(struct store_batch *b, long today);

/* The reply to the marker's GET: caches its day (any thread). A reply
 * that is no YYYYMMDD day leaves the cutoff unknown. */
void layout_learn(const redisReply *reply);

/* Does a reader add layout 1's day hash of `day` in? True for days up to
 * the marker's day + 1, and for every day while it is unknown. */
bool layout_reads_old(long day);

/* Forgets the cached answer (tests). */
void layout_forget(void);

#endif
