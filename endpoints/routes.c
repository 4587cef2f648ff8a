/* routes.c -- the routing table: every endpoint adstats serves. */
#include "endpoint.h"

const struct endpoint *const endpoints[] = {
    &endpoint_ad,
    &endpoint_impression,
    &endpoint_track,
    &endpoint_statistics,
    &endpoint_top,
    &endpoint_metrics,
    &endpoint_healthz,
    &endpoint_readyz,
    &endpoint_openapi,
    &endpoint_root,
    &endpoint_dashboard,
    NULL,
};
