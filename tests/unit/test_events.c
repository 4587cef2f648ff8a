/* test_events.c -- unit tests for events.c and the batch building of
 * store.c: the exact commands that count one event (per dimension, all-time
 * and daily; the totals of ranked metrics tagged for the index writer), the
 * stream entry and the event-id commands, the commands of a no-fill
 * (counters only, in the day given), that the largest possible event fits
 * the inline batch, the commands that forget a value, and the batch rules
 * (arguments only on the last command, overflow, heap storage). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "day.h"
#include "events.h"
#include "expiry_cache.h"
#include "batch_text.h"

#define NOW_MS 1735776000123LL /* 2025-01-02T00:00:00.123Z */

static void configure(int retention_days, const char *stream) {
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.retention_days = retention_days;
    cfg.events_maxlen = 1000;
    cfg.redis_timeout_ms = 500;
    snprintf(cfg.events_stream, sizeof(cfg.events_stream), "%s", stream);
    snprintf(cfg.sessions_dimensions, sizeof(cfg.sessions_dimensions), "%s",
             DIMENSION_SESSIONS_DEFAULT);
    events_configure(&cfg);
    expiry_cache_clear();
}


struct parsed {
    char query[1024];
    struct params p;
};

static void parse(struct parsed *r, const char *query) {
    memset(r, 0, sizeof(*r));
    strcpy(r->query, query);
    assert_int_equal(form_parse(r->query, strlen(r->query), &r->p), FORM_OK);
    struct buf msg;
    buf_init(&msg);
    assert_true(params_validate(&r->p, EVENT_PARAMS | EVENT_OPTIONAL_PARAMS, &msg));
    buf_free(&msg);
}

/* Buckets (FNV-1a mod 1024): alice 0999, 1.0 1010, US 0089, ios 0998. The
 * day keys expire at the end of 2025-01-02 plus 400 days, 1770422400. */
static const char *const impression_commands[] = {
    "HINCRBY as:u:t:alice imp 1",
    "HINCRBY as:u:e20250102:b0999 i:alice 1",
    "EXPIREAT as:u:e20250102:b0999 1770422400",
    "HINCRBY as:s:t:1.0 imp 1",
    "HINCRBY as:s:e20250102:b3058 i:1.0 1",
    "EXPIREAT as:s:e20250102:b3058 1770422400",
    "HINCRBY as:c:t:US imp 1",
    "HINCRBY as:c:e20250102:b0089 i:US 1",
    "EXPIREAT as:c:e20250102:b0089 1770422400",
    "HINCRBY as:p:t:ios imp 1",
    "HINCRBY as:p:e20250102:b3046 i:ios 1",
    "EXPIREAT as:p:e20250102:b3046 1770422400",
};

/* alice's impression (impression_commands) built into `b` at `ms`. */
static void alice_impression(struct parsed *r, struct store_batch *b, long long ms) {
    parse(r, "sdk_version=1.0&session_id=s1&platform=ios&username=alice&country_code=us");
    store_batch_init(b, NULL, NULL);
    event_add_commands(b, EVENT_IMPRESSION, &r->p, ms);
}

/* Once this worker has set a day key's expiry, the next event leaves it
 * out: counters only. */
static void test_expireat_once_per_worker(void **state) {
    (void)state;
    configure(400, "");
    struct parsed r;
    struct store_batch b;
    alice_impression(&r, &b, NOW_MS);
    assert_int_equal(b.n_cmds, 12);
    store_batch_init(&b, NULL, NULL);
    event_add_commands(&b, EVENT_IMPRESSION, &r.p, NOW_MS + 1000);
    assert_int_equal(b.n_cmds, 8);
    for (size_t i = 0; i < b.n_cmds; i++)
        assert_null(strstr(batch_command_text(&b, i), "EXPIREAT"));
    /* ...until EXPIRY_CACHE_RESEND_MS later: once more, in case one was lost */
    store_batch_init(&b, NULL, NULL);
    event_add_commands(&b, EVENT_IMPRESSION, &r.p, NOW_MS + EXPIRY_CACHE_RESEND_MS + 1);
    assert_int_equal(b.n_cmds, 12);
}

/* The all-time HINCRBY of a ranked metric carries 1 + its dimension, for
 * its reply (the new total) to reach the deferred index writer; nothing
 * else is tagged, however many sessions are kept: the HyperLogLogs are the
 * writer's (index_writer.h). */
static void test_ranked_totals_are_tagged(void **state) {
    (void)state;
    configure(400, "");
    dimension_keep_sessions((1u << DIM__COUNT) - 1);
    struct parsed r;
    struct store_batch b;
    alice_impression(&r, &b, NOW_MS);
    assert_int_equal(b.n_cmds, 12);
    for (size_t i = 0; i < b.n_cmds; i++) {
        bool total = i % 3 == 0;
        assert_int_equal(b.cmds[i].tag, total ? 1 + i / 3 : 0);
        assert_null(strstr(batch_command_text(&b, i), "PFADD"));
    }
    store_batch_init(&b, NULL, NULL);
    event_add_commands(&b, EVENT_START, &r.p, NOW_MS); /* not ranked */
    for (size_t i = 0; i < b.n_cmds; i++) assert_int_equal(b.cmds[i].tag, 0);
    store_batch_init(&b, NULL, NULL);
    event_add_no_fill(&b, &r.p, NOW_MS);
    for (size_t i = 0; i < b.n_cmds; i++) assert_int_equal(b.cmds[i].tag, 0);
    configure(400, "");
}

static void test_impression_commands(void **state) {
    (void)state;
    configure(400, "");
    struct parsed r;
    struct store_batch b;
    alice_impression(&r, &b, NOW_MS);
    assert_false(b.overflow);
    size_t n = sizeof(impression_commands) / sizeof(impression_commands[0]);
    assert_int_equal(b.n_cmds, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(batch_command_text(&b, i), impression_commands[i]);
}

static void test_ad_request_counts_req(void **state) {
    (void)state;
    configure(30, "");
    struct parsed r;
    parse(&r, "sdk_version=2.1&session_id=x&platform=android&username=bob&country_code=DE");
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    event_add_commands(&b, EVENT_AD_REQUEST, &r.p, NOW_MS);
    assert_int_equal(b.n_cmds, 12);
    assert_string_equal(batch_command_text(&b, 0), "HINCRBY as:u:t:bob req 1");
    assert_string_equal(batch_command_text(&b, 1), "HINCRBY as:u:e20250102:b0212 r:bob 1");
    /* end of 2025-01-02 plus 30 days */
    assert_string_equal(batch_command_text(&b, 2), "EXPIREAT as:u:e20250102:b0212 1738454400");
    assert_string_equal(batch_command_text(&b, 3), "HINCRBY as:s:t:2.1 req 1");
    assert_string_equal(batch_command_text(&b, 11), "EXPIREAT as:p:e20250102:b2860 1738454400");
}

static void test_day_follows_the_clock(void **state) {
    (void)state;
    configure(400, "");
    struct parsed r;
    parse(&r, "sdk_version=1&session_id=s&platform=p&username=u&country_code=FR");
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    event_add_commands(&b, EVENT_IMPRESSION, &r.p, 1735689599999LL); /* 2024-12-31T23:59:59.999 */
    assert_string_equal(batch_command_text(&b, 1), "HINCRBY as:u:e20241231:b3088 i:u 1");
    store_batch_init(&b, NULL, NULL);
    event_add_commands(&b, EVENT_IMPRESSION, &r.p, 1735689600000LL);
    assert_string_equal(batch_command_text(&b, 1), "HINCRBY as:u:e20250101:b3088 i:u 1");
}

static void test_no_fill_commands(void **state) {
    (void)state;
    configure(400, "adstats:events"); /* no stream entry, no event id for a no-fill */
    struct parsed r;
    parse(&r, "event_id=ev-1&sdk_version=1.0&session_id=s1&platform=ios&username=alice"
              "&country_code=us");
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    event_add_no_fill(&b, &r.p, 1735689599999LL); /* 2024-12-31T23:59:59.999: the request's day */
    assert_false(b.overflow);
    static const char *const expected[] = {
        "HINCRBY as:u:t:alice nof 1", "HINCRBY as:u:e20241231:b0999 n:alice 1",
        "EXPIREAT as:u:e20241231:b0999 1770249600",
        "HINCRBY as:s:t:1.0 nof 1", "HINCRBY as:s:e20241231:b3058 n:1.0 1",
        "EXPIREAT as:s:e20241231:b3058 1770249600",
        "HINCRBY as:c:t:US nof 1", "HINCRBY as:c:e20241231:b0089 n:US 1",
        "EXPIREAT as:c:e20241231:b0089 1770249600",
        "HINCRBY as:p:t:ios nof 1", "HINCRBY as:p:e20241231:b3046 n:ios 1",
        "EXPIREAT as:p:e20241231:b3046 1770249600",
    };
    size_t n = sizeof(expected) / sizeof(expected[0]);
    assert_int_equal(b.n_cmds, n);
    for (size_t i = 0; i < n; i++) assert_string_equal(batch_command_text(&b, i), expected[i]);
}

static void test_stream_and_event_id(void **state) {
    (void)state;
    configure(400, "adstats:events");
    struct parsed r;
    parse(&r, "event_id=ev-1&sdk_version=1.0&session_id=s1&platform=ios&username=alice"
              "&country_code=us");
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    event_add_commands(&b, EVENT_IMPRESSION, &r.p, NOW_MS);
    assert_int_equal(b.n_cmds, 14);
    assert_string_equal(batch_command_text(&b, 12),
                        "XADD adstats:events MAXLEN ~ 1000 * type impression time 1735776000123 "
                        "sdk_version 1.0 session_id s1 platform ios username alice "
                        "country_code US event_id ev-1");
    assert_string_equal(batch_command_text(&b, 13), "SET as:e:i:ev-1 1 EX 86400");

    store_batch_init(&b, NULL, NULL);
    event_add_claim(&b, EVENT_AD_REQUEST, &r.p);
    assert_int_equal(b.n_cmds, 1);
    assert_string_equal(batch_command_text(&b, 0), "SET as:e:r:ev-1 1 NX PX 1000");
}

static void test_largest_event_fits_inline(void **state) {
    (void)state;
    configure(3650, "a-rather-long-stream-name-for-events-of-adstats");
    char q[1024], user[65], session[129], platform[33], sdk[33], id[65];
    memset(user, 'u', 64);
    user[64] = '\0';
    memset(session, 's', 128);
    session[128] = '\0';
    memset(platform, 'p', 32);
    platform[32] = '\0';
    for (int i = 0; i < 32; i++) sdk[i] = i % 2 ? '.' : '9';
    sdk[31] = '9';
    sdk[32] = '\0';
    memset(id, '~', 64);
    id[64] = '\0';
    snprintf(q, sizeof(q), "sdk_version=%s&session_id=%s&platform=%s&username=%s"
             "&country_code=US&event_id=%s", sdk, session, platform, user, id);
    struct parsed r;
    parse(&r, q);
    struct store_batch b;
    dimension_keep_sessions((1u << DIM__COUNT) - 1); /* no command more: the writer's */
    store_batch_init(&b, NULL, NULL);
    event_add_commands(&b, EVENT_AD_REQUEST, &r.p, NOW_MS);
    assert_false(b.overflow);
    assert_int_equal(b.n_cmds, 14);
    assert_null(b.heap);
    configure(400, "");
}

static void test_forget(void **state) {
    (void)state;
    configure(3, "");
    assert_int_equal(event_forget_cmds(), 26);
    assert_int_equal(event_forget_args(), 4 + 4 * 3 + 5 * (2 * 12 + 4));
    struct store_batch b;
    assert_true(store_batch_init_large(&b, event_forget_cmds(), event_forget_args(), 4096, NULL, NULL));
    event_add_forget(&b, DIM_COUNTRY, "US", 2, day_from_civil(2025, 1, 2));
    assert_false(b.overflow);
#define FIELDS "i:US r:US c:US k:US s:US 1:US 2:US 3:US v:US n:US"
    static const char *const want[] = {
        "DEL as:c:t:US", "DEL as:c:h:US", "ZREM as:c:top:imp US", "ZREM as:c:top:req US",
        "ZREM as:c:top:cmp US", "ZREM as:c:top:clk US",
        "HDEL as:c:e20241230:b0089 " FIELDS, "HDEL as:c:d20241230:b0089 " FIELDS,
        "DEL as:c:20241230:US", "DEL as:c:h20241230:US",
        "HDEL as:c:e20241231:b0089 " FIELDS, "HDEL as:c:d20241231:b0089 " FIELDS,
        "DEL as:c:20241231:US", "DEL as:c:h20241231:US",
        "HDEL as:c:e20250101:b0089 " FIELDS, "HDEL as:c:d20250101:b0089 " FIELDS,
        "DEL as:c:20250101:US", "DEL as:c:h20250101:US",
        "HDEL as:c:e20250102:b0089 " FIELDS, "HDEL as:c:d20250102:b0089 " FIELDS,
        "DEL as:c:20250102:US", "DEL as:c:h20250102:US",
        "HDEL as:c:e20250103:b0089 " FIELDS, "HDEL as:c:d20250103:b0089 " FIELDS,
        "DEL as:c:20250103:US", "DEL as:c:h20250103:US",
    };
#undef FIELDS
    assert_int_equal(b.n_cmds, 26);
    for (size_t i = 0; i < 26; i++) assert_string_equal(batch_command_text(&b, i), want[i]);
    store_batch_release(&b);
    assert_null(b.heap);
}

/* A video event counts its own field, no sessions; a complete feeds a top
 * list (its total is tagged), a start none; its event id (the pixel's) is in as:e:t:. */
static void test_video_events(void **state) {
    (void)state;
    configure(400, "");
    struct parsed r;
    parse(&r, "sdk_version=1.0&session_id=s1&platform=ios&username=alice&country_code=us"
              "&event_id=0123:start");
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    event_add_commands(&b, EVENT_START, &r.p, NOW_MS + 2000);
    assert_int_equal(b.n_cmds, 13); /* 8 HINCRBYs, 4 EXPIREATs (a new worker), the SET */
    assert_string_equal(batch_command_text(&b, 0), "HINCRBY as:u:t:alice sta 1");
    assert_string_equal(batch_command_text(&b, 1), "HINCRBY as:u:e20250102:b0999 s:alice 1");
    assert_string_equal(batch_command_text(&b, 3), "HINCRBY as:s:t:1.0 sta 1");
    assert_string_equal(batch_command_text(&b, 12),
                        "SET as:e:t:0123:start 1 EX " EVENT_ID_TTL_S_TEXT);
    store_batch_init(&b, NULL, NULL);
    event_add_commands(&b, EVENT_COMPLETE, &r.p, NOW_MS + 2000);
    assert_int_equal(b.n_cmds, 9); /* 8 HINCRBYs (the all-time ones tagged), the SET */
    assert_string_equal(batch_command_text(&b, 1), "HINCRBY as:u:e20250102:b0999 c:alice 1");
    assert_string_equal(batch_command_text(&b, 2), "HINCRBY as:s:t:1.0 cmp 1");
    assert_int_equal(b.cmds[2].tag, 1 + DIM_SDK);
    store_batch_init(&b, NULL, NULL);
    event_add_commands(&b, EVENT_INVALID, &r.p, NOW_MS + 2000);
    assert_string_equal(batch_command_text(&b, 0), "HINCRBY as:u:t:alice inv 1");
    assert_string_equal(batch_command_text(&b, 1), "HINCRBY as:u:e20250102:b0999 v:alice 1");
    assert_string_equal(event_type_name(EVENT_FIRST_QUARTILE), "first_quartile");
}

static void test_batch_arguments_only_on_last_command(void **state) {
    (void)state;
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    struct store_cmd *first = store_cmd_add(&b);
    store_arg_static(first, "GET");
    struct store_cmd *second = store_cmd_add(&b);
    store_arg_static(second, "GET");
    assert_false(b.overflow);
    store_arg_static(first, "late");
    assert_true(b.overflow);
}

static void test_batch_copy_ref_and_numbers(void **state) {
    (void)state;
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    struct store_cmd *c = store_cmd_add(&b);
    store_arg_static(c, "SET");
    const char *k = store_arg_copy(&b, c, "key", 3);
    assert_non_null(k);
    store_arg_ll(c, -42);
    struct store_cmd *d = store_cmd_add(&b);
    store_arg_static(d, "EXPIRE");
    store_arg_ref(d, k, 3);
    store_arg_ll(d, 10);
    assert_false(b.overflow);
    assert_string_equal(batch_command_text(&b, 0), "SET key -42");
    assert_string_equal(batch_command_text(&b, 1), "EXPIRE key 10");
    assert_ptr_equal(b.argv[d->first + 1], k);
}

static void test_batch_inline_limits(void **state) {
    (void)state;
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    for (int i = 0; i < STORE_BATCH_CMDS; i++) store_arg_static(store_cmd_add(&b), "PING");
    assert_false(b.overflow);
    store_arg_static(store_cmd_add(&b), "PING");
    assert_true(b.overflow);
    assert_int_equal(b.n_cmds, STORE_BATCH_CMDS);

    store_batch_init(&b, NULL, NULL);
    char big[STORE_ARENA + 1];
    memset(big, 'x', sizeof(big));
    assert_null(store_arg_copy(&b, store_cmd_add(&b), big, sizeof(big)));
    assert_true(b.overflow);
}

static void test_batch_heap_storage(void **state) {
    (void)state;
    struct store_batch b;
    assert_true(store_batch_init_large(&b, 1000, 2000, 100000, NULL, NULL));
    assert_non_null(b.heap);
    for (int i = 0; i < 1000; i++) {
        struct store_cmd *c = store_cmd_add(&b);
        store_arg_static(c, "GET");
        store_arg_ll(c, i);
    }
    assert_false(b.overflow);
    assert_string_equal(batch_command_text(&b, 999), "GET 999");
    store_batch_release(&b);
    assert_null(b.heap);
    assert_int_equal(b.n_cmds, 0);
    assert_int_equal(b.cmd_cap, STORE_BATCH_CMDS);
    assert_false(store_batch_init_large(&b, SIZE_MAX / 2, 1, 1, NULL, NULL));
    assert_true(b.overflow);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_impression_commands),
        cmocka_unit_test(test_expireat_once_per_worker),
        cmocka_unit_test(test_ranked_totals_are_tagged),
        cmocka_unit_test(test_ad_request_counts_req),
        cmocka_unit_test(test_day_follows_the_clock),
        cmocka_unit_test(test_no_fill_commands),
        cmocka_unit_test(test_stream_and_event_id),
        cmocka_unit_test(test_largest_event_fits_inline),
        cmocka_unit_test(test_forget),
        cmocka_unit_test(test_video_events),
        cmocka_unit_test(test_batch_arguments_only_on_last_command),
        cmocka_unit_test(test_batch_copy_ref_and_numbers),
        cmocka_unit_test(test_batch_inline_limits),
        cmocka_unit_test(test_batch_heap_storage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
