/* day.h -- UTC calendar days, the unit of adstats' daily statistics.
 *
 * A day is a whole number: days since 1970-01-01 (UTC), so ranges are
 * plain integer arithmetic. Only 1970-01-01 .. 9999-12-31 are valid days.
 * Days appear as text in two forms: ISO "YYYY-MM-DD" in the API, and the
 * compact "YYYYMMDD" in Redis keys (keys.h). Everything here is pure: the
 * current day comes from clock.h. */
#ifndef ADSTATS_DAY_H
#define ADSTATS_DAY_H

#include <stdbool.h>
#include <stddef.h>

#define DAY_MIN 0L          /* 1970-01-01 */
#define DAY_MAX 2932896L    /* 9999-12-31 */
#define DAY_ISO_LEN 10      /* "YYYY-MM-DD" */
#define DAY_COMPACT_LEN 8   /* "YYYYMMDD" */
#define SECONDS_PER_DAY 86400L

/* Days since 1970-01-01 of a proleptic Gregorian date; the date is not
 * checked (see day_parse). */
long day_from_civil(int year, unsigned month, unsigned mday);
void day_to_civil(long day, int *year, unsigned *month, unsigned *mday);

/* The day that contains `epoch_s` (seconds since 1970, UTC). */
long day_of_epoch(long long epoch_s);

/* Parses exactly "YYYY-MM-DD", a real calendar date from 1970 to 9999.
 * `s` need not be NUL-terminated. */
bool day_parse(const char *s, size_t len, long *day);

/* Write DAY_ISO_LEN / DAY_COMPACT_LEN characters plus a NUL. */
void day_format_iso(long day, char out[DAY_ISO_LEN + 1]);
void day_format_compact(long day, char out[DAY_COMPACT_LEN + 1]);

/* Checks an inclusive range of days against `max_days`. */
enum day_range_status { DAY_RANGE_OK, DAY_RANGE_REVERSED, DAY_RANGE_TOO_LONG };
enum day_range_status day_range_check(long from, long to, long max_days);

#endif
