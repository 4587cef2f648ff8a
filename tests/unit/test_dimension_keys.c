/* test_dimension_keys.c -- unit tests for the analytics key layout
 * (keys.c: day buckets, session HyperLogLogs, top lists, event ids) and
 * the dimension table (dimension.c): names, the /statistics subject that
 * comes first in the query, and that no value can forge a key of another
 * dimension, scope or kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "day.h"
#include "dimension.h"
#include "keys.h"

typedef void day_key_fn(struct buf *, enum dimension, long, const char *, size_t);
typedef void plain_key_fn(struct buf *, enum dimension, const char *, size_t);

static long day_2025_01_02(void) {
    return day_from_civil(2025, 1, 2);
}

static void expect_day_key(day_key_fn *fn, enum dimension dim, const char *value,
                           const char *want) {
    struct buf b;
    buf_init(&b);
    fn(&b, dim, day_2025_01_02(), value, strlen(value));
    assert_false(b.failed);
    assert_string_equal(b.data, want);
    buf_free(&b);
}

static void expect_key(plain_key_fn *fn, enum dimension dim, const char *value,
                       const char *want) {
    struct buf b;
    buf_init(&b);
    fn(&b, dim, value, strlen(value));
    assert_string_equal(b.data, want);
    buf_free(&b);
}

static void test_key_layouts(void **state) {
    (void)state;
    expect_key(key_total, DIM_USER, "alice", "as:u:t:alice");
    expect_key(key_total, DIM_SDK, "1.0", "as:s:t:1.0");
    expect_key(key_total, DIM_COUNTRY, "US", "as:c:t:US");
    expect_key(key_total, DIM_PLATFORM, "ios", "as:p:t:ios");
    expect_key(key_sessions, DIM_USER, "alice", "as:u:h:alice");
    expect_key(key_sessions, DIM_PLATFORM, "ios", "as:p:h:ios");
    expect_day_key(key_day, DIM_USER, "alice", "as:u:20250102:alice");
    expect_day_key(key_day, DIM_COUNTRY, "DE", "as:c:20250102:DE");
    expect_day_key(key_sessions_day, DIM_SDK, "4.1", "as:s:h20250102:4.1");
}

static void test_top_and_event_keys(void **state) {
    (void)state;
    assert_string_equal(key_top(DIM_USER, METRIC_IMPRESSIONS), "as:u:top:imp");
    assert_string_equal(key_top(DIM_SDK, METRIC_AD_REQUESTS), "as:s:top:req");
    assert_string_equal(key_top(DIM_COUNTRY, METRIC_IMPRESSIONS), "as:c:top:imp");
    assert_string_equal(key_top(DIM_PLATFORM, METRIC_AD_REQUESTS), "as:p:top:req");
    assert_string_equal(metric_field(METRIC_IMPRESSIONS), "imp");
    assert_string_equal(metric_field(METRIC_AD_REQUESTS), "req");
    struct buf b;
    buf_init(&b);
    key_event_id(&b, METRIC_IMPRESSIONS, "e-1", 3);
    assert_string_equal(b.data, "as:e:i:e-1");
    buf_reset(&b);
    key_event_id(&b, METRIC_AD_REQUESTS, "e-1", 3);
    assert_string_equal(b.data, "as:e:r:e-1");
    buf_free(&b);
}

/* The part of a key that a value cannot influence: up to the third ':'. */
static size_t fixed_prefix(const char *key) {
    const char *p = key;
    for (int colons = 0; colons < 3; p++) {
        if (*p == ':') colons++;
    }
    return (size_t)(p - key);
}

static void test_no_value_forges_another_key(void **state) {
    (void)state;
    const char *hostile[] = {"t:x", "h:x", "20250102:x", "h20250102:x", ":", "top:imp",
                             "u:t:x", "::", "top", "imp"};
    long day = day_2025_01_02();
    for (int d = 0; d < DIM__COUNT; d++) {
        for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
            const char *v = hostile[i];
            struct buf keys[4];
            for (int k = 0; k < 4; k++) buf_init(&keys[k]);
            key_total(&keys[0], (enum dimension)d, v, strlen(v));
            key_sessions(&keys[1], (enum dimension)d, v, strlen(v));
            key_day(&keys[2], (enum dimension)d, day, v, strlen(v));
            key_sessions_day(&keys[3], (enum dimension)d, day, v, strlen(v));
            static const char *const prefixes[] = {"t:", "h:", "20250102:", "h20250102:"};
            for (int k = 0; k < 4; k++) {
                /* the value starts right after its own fixed prefix */
                size_t n = fixed_prefix(keys[k].data);
                assert_int_equal(n, 5 + strlen(prefixes[k]));
                assert_memory_equal(keys[k].data + 5, prefixes[k], strlen(prefixes[k]));
                assert_string_equal(keys[k].data + n, v);
                /* and no value key is ever a top-list key */
                for (int m = 0; m < METRIC_RANKED__COUNT; m++)
                    assert_string_not_equal(keys[k].data, key_top((enum dimension)d, m));
                buf_free(&keys[k]);
            }
        }
    }
}

static void test_longest_key_fits_key_max(void **state) {
    (void)state;
    char value[65];
    memset(value, 'x', 64);
    value[64] = '\0';
    struct buf b;
    buf_init(&b);
    key_sessions_day(&b, DIM_USER, DAY_MAX, value, 64);
    assert_true(b.len < KEY_MAX);
    buf_reset(&b);
    key_event_id(&b, METRIC_AD_REQUESTS, value, 64);
    assert_true(b.len < KEY_MAX);
    buf_free(&b);
}

static void test_key_format_is_snprintf_like(void **state) {
    (void)state;
    char out[32];
    memset(out, '#', sizeof(out));
    assert_int_equal(key_format(out, sizeof(out), DIM_SDK, SCOPE_SESSIONS_DAY, "20250102", "1.0",
                                3),
                     18);
    assert_memory_equal(out, "as:s:h20250102:1.0#", 19);
    memset(out, '#', sizeof(out));
    assert_int_equal(key_format(out, 17, DIM_SDK, SCOPE_SESSIONS_DAY, "20250102", "1.0", 3), 18);
    assert_int_equal(out[0], '#'); /* too small: nothing written */
    assert_int_equal(key_format(out, sizeof(out), DIM_USER, SCOPE_TOTAL, NULL, "", 0), 7);
    assert_memory_equal(out, "as:u:t:", 7);
    /* a value longer than KEY_MAX still works through the buf API */
    char value[200];
    memset(value, 'v', sizeof(value));
    struct buf b;
    buf_init(&b);
    key_day(&b, DIM_USER, day_2025_01_02(), value, sizeof(value));
    assert_int_equal(b.len, 14 + sizeof(value));
    assert_memory_equal(b.data, "as:u:20250102:", 14);
    buf_free(&b);
}

static void test_dimension_names(void **state) {
    (void)state;
    static const char *const names[DIM__COUNT] = {"username", "sdk", "country", "platform"};
    for (int d = 0; d < DIM__COUNT; d++) {
        enum dimension got;
        assert_string_equal(dimension_spec((enum dimension)d)->name, names[d]);
        assert_true(dimension_by_name(names[d], strlen(names[d]), &got));
        assert_int_equal(got, d);
    }
    enum dimension got;
    assert_false(dimension_by_name("user", 4, &got));
    assert_false(dimension_by_name("sdk_version", 11, &got));
    assert_false(dimension_by_name("usernamex", 8 + 1, &got));
    enum metric m;
    assert_true(metric_by_name("impressions", 11, &m));
    assert_int_equal(m, METRIC_IMPRESSIONS);
    assert_true(metric_by_name("ad_requests", 11, &m));
    assert_int_equal(m, METRIC_AD_REQUESTS);
    assert_false(metric_by_name("imp", 3, &m));
    assert_string_equal(metric_name(METRIC_AD_REQUESTS), "ad_requests");
}

static void test_event_and_filter_params(void **state) {
    (void)state;
    assert_int_equal(dimension_spec(DIM_USER)->event_param, PARAM_USERNAME);
    assert_int_equal(dimension_spec(DIM_SDK)->event_param, PARAM_SDK_VERSION);
    assert_int_equal(dimension_spec(DIM_COUNTRY)->event_param, PARAM_COUNTRY_CODE);
    assert_int_equal(dimension_spec(DIM_PLATFORM)->event_param, PARAM_PLATFORM);
    assert_int_equal(dimension_spec(DIM_SDK)->filter_param, PARAM_SDK);
    assert_int_equal(dimension_spec(DIM_COUNTRY)->filter_param, PARAM_COUNTRY);
    for (int d = 0; d < DIM__COUNT; d++)
        assert_true(DIMENSION_FILTERS & PARAM_BIT(dimension_spec((enum dimension)d)->filter_param));
}

static const struct param_value *filter_of(const char *query, enum dimension *dim, char *copy) {
    static struct params p;
    memset(&p, 0, sizeof(p));
    strcpy(copy, query);
    assert_int_equal(form_parse(copy, strlen(copy), &p), FORM_OK);
    return dimension_filter(&p, dim);
}

static void test_first_filter_in_query_wins(void **state) {
    (void)state;
    char copy[256];
    enum dimension dim;
    const struct param_value *v = filter_of("country=DE&username=bob&sdk=1.0", &dim, copy);
    assert_int_equal(dim, DIM_COUNTRY);
    assert_string_equal(v->data, "DE");
    v = filter_of("x=1&platform=ios&country=DE", &dim, copy);
    assert_int_equal(dim, DIM_PLATFORM);
    assert_string_equal(v->data, "ios");
    v = filter_of("sdk=2.0&username=bob", &dim, copy);
    assert_int_equal(dim, DIM_SDK);
    v = filter_of("username=bob", &dim, copy);
    assert_int_equal(dim, DIM_USER);
    assert_null(filter_of("sdk_version=1.0&country_code=US&user=x", &dim, copy));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_layouts),
        cmocka_unit_test(test_top_and_event_keys),
        cmocka_unit_test(test_no_value_forges_another_key),
        cmocka_unit_test(test_longest_key_fits_key_max),
        cmocka_unit_test(test_key_format_is_snprintf_like),
        cmocka_unit_test(test_dimension_names),
        cmocka_unit_test(test_event_and_filter_params),
        cmocka_unit_test(test_first_filter_in_query_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
