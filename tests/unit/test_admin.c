/* test_admin.c -- unit tests for admin.c: the constant-time comparison
 * (equal, different, prefixes, extensions, empty) and the verdict on an
 * Authorization header (disabled without a token, scheme, spacing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "admin.h"

static bool eq(const char *given, const char *expected) {
    return admin_secret_equal(given, strlen(given), expected, strlen(expected));
}

static void test_secret_equal(void **state) {
    (void)state;
    assert_true(eq("s3cret-token", "s3cret-token"));
    assert_false(eq("s3cret-tokeN", "s3cret-token"));
    assert_false(eq("s3cret", "s3cret-token"));          /* prefix */
    assert_false(eq("s3cret-token-", "s3cret-token"));   /* extension */
    assert_false(eq("", "s3cret-token"));
    assert_false(eq("ab", "abab"));                      /* a cyclic read must not match */
    assert_false(eq("abab", "ab"));
    assert_false(eq("x", ""));
}

static void test_disabled_without_token(void **state) {
    (void)state;
    admin_configure("");
    assert_int_equal(admin_check("Bearer anything"), ADMIN_DISABLED);
    assert_int_equal(admin_check(NULL), ADMIN_DISABLED);
    admin_configure(NULL);
    assert_int_equal(admin_check("Bearer "), ADMIN_DISABLED);
}

static void test_bearer_token_checked(void **state) {
    (void)state;
    admin_configure("tok-123");
    assert_int_equal(admin_check("Bearer tok-123"), ADMIN_ALLOWED);
    assert_int_equal(admin_check("bearer tok-123"), ADMIN_ALLOWED);
    assert_int_equal(admin_check("Bearer   tok-123  "), ADMIN_ALLOWED);
    assert_int_equal(admin_check(NULL), ADMIN_UNAUTHORIZED);
    assert_int_equal(admin_check(""), ADMIN_UNAUTHORIZED);
    assert_int_equal(admin_check("tok-123"), ADMIN_UNAUTHORIZED);
    assert_int_equal(admin_check("Basic tok-123"), ADMIN_UNAUTHORIZED);
    assert_int_equal(admin_check("Bearer tok-12"), ADMIN_UNAUTHORIZED);
    assert_int_equal(admin_check("Bearer tok-1234"), ADMIN_UNAUTHORIZED);
    assert_int_equal(admin_check("Bearer"), ADMIN_UNAUTHORIZED);
    assert_int_equal(admin_check("Bearer "), ADMIN_UNAUTHORIZED);
    admin_configure("");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_equal),
        cmocka_unit_test(test_disabled_without_token),
        cmocka_unit_test(test_bearer_token_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
