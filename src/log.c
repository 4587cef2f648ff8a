/* log.c -- leveled diagnostics; see log.h. Each line is formatted into one
 * buffer and written with a single fputs, so lines from different threads
 * never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level threshold = LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

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

void log_msg(enum log_level level, const char *fmt, ...) {
    if (level > threshold) return;
    char line[1024];
    int n = (int)log_time_now(line, LOG_TIME_MAX);
    n += snprintf(line + n, sizeof(line) - (size_t)n, " %-5s ", level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    strcat(line, "\n");
    fputs(line, stderr);
}
