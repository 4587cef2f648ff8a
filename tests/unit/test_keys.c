/* test_keys.c -- unit tests for key_total: the as:<dim>:t:<value> layout,
 * that the user and SDK dimensions never share a key for the same value, that
 * a value containing ':' cannot forge another dimension's key, and that the
 * longest permitted value fits in KEY_MAX. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "keys.h"

/* Returns key_total(dim, value) in `out` (cap bytes). */
static void total_key(enum dimension dim, const char *value, char *out, size_t cap) {
    struct buf b;
    buf_init(&b);
    key_total(&b, dim, value, strlen(value));
    assert_false(b.failed);
    assert_true(b.len < cap);
    memcpy(out, b.data, b.len + 1);
    buf_free(&b);
}

static void test_user_total_key_layout(void **state) {
    (void)state;
    char key[256];
    total_key(DIM_USER, "alice", key, sizeof(key));
    assert_string_equal(key, "as:u:t:alice");
}

static void test_sdk_total_key_layout(void **state) {
    (void)state;
    char key[256];
    total_key(DIM_SDK, "1.0", key, sizeof(key));
    assert_string_equal(key, "as:s:t:1.0");
}

static void test_same_value_in_different_dimensions_gives_different_keys(void **state) {
    (void)state;
    char user[256], sdk[256];
    total_key(DIM_USER, "1.0", user, sizeof(user));
    total_key(DIM_SDK, "1.0", sdk, sizeof(sdk));
    assert_string_equal(user, "as:u:t:1.0");
    assert_string_equal(sdk, "as:s:t:1.0");
    assert_string_not_equal(user, sdk);
}

static void test_value_with_colons_cannot_forge_other_dimension(void **state) {
    (void)state;
    /* The value comes last after a fixed 7-byte prefix, so whatever it holds
     * the dimension letter of a user key is always 'u'. */
    const char *forgeries[] = {"s:t:1.0", ":s:t:1.0", "x:as:s:t:1.0", "::::", ":"};
    char sdk[256];
    total_key(DIM_SDK, "1.0", sdk, sizeof(sdk));
    for (size_t i = 0; i < sizeof(forgeries) / sizeof(forgeries[0]); i++) {
        char user[256];
        total_key(DIM_USER, forgeries[i], user, sizeof(user));
        assert_string_not_equal(user, sdk);
        assert_memory_equal(user, "as:u:t:", 7);
        assert_string_equal(user + 7, forgeries[i]);
    }
}

static void test_value_bytes_are_copied_verbatim_including_nul(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    key_total(&b, DIM_USER, "a\0b", 3);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, "as:u:t:a\0b", 10);
    buf_free(&b);
}

static void test_empty_value_gives_bare_prefix(void **state) {
    (void)state;
    char key[256];
    total_key(DIM_SDK, "", key, sizeof(key));
    assert_string_equal(key, "as:s:t:");
}

static void test_key_appends_to_existing_buffer_content(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append_str(&b, "HMGET ");
    key_total(&b, DIM_USER, "bob", 3);
    assert_string_equal(b.data, "HMGET as:u:t:bob");
    buf_free(&b);
}

static void test_longest_permitted_value_fits_key_max(void **state) {
    (void)state;
    /* username is capped at 64 bytes, sdk at 32 (params.c) */
    char value[65];
    memset(value, 'x', 64);
    value[64] = '\0';
    char storage[KEY_MAX];
    struct buf b;
    buf_init_static(&b, storage, sizeof(storage));
    key_total(&b, DIM_USER, value, 64);
    assert_false(b.on_heap);
    assert_int_equal(b.len, 7 + 64);
    assert_true(b.len < KEY_MAX);
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_total_key_layout),
        cmocka_unit_test(test_sdk_total_key_layout),
        cmocka_unit_test(test_same_value_in_different_dimensions_gives_different_keys),
        cmocka_unit_test(test_value_with_colons_cannot_forge_other_dimension),
        cmocka_unit_test(test_value_bytes_are_copied_verbatim_including_nul),
        cmocka_unit_test(test_empty_value_gives_bare_prefix),
        cmocka_unit_test(test_key_appends_to_existing_buffer_content),
        cmocka_unit_test(test_longest_permitted_value_fits_key_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
