/* statistics.h -- the parts of /statistics that live in separate files. */
#ifndef ADSTATS_ENDPOINT_STATISTICS_H
#define ADSTATS_ENDPOINT_STATISTICS_H

#include "request.h"

/* DELETE /statistics (statistics_delete.c). */
void statistics_delete(struct request *req);

#endif
