/* statistics.h -- the parts of /statistics that live in separate files. */
#ifndef ADSTATS_ENDPOINT_STATISTICS_H
#define ADSTATS_ENDPOINT_STATISTICS_H

#include "request.h"

/* The state of a DELETE /statistics (request.h's REQUEST_STATE); a GET
 * reads its counts into req->scratch (struct stats_counts). */
struct statistics_state {
    long long deleted;   /* keys and top-list members removed */
};

REQUEST_STATE(struct statistics_state, statistics_state)

/* DELETE /statistics (statistics_delete.c). */
void statistics_delete(struct request *req);

#endif
