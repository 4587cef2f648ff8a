/* access_log.h -- one JSON line per answered request (--access-log).
 *
 * Fields: time, method, path, status, latency_ms, bytes (of the body),
 * client (address), and params: the known request parameters as decoded,
 * JSON-escaped like every string in the line, so no value can forge a
 * field or break a line. Lines go through a line writer (linewriter.h):
 * request threads never wait on the disk. Off unless a path is given;
 * "-" writes to standard output. */
#ifndef ADSTATS_ACCESS_LOG_H
#define ADSTATS_ACCESS_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "params.h"

struct sockaddr;

/* "" leaves the access log off (and returns true). */
bool access_log_open(const char *path);
bool access_log_enabled(void);

struct access_entry {
    const char *method;
    const char *path;
    unsigned status;
    long long latency_us;
    size_t bytes;
    const struct sockaddr *client; /* may be NULL */
    const struct params *params;   /* may be NULL */
};

/* Formats the line of `e` into `b` (pure; exposed for unit tests). */
void access_log_format(struct buf *b, const struct access_entry *e);

/* Queues the line of `e`; a no-op when the log is off. */
void access_log_write(const struct access_entry *e);

long access_log_dropped(void);
void access_log_close(void);

#endif
