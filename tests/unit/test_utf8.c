/* test_utf8.c -- unit tests for utf8_decode: the first and last code point
 * of every sequence length is accepted with the right length and value;
 * overlong forms, surrogates, code points above U+10FFFF, stray
 * continuation bytes, bad lead bytes and truncated sequences are rejected;
 * utf8_encode writes what utf8_decode reads back, at every length boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "utf8.h"

/* Decodes `bytes` (n of them) and checks it takes all n and yields `want`. */
static void expect_ok(const char *bytes, size_t n, uint32_t want) {
    uint32_t cp = 0xDEADBEEF;
    assert_int_equal(utf8_decode((const unsigned char *)bytes, n, &cp), n);
    assert_int_equal(cp, want);
}

static void expect_bad(const char *bytes, size_t n) {
    uint32_t cp = 0xDEADBEEF;
    assert_int_equal(utf8_decode((const unsigned char *)bytes, n, &cp), 0);
}

static void test_ascii_is_one_byte(void **state) {
    (void)state;
    expect_ok("\x00", 1, 0x00);
    expect_ok("A", 1, 'A');
    expect_ok("\x7F", 1, 0x7F); /* U+007F, last one-byte code point */
}

static void test_two_byte_boundaries(void **state) {
    (void)state;
    expect_ok("\xC2\x80", 2, 0x80);   /* U+0080 */
    expect_ok("\xDF\xBF", 2, 0x7FF);  /* U+07FF */
    expect_ok("\xC3\xA9", 2, 0xE9);   /* é */
}

static void test_three_byte_boundaries(void **state) {
    (void)state;
    expect_ok("\xE0\xA0\x80", 3, 0x800);   /* U+0800 */
    expect_ok("\xED\x9F\xBF", 3, 0xD7FF);  /* just below the surrogates */
    expect_ok("\xEE\x80\x80", 3, 0xE000);  /* just above them */
    expect_ok("\xEF\xBF\xBF", 3, 0xFFFF);  /* U+FFFF */
}

static void test_four_byte_boundaries(void **state) {
    (void)state;
    expect_ok("\xF0\x90\x80\x80", 4, 0x10000);   /* U+10000 */
    expect_ok("\xF0\x9F\x98\x80", 4, 0x1F600);   /* an emoji */
    expect_ok("\xF4\x8F\xBF\xBF", 4, 0x10FFFF);  /* U+10FFFF */
}

static void test_decodes_only_the_first_code_point(void **state) {
    (void)state;
    uint32_t cp = 0;
    const unsigned char s[] = "\xC3\xA9xyz";
    assert_int_equal(utf8_decode(s, sizeof(s) - 1, &cp), 2);
    assert_int_equal(cp, 0xE9);
}

static void test_above_max_code_point_rejected(void **state) {
    (void)state;
    expect_bad("\xF4\x90\x80\x80", 4); /* U+110000 */
    expect_bad("\xF7\xBF\xBF\xBF", 4); /* U+1FFFFF */
}

static void test_overlong_forms_rejected(void **state) {
    (void)state;
    expect_bad("\xC0\x80", 2);             /* NUL in two bytes */
    expect_bad("\xC1\xBF", 2);             /* U+007F in two bytes */
    expect_bad("\xE0\x80\x80", 3);         /* NUL in three bytes */
    expect_bad("\xE0\x9F\xBF", 3);         /* U+07FF in three bytes */
    expect_bad("\xF0\x80\x80\x80", 4);     /* NUL in four bytes */
    expect_bad("\xF0\x8F\xBF\xBF", 4);     /* U+FFFF in four bytes */
}

static void test_surrogates_rejected(void **state) {
    (void)state;
    expect_bad("\xED\xA0\x80", 3); /* U+D800 */
    expect_bad("\xED\xAF\xBF", 3); /* U+DBFF */
    expect_bad("\xED\xB0\x80", 3); /* U+DC00 */
    expect_bad("\xED\xBF\xBF", 3); /* U+DFFF */
}

static void test_truncated_sequences_rejected(void **state) {
    (void)state;
    expect_bad("\xC3", 1);
    expect_bad("\xE2\x82", 2);
    expect_bad("\xF0\x9F\x98", 3);
    /* the bytes are there but n says they are not */
    expect_bad("\xC3\xA9", 1);
    expect_bad("", 0);
}

static void test_bad_continuation_bytes_rejected(void **state) {
    (void)state;
    expect_bad("\xC3" "A", 2);
    expect_bad("\xE2\x82" "A", 3);
    expect_bad("\xF0\x9F\x98" "A", 4);
    expect_bad("\xC3\xC3", 2);
}

static void test_bad_lead_bytes_rejected(void **state) {
    (void)state;
    expect_bad("\x80", 1);                     /* lone continuation byte */
    expect_bad("\xBF", 1);
    expect_bad("\xF8\x88\x80\x80\x80", 5);     /* old 5-byte form */
    expect_bad("\xFC\x84\x80\x80\x80\x80", 6); /* old 6-byte form */
    expect_bad("\xFE", 1);
    expect_bad("\xFF", 1);
}

static void test_encode_round_trips(void **state) {
    (void)state;
    const uint32_t cps[] = {0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF};
    const size_t lens[] = {1, 1, 2, 2, 3, 3, 3, 3, 4, 4};
    for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
        unsigned char out[4];
        uint32_t back = 0xFFFFFFFF;
        assert_int_equal(utf8_encode(cps[i], out), lens[i]);
        assert_int_equal(utf8_decode(out, lens[i], &back), lens[i]);
        assert_int_equal(back, cps[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_is_one_byte),
        cmocka_unit_test(test_two_byte_boundaries),
        cmocka_unit_test(test_three_byte_boundaries),
        cmocka_unit_test(test_four_byte_boundaries),
        cmocka_unit_test(test_decodes_only_the_first_code_point),
        cmocka_unit_test(test_above_max_code_point_rejected),
        cmocka_unit_test(test_overlong_forms_rejected),
        cmocka_unit_test(test_surrogates_rejected),
        cmocka_unit_test(test_encode_round_trips),
        cmocka_unit_test(test_truncated_sequences_rejected),
        cmocka_unit_test(test_bad_continuation_bytes_rejected),
        cmocka_unit_test(test_bad_lead_bytes_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
