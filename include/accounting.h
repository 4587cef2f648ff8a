/* accounting.h -- what the request pipeline counts: requests in flight,
 * and every response by endpoint and status code (metrics.h).
 *
 * It also names, for metrics.h, what the layers below count by number:
 * endpoints by their place in the routing table, upstream outcomes and
 * event types. metrics.c is a utility and knows none of them. */
#ifndef ADSTATS_ACCOUNTING_H
#define ADSTATS_ACCOUNTING_H

#include "endpoint.h"
#include "metrics.h"

/* The labels for metrics_init: endpoints' paths, upstream outcomes' and
 * event types' names. Built on the first call (at start-up), static after. */
const struct metrics_names *accounting_metric_names(void);

void accounting_request_started(void);
void accounting_request_finished(void);
int accounting_requests_in_flight(void);

/* `route` is routing_find_endpoint's (METRICS_NO_ROUTE when no endpoint
 * matched); latency runs from the request line to the response being
 * queued. */
void accounting_count_response(size_t route, unsigned status, long long latency_us);

#endif
