/* test_expiry_cache.c -- the per-worker memory of EXPIREATs sent
 * (expiry_cache.h): a day's day-bucket keys all fit, nothing is resent
 * before EXPIRY_CACHE_RESEND_MS, and a full cache only resends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "day.h"
#include "dimension.h"
#include "expiry_cache.h"
#include "keys.h"

#define NOW_MS 1735776000123LL /* 2025-01-02T00:00:00.123Z */
#define AT_S 1770422400LL

static const char dims[] = "uscp";

/* Day bucket `n` (0..4095: dimension n / DAY_BUCKETS) of `date`, as
 * keys.c names it. */
static void bucket_key(char out[DAY_BUCKET_KEY_LEN + 1], const char *date, unsigned n) {
    snprintf(out, DAY_BUCKET_KEY_LEN + 1, "as:%c:d%s:b%04u", dims[n / DAY_BUCKETS], date,
             n % DAY_BUCKETS);
}

/* Claims every bucket key of `date`; returns how many were granted. */
static unsigned claim_day(const char *date, long long now_ms) {
    unsigned granted = 0;
    for (unsigned n = 0; n < 4 * DAY_BUCKETS; n++) {
        char key[DAY_BUCKET_KEY_LEN + 1];
        bucket_key(key, date, n);
        if (expiry_cache_claim(key, DAY_BUCKET_KEY_LEN, AT_S, now_ms)) granted++;
    }
    return granted;
}

/* All 4096 day-bucket keys of a day fit: claimed again, none is granted
 * (each was still remembered). Over many dates, not one lucky one. */
static void test_a_days_bucket_keys_fit_without_evictions(void **state) {
    (void)state;
    for (long day = day_of_epoch(NOW_MS / 1000); day < day_of_epoch(NOW_MS / 1000) + 400;
         day++) {
        char date[DAY_COMPACT_LEN + 1];
        day_format_compact(day, date);
        expiry_cache_clear();
        assert_int_equal(claim_day(date, NOW_MS), 4 * DAY_BUCKETS);
        if (claim_day(date, NOW_MS + 1000) != 0) fail_msg("evictions on %s", date);
    }
}

static void test_resent_after_the_resend_interval_or_a_new_instant(void **state) {
    (void)state;
    expiry_cache_clear();
    const char *key = "as:u:d20250102:b0999";
    assert_true(expiry_cache_claim(key, DAY_BUCKET_KEY_LEN, AT_S, NOW_MS));
    assert_false(expiry_cache_claim(key, DAY_BUCKET_KEY_LEN, AT_S, NOW_MS + 1));
    assert_true(expiry_cache_claim(key, DAY_BUCKET_KEY_LEN, AT_S + 1, NOW_MS + 2));
    assert_false(expiry_cache_claim(key, DAY_BUCKET_KEY_LEN, AT_S + 1,
                                    NOW_MS + EXPIRY_CACHE_RESEND_MS));
    assert_true(expiry_cache_claim(key, DAY_BUCKET_KEY_LEN, AT_S + 1,
                                   NOW_MS + 2 + EXPIRY_CACHE_RESEND_MS));
    /* a clock that went back resends too */
    assert_true(expiry_cache_claim(key, DAY_BUCKET_KEY_LEN, AT_S + 1, NOW_MS));
}

/* More keys than slots: claims keep working, the newest day's keys are
 * kept in preference to the older ones. */
static void test_a_full_cache_keeps_the_newest(void **state) {
    (void)state;
    expiry_cache_clear();
    assert_int_equal(claim_day("20250101", NOW_MS), 4 * DAY_BUCKETS);
    assert_int_equal(claim_day("20250102", NOW_MS + 1), 4 * DAY_BUCKETS);
    assert_int_equal(claim_day("20250103", NOW_MS + 2), 4 * DAY_BUCKETS);
    assert_int_equal(claim_day("20250103", NOW_MS + 3), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_days_bucket_keys_fit_without_evictions),
        cmocka_unit_test(test_resent_after_the_resend_interval_or_a_new_instant),
        cmocka_unit_test(test_a_full_cache_keeps_the_newest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
