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

/* What /ad and /impression both declare (endpoint.h): GET or POST with
 * the event's parameters, answers never cached. For a designated
 * initializer: {.path = "/ad", EVENT_ENDPOINT, .handle = handle_ad}. */
#define EVENT_ENDPOINT                                                      \
    .methods = METHOD_GET | METHOD_POST,                                    \
    .permitted = EVENT_PARAMS | EVENT_OPTIONAL_PARAMS, .required = EVENT_PARAMS, \
    .headers = response_no_store

/* The state of a request being counted (request.h's REQUEST_STATE): an
 * endpoint that counts reads `duplicate`, and owns no state of its own. */
struct count_state {
    request_fn *then;         /* what runs once the event is counted */
    enum event_type type;     /* the event being counted: its event_id's claim */
    enum event_type counted;  /* what it counts as: `type`, or EVENT_INVALID */
    bool duplicate;           /* its event_id was counted before */
    long long counted_ms;     /* when it was counted */
    bool chained;             /* `then` runs chained (event_count_chained) */
};

REQUEST_STATE(struct count_state, count_state)

/* Counts the event that `req` carries; `then` runs (as a `finish`) with
 * req->store_status (STORE_OK: counted, or a duplicate) and
 * count_state(req)->duplicate (true: its event_id was counted within the
 * last 24 hours, so it was not counted again). An event_id costs a claim
 * round trip before the count, chained to it (request_await_store_chained),
 * so `then` may run as a chained step, where it answers or awaits as a
 * finish does. */
void event_count(struct request *req, enum event_type type, request_fn *then);

/* The same for an event of `type` counted as `counted` instead: invalid
 * traffic (EVENT_INVALID, --ivt-filter), whose event_id is still claimed
 * as `type`'s, so that its retry is a duplicate as any other's. */
void event_count_as(struct request *req, enum event_type type, enum event_type counted,
                    request_fn *then);

/* event_count_as whose `then` always runs chained
 * (request_await_store_chained: it must await again or answer): /ad,
 * which goes on to fetch its ad. */
void event_count_chained(struct request *req, enum event_type type, enum event_type counted,
                         request_fn *then);

/* What an event of `type` from this request counts as: `type`, or
 * EVENT_INVALID when --ivt-filter finds it invalid traffic (tracking.h). */
enum event_type event_counted_as(const struct request *req, enum event_type type);

/* The type the event of `req` was counted as (in `then`). */
enum event_type event_counted_type(struct request *req);

/* Counts a no-fill of the ad request that event_count counted in `req`
 * (events.h), in the day it was counted; `then` runs with
 * req->store_status. A duplicate was counted before, its no-fill with it,
 * and an ad request counted as invalid traffic has none: nothing is sent,
 * and `then` runs at once with STORE_OK. */
void event_count_no_fill(struct request *req, request_fn *then);

#endif
