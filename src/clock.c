/* clock.c -- wall clock with a test override; see clock.h. */
#include "clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "day.h"

static bool frozen;
static long long frozen_ms;
static long long frozen_lag_s; /* real time - frozen time, at freezing */

bool clock_parse(const char *text, long long *epoch_s) {
    long day;
    if (day_parse(text, strlen(text), &day)) {
        *epoch_s = (long long)day * SECONDS_PER_DAY;
        return true;
    }
    if (text[0] < '0' || text[0] > '9') return false;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end != '\0' || v > (long long)(DAY_MAX + 1) * SECONDS_PER_DAY - 1) return false;
    *epoch_s = v;
    return true;
}

void clock_freeze(long long epoch_s) {
    frozen_lag_s = clock_now_ms() / 1000 - epoch_s;
    frozen = true;
    frozen_ms = epoch_s * 1000;
}

long long clock_redis_s(long long epoch_s) {
    return frozen ? epoch_s + frozen_lag_s : epoch_s;
}

long long clock_now_ms(void) {
    if (frozen) return frozen_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long clock_today(void) {
    return day_of_epoch(clock_now_ms() / 1000);
}

long long clock_monotonic_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long clock_monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
