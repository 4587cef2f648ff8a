/* backend_log.h -- the log of upstream failures: one JSON line per failed
 * fetch (time, upstream URL, outcome, HTTP status, latency, message),
 * appended to a file by a thread of its own, so that no request thread ever
 * waits on the disk. Bounded: of each outcome, the first 5 failures in a
 * second are written in full; the rest make one summary line of the same
 * shape once the second is over, with "repeated": N (how many it stands
 * for) and the last one's status, latency and message. */
#ifndef ADSTATS_BACKEND_LOG_H
#define ADSTATS_BACKEND_LOG_H

#include <stdbool.h>

bool backend_log_open(const char *path, const char *upstream_url);
void backend_log_failure(const char *outcome, long http_status, long latency_ms,
                         const char *message);
/* Lines lost to a full queue or a failing disk. */
long backend_log_dropped(void);
/* Failures counted into summaries rather than written one by one. */
long backend_log_summarized(void);
/* Writes the summaries held back and what is queued, then stops the
 * writer. */
void backend_log_close(void);

#endif
