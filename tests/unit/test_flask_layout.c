/* test_flask_layout.c -- unit tests for the pure part of import-flask:
 * what a count is, which hashes are Flask counters, how names resolve into
 * dimensions (--as), what is added on a re-run, and the import record's
 * key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "flask_layout.h"
#include "keys.h"

static bool count_of(const char *s, long long *out) {
    return flask_parse_count(s, strlen(s), out);
}

static void test_counts_as_hincrby_writes_them(void **state) {
    (void)state;
    long long v = -1;
    assert_true(count_of("0", &v));
    assert_int_equal(v, 0);
    assert_true(count_of("42", &v));
    assert_int_equal(v, 42);
    assert_true(count_of("9007199254740991", &v));
    assert_int_equal(v, FLASK_COUNT_MAX);
}

static void test_other_values_are_not_counts(void **state) {
    (void)state;
    static const char *const bad[] = {"", "-1", "+1", "01", " 1", "1 ", "1.0", "1e3", "x",
                                      "9007199254740992", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long v = 7;
        assert_false(count_of(bad[i], &v));
        assert_int_equal(v, 7);
    }
}

/* Judges a hash of `hlen` fields with the given Flask field values. */
static enum flask_verdict judge(long long hlen, const char *imp, const char *req,
                                struct flask_counts *out) {
    const char *value[METRIC_FLASK__COUNT] = {[METRIC_IMPRESSIONS] = imp, [METRIC_AD_REQUESTS] = req};
    size_t len[METRIC_FLASK__COUNT] = {imp ? strlen(imp) : 0, req ? strlen(req) : 0};
    return flask_read_hash(hlen, value, len, out);
}

static void test_flask_hashes(void **state) {
    (void)state;
    struct flask_counts c;
    assert_int_equal(judge(2, "3", "5", &c), FLASK_COUNTERS);
    assert_int_equal(c.n[METRIC_IMPRESSIONS], 3);
    assert_int_equal(c.n[METRIC_AD_REQUESTS], 5);
    /* one field alone: an ad request never followed by an impression */
    assert_int_equal(judge(1, NULL, "4", &c), FLASK_COUNTERS);
    assert_int_equal(c.n[METRIC_IMPRESSIONS], 0);
    assert_int_equal(c.n[METRIC_AD_REQUESTS], 4);
    assert_int_equal(judge(1, "6", NULL, &c), FLASK_COUNTERS);
    assert_int_equal(c.n[METRIC_IMPRESSIONS], 6);
}

static void test_other_hashes(void **state) {
    (void)state;
    struct flask_counts c;
    assert_int_equal(judge(3, "3", "5", &c), FLASK_OTHER_FIELDS);
    assert_int_equal(judge(1, NULL, NULL, &c), FLASK_OTHER_FIELDS);
    assert_int_equal(judge(2, "3", "five", &c), FLASK_NOT_A_COUNT);
    assert_int_equal(judge(1, "-2", NULL, &c), FLASK_NOT_A_COUNT);
    assert_int_equal(judge(0, NULL, NULL, &c), FLASK_GONE);
}

static void test_as_modes(void **state) {
    (void)state;
    static const char *const names[] = {"auto", "user", "sdk", "both"};
    for (int i = 0; i < 4; i++) {
        enum flask_as as = FLASK_AS_AUTO;
        assert_true(flask_as_parse(names[i], &as));
        assert_int_equal(as, i);
        assert_string_equal(flask_as_name(as), names[i]);
    }
    enum flask_as as = FLASK_AS_BOTH;
    assert_false(flask_as_parse("", &as));
    assert_false(flask_as_parse("users", &as));
    assert_false(flask_as_parse("AUTO", &as));
    assert_int_equal(as, FLASK_AS_BOTH);
}

static unsigned resolve(enum flask_as as, const char *name) {
    return flask_resolve(as, name, strlen(name));
}

static void test_auto_takes_what_adstats_accepts_as_a_version_for_an_sdk(void **state) {
    (void)state;
    const unsigned user = FLASK_DIM_BIT(DIM_USER), sdk = FLASK_DIM_BIT(DIM_SDK);
    assert_int_equal(resolve(FLASK_AS_AUTO, "4.12.3"), sdk);
    assert_int_equal(resolve(FLASK_AS_AUTO, "1"), sdk);
    assert_int_equal(resolve(FLASK_AS_AUTO, "alice"), user);
    /* adstats would answer 400 to these as an sdk_version: users */
    assert_int_equal(resolve(FLASK_AS_AUTO, "v1.2"), user);
    assert_int_equal(resolve(FLASK_AS_AUTO, "1.0-beta"), user);
    assert_int_equal(resolve(FLASK_AS_AUTO, "1..2"), user);
    assert_int_equal(resolve(FLASK_AS_AUTO, "1.2."), user);
    assert_int_equal(resolve(FLASK_AS_AUTO, "123456789012345678901234567890123"), user);
}

static void test_the_overrides(void **state) {
    (void)state;
    const unsigned user = FLASK_DIM_BIT(DIM_USER), sdk = FLASK_DIM_BIT(DIM_SDK);
    assert_int_equal(resolve(FLASK_AS_USER, "4.12.3"), user);
    assert_int_equal(resolve(FLASK_AS_SDK, "alice"), sdk);
    assert_int_equal(resolve(FLASK_AS_BOTH, "alice"), user | sdk);
    assert_int_equal(resolve(FLASK_AS_BOTH, "1.0"), user | sdk);
}

static void test_names_adstats_could_not_ask_for_are_invalid(void **state) {
    (void)state;
    char long_name[66];
    memset(long_name, 'a', sizeof(long_name));
    assert_true(flask_name_valid(DIM_USER, "alice", 5));
    assert_true(flask_name_valid(DIM_USER, "1.0", 3));
    assert_true(flask_name_valid(DIM_USER, "J\xc3\xbcrgen", 7));
    assert_true(flask_name_valid(DIM_USER, long_name, 64));
    assert_false(flask_name_valid(DIM_USER, long_name, 65));
    assert_false(flask_name_valid(DIM_USER, "bad\nname", 8));
    assert_false(flask_name_valid(DIM_USER, "\xff", 1));
    assert_false(flask_name_valid(DIM_USER, "", 0));
    assert_true(flask_name_valid(DIM_SDK, "4.12.3", 6));
    assert_false(flask_name_valid(DIM_SDK, "alice", 5));
}

static struct flask_counts counts(long long imp, long long req) {
    struct flask_counts c;
    c.n[METRIC_IMPRESSIONS] = imp;
    c.n[METRIC_AD_REQUESTS] = req;
    return c;
}

static void test_deltas(void **state) {
    (void)state;
    struct flask_counts src = counts(3, 5), none = counts(0, 0), d;
    assert_int_equal(flask_delta(&src, &none, &d), FLASK_DELTA_NEW);
    assert_int_equal(d.n[METRIC_IMPRESSIONS], 3);
    assert_int_equal(d.n[METRIC_AD_REQUESTS], 5);

    struct flask_counts before = counts(3, 2);
    assert_int_equal(flask_delta(&src, &before, &d), FLASK_DELTA_NEW);
    assert_int_equal(d.n[METRIC_IMPRESSIONS], 0);
    assert_int_equal(d.n[METRIC_AD_REQUESTS], 3);

    assert_int_equal(flask_delta(&src, &src, &d), FLASK_DELTA_SAME);
    assert_int_equal(flask_delta(&none, &none, &d), FLASK_DELTA_SAME);

    struct flask_counts more = counts(4, 1);
    assert_int_equal(flask_delta(&src, &more, &d), FLASK_DELTA_LOWER);
}

static void test_record_key(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    key_flask_import(&b, DIM_USER, "alice", 5);
    buf_append_char(&b, '|');
    key_flask_import(&b, DIM_SDK, "1.0", 3);
    buf_append_char(&b, '\0');
    assert_false(b.failed);
    assert_string_equal(b.data, "as:import:flask:u:alice|as:import:flask:s:1.0");
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_as_hincrby_writes_them),
        cmocka_unit_test(test_other_values_are_not_counts),
        cmocka_unit_test(test_flask_hashes),
        cmocka_unit_test(test_other_hashes),
        cmocka_unit_test(test_as_modes),
        cmocka_unit_test(test_auto_takes_what_adstats_accepts_as_a_version_for_an_sdk),
        cmocka_unit_test(test_the_overrides),
        cmocka_unit_test(test_names_adstats_could_not_ask_for_are_invalid),
        cmocka_unit_test(test_deltas),
        cmocka_unit_test(test_record_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
