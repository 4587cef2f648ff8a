/* combine.h -- write combining: the commands of many event batches,
 * merged into fewer commands with the same effect.
 *
 * Event batches (events.h) are write-only and nobody reads their replies,
 * only whether every command succeeded. When a worker's loop sends many in
 * the same turn, their commands repeat: 64 impressions of SDK
 * 1.0 are 64 `HINCRBY as:s:t:1.0 imp 1`. The store hands such batches here,
 * and Redis receives one `HINCRBY as:s:t:1.0 imp 64` instead:
 *
 *   HINCRBY k f n   same k, f       ->  one HINCRBY with the sum
 *   ZINCRBY k n m   same k, m       ->  one ZINCRBY with the sum
 *   PFADD k e...    same k          ->  one PFADD with every element
 *   anything else                   ->  sent as it is
 *
 * Merged commands keep the order in which their first instance appeared.
 * Every original command is
 * a dependency of the merged command it went into; when that command's
 * reply arrives, each dependent batch counts one reply (and an error or a
 * lost connection fails exactly the batches that depended on it). A
 * dependency that is a tagged command (batch.h) also gets the reply
 * itself, as the reply to its own index: a merged HINCRBY's total. Low
 * cardinality dimensions (SDK, country, platform) merge well under load;
 * per-user commands merge only when a user repeats. Work stays constant per
 * event: one hash-table lookup per command. */
#ifndef ADSTATS_COMBINE_H
#define ADSTATS_COMBINE_H

#include <stddef.h>

#include "batch.h"

struct combiner;

/* One merged command; lives until its reply has been delivered. Its
 * arguments live in the plan (or in the original batches, which outlive
 * it), so the store can send it again after a redirection. */
struct combine_slot {
    struct combine_plan *plan;
    size_t first_dep, n_deps; /* its dependent batches: plan->deps[first_dep...] */
    int argc;
    const char **argv;
    size_t *argvlen;
    char number[24];          /* the sum of a merged HINCRBY/ZINCRBY */
};

#define COMBINE_NO_REPLY SIZE_MAX

struct combine_plan {
    size_t n_slots;
    size_t pending;              /* for the store: replies still expected */
    long long sent_ms;           /* for the store: when it was sent */
    struct combine_slot *slots;  /* n_slots, in sending order */
    struct store_batch **deps;   /* one per original command */
    size_t *dep_index;           /* ...its index in its batch if tagged, else
                                  * COMBINE_NO_REPLY */
};

struct combiner *combiner_new(void);
void combiner_free(struct combiner *c);

/* Plans the merged commands of `n` batches. Returns NULL if out of memory
 * (the caller then sends the batches as they are). The plan is one
 * allocation: free() it once every slot has had its reply. */
struct combine_plan *combine_plan(struct combiner *c, struct store_batch *const *batches,
                                  size_t n);


#endif
