/* statistics.h -- the parts of /statistics that live in separate files. */
#ifndef ADSTATS_ENDPOINT_STATISTICS_H
#define ADSTATS_ENDPOINT_STATISTICS_H

#include "request.h"

/* The state of a GET or DELETE /statistics (request.h's REQUEST_STATE). */
struct statistics_state {
    long long values[4]; /* all-time counts, while the reply comes in */
    bool found;
    long long deleted;   /* DELETE: keys and top-list members removed */
};

REQUEST_STATE(struct statistics_state, statistics_state)

/* DELETE /statistics (statistics_delete.c). */
void statistics_delete(struct request *req);

#endif
