/* test_day.c -- unit tests for day.c and clock.c: civil date <-> day
 * number conversions over the whole supported range, strict YYYY-MM-DD
 * parsing (calendar validity, leap years, exact shape), both text forms,
 * the day of an epoch second (floor, also before 1970), range checks, and
 * the --now parser and frozen clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "clock.h"
#include "day.h"

static long parsed(const char *s) {
    long day = -12345;
    if (!day_parse(s, strlen(s), &day)) fail_msg("%s should parse", s);
    return day;
}

static void test_known_days(void **state) {
    (void)state;
    assert_int_equal(day_from_civil(1970, 1, 1), 0);
    assert_int_equal(day_from_civil(1970, 1, 2), 1);
    assert_int_equal(day_from_civil(2000, 3, 1), 11017);
    assert_int_equal(day_from_civil(2025, 1, 1), 20089);
    assert_int_equal(day_from_civil(9999, 12, 31), DAY_MAX);
    assert_int_equal(day_from_civil(1969, 12, 31), -1);
}

static void test_round_trip_over_the_whole_range(void **state) {
    (void)state;
    for (long day = DAY_MIN; day <= DAY_MAX; day += 7) {
        int y;
        unsigned m, d;
        day_to_civil(day, &y, &m, &d);
        if (day_from_civil(y, m, d) != day) fail_msg("day %ld -> %d-%u-%u", day, y, m, d);
    }
}

static void test_parse_accepts_real_dates(void **state) {
    (void)state;
    assert_int_equal(parsed("1970-01-01"), 0);
    assert_int_equal(parsed("2024-02-29"), day_from_civil(2024, 2, 29));
    assert_int_equal(parsed("2000-02-29"), day_from_civil(2000, 2, 29));
    assert_int_equal(parsed("2025-12-31"), day_from_civil(2025, 12, 31));
    assert_int_equal(parsed("9999-12-31"), DAY_MAX);
}

static void test_parse_rejects_impossible_and_malformed(void **state) {
    (void)state;
    const char *bad[] = {"2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10",
                         "2024-01-00", "2024-01-32", "1969-12-31", "0000-01-01", "2024-1-01",
                         "2024-01-1", "24-01-01", "2024/01/01", "2024-01-01x", "2024-01-01 ",
                         " 2024-01-01", "+024-01-01", "2024-0a-01", "", "20240101",
                         "2024-01-01T00:00:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long day = 7;
        if (day_parse(bad[i], strlen(bad[i]), &day)) fail_msg("%s should not parse", bad[i]);
        assert_int_equal(day, 7);
    }
}

static void test_parse_uses_only_len_bytes(void **state) {
    (void)state;
    long day;
    assert_true(day_parse("2024-05-06garbage", 10, &day));
    assert_int_equal(day, day_from_civil(2024, 5, 6));
    assert_false(day_parse("2024-05-06", 9, &day));
}

static void test_formats(void **state) {
    (void)state;
    char iso[DAY_ISO_LEN + 1], compact[DAY_COMPACT_LEN + 1];
    day_format_iso(0, iso);
    day_format_compact(0, compact);
    assert_string_equal(iso, "1970-01-01");
    assert_string_equal(compact, "19700101");
    day_format_iso(day_from_civil(2024, 2, 29), iso);
    day_format_compact(day_from_civil(2024, 2, 29), compact);
    assert_string_equal(iso, "2024-02-29");
    assert_string_equal(compact, "20240229");
    day_format_iso(DAY_MAX, iso);
    assert_string_equal(iso, "9999-12-31");
}

static void test_format_then_parse_is_identity(void **state) {
    (void)state;
    for (long day = DAY_MIN; day <= DAY_MAX; day += 97) {
        char iso[DAY_ISO_LEN + 1];
        day_format_iso(day, iso);
        assert_int_equal(parsed(iso), day);
    }
}

static void test_day_of_epoch_floors(void **state) {
    (void)state;
    assert_int_equal(day_of_epoch(0), 0);
    assert_int_equal(day_of_epoch(86399), 0);
    assert_int_equal(day_of_epoch(86400), 1);
    assert_int_equal(day_of_epoch(-1), -1);
    assert_int_equal(day_of_epoch(-86400), -1);
    assert_int_equal(day_of_epoch(-86401), -2);
    assert_int_equal(day_of_epoch(1735689599), 20088); /* 2024-12-31T23:59:59Z */
    assert_int_equal(day_of_epoch(1735689600), 20089); /* 2025-01-01T00:00:00Z */
}

static void test_range_check(void **state) {
    (void)state;
    assert_int_equal(day_range_check(10, 10, 400), DAY_RANGE_OK);
    assert_int_equal(day_range_check(10, 409, 400), DAY_RANGE_OK);
    assert_int_equal(day_range_check(10, 410, 400), DAY_RANGE_TOO_LONG);
    assert_int_equal(day_range_check(11, 10, 400), DAY_RANGE_REVERSED);
}

static void test_clock_parse(void **state) {
    (void)state;
    long long s = -1;
    assert_true(clock_parse("2025-01-01", &s));
    assert_int_equal(s, 1735689600LL);
    assert_true(clock_parse("1735689599", &s));
    assert_int_equal(s, 1735689599LL);
    assert_true(clock_parse("0", &s));
    assert_int_equal(s, 0);
    const char *bad[] = {"", "abc", "-5", "2025-02-30", "2025-01-01T00:00", "12x", " 12",
                         "99999999999999999999", "253402300800"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (clock_parse(bad[i], &s)) fail_msg("%s should not parse", bad[i]);
    }
}

static void test_frozen_clock(void **state) {
    (void)state;
    clock_freeze(1735689599);
    assert_int_equal(clock_now_ms(), 1735689599000LL);
    assert_int_equal(clock_today(), day_from_civil(2024, 12, 31));
    clock_freeze(1735689600);
    assert_int_equal(clock_today(), day_from_civil(2025, 1, 1));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_days),
        cmocka_unit_test(test_round_trip_over_the_whole_range),
        cmocka_unit_test(test_parse_accepts_real_dates),
        cmocka_unit_test(test_parse_rejects_impossible_and_malformed),
        cmocka_unit_test(test_parse_uses_only_len_bytes),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_format_then_parse_is_identity),
        cmocka_unit_test(test_day_of_epoch_floors),
        cmocka_unit_test(test_range_check),
        cmocka_unit_test(test_clock_parse),
        cmocka_unit_test(test_frozen_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
