/* events.h -- what counting one event writes to Redis.
 *
 * An event (an ad request or an impression) is counted once per dimension
 * it belongs to -- its user and its SDK version -- with one atomic HINCRBY
 * each. All of an event's commands go into one batch, so they travel to
 * Redis in a single round trip. */
#ifndef ADSTATS_EVENTS_H
#define ADSTATS_EVENTS_H

#include "params.h"
#include "store.h"

/* The five parameters every event carries, all required. */
#define EVENT_PARAMS                                                                       \
    (PARAM_BIT(PARAM_SDK_VERSION) | PARAM_BIT(PARAM_SESSION_ID) | PARAM_BIT(PARAM_PLATFORM) \
     | PARAM_BIT(PARAM_USERNAME) | PARAM_BIT(PARAM_COUNTRY_CODE))

enum event_type { EVENT_AD_REQUEST, EVENT_IMPRESSION };

/* Adds the commands that count one event to `b`. */
void event_add_commands(struct store_batch *b, enum event_type type, const struct params *p);

#endif
