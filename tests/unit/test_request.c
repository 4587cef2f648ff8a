/* test_request.c -- unit tests for the request pipeline's pure checks
 * (request_parse.h): a body is a form when its Content-Type is
 * application/x-www-form-urlencoded or text/plain and JSON when it is
 * application/json, whatever the case and parameters, and nothing else is
 * either (not a longer type that starts the same); a control character in
 * the raw path is found raw or percent-encoded, but not in the query; only
 * short, plain text is echoed; Host is needed from HTTP/1.1 on; a body's
 * framing is told from its Content-Length and Transfer-Encoding headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "request_parse.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_body_type_follows_the_media_type(void **state) {
    (void)state;
    static const struct {
        const char *content_type;
        enum request_body_type want;
    } cases[] = {
        {"application/x-www-form-urlencoded", REQUEST_BODY_FORM},
        {"application/x-www-form-urlencoded; charset=UTF-8", REQUEST_BODY_FORM},
        {"Application/X-WWW-Form-URLEncoded", REQUEST_BODY_FORM},
        {"text/plain", REQUEST_BODY_FORM},
        {"text/plain;charset=UTF-8", REQUEST_BODY_FORM},
        {"TEXT/PLAIN\t; charset=us-ascii", REQUEST_BODY_FORM},
        {"application/json", REQUEST_BODY_JSON},
        {"application/JSON; charset=utf-8", REQUEST_BODY_JSON},
        {"application/json ", REQUEST_BODY_JSON},
        {NULL, REQUEST_BODY_OTHER},
        {"", REQUEST_BODY_OTHER},
        {"application/jsonp", REQUEST_BODY_OTHER},
        {"application/json-patch+json", REQUEST_BODY_OTHER},
        {"text/plainer", REQUEST_BODY_OTHER},
        {"text/html", REQUEST_BODY_OTHER},
        {"multipart/form-data; boundary=x", REQUEST_BODY_OTHER},
        {"application/x-www-form", REQUEST_BODY_OTHER},
        {" application/json", REQUEST_BODY_OTHER},
    };
    for (size_t i = 0; i < N(cases); i++) {
        if (request_body_type(cases[i].content_type) != cases[i].want)
            fail_msg("Content-Type \"%s\": got %d, want %d",
                     cases[i].content_type ? cases[i].content_type : "(none)",
                     request_body_type(cases[i].content_type), cases[i].want);
    }
}

static void test_control_characters_in_the_raw_path_are_found(void **state) {
    (void)state;
    static const struct {
        const char *uri;
        bool want;
    } cases[] = {
        {"/impression", false},
        {"/impression?x=%00&y=\x01", false}, /* the query is judged elsewhere */
        {"/caf%C3%A9", false},
        {"/a%20b", false},
        {"/a%7e", false},
        {"/100%", false},                    /* not an escape */
        {"/100%2", false},
        {"/%zz", false},
        {"", false},
        {"/impression%00junk", true},
        {"/impression%0a", true},
        {"/impression%0D%0A", true},
        {"/a%1F", true},
        {"/a%1f", true},
        {"/a%7F", true},
        {"/a%7f?ok", true},
        {"/a\x01", true},
        {"/a\tb", true},
        {"/a\x7f", true},
    };
    for (size_t i = 0; i < N(cases); i++) {
        if (request_path_has_control(cases[i].uri) != cases[i].want)
            fail_msg("uri #%zu: got %d, want %d", i, !cases[i].want, cases[i].want);
    }
}

static void test_only_short_plain_text_is_echoed(void **state) {
    (void)state;
    assert_string_equal(request_printable("/statistics"), "/statistics");
    assert_string_equal(request_printable(""), "");
    assert_string_equal(request_printable("/a b~"), "/a b~");
    assert_string_equal(request_printable("/a\tb"), "(not printable)");
    assert_string_equal(request_printable("/a\x7f"), "(not printable)");
    assert_string_equal(request_printable("/caf\xc3\xa9"), "(not printable)");
    char s[66];
    memset(s, 'a', 64);
    s[64] = '\0';
    assert_ptr_equal(request_printable(s), s); /* 64 bytes: shown */
    s[64] = 'a';
    s[65] = '\0';
    assert_string_equal(request_printable(s), "(too long to show)");
}

static void test_host_is_needed_from_http_1_1_on(void **state) {
    (void)state;
    assert_true(request_needs_host("HTTP/1.1"));
    assert_true(request_needs_host("HTTP/1.2"));
    assert_false(request_needs_host("HTTP/1.0"));
    assert_false(request_needs_host("HTTP/0.9"));
    assert_false(request_needs_host("HTTP/2"));
    assert_false(request_needs_host(""));
}

static void test_framing_is_told_from_the_headers(void **state) {
    (void)state;
    static const struct {
        const char *length;
        const char *encoding;
        int lengths;
        enum request_framing want;
    } cases[] = {
        {NULL, NULL, 0, REQUEST_NO_BODY},
        {"0", NULL, 1, REQUEST_NO_BODY},
        {NULL, "identity", 0, REQUEST_NO_BODY},
        {"0", "IDENTITY", 1, REQUEST_NO_BODY},
        {"1", NULL, 1, REQUEST_BODY},
        {"00", NULL, 1, REQUEST_BODY},
        {"16384", NULL, 1, REQUEST_BODY},
        {"16385", NULL, 1, REQUEST_TOO_LARGE},
        {"99999", NULL, 1, REQUEST_TOO_LARGE},
        {"000001", NULL, 1, REQUEST_TOO_LARGE}, /* more than 5 digits */
        {"99999999999999999999", NULL, 1, REQUEST_TOO_LARGE},
        {NULL, "chunked", 0, REQUEST_CHUNKED},
        {"10", "Chunked", 1, REQUEST_CHUNKED},
        {NULL, "gzip, chunked", 0, REQUEST_CHUNKED},
        {"10", NULL, 2, REQUEST_CONFLICTING_LENGTHS},
        {"0", NULL, 2, REQUEST_CONFLICTING_LENGTHS},
        {"10", "chunked", 3, REQUEST_CONFLICTING_LENGTHS},
    };
    for (size_t i = 0; i < N(cases); i++) {
        enum request_framing got =
            request_framing(cases[i].length, cases[i].encoding, cases[i].lengths);
        if (got != cases[i].want)
            fail_msg("Content-Length %s, Transfer-Encoding %s, %d lengths: got %d, want %d",
                     cases[i].length ? cases[i].length : "(none)",
                     cases[i].encoding ? cases[i].encoding : "(none)", cases[i].lengths, got,
                     cases[i].want);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_type_follows_the_media_type),
        cmocka_unit_test(test_control_characters_in_the_raw_path_are_found),
        cmocka_unit_test(test_only_short_plain_text_is_echoed),
        cmocka_unit_test(test_host_is_needed_from_http_1_1_on),
        cmocka_unit_test(test_framing_is_told_from_the_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
