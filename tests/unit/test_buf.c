/* test_buf.c -- unit tests for buf.c: appending, NUL termination, growth
 * from caller-provided static storage to the heap, buf_printf, buf_reset and
 * buf_steal from both static and heap storage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"

static void test_init_is_empty_and_off_heap(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_false(b.on_heap);
    assert_false(b.failed);
    buf_free(&b);
}

static void test_append_kinds_build_one_nul_terminated_string(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append(&b, "ab", 2);
    buf_append_str(&b, "cd");
    buf_append_char(&b, '-');
    buf_append_ll(&b, -1234567890123LL);
    buf_append(&b, "", 0);
    assert_false(b.failed);
    assert_int_equal(b.len, strlen("abcd--1234567890123"));
    assert_string_equal(b.data, "abcd--1234567890123");
    buf_free(&b);
}

static void test_append_ll_extremes(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append_ll(&b, 0);
    buf_append_char(&b, ' ');
    buf_append_ll(&b, INT64_MAX);
    buf_append_char(&b, ' ');
    buf_append_ll(&b, INT64_MIN);
    assert_string_equal(b.data, "0 9223372036854775807 -9223372036854775808");
    buf_free(&b);
}

static void test_static_storage_used_while_it_fits(void **state) {
    (void)state;
    char storage[8];
    struct buf b;
    buf_init_static(&b, storage, sizeof(storage));
    assert_ptr_equal(b.data, storage);
    assert_string_equal(storage, "");
    buf_append_str(&b, "1234567"); /* 7 bytes + NUL: exactly fills it */
    assert_ptr_equal(b.data, storage);
    assert_false(b.on_heap);
    assert_string_equal(storage, "1234567");
    buf_free(&b); /* must not free() the stack storage */
}

static void test_outgrowing_static_storage_moves_to_heap(void **state) {
    (void)state;
    char storage[8];
    struct buf b;
    buf_init_static(&b, storage, sizeof(storage));
    buf_append_str(&b, "1234567");
    buf_append_char(&b, '8'); /* needs 9 bytes with the NUL */
    assert_false(b.failed);
    assert_true(b.on_heap);
    assert_ptr_not_equal(b.data, storage);
    assert_true(b.cap >= 9);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    buf_free(&b);
}

static void test_growth_keeps_all_bytes_across_many_reallocs(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    for (int i = 0; i < 10000; i++) buf_append_char(&b, (char)('a' + i % 26));
    assert_false(b.failed);
    assert_int_equal(b.len, 10000);
    assert_true(b.cap > b.len);
    for (int i = 0; i < 10000; i++) assert_int_equal(b.data[i], 'a' + i % 26);
    assert_int_equal(b.data[10000], '\0');
    buf_free(&b);
}

static void test_append_keeps_embedded_nul_bytes(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append(&b, "a\0b", 3);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4);
    buf_free(&b);
}

static void test_printf_appends_formatted_text(void **state) {
    (void)state;
    char storage[16];
    struct buf b;
    buf_init_static(&b, storage, sizeof(storage));
    buf_append_str(&b, "x=");
    buf_printf(&b, "%d,%s,%zu", 42, "yes", (size_t)7);
    assert_ptr_equal(b.data, storage);
    assert_string_equal(b.data, "x=42,yes,7");
    buf_printf(&b, "%s", "; and a tail long enough to spill to the heap");
    assert_true(b.on_heap);
    assert_false(b.failed);
    assert_string_equal(b.data, "x=42,yes,7; and a tail long enough to spill to the heap");
    assert_int_equal(b.len, strlen(b.data));
    buf_free(&b);
}

static void test_printf_of_empty_string_on_empty_buffer(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s", "");
    assert_false(b.failed);
    assert_int_equal(b.len, 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    buf_free(&b);
}

static void test_reset_empties_but_keeps_storage(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append_str(&b, "hello world");
    char *data = b.data;
    size_t cap = b.cap;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.data, "");
    buf_append_str(&b, "again");
    assert_string_equal(b.data, "again");
    buf_free(&b);
}

static void test_steal_from_static_storage_returns_heap_copy(void **state) {
    (void)state;
    char storage[32];
    struct buf b;
    buf_init_static(&b, storage, sizeof(storage));
    buf_append_str(&b, "on the stack");
    char *s = buf_steal(&b);
    assert_non_null(s);
    assert_ptr_not_equal(s, storage);
    assert_string_equal(s, "on the stack");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_false(b.on_heap);
    free(s);
}

static void test_steal_from_heap_hands_over_the_buffer(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append_str(&b, "on the heap");
    char *data = b.data;
    char *s = buf_steal(&b);
    assert_ptr_equal(s, data);
    assert_string_equal(s, "on the heap");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    buf_free(&b); /* harmless after steal */
    free(s);
}

static void test_steal_of_failed_buffer_returns_null_and_frees(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append_str(&b, "partial");
    b.failed = true; /* as if a later append had run out of memory */
    assert_null(buf_steal(&b));
    assert_null(b.data);
    assert_false(b.failed);
}

static void test_failed_buffer_ignores_further_appends(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append_str(&b, "abc");
    b.failed = true;
    buf_append_str(&b, "def");
    buf_printf(&b, "%d", 1);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    assert_true(b.failed);
    buf_free(&b);
}

static void test_impossible_size_sets_failed(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append_str(&b, "x");
    volatile size_t huge = SIZE_MAX - 1; /* not a constant that the inline path could see */
    buf_append(&b, "", huge);            /* rejected before touching the data */
    assert_true(b.failed);
    assert_int_equal(b.len, 1);
    buf_free(&b);
}

/* Reserving makes the room at once: appends within it keep the storage;
 * an impossible reservation fails the buffer as an append would. */
static void test_reserve_makes_room_at_once(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    assert_true(buf_reserve(&b, 1000));
    assert_true(b.cap > 1000);
    const char *data = b.data;
    for (int i = 0; i < 100; i++) buf_append(&b, "0123456789", 10);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.len, 1000);
    assert_false(buf_reserve(&b, SIZE_MAX - 1));
    assert_true(b.failed);
    assert_int_equal(b.len, 1000);
    buf_free(&b);
}

/* Regression: a buffer never appended to (data == NULL) once made
 * buf_steal call memcpy(out, NULL, 0), undefined behaviour that UBSan
 * caught. */
static void test_steal_of_never_used_buffer_gives_empty_string(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    char *s = buf_steal(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_is_empty_and_off_heap),
        cmocka_unit_test(test_append_kinds_build_one_nul_terminated_string),
        cmocka_unit_test(test_append_ll_extremes),
        cmocka_unit_test(test_static_storage_used_while_it_fits),
        cmocka_unit_test(test_outgrowing_static_storage_moves_to_heap),
        cmocka_unit_test(test_growth_keeps_all_bytes_across_many_reallocs),
        cmocka_unit_test(test_append_keeps_embedded_nul_bytes),
        cmocka_unit_test(test_printf_appends_formatted_text),
        cmocka_unit_test(test_printf_of_empty_string_on_empty_buffer),
        cmocka_unit_test(test_reset_empties_but_keeps_storage),
        cmocka_unit_test(test_steal_from_static_storage_returns_heap_copy),
        cmocka_unit_test(test_steal_from_heap_hands_over_the_buffer),
        cmocka_unit_test(test_steal_of_failed_buffer_returns_null_and_frees),
        cmocka_unit_test(test_failed_buffer_ignores_further_appends),
        cmocka_unit_test(test_impossible_size_sets_failed),
        cmocka_unit_test(test_reserve_makes_room_at_once),
        /* last: under UBSan it aborts the run (documents a bug, see above) */
        cmocka_unit_test(test_steal_of_never_used_buffer_gives_empty_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
