/* backend_log.c -- upstream failure log; see backend_log.h.
 *
 * Each failure is formatted as one JSON line on the calling thread and
 * handed to a line writer (linewriter.h), whose own thread appends it to
 * the file; a stalled disk costs dropped (and counted) lines, never a
 * waiting request. */
#include "backend_log.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "linewriter.h"
#include "log.h"

#define QUEUE_MAX 10000

static struct linewriter *writer;
static char url[1024];

bool backend_log_open(const char *path, const char *upstream_url) {
    snprintf(url, sizeof(url), "%s", upstream_url);
    writer = linewriter_open("backend log", path, QUEUE_MAX);
    return writer != NULL;
}

void backend_log_failure(const char *outcome, long http_status, long latency_ms,
                         const char *message) {
    if (writer == NULL) return;
    char time[LOG_TIME_MAX], storage[1024];
    size_t time_len = log_time_now(time, sizeof(time));
    struct buf b;
    buf_init_static(&b, storage, sizeof(storage));
    buf_append_str(&b, "{\"time\": ");
    json_append_string(&b, time, time_len);
    buf_append_str(&b, ", \"url\": ");
    json_append_string(&b, url, strlen(url));
    buf_append_str(&b, ", \"outcome\": ");
    json_append_string(&b, outcome, strlen(outcome));
    buf_printf(&b, ", \"http_status\": %ld, \"latency_ms\": %ld, \"message\": ", http_status,
               latency_ms);
    json_append_string(&b, message, strlen(message));
    buf_append_str(&b, "}\n");
    if (!b.failed) linewriter_write(writer, b.data, b.len);
    buf_free(&b);
}

long backend_log_dropped(void) {
    return writer ? linewriter_dropped(writer) : 0;
}

void backend_log_close(void) {
    linewriter_close(writer);
    writer = NULL;
}
