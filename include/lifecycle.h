/* lifecycle.h -- where the process is in its life, for /readyz and
 * /metrics: starting (until the HTTP server is up), ready, or stopping
 * (from the shutdown signal on, so load balancers stop sending traffic
 * while requests in flight drain). Thread-safe. */
#ifndef ADSTATS_LIFECYCLE_H
#define ADSTATS_LIFECYCLE_H

enum lifecycle_phase { LIFECYCLE_STARTING, LIFECYCLE_READY, LIFECYCLE_STOPPING };

void lifecycle_set(enum lifecycle_phase phase);
enum lifecycle_phase lifecycle_get(void);

#endif
