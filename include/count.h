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
    enum event_type type;     /* the event being counted */
    bool duplicate;           /* its event_id was counted before */
    long long counted_ms;     /* when it was counted */
};

REQUEST_STATE(struct count_state, count_state)

/* Counts the event that `req` carries; `then` runs (as a `finish`) with
 * req->store_status (STORE_OK: counted, or a duplicate) and
 * count_state(req)->duplicate (true: its event_id was counted within the
 * last 24 hours, so it was not counted again). */
void event_count(struct request *req, enum event_type type, request_fn *then);

/* Counts a no-fill of the ad request that event_count counted in `req`
 * (events.h), in the day it was counted; `then` runs with
 * req->store_status. A duplicate was counted before, its
 * no-fill with it: nothing is sent, and `then` runs at once with STORE_OK. */
void event_count_no_fill(struct request *req, request_fn *then);

#endif
