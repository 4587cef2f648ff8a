/* layout.h -- the upgrade markers: since which day this deployment writes
 * each layout (keys.h), which ends the read-both period of the one before.
 *
 * Readers add an older layout's day counters into every day they read,
 * because data counted before an upgrade, or by old nodes during a rolling
 * one, lives there. That costs a lookup per day read, for every read,
 * forever -- unless the readers know when the old nodes stopped writing.
 * The first new node to need that records it, in one single-key string
 * per layout
 *
 *   as:layout:v2   YYYYMMDD   ends layout 1's day hashes
 *   as:layout:v3   YYYYMMDD   ends layout 2's 1024 day buckets
 *
 * (its UTC day then; never changed, no TTL) with `SET <marker> <today> NX`
 * followed by `GET <marker>`: the GET answers the day of whichever node was
 * first (NX), so every node agrees. The commands travel in the range read
 * that first needs the answers (layout_add_markers: no round trip of their
 * own), and the answers are cached per process in atomics (layout_learn),
 * so each process asks until one of its reads has both answers, and then
 * never again. A deployment that went from layout 1 to 2 before has
 * as:layout:v2 already; its first layout-3 read sets as:layout:v3 only.
 *
 * The cutoff: an old layout's day counters are read only for days up to
 * its marker's day + 1 (layout_reads_old). The + 1 covers a rolling
 * upgrade across midnight: old nodes still counting into the day after the
 * first new node's. Without an answer yet (Redis unreachable, or a marker
 * unreadable), readers read both, as before the marker.
 *
 * A node marks on its first range read, not its first event, so a marker
 * may be later than the day its layout was first written: that only makes
 * read-both last longer (reading absent keys), never loses a count. The
 * rule for operators (docs/ANALYTICS.md): stop every old node within a day
 * of starting the first new one. */
#ifndef ADSTATS_LAYOUT_H
#define ADSTATS_LAYOUT_H

#include <stdbool.h>

#include "batch.h"

/* The older layouts a reader adds in, each ended by its marker. */
enum layout_old {
    LAYOUT_OLD_DAY_HASHES, /* layout 1's per-value day hashes: as:layout:v2 */
    LAYOUT_OLD_BUCKETS_V2, /* layout 2's 1024 day buckets: as:layout:v3 */
    LAYOUT_OLD__COUNT
};

#define LAYOUT_MARKER_V2_KEY "as:layout:v2"
#define LAYOUT_MARKER_V3_KEY "as:layout:v3"
#define LAYOUT_MARKER_CMDS (2 * LAYOUT_OLD__COUNT) /* a SET NX and a GET each */

/* Adds SET NX + GET of every marker to `b` (in enum order) when this
 * process lacks an answer; returns whether it did (their replies then come
 * next, in order). */
bool layout_add_markers(struct store_batch *b, long today);

/* The reply to command `index` (0 .. LAYOUT_MARKER_CMDS - 1) of those:
 * a GET's caches its marker's day (any thread). A reply that is no
 * YYYYMMDD day leaves that cutoff unknown. */
void layout_learn(size_t index, const redisReply *reply);

/* Does a reader add `old`'s day counters of `day` in? True for days up to
 * its marker's day + 1, and for every day while it is unknown. */
bool layout_reads_old(enum layout_old old, long day);

/* Forgets the cached answers (tests). */
void layout_forget(void);

#endif
