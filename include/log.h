/* log.h -- leveled diagnostics on stderr, one line per call. */
#ifndef ADSTATS_LOG_H
#define ADSTATS_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

#include <stddef.h>

void log_set_level(const char *name);

/* Writes the current UTC time as 2024-05-01T12:00:00.123Z into out (at
 * least LOG_TIME_MAX bytes); returns its length. Shared by every log. */
#define LOG_TIME_MAX 32
size_t log_time_now(char *out, size_t cap);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Repeated failures: the first line of a kind is logged in full; further
 * ones of the same kind are only counted, and summarized at most once a
 * second, as "<prefix>: 3,045 more <what> in the last 1.0 s", where the kind
 * is "<prefix>: <what>" (for example "redis: OOM error replies"). A kind that
 * stays quiet for a second starts afresh: its next line is logged in full.
 * log_repeated_flush writes the summaries that are due (call it now and
 * then, so that the last count of a burst is not held back until the next
 * failure). Thread-safe; a mutex and a lookup among at most LOG_KINDS kinds
 * (more share one "other" kind). The _at variants take the monotonic time
 * in ms, for tests. */
#define LOG_KINDS 48
#define LOG_KIND_MAX 64
void log_repeated(enum log_level level, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_repeated_at(long long now_ms, enum log_level level, const char *kind, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
void log_repeated_flush(void);
void log_repeated_flush_at(long long now_ms);
/* Lines counted into summaries so far (not written one by one). */
long long log_repeated_summarized(void);
/* Forgets every kind (tests). */
void log_repeated_reset(void);

/* Where lines go: stderr unless set (tests). */
#include <stdio.h>
void log_set_output(FILE *out);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
