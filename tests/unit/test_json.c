/* test_json.c -- unit tests for json.c: json_append_string (quotes,
 * backslashes, HTML-sensitive characters, control characters, DEL,
 * U+2028/U+2029, multi-byte UTF-8 kept verbatim, invalid UTF-8 replaced by
 * \ufffd one byte at a time), json_append_double (shortest round-tripping
 * decimal printed the way Python's json module prints it) and the exact body
 * of json_append_error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "json.h"

/* Escapes s[0..len) and checks the whole output. */
static void check_string(const char *s, size_t len, const char *want) {
    struct buf b;
    buf_init(&b);
    json_append_string(&b, s, len);
    /* copy out and free first, so a failing assertion leaks nothing */
    char got[256] = "";
    bool ok = !b.failed && b.len < sizeof(got);
    if (ok) memcpy(got, b.data, b.len + 1);
    size_t got_len = b.len;
    buf_free(&b);
    assert_true(ok);
    assert_string_equal(got, want);
    assert_int_equal(got_len, strlen(want));
}

#define CHECK_STRING(literal, want) check_string(literal, sizeof(literal) - 1, want)

static void check_double(double v, const char *want) {
    struct buf b;
    buf_init(&b);
    json_append_double(&b, v);
    char got[64] = "";
    bool ok = !b.failed && b.len < sizeof(got);
    if (ok) memcpy(got, b.data, b.len + 1);
    buf_free(&b);
    assert_true(ok);
    assert_string_equal(got, want);
}

/* ---- json_append_string -------------------------------------------------- */

static void test_string_plain_ascii_is_quoted_verbatim(void **state) {
    (void)state;
    CHECK_STRING("alice", "\"alice\"");
    CHECK_STRING("", "\"\"");
    CHECK_STRING("a b/c'd", "\"a b/c'd\"");
}

static void test_string_escapes_quotes_and_backslashes(void **state) {
    (void)state;
    CHECK_STRING("say \"hi\"", "\"say \\\"hi\\\"\"");
    CHECK_STRING("C:\\dir\\", "\"C:\\\\dir\\\\\"");
}

static void test_string_escapes_html_sensitive_characters(void **state) {
    (void)state;
    CHECK_STRING("</script>", "\"\\u003c/script\\u003e\"");
    CHECK_STRING("a&b", "\"a\\u0026b\"");
}

static void test_string_escapes_control_characters(void **state) {
    (void)state;
    CHECK_STRING("a\nb\tc\rd", "\"a\\nb\\tc\\rd\"");
    CHECK_STRING("\b\f", "\"\\b\\f\"");
    CHECK_STRING("\x01", "\"\\u0001\"");
    CHECK_STRING("\x1f", "\"\\u001f\"");
}

static void test_string_escapes_nul_byte_inside_value(void **state) {
    (void)state;
    CHECK_STRING("a\0b", "\"a\\u0000b\"");
}

static void test_string_escapes_del(void **state) {
    (void)state;
    CHECK_STRING("\x7f", "\"\\u007f\"");
}

static void test_string_escapes_line_and_paragraph_separators(void **state) {
    (void)state;
    CHECK_STRING("a\xE2\x80\xA8" "b\xE2\x80\xA9", "\"a\\u2028b\\u2029\"");
}

static void test_string_keeps_valid_multibyte_utf8_verbatim(void **state) {
    (void)state;
    /* é (2 bytes), € (3 bytes), 😀 (4 bytes), U+2027 next to the separators */
    CHECK_STRING("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE2\x80\xA7",
                 "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE2\x80\xA7\"");
    /* C1 controls are valid UTF-8 and legal in JSON strings */
    CHECK_STRING("\xC2\x85", "\"\xC2\x85\"");
}

static void test_string_replaces_invalid_utf8_bytes(void **state) {
    (void)state;
    CHECK_STRING("a\xFF" "b", "\"a\\ufffdb\"");
    CHECK_STRING("\xC3(", "\"\\ufffd(\"");         /* bad continuation */
    CHECK_STRING("\xC0\x80", "\"\\ufffd\\ufffd\""); /* overlong NUL */
    CHECK_STRING("\xED\xA0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
    CHECK_STRING("x\xE2\x82", "\"x\\ufffd\\ufffd\"");           /* truncated at end */
}

static void test_string_invalid_byte_first_then_valid_text(void **state) {
    (void)state;
    CHECK_STRING("\x80\xC3\xA9\"", "\"\\ufffd\xC3\xA9\\\"\"");
}

static void test_string_appends_after_existing_content(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_append_str(&b, "{\"k\": ");
    json_append_string(&b, "v", 1);
    buf_append_char(&b, '}');
    assert_string_equal(b.data, "{\"k\": \"v\"}");
    buf_free(&b);
}

/* ---- json_append_double -------------------------------------------------- */

static void test_double_shortest_round_trip(void **state) {
    (void)state;
    check_double(0.4, "0.4");
    check_double(0.5, "0.5");
    check_double(2.0 / 3.0, "0.6666666666666666");
    check_double(0.1 + 0.2, "0.30000000000000004");
    check_double(0.0001, "0.0001");
}

static void test_double_integral_values_keep_point_zero(void **state) {
    (void)state;
    check_double(1.0, "1.0");
    check_double(0.0, "0.0");
    check_double(2.0, "2.0");
    check_double(-0.0, "-0.0");
    check_double(123456789.0, "123456789.0");
}

static void test_double_small_values_use_python_exponent_form(void **state) {
    (void)state;
    check_double(1e-5, "1e-05");
    check_double(1.5e-7, "1.5e-07");
    check_double(5e-324, "5e-324");
}

static void test_double_large_values_use_python_exponent_form(void **state) {
    (void)state;
    check_double(1e16, "1e+16");
    check_double(1e22, "1e+22");
    check_double(1.7976931348623157e308, "1.7976931348623157e+308");
}

/* Regression: "%.*g" once printed 10.0 as "1e+01"; Python's json module
 * (whose output existing clients parse) uses exponent form only below 1e-4
 * and from 1e16 up. fill_rate reaches such values when impressions are ten
 * times the ad requests. */
static void test_double_integral_values_of_ten_and_more_print_like_python(void **state) {
    (void)state;
    check_double(10.0, "10.0");
    check_double(20.0, "20.0");
    check_double(100.0, "100.0");
    check_double(150.0, "150.0");
    check_double(1e15, "1000000000000000.0");
}

static void test_double_non_finite_prints_zero(void **state) {
    (void)state;
    check_double(NAN, "0.0");
    check_double(INFINITY, "0.0");
}

/* ---- json_append_error --------------------------------------------------- */

static void test_error_body_is_exact(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    const char *msg = "following params are required ['username']";
    json_append_error(&b, msg, strlen(msg));
    assert_string_equal(b.data, "{\"success\": false, \"message\": "
                                "\"following params are required ['username']\"}");
    buf_free(&b);
}

static void test_error_body_escapes_message(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b);
    json_append_error(&b, "bad \"<x>\"\n", 10);
    assert_string_equal(b.data, "{\"success\": false, \"message\": "
                                "\"bad \\\"\\u003cx\\u003e\\\"\\n\"}");
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_plain_ascii_is_quoted_verbatim),
        cmocka_unit_test(test_string_escapes_quotes_and_backslashes),
        cmocka_unit_test(test_string_escapes_html_sensitive_characters),
        cmocka_unit_test(test_string_escapes_control_characters),
        cmocka_unit_test(test_string_escapes_nul_byte_inside_value),
        cmocka_unit_test(test_string_escapes_del),
        cmocka_unit_test(test_string_escapes_line_and_paragraph_separators),
        cmocka_unit_test(test_string_keeps_valid_multibyte_utf8_verbatim),
        cmocka_unit_test(test_string_replaces_invalid_utf8_bytes),
        cmocka_unit_test(test_string_invalid_byte_first_then_valid_text),
        cmocka_unit_test(test_string_appends_after_existing_content),
        cmocka_unit_test(test_double_shortest_round_trip),
        cmocka_unit_test(test_double_integral_values_keep_point_zero),
        cmocka_unit_test(test_double_small_values_use_python_exponent_form),
        cmocka_unit_test(test_double_large_values_use_python_exponent_form),
        cmocka_unit_test(test_double_integral_values_of_ten_and_more_print_like_python),
        cmocka_unit_test(test_double_non_finite_prints_zero),
        cmocka_unit_test(test_error_body_is_exact),
        cmocka_unit_test(test_error_body_escapes_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
