/* clock.h -- the wall clock that decides which day an event belongs to.
 *
 * Normally the system's real-time clock. For tests, `--now` freezes it at
 * a given instant (clock_freeze, called once at start-up before any thread
 * runs), so that a test can place events on either side of midnight UTC by
 * restarting adstats with another --now. */
#ifndef ADSTATS_CLOCK_H
#define ADSTATS_CLOCK_H

#include <stdbool.h>

/* Parses a --now value: "YYYY-MM-DD" (midnight UTC) or whole seconds since
 * 1970 ("1735689599"). */
bool clock_parse(const char *text, long long *epoch_s);

void clock_freeze(long long epoch_s);

long long clock_now_ms(void);
long clock_today(void);

#endif
