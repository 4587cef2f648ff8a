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

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
