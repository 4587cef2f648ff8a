/* log.c -- leveled diagnostics; see log.h. Each line is formatted into one
 * buffer and written with a single fputs, so lines from different threads
 * never interleave.
 *
 * Repeated failures (log_repeated) keep a small table of kinds, each with
 * a rate limiter (ratelimit.h), under one mutex: the failure paths that use it are far from the hot path, and a
 * lock and a few string comparisons cost nothing next to a log line. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ratelimit.h"

static enum log_level threshold = LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};
static FILE *output;

void log_set_output(FILE *out) {
    output = out;
}

void log_set_level(const char *name) {
    for (int l = LOG_ERROR; l <= LOG_DEBUG; l++) {
        if (strcmp(name, level_names[l]) == 0) threshold = (enum log_level)l;
    }
}

/* The date and time up to the second change once a second: each thread
 * keeps the last one it formatted (the access log asks on every request). */
size_t log_time_now(char *out, size_t cap) {
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char cached[24];
    static _Thread_local size_t cached_len;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = now.tv_sec;
    }
    long ms = now.tv_nsec / 1000000;
    if (cap < cached_len + 6) return 0;
    memcpy(out, cached, cached_len);
    char *p = out + cached_len;
    *p++ = '.';
    *p++ = (char)('0' + ms / 100);
    *p++ = (char)('0' + ms / 10 % 10);
    *p++ = (char)('0' + ms % 10);
    *p++ = 'Z';
    *p = '\0';
    return cached_len + 5;
}

static void log_line(enum log_level level, const char *fmt, va_list ap) {
    if (level > threshold) return;
    char line[1024];
    int n = (int)log_time_now(line, LOG_TIME_MAX);
    n += snprintf(line + n, sizeof(line) - (size_t)n, " %-5s ", level_names[level]);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    strcat(line, "\n");
    fputs(line, output ? output : stderr);
}

void log_msg(enum log_level level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_line(level, fmt, ap);
    va_end(ap);
}

/* ---- repeated failures ------------------------------------------------- */

/* The first line of a run in full, then one summary a second. */
static const struct ratelimit_policy policy = {.first = 1, .again = 0, .window_ms = 1000};

struct kind {
    char name[LOG_KIND_MAX];
    enum log_level level;
    struct ratelimit limit;
};

static pthread_mutex_t kinds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kind kinds[LOG_KINDS];
static size_t n_kinds;
static atomic_llong summarized; /* lines counted into summaries */

static struct kind *find_kind(const char *name) {
    for (size_t i = 0; i < n_kinds; i++) {
        if (strcmp(kinds[i].name, name) == 0) return &kinds[i];
    }
    if (n_kinds == LOG_KINDS - 1) name = "log: other repeated lines";
    if (n_kinds == LOG_KINDS) return &kinds[LOG_KINDS - 1];
    struct kind *k = &kinds[n_kinds++];
    snprintf(k->name, sizeof(k->name), "%s", name);
    ratelimit_init(&k->limit);
    return k;
}

/* Under kinds_lock: the summary of a window that is over, if one is due. */
static void summarize_due(struct kind *k, long long now_ms) {
    long long span_ms;
    unsigned long long held = ratelimit_due(&k->limit, &policy, now_ms, false, &span_ms);
    if (held == 0) return;
    atomic_fetch_add_explicit(&summarized, (long long)held, memory_order_relaxed);
    char count[40];
    ratelimit_commas(held, count, sizeof(count));
    const char *colon = strstr(k->name, ": ");
    int prefix = colon ? (int)(colon - k->name) : 0;
    const char *what = colon ? colon + 2 : k->name;
    log_msg(k->level, "%.*s%s%s more %s in the last %.1f s", prefix, k->name, colon ? ": " : "",
            count, what, (double)span_ms / 1000.0);
}

static void repeated(long long now_ms, enum log_level level, const char *kind, const char *fmt,
                     va_list ap) {
    pthread_mutex_lock(&kinds_lock);
    struct kind *k = find_kind(kind);
    summarize_due(k, now_ms);
    if (!k->limit.active) k->level = level;
    if (ratelimit_pass(&k->limit, &policy, now_ms)) log_line(level, fmt, ap);
    pthread_mutex_unlock(&kinds_lock);
}

void log_repeated_at(long long now_ms, enum log_level level, const char *kind, const char *fmt,
                     ...) {
    va_list ap;
    va_start(ap, fmt);
    repeated(now_ms, level, kind, fmt, ap);
    va_end(ap);
}

void log_repeated(enum log_level level, const char *kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    repeated(clock_monotonic_ms(), level, kind, fmt, ap);
    va_end(ap);
}

void log_repeated_flush_at(long long now_ms) {
    pthread_mutex_lock(&kinds_lock);
    for (size_t i = 0; i < n_kinds; i++) summarize_due(&kinds[i], now_ms);
    pthread_mutex_unlock(&kinds_lock);
}

void log_repeated_flush(void) {
    log_repeated_flush_at(clock_monotonic_ms());
}

long long log_repeated_summarized(void) {
    return atomic_load_explicit(&summarized, memory_order_relaxed);
}

void log_repeated_reset(void) {
    pthread_mutex_lock(&kinds_lock);
    n_kinds = 0;
    atomic_store_explicit(&summarized, 0, memory_order_relaxed);
    pthread_mutex_unlock(&kinds_lock);
}
