/* backend_log.c -- upstream failure log; see backend_log.h.
 *
 * Each failure written is formatted as one JSON line and handed to a line
 * writer (linewriter.h), whose own thread appends it to the file; a stalled
 * disk costs dropped (and counted) lines, never a waiting request.
 *
 * So that an upstream that is down under load cannot flood the file, each
 * outcome has a rate limiter (ratelimit.h): the first FULL_PER_WINDOW
 * failures of a second are written in full, the rest only counted (with
 * the last one's details kept), and summarized once the second is over.
 * The line writer's thread ticks every TICK_MS to write the summaries that
 * are due when no further failure comes to do it. One mutex guards the
 * outcomes; lines are queued under it, so a summary never overtakes the
 * lines it follows. */
#include "backend_log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "json.h"
#include "linewriter.h"
#include "log.h"
#include "ratelimit.h"

#define QUEUE_MAX 10000
#define FULL_PER_WINDOW 5
#define TICK_MS 250
#define OUTCOMES 16 /* more share the last slot */

static const struct ratelimit_policy policy = {
    .first = FULL_PER_WINDOW, .again = FULL_PER_WINDOW, .window_ms = 1000};

/* One outcome, and the last of its failures held back. */
struct outcome {
    char name[32];
    struct ratelimit limit;
    long http_status, latency_ms;
    char message[256];
};

static struct linewriter *writer;
static char url[1024];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct outcome outcomes[OUTCOMES];
static size_t n_outcomes;
static atomic_long summarized;

/* One JSON line; `repeated` > 0 makes it a summary. Under `lock`. */
static void write_line(const char *outcome, long http_status, long latency_ms,
                       const char *message, unsigned long long repeated) {
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
    if (repeated > 0) buf_printf(&b, ", \"repeated\": %llu", repeated);
    buf_append_str(&b, "}\n");
    if (!b.failed) linewriter_write(writer, b.data, b.len);
    buf_free(&b);
}

static struct outcome *find_outcome(const char *name) {
    for (size_t i = 0; i < n_outcomes; i++) {
        if (strcmp(outcomes[i].name, name) == 0) return &outcomes[i];
    }
    if (n_outcomes == OUTCOMES) return &outcomes[OUTCOMES - 1];
    struct outcome *o = &outcomes[n_outcomes++];
    snprintf(o->name, sizeof(o->name), "%s", name);
    ratelimit_init(&o->limit);
    return o;
}

/* Under `lock`: the summary of the outcome's window, if it is due. */
static void summarize_due(struct outcome *o, long long now_ms, bool force) {
    long long span_ms;
    unsigned long long held = ratelimit_due(&o->limit, &policy, now_ms, force, &span_ms);
    if (held == 0) return;
    atomic_fetch_add_explicit(&summarized, (long)held, memory_order_relaxed);
    char count[40], message[512];
    ratelimit_commas(held, count, sizeof(count));
    snprintf(message, sizeof(message),
             "%s more %s failures in the last %.1f s, not written one by one; the last: %s",
             count, o->name, (double)span_ms / 1000.0, o->message);
    write_line(o->name, o->http_status, o->latency_ms, message, held);
}

static void flush_at(long long now_ms, bool force) {
    pthread_mutex_lock(&lock);
    if (writer != NULL) {
        for (size_t i = 0; i < n_outcomes; i++) summarize_due(&outcomes[i], now_ms, force);
    }
    pthread_mutex_unlock(&lock);
}

static void on_tick(void *arg) {
    (void)arg;
    flush_at(clock_monotonic_ms(), false);
}

bool backend_log_open(const char *path, const char *upstream_url) {
    snprintf(url, sizeof(url), "%s", upstream_url);
    const struct linewriter_tick tick = {on_tick, NULL, TICK_MS};
    struct linewriter *w = linewriter_open_ticking("backend log", path, QUEUE_MAX, &tick);
    pthread_mutex_lock(&lock);
    writer = w;
    n_outcomes = 0;
    pthread_mutex_unlock(&lock);
    return w != NULL;
}

void backend_log_failure(const char *outcome, long http_status, long latency_ms,
                         const char *message) {
    long long now = clock_monotonic_ms();
    pthread_mutex_lock(&lock);
    if (writer != NULL) {
        struct outcome *o = find_outcome(outcome);
        summarize_due(o, now, false);
        if (ratelimit_pass(&o->limit, &policy, now)) {
            write_line(outcome, http_status, latency_ms, message, 0);
        } else {
            o->http_status = http_status;
            o->latency_ms = latency_ms;
            snprintf(o->message, sizeof(o->message), "%s", message);
        }
    }
    pthread_mutex_unlock(&lock);
}

long backend_log_dropped(void) {
    return writer ? linewriter_dropped(writer) : 0;
}

long backend_log_summarized(void) {
    return atomic_load_explicit(&summarized, memory_order_relaxed);
}

void backend_log_close(void) {
    flush_at(clock_monotonic_ms(), true);
    linewriter_close(writer); /* its thread ticks no more */
    pthread_mutex_lock(&lock);
    writer = NULL;
    pthread_mutex_unlock(&lock);
}
