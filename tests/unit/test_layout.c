/* test_layout.c -- unit tests for layout.c, the upgrade markers, and how
 * a range read uses them (stats_range.c): the SET NX + GETs travel only
 * while the process lacks an answer; layout 1's day hashes and layout 2's
 * day buckets are each read for the days up to their marker's day + 1
 * only, and for every day while it is unknown; a marker that is no day
 * leaves it unknown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "clock.h"
#include "day.h"
#include "layout.h"
#include "stats_range.h"

#define D0 20157L /* 2025-03-10 */

static redisReply string_reply(const char *s) {
    redisReply r;
    memset(&r, 0, sizeof(r));
    r.type = REDIS_REPLY_STRING;
    r.str = (char *)s;
    r.len = strlen(s);
    return r;
}

static int setup(void **state) {
    (void)state;
    layout_forget();
    clock_freeze((long long)D0 * SECONDS_PER_DAY);
    return 0;
}

static bool arg_is(const struct store_batch *b, size_t cmd, int arg, const char *want) {
    const struct store_cmd *c = &b->cmds[cmd];
    if (arg >= c->argc) return false;
    size_t i = c->first + (size_t)arg;
    return b->argvlen[i] == strlen(want) && memcmp(b->argv[i], want, b->argvlen[i]) == 0;
}

static void test_markers_asked_until_answered(void **state) {
    (void)state;
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    assert_true(layout_add_markers(&b, D0));
    assert_int_equal(b.n_cmds, LAYOUT_MARKER_CMDS);
    assert_true(arg_is(&b, 0, 0, "SET") && arg_is(&b, 0, 1, LAYOUT_MARKER_V2_KEY)
                && arg_is(&b, 0, 2, "20250310") && arg_is(&b, 0, 3, "NX"));
    assert_true(arg_is(&b, 1, 0, "GET") && arg_is(&b, 1, 1, LAYOUT_MARKER_V2_KEY));
    assert_true(arg_is(&b, 2, 0, "SET") && arg_is(&b, 2, 1, LAYOUT_MARKER_V3_KEY)
                && arg_is(&b, 2, 2, "20250310") && arg_is(&b, 2, 3, "NX"));
    assert_true(arg_is(&b, 3, 0, "GET") && arg_is(&b, 3, 1, LAYOUT_MARKER_V3_KEY));
    assert_false(b.overflow);

    redisReply nil = {.type = REDIS_REPLY_NIL};
    layout_learn(1, &nil); /* no answer: still asked */
    assert_true(layout_add_markers(&b, D0));
    redisReply day = string_reply("20250308");
    layout_learn(1, &day); /* v2 known, v3 not: still asked */
    assert_true(layout_add_markers(&b, D0));
    layout_learn(3, &day);
    assert_false(layout_add_markers(&b, D0));
    assert_int_equal(b.n_cmds, 3 * LAYOUT_MARKER_CMDS);
}

static void test_a_set_reply_teaches_nothing(void **state) {
    (void)state;
    redisReply day = string_reply("20250310");
    layout_learn(0, &day);
    layout_learn(2, &day);
    layout_learn(LAYOUT_MARKER_CMDS + 1, &day);
    assert_true(layout_reads_old(LAYOUT_OLD_DAY_HASHES, D0 + 1000));
    assert_true(layout_reads_old(LAYOUT_OLD_BUCKETS_V2, D0 + 1000));
}

static void test_old_days_up_to_each_cutoff_plus_one(void **state) {
    (void)state;
    assert_true(layout_reads_old(LAYOUT_OLD_DAY_HASHES, D0 + 1000)); /* unknown: read both */
    assert_true(layout_reads_old(LAYOUT_OLD_BUCKETS_V2, D0 + 1000));
    redisReply v2 = string_reply("20250301"), v3 = string_reply("20250310");
    layout_learn(1, &v2);
    layout_learn(3, &v3);
    assert_true(layout_reads_old(LAYOUT_OLD_DAY_HASHES, D0 - 8));
    assert_false(layout_reads_old(LAYOUT_OLD_DAY_HASHES, D0 - 7));
    assert_true(layout_reads_old(LAYOUT_OLD_BUCKETS_V2, D0 - 400));
    assert_true(layout_reads_old(LAYOUT_OLD_BUCKETS_V2, D0));
    assert_true(layout_reads_old(LAYOUT_OLD_BUCKETS_V2, D0 + 1)); /* old nodes across midnight */
    assert_false(layout_reads_old(LAYOUT_OLD_BUCKETS_V2, D0 + 2));
}

static void test_a_marker_that_is_no_day_is_unknown(void **state) {
    (void)state;
    static const char *bad[] = {"", "2025031", "202503100", "2025-03-1", "20250230", "2025031x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        redisReply r = string_reply(bad[i]);
        layout_learn(3, &r);
        assert_true(layout_reads_old(LAYOUT_OLD_BUCKETS_V2, D0 + 1000));
    }
    redisReply wrong_type = {.type = REDIS_REPLY_INTEGER, .integer = 20250310};
    layout_learn(3, &wrong_type);
    assert_true(layout_reads_old(LAYOUT_OLD_BUCKETS_V2, D0 + 1000));
}

/* The HMGETs in `b` whose key begins with `prefix`: layout 1's day hashes
 * (as:u:2025MMDD:alice) or layout 2's buckets (as:u:d2025MMDD:bNNNN). */
static size_t reads_of(const struct store_batch *b, const char *prefix) {
    size_t n = 0;
    for (size_t i = 0; i < b->n_cmds; i++) {
        const struct store_cmd *c = &b->cmds[i];
        const char *key = b->argv[c->first + 1];
        if (arg_is(b, i, 0, "HMGET") && b->argvlen[c->first + 1] > strlen(prefix)
            && memcmp(key, prefix, strlen(prefix)) == 0)
            n++;
    }
    return n;
}

static void test_range_reads_old_keys_of_covered_days_only(void **state) {
    (void)state;
    struct stats_range *r = stats_range_new(D0 - 4, D0, false, true, 0);
    assert_non_null(r);
    struct store_batch b;
    assert_true(stats_range_prepare(r, &b, DIM_USER, "alice", 5, NULL, NULL));
    assert_true(r->marker);
    assert_int_equal(reads_of(&b, "as:u:2025"), 5); /* unknown: every day */
    assert_int_equal(reads_of(&b, "as:u:d2025"), 5);
    assert_int_equal(reads_of(&b, "as:u:e2025"), 5);
    assert_int_equal(b.n_cmds, 1 + LAYOUT_MARKER_CMDS + 5 + 5 + 5);

    /* v2's GET answers D0 - 4 (old hashes up to D0 - 3 count), v3's D0 - 3
     * (old buckets up to D0 - 2 count) */
    redisReply v2 = string_reply("20250306"), v3 = string_reply("20250307");
    stats_range_reply(r, 2, &v2);
    stats_range_reply(r, 4, &v3);
    redisReply imp = {.type = REDIS_REPLY_STRING, .str = "7", .len = 1};
    redisReply imp_old = {.type = REDIS_REPLY_STRING, .str = "100", .len = 3};
    redisReply nil = {.type = REDIS_REPLY_NIL};
    redisReply *fields[] = {&imp, &nil, &nil}, *old_fields[] = {&imp_old, &nil, &nil};
    redisReply hmget = {.type = REDIS_REPLY_ARRAY, .elements = 3, .element = fields};
    redisReply hmget_old = {.type = REDIS_REPLY_ARRAY, .elements = 3, .element = old_fields};
    size_t first_old = 1 + LAYOUT_MARKER_CMDS + 5;
    for (size_t day = 0; day < 5; day++) stats_range_reply(r, first_old + day, &hmget_old);
    for (size_t day = 0; day < 5; day++) stats_range_reply(r, first_old + 5 + day, &hmget);
    stats_range_finish(r);
    assert_int_equal(r->total.impressions, 2 * 100 + 3 * 7);
    assert_int_equal(r->days[1].counts.impressions, 107);
    assert_int_equal(r->days[2].counts.impressions, 7);
    assert_int_equal(r->days[3].counts.impressions, 0);
    store_batch_release(&b);
    stats_range_free(r);

    /* known now: no markers; old hashes of D0 - 4 .. D0 - 3, old buckets
     * of D0 - 4 .. D0 - 2 */
    r = stats_range_new(D0 - 4, D0, true, false, 0);
    assert_non_null(r);
    assert_true(stats_range_prepare(r, &b, DIM_USER, "alice", 5, NULL, NULL));
    assert_false(r->marker);
    assert_int_equal(reads_of(&b, "as:u:2025"), 2);
    assert_int_equal(reads_of(&b, "as:u:d2025"), 3);
    assert_int_equal(b.n_cmds, 1 + 5 * 2 + 2 + 3);
    store_batch_release(&b);
    stats_range_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_markers_asked_until_answered, setup),
        cmocka_unit_test_setup(test_a_set_reply_teaches_nothing, setup),
        cmocka_unit_test_setup(test_old_days_up_to_each_cutoff_plus_one, setup),
        cmocka_unit_test_setup(test_a_marker_that_is_no_day_is_unknown, setup),
        cmocka_unit_test_setup(test_range_reads_old_keys_of_covered_days_only, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
