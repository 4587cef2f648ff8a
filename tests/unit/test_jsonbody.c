/* test_jsonbody.c -- unit tests for jsonbody.c: flat objects of strings and
 * numbers become parameters (numbers as their JSON text, escapes and
 * surrogate pairs decoded, \u0000 kept for the control-character rule,
 * blanks anywhere JSON allows them), with the form's rules (first value
 * wins, empty is absent, unknown keys ignored but counted, the 64-pair cap
 * shared with the query); and every refusal: malformed JSON, a top level
 * that is not an object, nested values, true/false/null, invalid UTF-8 and
 * unpaired surrogates, with the offset and message of each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonbody.h"

/* A parsed body: its copy, decoded in place (malloc'd to exactly its
 * length, so that AddressSanitizer catches a write past it), the params and
 * the outcome. */
struct parsed {
    char *in;
    struct params p;
    enum jsonbody_status status;
    size_t at;
};

static void parse(struct parsed *r, const char *input) {
    size_t len = strlen(input);
    *r = (struct parsed){.in = malloc(len + !len)};
    assert_non_null(r->in);
    memcpy(r->in, input, len);
    r->status = jsonbody_parse(r->in, len, &r->p, &r->at);
}

static void parsed_free(struct parsed *r) {
    free(r->in);
}

/* Parameter `id` holds exactly want[0..want_len), NUL-terminated. */
static void value_is(const struct parsed *r, enum param_id id, const char *want,
                     size_t want_len) {
    const char *got = r->p.v[id].data;
    bool same = got != NULL && r->p.v[id].len == want_len && got[want_len] == '\0'
                && memcmp(got, want, want_len) == 0;
    if (!same) fail_msg("%s: got \"%s\", want \"%s\"", param_name(id), got ? got : "(absent)", want);
}

static void str_is(const struct parsed *r, enum param_id id, const char *want) {
    value_is(r, id, want, strlen(want));
}

/* Expects `input` refused with `status` found at byte `at`. */
static void refused(const char *input, enum jsonbody_status status, size_t at) {
    struct parsed r;
    parse(&r, input);
    if (r.status != status || r.at != at)
        fprintf(stderr, "input %s: status %d at %zu\n", input, r.status, r.at);
    assert_int_equal(r.status, status);
    assert_int_equal(r.at, at);
    parsed_free(&r);
}

static void test_strings_and_numbers(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "{\"username\": \"alice\", \"sdk_version\": 4.12, \"limit\":10,"
              "\"session_id\":-0.5e+3, \"platform\" : \"ios\" }");
    assert_int_equal(r.status, JSONBODY_OK);
    str_is(&r, PARAM_USERNAME, "alice");
    str_is(&r, PARAM_SDK_VERSION, "4.12");
    str_is(&r, PARAM_LIMIT, "10");
    str_is(&r, PARAM_SESSION_ID, "-0.5e+3");
    str_is(&r, PARAM_PLATFORM, "ios");
    assert_int_equal(r.p.pairs, 5);
    assert_true(r.p.v[PARAM_USERNAME].order < r.p.v[PARAM_SDK_VERSION].order);
    parsed_free(&r);
}

static void test_numbers_keep_their_text(void **state) {
    (void)state;
    const char *numbers[] = {"0", "-0", "4.10", "1e5", "1E-2", "123456789012345678901234567890"};
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        char body[96];
        snprintf(body, sizeof(body), "{\"session_id\":%s}", numbers[i]);
        struct parsed r;
        parse(&r, body);
        assert_int_equal(r.status, JSONBODY_OK);
        str_is(&r, PARAM_SESSION_ID, numbers[i]);
        parsed_free(&r);
    }
}

static void test_escapes(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "{\"user\\u006eame\": \"a\\\"b\\\\c\\/d\\u00e9\\u20ac\\ud83d\\ude00\","
              "\"session_id\": \"x\\u0000y\\n\"}");
    assert_int_equal(r.status, JSONBODY_OK);
    str_is(&r, PARAM_USERNAME, "a\"b\\c/d\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    value_is(&r, PARAM_SESSION_ID, "x\0y\n", 4);
    parsed_free(&r);

    /* Raw UTF-8 passes through. */
    parse(&r, "{\"username\":\"J\xc3\xbcrgen \xe6\x97\xa5\"}");
    assert_int_equal(r.status, JSONBODY_OK);
    str_is(&r, PARAM_USERNAME, "J\xc3\xbcrgen \xe6\x97\xa5");
    parsed_free(&r);
}

static void test_form_rules(void **state) {
    (void)state;
    struct parsed r;
    /* First value wins, empty is absent, unknown keys count as pairs. */
    parse(&r, "{\"username\":\"\", \"username\":\"bob\", \"username\":\"eve\", \"x\":{}}");
    assert_int_equal(r.status, JSONBODY_NOT_FLAT);
    parsed_free(&r);
    parse(&r, "{\"username\":\"\", \"username\":\"bob\", \"username\":\"eve\", \"x\":1}");
    assert_int_equal(r.status, JSONBODY_OK);
    str_is(&r, PARAM_USERNAME, "bob");
    assert_int_equal(r.p.pairs, 4);
    parsed_free(&r);
    /* Empty object, blanks around everything. */
    parse(&r, " \r\n\t{ \n}\n ");
    assert_int_equal(r.status, JSONBODY_OK);
    assert_int_equal(r.p.pairs, 0);
    parsed_free(&r);
}

static void test_pair_cap(void **state) {
    (void)state;
    char body[64 * 12 + 16];
    size_t n = 0;
    body[n++] = '{';
    for (int i = 0; i < 64; i++) n += (size_t)sprintf(body + n, "%s\"k%d\":1", i ? "," : "", i);
    strcpy(body + n, "}");
    struct parsed r;
    parse(&r, body);
    assert_int_equal(r.status, JSONBODY_OK);
    parsed_free(&r);
    strcpy(body + n, ",\"k64\":1}");
    parse(&r, body);
    assert_int_equal(r.status, JSONBODY_TOO_MANY);
    parsed_free(&r);

    /* The query's pairs count too. */
    struct params p;
    memset(&p, 0, sizeof(p));
    p.pairs = 64;
    char one[] = "{\"a\":1}";
    size_t at;
    assert_int_equal(jsonbody_parse(one, strlen(one), &p, &at), JSONBODY_TOO_MANY);
}

static void test_malformed(void **state) {
    (void)state;
    refused("", JSONBODY_MALFORMED, 0);
    refused("   ", JSONBODY_MALFORMED, 3);
    refused("{", JSONBODY_MALFORMED, 1);
    refused("{\"a\"}", JSONBODY_MALFORMED, 4);
    refused("{\"a\":}", JSONBODY_MALFORMED, 5);
    refused("{\"a\":1,}", JSONBODY_MALFORMED, 7);
    refused("{\"a\":1 \"b\":2}", JSONBODY_MALFORMED, 7);
    refused("{\"a\":1}x", JSONBODY_MALFORMED, 7);
    refused("{\"a\":1}{}", JSONBODY_MALFORMED, 7);
    refused("{a:1}", JSONBODY_MALFORMED, 1);
    refused("{'a':1}", JSONBODY_MALFORMED, 1);
    refused("{\"a\":01}", JSONBODY_MALFORMED, 6);
    refused("{\"a\":1.}", JSONBODY_MALFORMED, 7);
    refused("{\"a\":.5}", JSONBODY_MALFORMED, 5);
    refused("{\"a\":+1}", JSONBODY_MALFORMED, 5);
    refused("{\"a\":1e}", JSONBODY_MALFORMED, 7);
    refused("{\"a\":-}", JSONBODY_MALFORMED, 6);
    refused("{\"a\":\"x}", JSONBODY_MALFORMED, 8);
    refused("{\"a\":\"\\x\"}", JSONBODY_MALFORMED, 8);
    refused("{\"a\":\"\\u12g4\"}", JSONBODY_MALFORMED, 8);
    refused("{\"a\":\"tab\there\"}", JSONBODY_MALFORMED, 9);
    refused("\xef\xbb\xbf{}", JSONBODY_MALFORMED, 0);
    refused("x", JSONBODY_MALFORMED, 0);
}

static void test_not_an_object(void **state) {
    (void)state;
    refused("[]", JSONBODY_NOT_OBJECT, 0);
    refused(" \"username\"", JSONBODY_NOT_OBJECT, 1);
    refused("42", JSONBODY_NOT_OBJECT, 0);
    refused("null", JSONBODY_NOT_OBJECT, 0);
    refused("true", JSONBODY_NOT_OBJECT, 0);
}

static void test_nested_and_literals(void **state) {
    (void)state;
    refused("{\"a\":{\"b\":1}}", JSONBODY_NOT_FLAT, 5);
    refused("{\"a\": [1]}", JSONBODY_NOT_FLAT, 6);
    refused("{\"a\":true}", JSONBODY_NOT_FLAT, 5);
    refused("{\"a\":false}", JSONBODY_NOT_FLAT, 5);
    refused("{\"a\":null}", JSONBODY_NOT_FLAT, 5);
}

static void test_bad_utf8(void **state) {
    (void)state;
    refused("{\"a\":\"\xff\"}", JSONBODY_BAD_UTF8, 6);
    refused("{\"a\":\"\xc3\"}", JSONBODY_BAD_UTF8, 6);
    refused("{\"\xc0\xaf\":1}", JSONBODY_BAD_UTF8, 2);
    refused("{\"a\":\"\xed\xa0\x80\"}", JSONBODY_BAD_UTF8, 6);
    refused("{\"a\":\"\\ud83d\"}", JSONBODY_BAD_UTF8, 12);
    refused("{\"a\":\"\\ude00\"}", JSONBODY_BAD_UTF8, 12);
    refused("{\"a\":\"\\ud83d\\u0041\"}", JSONBODY_BAD_UTF8, 18);
}

static void message_is(enum jsonbody_status st, size_t at, const char *want) {
    struct buf msg;
    buf_init(&msg);
    jsonbody_message(st, at, &msg);
    assert_false(msg.failed);
    assert_string_equal(msg.len ? msg.data : "", want);
    buf_free(&msg);
}

static void test_messages(void **state) {
    (void)state;
    message_is(JSONBODY_OK, 0, "");
    message_is(JSONBODY_MALFORMED, 7, "malformed JSON body (at byte 7)");
    message_is(JSONBODY_NOT_OBJECT, 0,
               "a JSON body must be an object of parameters, such as {\"username\": \"alice\"}");
    message_is(JSONBODY_NOT_FLAT, 5,
               "JSON body values must be strings or numbers, not objects, arrays, true, false "
               "or null (at byte 5)");
    message_is(JSONBODY_BAD_UTF8, 6, "a JSON body must be valid UTF-8 (at byte 6)");
    message_is(JSONBODY_TOO_MANY, 0, PARAMS_TOO_MANY_MESSAGE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_and_numbers),
        cmocka_unit_test(test_numbers_keep_their_text),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_form_rules),
        cmocka_unit_test(test_pair_cap),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_nested_and_literals),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
