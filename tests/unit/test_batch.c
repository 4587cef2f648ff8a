/* test_batch.c -- unit tests for batch.c, building Redis command batches
 * without a connection: arguments land in argv order with their lengths,
 * copies go to the arena, and every way of running out of room (commands,
 * arguments, arena, an argument for a command that is not the last) marks
 * the batch overflowed instead of writing past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "batch.h"

static void assert_arg(const struct store_batch *b, size_t i, const char *s) {
    assert_int_equal(b->argvlen[i], strlen(s));
    assert_memory_equal(b->argv[i], s, strlen(s));
}

static void test_commands_in_argv_order(void **state) {
    (void)state;
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    struct store_cmd *c = store_cmd_add(&b);
    store_arg_static(c, "HINCRBY");
    store_arg_copy(&b, c, "as:u:t:bob", 10);
    store_arg_ref(c, "imp-and-more", 3);
    store_arg_ll(c, -42);
    struct store_cmd *d = store_cmd_add(&b);
    store_arg_static(d, "PING");
    assert_false(b.overflow);
    assert_int_equal(b.n_cmds, 2);
    assert_int_equal(b.n_args, 5);
    assert_int_equal(b.cmds[0].first, 0);
    assert_int_equal(b.cmds[0].argc, 4);
    assert_int_equal(b.cmds[1].first, 4);
    assert_arg(&b, 0, "HINCRBY");
    assert_arg(&b, 1, "as:u:t:bob");
    assert_arg(&b, 2, "imp");
    assert_arg(&b, 3, "-42");
    assert_arg(&b, 4, "PING");
    /* Copies live in the batch's own arena; references are not copied. */
    assert_true(b.argv[1] >= b.arena && b.argv[1] < b.arena + b.arena_cap);
    assert_int_equal(b.arena_used, 10 + 3);
    assert_null(b.heap); /* the inline storage: nothing allocated */
}

static void test_only_the_last_command_takes_arguments(void **state) {
    (void)state;
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    struct store_cmd *c = store_cmd_add(&b);
    store_arg_static(c, "GET");
    store_arg_static(store_cmd_add(&b), "GET");
    store_arg_static(c, "late");
    assert_true(b.overflow);
    assert_int_equal(b.n_args, 2);
}

static void test_too_many_commands_spill(void **state) {
    (void)state;
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    for (int i = 0; i < STORE_BATCH_CMDS; i++) store_arg_static(store_cmd_add(&b), "PING");
    assert_false(b.overflow);
    struct store_cmd *spill = store_cmd_add(&b);
    store_arg_static(spill, "PING"); /* accepted by nothing */
    assert_true(b.overflow);
    assert_int_equal(b.n_cmds, STORE_BATCH_CMDS);
    assert_int_equal(b.n_args, STORE_BATCH_CMDS);
}

static void test_too_many_arguments(void **state) {
    (void)state;
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    struct store_cmd *c = store_cmd_add(&b);
    for (int i = 0; i < STORE_BATCH_ARGS; i++) store_arg_static(c, "x");
    assert_false(b.overflow);
    store_arg_static(c, "x");
    assert_true(b.overflow);
    assert_int_equal(b.n_args, STORE_BATCH_ARGS);
}

static void test_arena_full(void **state) {
    (void)state;
    static char big[STORE_ARENA];
    memset(big, 'k', sizeof(big));
    struct store_batch b;
    store_batch_init(&b, NULL, NULL);
    struct store_cmd *c = store_cmd_add(&b);
    assert_non_null(store_arg_copy(&b, c, big, sizeof(big) - 1));
    assert_false(b.overflow);
    assert_null(store_arg_copy(&b, c, "ab", 2));
    assert_true(b.overflow);
    assert_int_equal(b.arena_used, sizeof(big) - 1);
}

static void test_large_batch_and_release(void **state) {
    (void)state;
    struct store_batch b;
    assert_true(store_batch_init_large(&b, 500, 1500, 20000, NULL, NULL));
    assert_non_null(b.heap);
    for (int i = 0; i < 500; i++) {
        struct store_cmd *c = store_cmd_add(&b);
        store_arg_static(c, "HGETALL");
        store_arg_ll(c, i);
        store_arg_copy(&b, c, "as:u:d:20240101:someone", 23);
    }
    assert_false(b.overflow);
    assert_arg(&b, 1499, "as:u:d:20240101:someone");
    assert_arg(&b, 1498, "499");
    store_batch_release(&b);
    assert_null(b.heap);
    assert_int_equal(b.n_cmds, 0);
    assert_int_equal(b.cmd_cap, STORE_BATCH_CMDS); /* back on the inline storage */
}

static void test_absurd_large_batch_is_refused(void **state) {
    (void)state;
    struct store_batch b;
    assert_false(store_batch_init_large(&b, SIZE_MAX / 2, 1, 1, NULL, NULL));
    assert_true(b.overflow);
    assert_null(b.heap);
    store_batch_release(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands_in_argv_order),
        cmocka_unit_test(test_only_the_last_command_takes_arguments),
        cmocka_unit_test(test_too_many_commands_spill),
        cmocka_unit_test(test_too_many_arguments),
        cmocka_unit_test(test_arena_full),
        cmocka_unit_test(test_large_batch_and_release),
        cmocka_unit_test(test_absurd_large_batch_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
