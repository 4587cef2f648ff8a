/* accounting.c -- requests in flight and responses counted; see
 * accounting.h.
 *
 * metrics.c counts by number; here are the numbers' names. Each table is
 * sized by its enum's __COUNT member and filled from the function that
 * names one value (a switch -Wswitch checks for every member), so a new
 * outcome or event type cannot go unnamed or uncounted. */
#include "accounting.h"

#include <assert.h>
#include <stdatomic.h>

#include "events.h"
#include "upstream.h"

static_assert(UPSTREAM__COUNT <= METRICS_MAX_OUTCOMES, "raise METRICS_MAX_OUTCOMES");
static_assert(EVENT__COUNT <= METRICS_MAX_EVENT_TYPES, "raise METRICS_MAX_EVENT_TYPES");

static atomic_int in_flight;

const struct metrics_names *accounting_metric_names(void) {
    static const char *routes[METRICS_MAX_ROUTES];
    static const char *outcomes[UPSTREAM__COUNT];
    static const char *event_types[EVENT__COUNT];
    static struct metrics_names names = {routes, 0, outcomes, UPSTREAM__COUNT, event_types,
                                         EVENT__COUNT};
    size_t n = 0;
    for (; endpoints[n] != NULL; n++) {
        if (n < METRICS_MAX_ROUTES) routes[n] = endpoints[n]->path;
    }
    names.n_routes = n;
    for (int o = 0; o < UPSTREAM__COUNT; o++) outcomes[o] = upstream_outcome_name(o);
    for (int t = 0; t < EVENT__COUNT; t++) event_types[t] = event_type_name(t);
    return &names;
}

void accounting_request_started(void) {
    atomic_fetch_add_explicit(&in_flight, 1, memory_order_relaxed);
}

void accounting_request_finished(void) {
    atomic_fetch_sub_explicit(&in_flight, 1, memory_order_relaxed);
}

int accounting_requests_in_flight(void) {
    return atomic_load(&in_flight);
}

void accounting_count_response(size_t route, unsigned status, long long latency_us) {
    metrics_http_response(route, status, latency_us);
}
