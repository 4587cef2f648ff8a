/* test_oom_paths.c -- every allocation of the code under test made to fail
 * in turn (failalloc.h): buffers, JSON, Redis keys, batches, write
 * combining, the Redis client, day ranges, the metrics registry and the
 * acceptor. Each run must end with the documented error and no crash;
 * tests/run-valgrind.sh runs this binary too, so each must also free
 * everything it took. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acceptor.h"
#include "buf.h"
#include "combine.h"
#include "failalloc.h"
#include "json.h"
#include "keys.h"
#include "metrics.h"
#include "stats_range.h"
#include "store.h"

/* ---- utilities --------------------------------------------------------- */

static void buf_body(void *ctx) {
    (void)ctx;
    struct buf b;
    buf_init(&b);
    for (int i = 0; i < 100; i++) buf_printf(&b, "%d,", i);
    buf_append_str(&b, "end");
    char *s = buf_steal(&b);
    if (failalloc_fired()) {
        assert_null(s); /* failed, freed, and nothing half-written handed out */
    } else {
        assert_non_null(s);
        assert_int_equal(strncmp(s, "0,1,2,", 6), 0);
        assert_non_null(strstr(s, "99,end"));
    }
    free(s);
    buf_free(&b);
}

static void test_buf(void **state) {
    (void)state;
    assert_true(failalloc_each(buf_body, NULL) >= 2); /* malloc, then realloc */
}

/* Outgrowing stack storage moves to the heap: a failure there is reported
 * and the static storage is never freed. */
static void buf_static_body(void *ctx) {
    (void)ctx;
    char storage[8];
    struct buf b;
    buf_init_static(&b, storage, sizeof(storage));
    buf_append_str(&b, "abc");
    buf_append_str(&b, "a longer string than eight bytes");
    assert_int_equal(b.failed, failalloc_fired());
    if (!b.failed) assert_string_equal(b.data, "abca longer string than eight bytes");
    buf_free(&b);
}

static void test_buf_static(void **state) {
    (void)state;
    assert_int_equal(failalloc_each(buf_static_body, NULL), 1);
}

/* Appends something made of 600 bytes (a NUL-terminated string) into a
 * heap buffer. */
struct long_append {
    void (*append)(struct buf *b, const char *s, size_t len);
    const char *starts;
};

static void long_append_body(void *ctx) {
    const struct long_append *k = ctx;
    char value[601];
    memset(value, 'x', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    struct buf b;
    buf_init(&b);
    k->append(&b, value, sizeof(value) - 1);
    assert_int_equal(b.failed, failalloc_fired());
    if (!b.failed) assert_int_equal(strncmp(b.data, k->starts, strlen(k->starts)), 0);
    buf_free(&b);
}

static void test_json(void **state) {
    (void)state;
    struct long_append k = {json_append_error, "{\"success\": false"};
    assert_true(failalloc_each(long_append_body, &k) >= 1);
}

/* A key too long for the stack buffer is built on the heap. */
static void append_user_key(struct buf *b, const char *value, size_t len) {
    key_total(b, DIM_USER, value, len);
}

static void test_keys(void **state) {
    (void)state;
    struct long_append k = {append_user_key, "as:u:t:xxx"};
    assert_true(failalloc_each(long_append_body, &k) >= 2);
}

static void append_answer(struct buf *b, const char *message, size_t len) {
    (void)len;
    acceptor_format_answer(b, 400, message);
}

/* A message past the acceptor's stack storage for the body. */
static void test_acceptor_answer(void **state) {
    (void)state;
    struct long_append k = {append_answer, "HTTP/1.1 400 Bad Request\r\n"};
    assert_true(failalloc_each(long_append_body, &k) >= 2);
}

/* A thread whose shard cannot be allocated records into the shared
 * fallback shard: nothing is lost but exactness under races. */
static void *record_one(void *arg) {
    (void)arg;
    failalloc_arm(1);
    metrics_event(3);
    bool fired = failalloc_fired();
    failalloc_arm(0);
    return fired ? (void *)1 : NULL;
}

static void test_metrics_fallback_shard(void **state) {
    (void)state;
    static const char *const types[] = {NULL, NULL, NULL, "three"};
    struct metrics_names names = {.event_types = types, .n_event_types = 4};
    metrics_init(&names);
    pthread_t t;
    void *fired;
    assert_int_equal(pthread_create(&t, NULL, record_one, NULL), 0);
    assert_int_equal(pthread_join(t, &fired), 0);
    assert_non_null(fired);
    struct buf out;
    buf_init(&out);
    metrics_render(&out, &(struct metrics_gauges){0});
    assert_false(out.failed);
    assert_non_null(strstr(out.data, "adstats_events_total{type=\"three\"} 1\n"));
    buf_free(&out);
    metrics_free();
}

/* ---- batches and write combining --------------------------------------- */

static void batch_body(void *ctx) {
    (void)ctx;
    struct store_batch b;
    bool ok = store_batch_init_large(&b, 100, 300, 4096, NULL, NULL);
    assert_int_equal(ok, !failalloc_fired());
    assert_int_equal(b.overflow, !ok); /* so store_send fails it */
    struct store_cmd *c = store_cmd_add(&b);
    store_arg_static(c, "GET");
    store_arg_ll(c, 42);
    if (ok) assert_int_equal(b.n_args, 2);
    assert_int_equal(b.overflow, !ok);
    store_batch_release(&b);
}

static void test_batch_large(void **state) {
    (void)state;
    assert_int_equal(failalloc_each(batch_body, NULL), 1);
}

static void add_words(struct store_batch *b, const char *words) {
    struct store_cmd *c = store_cmd_add(b);
    char copy[128];
    snprintf(copy, sizeof(copy), "%s", words);
    for (char *w = strtok(copy, " "); w != NULL; w = strtok(NULL, " "))
        store_arg_copy(b, c, w, strlen(w));
}

struct combine_case {
    struct store_batch b[3];
    struct store_batch *list[3];
};

static void combine_body(void *ctx) {
    struct combine_case *k = ctx;
    struct combiner *c = combiner_new();
    if (c == NULL) {
        assert_true(failalloc_fired());
        return;
    }
    struct combine_plan *p = combine_plan(c, k->list, 3);
    if (p == NULL) {
        /* The caller sends the batches as they are; the combiner must still
         * plan correctly next time. */
        assert_true(failalloc_fired()); /* once: the next allocations succeed */
        p = combine_plan(c, k->list, 3);
        assert_non_null(p);
    }
    assert_int_equal(p->n_slots, 5); /* HINCRBY x3 -> 1, PFADD x3 -> 1, EXPIREAT x3 as is */
    assert_int_equal(p->slots[0].argc, 4);
    assert_memory_equal(p->slots[0].argv[3], "5", 1);
    free(p);
    combiner_free(c);
}

static void test_combine(void **state) {
    (void)state;
    struct combine_case k;
    for (int i = 0; i < 3; i++) {
        store_batch_init(&k.b[i], NULL, NULL);
        store_batch_combinable(&k.b[i]);
        k.list[i] = &k.b[i];
        add_words(&k.b[i], i < 2 ? "HINCRBY h f 2" : "HINCRBY h f 1");
        add_words(&k.b[i], "PFADD s a b");
        add_words(&k.b[i], "EXPIREAT h 1770422400");
    }
    /* Regression: the plan is one allocation (its arguments included), the
     * work arrays four, the table one more. */
    assert_true(failalloc_each(combine_body, &k) >= 6);
}

/* ---- the Redis client -------------------------------------------------- */

static int done_calls;
static enum store_status done_status;

static void on_done(struct store_batch *b, enum store_status status) {
    (void)b;
    done_calls++;
    done_status = status;
}

/* Redis at a port nothing listens on: the client is connecting when the
 * batch is sent, so a write-only batch is queued for the end of the turn
 * (an allocation) or, failing that, sent at once; either way store_free
 * fails it exactly once. */
static void store_body(void *ctx) {
    struct event_base *base = ctx;
    static struct config cfg = {.redis = {.host = "127.0.0.1", .port = 1},
                                .redis_timeout_ms = 100};
    struct store *s = store_new(base, &cfg);
    if (s == NULL) {
        assert_true(failalloc_fired());
        return;
    }
    struct store_batch b;
    store_batch_init(&b, NULL, on_done);
    store_batch_combinable(&b);
    add_words(&b, "HINCRBY h f 1");
    done_calls = 0;
    store_send(s, &b);
    store_free(s);
    assert_int_equal(done_calls, 1);
    assert_int_equal(done_status, STORE_UNAVAILABLE);
}

static void test_store(void **state) {
    (void)state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    assert_true(failalloc_each(store_body, base) >= 3); /* the store, its combiner, the queue */
    event_base_free(base);
}

/* ---- the domain and the acceptor --------------------------------------- */

static void range_body(void *ctx) {
    (void)ctx;
    struct stats_range *r = stats_range_new(19000, 19030, true, true, 0);
    assert_int_equal(r == NULL, failalloc_fired());
    stats_range_free(r);
}

static void test_stats_range(void **state) {
    (void)state;
    assert_int_equal(failalloc_each(range_body, NULL), 1);
}

static void handoff(void *cls, int fd, const struct sockaddr *addr, socklen_t addrlen) {
    (void)cls;
    (void)fd;
    (void)addr;
    (void)addrlen;
    fail();
}

static void acceptor_body(void *ctx) {
    struct event_base *base = ctx;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    struct acceptor *a = acceptor_start(base, &addr, 5, handoff, NULL);
    assert_int_equal(a == NULL, failalloc_fired());
    acceptor_free(a);
}

static void test_acceptor(void **state) {
    (void)state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    assert_int_equal(failalloc_each(acceptor_body, base), 1);
    event_base_free(base);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_buf_static),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_metrics_fallback_shard),
        cmocka_unit_test(test_batch_large),
        cmocka_unit_test(test_combine),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_stats_range),
        cmocka_unit_test(test_acceptor),
        cmocka_unit_test(test_acceptor_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
