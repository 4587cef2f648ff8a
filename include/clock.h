/* clock.h -- adstats' two clocks.
 *
 * clock_monotonic_us (and _ms) measures durations (timeouts, latencies): it never
 * jumps. The wall clock decides which day an event belongs to: normally
 * the system's real-time clock. For tests, `--now` freezes it at
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

/* An instant of this clock (epoch s) on Redis' clock, the real one, for an
 * EXPIREAT: the same instant, unless --now froze this clock, which shifts
 * it by how far the frozen clock lags the real one at freezing -- so that
 * what a test counts "in 2025" expires as long after the real now as it
 * would have after the frozen one, instead of at once. */
long long clock_redis_s(long long epoch_s);

/* Microseconds and milliseconds on CLOCK_MONOTONIC, for durations only. */
long long clock_monotonic_us(void);
long long clock_monotonic_ms(void);

#endif
