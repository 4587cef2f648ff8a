/* test_prom.c -- unit tests for prom.c: histogram bucketing at and around
 * every bound, the text of families, samples and label values, and the
 * cumulative _bucket/_sum/_count rendering of a histogram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "prom.h"

static void test_bucket_bounds_are_inclusive(void **state) {
    (void)state;
    for (size_t i = 0; i < PROM_BUCKETS; i++) {
        assert_int_equal(prom_bucket(prom_bucket_us[i]), i);
        assert_int_equal(prom_bucket(prom_bucket_us[i] + 1), i + 1);
        if (i > 0) assert_int_equal(prom_bucket(prom_bucket_us[i - 1] + 1), i);
    }
}

static void test_bucket_extremes(void **state) {
    (void)state;
    assert_int_equal(prom_bucket(0), 0);
    assert_int_equal(prom_bucket(-5), 0);
    assert_int_equal(prom_bucket(10000001), PROM_BUCKETS);
    assert_int_equal(prom_bucket(INT64_MAX), PROM_BUCKETS);
}

static void test_bounds_ascend_and_match_their_labels(void **state) {
    (void)state;
    for (size_t i = 0; i < PROM_BUCKETS; i++) {
        if (i > 0) assert_true(prom_bucket_us[i] > prom_bucket_us[i - 1]);
        double seconds = strtod(prom_bucket_le[i], NULL);
        assert_int_equal((long long)(seconds * 1e6 + 0.5), prom_bucket_us[i]);
    }
}

static void test_family_and_samples(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    prom_family(&b, "x_total", "counter", "Things.");
    prom_sample(&b, "x_total", "a=\"1\"", 42);
    prom_sample(&b, "x_total", NULL, 0);
    prom_sample_signed(&b, "g", "", -3);
    prom_sample_double(&b, "t", NULL, 1.5);
    assert_false(b.failed);
    assert_string_equal(b.data, "# HELP x_total Things.\n# TYPE x_total counter\n"
                                "x_total{a=\"1\"} 42\nx_total 0\ng -3\nt 1.500000\n");
    buf_free(&b);
}

static void test_label_values_are_escaped(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    prom_label_value(&b, "a\"b\\c\nd");
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\"");
    buf_free(&b);
}

static void test_histogram_is_cumulative(void **state) {
    (void)state;
    unsigned long long counts[PROM_BUCKETS + 1] = {0};
    counts[0] = 2;   /* <= 100 us */
    counts[3] = 1;   /* <= 1 ms */
    counts[PROM_BUCKETS] = 4; /* > 10 s */
    struct buf b;
    buf_init(&b);
    prom_histogram(&b, "h", "endpoint=\"/ad\"", counts, 1234567);
    assert_false(b.failed);
    assert_non_null(strstr(b.data, "h_bucket{endpoint=\"/ad\",le=\"0.0001\"} 2\n"));
    assert_non_null(strstr(b.data, "h_bucket{endpoint=\"/ad\",le=\"0.0005\"} 2\n"));
    assert_non_null(strstr(b.data, "h_bucket{endpoint=\"/ad\",le=\"0.001\"} 3\n"));
    assert_non_null(strstr(b.data, "h_bucket{endpoint=\"/ad\",le=\"10\"} 3\n"));
    assert_non_null(strstr(b.data, "h_bucket{endpoint=\"/ad\",le=\"+Inf\"} 7\n"));
    assert_non_null(strstr(b.data, "h_sum{endpoint=\"/ad\"} 1.234567\n"));
    assert_non_null(strstr(b.data, "h_count{endpoint=\"/ad\"} 7\n"));
    size_t lines = 0;
    for (const char *c = b.data; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, PROM_BUCKETS + 1 + 2);
    buf_free(&b);
}

static void test_histogram_without_labels(void **state) {
    (void)state;
    unsigned long long counts[PROM_BUCKETS + 1] = {0};
    struct buf b;
    buf_init(&b);
    prom_histogram(&b, "h", NULL, counts, 5);
    assert_non_null(strstr(b.data, "h_bucket{le=\"0.0001\"} 0\n"));
    assert_non_null(strstr(b.data, "h_sum 0.000005\nh_count 0\n"));
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_bounds_are_inclusive),
        cmocka_unit_test(test_bucket_extremes),
        cmocka_unit_test(test_bounds_ascend_and_match_their_labels),
        cmocka_unit_test(test_family_and_samples),
        cmocka_unit_test(test_label_values_are_escaped),
        cmocka_unit_test(test_histogram_is_cumulative),
        cmocka_unit_test(test_histogram_without_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
