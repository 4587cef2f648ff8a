/* test_index_buffer.c -- unit tests for index_buffer.c, the deferred index
 * writer's buffers: totals merge by max and are admitted only above the
 * list's threshold; the caps bound everything (a full buffer answers
 * INDEX_PUT_FULL); a flush is one PFADD per key, one ZADD GT per list with
 * its trim and threshold read; replies set the thresholds and the trims
 * to come; a failed flush goes back into the collecting buffer, within its
 * caps; forgetting a value drops its entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expiry_cache.h"
#include "index_buffer.h"
#include "batch_text.h"

static const struct index_caps small = {
    .top_entries = 4, .session_keys = 2, .session_elements = 3, .session_bytes = 64};


/* A buffer with `caps` and lists of top size 3, as every test starts. */
static void start(struct index_buffer *b, struct index_lists *l, const struct index_caps *caps) {
    assert_true(index_buffer_init(b, caps));
    index_lists_init(l, 3);
}

static unsigned user_imp(void) {
    return index_list_of(DIM_USER, METRIC_IMPRESSIONS);
}

static void test_totals_merge_by_max(void **state) {
    (void)state;
    struct index_buffer b;
    struct index_lists l;
    start(&b, &l, &index_caps_default);
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "alice", 5, 4), INDEX_PUT_NEW);
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "alice", 5, 2), INDEX_PUT_MERGED);
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "alice", 5, 7), INDEX_PUT_MERGED);
    assert_int_equal(b.n_top, 1);
    assert_int_equal(b.top[0].total, 7);
    /* another list, same value: apart */
    unsigned req = index_list_of(DIM_USER, METRIC_AD_REQUESTS);
    assert_int_equal(index_top_offer(&b, &l, req, "alice", 5, 1), INDEX_PUT_NEW);
    assert_int_equal(b.per_list[user_imp()], 1);
    assert_int_equal(b.per_list[req], 1);
    index_buffer_free(&b);
}

static void test_threshold_admits_only_higher_totals(void **state) {
    (void)state;
    struct index_buffer b;
    struct index_lists l;
    start(&b, &l, &index_caps_default);
    l.threshold[user_imp()] = 5;
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "a", 1, 5), INDEX_PUT_BELOW);
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "a", 1, 1), INDEX_PUT_BELOW);
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "b", 1, 6), INDEX_PUT_NEW);
    assert_true(index_buffer_empty(&b) == false);
    assert_int_equal(b.n_top, 1);
    index_buffer_free(&b);
}

static void test_caps_bound_the_buffer(void **state) {
    (void)state;
    struct index_buffer b;
    struct index_lists l;
    start(&b, &l, &small);
    char v[2] = "a";
    for (int i = 0; i < 4; i++, v[0]++)
        assert_int_equal(index_top_offer(&b, &l, user_imp(), v, 1, 1), INDEX_PUT_NEW);
    assert_true(index_buffer_high(&b));
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "z", 1, 1), INDEX_PUT_FULL);
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "a", 1, 9), INDEX_PUT_MERGED);

    assert_int_equal(index_session_add(&b, "k1", 2, 0, "s1", 2), INDEX_PUT_NEW);
    assert_int_equal(index_session_add(&b, "k1", 2, 0, "s1", 2), INDEX_PUT_MERGED); /* repeat */
    assert_int_equal(index_session_add(&b, "k2", 2, 0, "s2", 2), INDEX_PUT_NEW);
    assert_int_equal(index_session_add(&b, "k3", 2, 0, "s3", 2), INDEX_PUT_FULL); /* keys */
    assert_int_equal(index_session_add(&b, "k1", 2, 0, "s3", 2), INDEX_PUT_NEW);
    assert_int_equal(index_session_add(&b, "k1", 2, 0, "s4", 2), INDEX_PUT_FULL); /* elements */
    char big[80];
    memset(big, 'x', sizeof(big));
    index_buffer_clear(&b);
    assert_true(index_buffer_empty(&b));
    assert_int_equal(index_session_add(&b, "k1", 2, 0, big, sizeof(big)), INDEX_PUT_FULL);
    index_buffer_free(&b);
}

static void test_flush_commands(void **state) {
    (void)state;
    struct index_buffer b;
    struct index_lists l;
    struct index_flush f;
    struct store_batch out;
    expiry_cache_clear();
    start(&b, &l, &index_caps_default);
    index_flush_init(&f, 3);
    index_session_add(&b, "as:s:h:1.0", 10, 0, "s1", 2);
    index_session_add(&b, "as:s:h20250101:1.0", 18, 1767225600, "s1", 2);
    index_session_add(&b, "as:s:h:1.0", 10, 0, "s2", 2);
    index_top_offer(&b, &l, user_imp(), "alice", 5, 4);
    index_top_offer(&b, &l, user_imp(), "bob", 3, 2);
    unsigned sdk = index_list_of(DIM_SDK, METRIC_IMPRESSIONS);
    l.trim_more[sdk] = true; /* nothing new, still too long */
    assert_true(index_flush_build(&f, &b, &l, 1000, &out, NULL, NULL));
    assert_int_equal(out.n_cmds, 7);
    assert_string_equal(batch_command_text(&out, 0), "PFADD as:s:h:1.0 s1 s2");
    assert_string_equal(batch_command_text(&out, 1), "PFADD as:s:h20250101:1.0 s1");
    assert_string_equal(batch_command_text(&out, 2), "EXPIREAT as:s:h20250101:1.0 1767225600");
    assert_string_equal(batch_command_text(&out, 3), "ZADD as:u:top:imp GT 4 alice 2 bob");
    assert_string_equal(batch_command_text(&out, 4), "ZREMRANGEBYRANK as:u:top:imp -10003 -4");
    assert_string_equal(batch_command_text(&out, 5), "ZRANGE as:u:top:imp -3 -3 WITHSCORES");
    assert_string_equal(batch_command_text(&out, 6), "ZREMRANGEBYRANK as:s:top:imp -10003 -4");
    store_batch_release(&out);

    /* the EXPIREAT went once: the next flush of that key has none */
    struct index_buffer b2;
    assert_true(index_buffer_init(&b2, &index_caps_default));
    index_session_add(&b2, "as:s:h20250101:1.0", 18, 1767225600, "s3", 2);
    l.trim_more[sdk] = false;
    assert_true(index_flush_build(&f, &b2, &l, 2000, &out, NULL, NULL));
    assert_int_equal(out.n_cmds, 1);
    store_batch_release(&out);

    index_buffer_clear(&b2);
    assert_false(index_flush_build(&f, &b2, &l, 2000, &out, NULL, NULL));
    assert_false(out.overflow);
    index_buffer_free(&b2);
    index_buffer_free(&b);
    index_flush_free(&f);
}

static redisReply integer(long long v) {
    return (redisReply){.type = REDIS_REPLY_INTEGER, .integer = v};
}

static void test_replies_set_thresholds_and_trims(void **state) {
    (void)state;
    struct index_buffer b, into;
    struct index_lists l;
    struct index_flush f;
    struct store_batch out;
    start(&b, &l, &index_caps_default);
    assert_true(index_buffer_init(&into, &index_caps_default));
    index_flush_init(&f, 3);
    index_top_offer(&b, &l, user_imp(), "alice", 5, 4);
    assert_true(index_flush_build(&f, &b, &l, 1000, &out, NULL, NULL));
    redisReply ok = integer(1), trimmed = integer(INDEX_TRIM_CHUNK);
    index_flush_reply(&f, &b, &l, 0, &ok);      /* ZADD */
    index_flush_reply(&f, &b, &l, 1, &trimmed); /* a full chunk: more to trim */
    redisReply member = {.type = REDIS_REPLY_STRING, .str = "carol", .len = 5};
    redisReply score = {.type = REDIS_REPLY_STRING, .str = "17", .len = 2};
    redisReply *pair[] = {&member, &score};
    redisReply range = {.type = REDIS_REPLY_ARRAY, .elements = 2, .element = pair};
    index_flush_reply(&f, &b, &l, 2, &range);
    assert_int_equal(l.threshold[user_imp()], 17);
    assert_true(l.trim_more[user_imp()]);
    size_t dropped_sessions = 9;
    assert_int_equal(index_flush_restore(&f, &b, &into, &l, &dropped_sessions), 0);
    assert_int_equal(dropped_sessions, 0);
    assert_true(index_buffer_empty(&into)); /* it succeeded: nothing goes back */
    assert_true(index_buffer_empty(&b));
    store_batch_release(&out);

    /* a shorter list: threshold 0; a partial trim: done */
    index_top_offer(&b, &l, user_imp(), "dave", 4, 30);
    assert_true(index_flush_build(&f, &b, &l, 1000, &out, NULL, NULL));
    redisReply empty = {.type = REDIS_REPLY_ARRAY, .elements = 0};
    redisReply some = integer(5);
    index_flush_reply(&f, &b, &l, 1, &some);
    index_flush_reply(&f, &b, &l, 2, &empty);
    assert_int_equal(l.threshold[user_imp()], 0);
    assert_false(l.trim_more[user_imp()]);
    store_batch_release(&out);
    index_buffer_free(&b);
    index_buffer_free(&into);
    index_flush_free(&f);
}

static void test_failed_flush_goes_back(void **state) {
    (void)state;
    struct index_buffer b, into;
    struct index_lists l;
    struct index_flush f;
    struct store_batch out;
    start(&b, &l, &index_caps_default);
    assert_true(index_buffer_init(&into, &small));
    index_flush_init(&f, 3);
    index_session_add(&b, "k1", 2, 0, "s1", 2);
    index_session_add(&b, "k1", 2, 0, "s2", 2);
    index_session_add(&b, "k2", 2, 0, "s3", 2);
    index_top_offer(&b, &l, user_imp(), "alice", 5, 4);
    assert_true(index_flush_build(&f, &b, &l, 1000, &out, NULL, NULL));
    redisReply ok = integer(1);
    index_flush_reply(&f, &b, &l, 1, &ok); /* k2's PFADD succeeded, nothing else */
    /* meanwhile: alice's total grew, and the collecting buffer filled up */
    index_top_offer(&into, &l, user_imp(), "alice", 5, 6);
    index_session_add(&into, "k1", 2, 0, "s9", 2);
    index_session_add(&into, "k1", 2, 0, "s8", 2);
    size_t dropped_sessions = 0;
    assert_int_equal(index_flush_restore(&f, &b, &into, &l, &dropped_sessions), 0);
    assert_int_equal(dropped_sessions, 1); /* s1 fits (3 elements), s2 does not */
    assert_int_equal(into.n_top, 1);
    assert_int_equal(into.top[0].total, 6); /* max */
    assert_int_equal(into.n_eles, 3);
    assert_true(index_buffer_empty(&b));
    store_batch_release(&out);
    index_buffer_free(&b);
    index_buffer_free(&into);
    index_flush_free(&f);
}

static void test_forget_drops_a_value(void **state) {
    (void)state;
    struct index_buffer b;
    struct index_lists l;
    start(&b, &l, &small);
    unsigned req = index_list_of(DIM_USER, METRIC_AD_REQUESTS);
    index_top_offer(&b, &l, user_imp(), "a", 1, 1);
    index_top_offer(&b, &l, user_imp(), "b", 1, 1);
    index_top_offer(&b, &l, req, "a", 1, 1);
    index_top_offer(&b, &l, index_list_of(DIM_SDK, METRIC_IMPRESSIONS), "a", 1, 1);
    index_top_forget(&b, DIM_USER, "a", 1);
    assert_int_equal(b.n_top, 2);
    assert_int_equal(b.per_list[req], 0);
    /* what stays is still found, and room is made */
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "b", 1, 3), INDEX_PUT_MERGED);
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "c", 1, 1), INDEX_PUT_NEW);
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "a", 1, 2), INDEX_PUT_NEW);
    assert_int_equal(index_top_offer(&b, &l, user_imp(), "d", 1, 1), INDEX_PUT_FULL);
    index_buffer_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals_merge_by_max),
        cmocka_unit_test(test_threshold_admits_only_higher_totals),
        cmocka_unit_test(test_caps_bound_the_buffer),
        cmocka_unit_test(test_flush_commands),
        cmocka_unit_test(test_replies_set_thresholds_and_trims),
        cmocka_unit_test(test_failed_flush_goes_back),
        cmocka_unit_test(test_forget_drops_a_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
