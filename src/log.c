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

size_t log_time_now(char *out, size_t cap) {
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(out + n, cap - n, ".%03ldZ", now.tv_nsec / 1000000);
    return m > 0 && (size_t)m < cap - n ? n + (size_t)m : n;
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
