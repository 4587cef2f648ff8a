/* log.c -- leveled diagnostics; see log.h. Each line is formatted into one
 * buffer and written with a single fputs, so lines from different threads
 * never interleave.
 *
 * Repeated failures (log_repeated) keep a small table of kinds under one
 * mutex: the failure paths that use it are far from the hot path, and a
 * lock and a few string comparisons cost nothing next to a log line. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

#define SUMMARY_MS 1000

struct kind {
    char name[LOG_KIND_MAX];
    enum log_level level;
    bool active;              /* a line of it was logged, within a window */
    long long window_ms;      /* start of the current window */
    unsigned long long count; /* lines not logged in the current window */
};

static pthread_mutex_t kinds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kind kinds[LOG_KINDS];
static size_t n_kinds;

static struct kind *find_kind(const char *name) {
    for (size_t i = 0; i < n_kinds; i++) {
        if (strcmp(kinds[i].name, name) == 0) return &kinds[i];
    }
    if (n_kinds == LOG_KINDS - 1) name = "log: other repeated lines";
    if (n_kinds == LOG_KINDS) return &kinds[LOG_KINDS - 1];
    struct kind *k = &kinds[n_kinds++];
    snprintf(k->name, sizeof(k->name), "%s", name);
    k->active = false;
    return k;
}

/* 3045 as "3,045". */
static void with_commas(unsigned long long n, char *out, size_t cap) {
    char digits[32];
    int len = snprintf(digits, sizeof(digits), "%llu", n);
    size_t at = 0;
    for (int i = 0; i < len && at + 2 < cap; i++) {
        if (i > 0 && (len - i) % 3 == 0) out[at++] = ',';
        out[at++] = digits[i];
    }
    out[at] = '\0';
}

static void summarize(struct kind *k, long long now_ms) {
    char count[40];
    with_commas(k->count, count, sizeof(count));
    const char *colon = strstr(k->name, ": ");
    int prefix = colon ? (int)(colon - k->name) : 0;
    const char *what = colon ? colon + 2 : k->name;
    log_msg(k->level, "%.*s%s%s more %s in the last %.1f s", prefix, k->name, colon ? ": " : "",
            count, what, (double)(now_ms - k->window_ms) / 1000.0);
}

/* Under kinds_lock: a window is over; summarize it, or end the run. */
static void close_window(struct kind *k, long long now_ms) {
    if (k->count == 0) {
        k->active = false;
        return;
    }
    summarize(k, now_ms);
    k->window_ms = now_ms;
    k->count = 0;
}

static void repeated(long long now_ms, enum log_level level, const char *kind, const char *fmt,
                     va_list ap) {
    pthread_mutex_lock(&kinds_lock);
    struct kind *k = find_kind(kind);
    if (k->active && now_ms - k->window_ms >= SUMMARY_MS) close_window(k, now_ms);
    if (k->active) {
        k->count++;
    } else {
        k->active = true;
        k->level = level;
        k->window_ms = now_ms;
        k->count = 0;
        log_line(level, fmt, ap);
    }
    pthread_mutex_unlock(&kinds_lock);
}

static long long monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
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
    repeated(monotonic_ms(), level, kind, fmt, ap);
    va_end(ap);
}

void log_repeated_flush_at(long long now_ms) {
    pthread_mutex_lock(&kinds_lock);
    for (size_t i = 0; i < n_kinds; i++) {
        struct kind *k = &kinds[i];
        if (k->active && now_ms - k->window_ms >= SUMMARY_MS) close_window(k, now_ms);
    }
    pthread_mutex_unlock(&kinds_lock);
}

void log_repeated_flush(void) {
    log_repeated_flush_at(monotonic_ms());
}

void log_repeated_reset(void) {
    pthread_mutex_lock(&kinds_lock);
    n_kinds = 0;
    pthread_mutex_unlock(&kinds_lock);
}
