/* count.h -- counting one event for /ad and /impression.
 *
 * An event without an event_id is counted in one round trip (events.h).
 * One with an event_id takes two: the first claims the id, and only if the
 * claim succeeds does the second count the event. MULTI and scripts would
 * make that one round trip, but sharding proxies do not route them; the
 * cost is paid only by events that ask for retry safety. */
#ifndef ADSTATS_COUNT_H
#define ADSTATS_COUNT_H

#include "events.h"
#include "request.h"

/* Counts the event that `req` carries; `then` runs (as a `finish`) with
 * req->store_status (STORE_OK: counted, or a duplicate) and req->duplicate
 * (true: its event_id was counted within the last 24 hours, so it was not
 * counted again). */
void event_count(struct request *req, enum event_type type, request_fn *then);

/* The same for an event of `type` counted as `counted` instead: invalid
 * traffic (EVENT_INVALID, --ivt-filter), whose event_id is still claimed
 * as `type`'s, so that its retry is a duplicate as any other's. */
void event_count_as(struct request *req, enum event_type type, enum event_type counted,
                    request_fn *then);

/* What an event of `type` from this request counts as: `type`, or
 * EVENT_INVALID when --ivt-filter finds it invalid traffic (tracking.h). */
enum event_type event_counted_as(const struct request *req, enum event_type type);

/* The type the event of `req` was counted as (in `then`). */
enum event_type event_counted_type(const struct request *req);

/* Counts a no-fill of the ad request that event_count counted in `req`
 * (events.h), in the day it was counted; `then` runs with
 * req->store_status. A duplicate (req->duplicate) was counted before, its
 * no-fill with it, and an ad request counted as invalid traffic has none:
 * nothing is sent, and `then` runs at once with STORE_OK. */
void event_count_no_fill(struct request *req, request_fn *then);

#endif
