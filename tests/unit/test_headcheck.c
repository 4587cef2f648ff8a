/* test_headcheck.c -- unit tests for headcheck_scan: well-formed heads pass
 * and every proper prefix of one waits; each grammar rule and each limit
 * rejects with its status and a message naming the problem, exactly at its
 * boundary; garbage is refused at its first byte; pipelined requests are
 * each checked, bodies skipped, and a chunked body ends the scan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "headcheck.h"

#define GET_HEAD "GET /impression?sdk_version=1.0&username=u HTTP/1.1\r\nHost: t\r\n\r\n"

static enum headcheck_verdict scan_n(const char *data, size_t len, struct headcheck *out) {
    /* An exact-size copy, so that AddressSanitizer sees any read past it. */
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, data, len);
    enum headcheck_verdict v = headcheck_scan(copy, len, out);
    free(copy);
    return v;
}

static enum headcheck_verdict scan(const char *data, struct headcheck *out) {
    return scan_n(data, strlen(data), out);
}

static void expect_accept(const char *data) {
    struct headcheck out;
    enum headcheck_verdict v = scan(data, &out);
    if (v != HEAD_ACCEPT) fail_msg("not accepted (%u %s): %s", out.status, out.message, data);
}

static void expect_reject(const char *data, unsigned status, const char *needle) {
    struct headcheck out;
    assert_int_equal(scan(data, &out), HEAD_REJECT);
    assert_int_equal(out.status, status);
    if (strstr(out.message, needle) == NULL) fail_msg("\"%s\" lacks \"%s\"", out.message, needle);
}

/* `prefix`, `times` copies of `unit`, then `suffix`, in one of two static
 * buffers (a target and a field section may be built for the same head). */
static const char *repeat(int slot, const char *prefix, const char *unit, size_t times,
                          const char *suffix) {
    static char bufs[2][2 * HEADCHECK_HEAD_MAX];
    char *s = bufs[slot];
    size_t n = strlen(prefix), u = strlen(unit);
    assert_true(n + u * times + strlen(suffix) < sizeof(bufs[slot]));
    memcpy(s, prefix, n);
    for (size_t i = 0; i < times; i++, n += u) memcpy(s + n, unit, u);
    strcpy(s + n, suffix);
    return s;
}

/* Checks "GET <target> HTTP/1.1", Host and `fields`: accepted when
 * `status` is 0, else rejected with it and a message holding `needle`. */
static void check_head(const char *target, const char *fields, unsigned status,
                       const char *needle) {
    static char head[4 * HEADCHECK_HEAD_MAX];
    snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n", target, fields);
    if (status == 0) expect_accept(head);
    else expect_reject(head, status, needle);
}

static void test_wellformed_heads_pass(void **state) {
    (void)state;
    expect_accept(GET_HEAD);
    expect_accept("GET / HTTP/1.0\r\n\r\n");
    expect_accept("GET /x HTTP/1.2\r\nHost: t\r\n\r\n"); /* a 1.x libmicrohttpd takes */
    expect_accept("GET /x HTTP/1.1\nHost: t\n\n");       /* bare LF line endings */
    expect_accept("\r\nGET /x HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_accept("BREW /x HTTP/1.1\r\nHost: t\r\n\r\n"); /* any token: 405 comes later */
    expect_accept("GET /x HTTP/1.1\r\nHost:t\r\nX-Empty:\r\nX-Tab:\ta\tb\r\n\r\n");
    expect_accept("GET /caf\xc3\xa9?u=\xff HTTP/1.1\r\nHost: t\r\n\r\n"); /* judged later */
    expect_accept("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
    expect_accept("POST /x HTTP/1.1\r\nHost: t\r\ncontent-length:  007 \r\n\r\n");
}

static void test_every_prefix_waits(void **state) {
    (void)state;
    const char *heads[] = {GET_HEAD, "GET /x HTTP/1.0\n\n", "\r\nPOST /x HTTP/1.1\r\nA: b\r\n\r\n"};
    for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
        size_t len = strlen(heads[h]);
        for (size_t n = 0; n < len; n++) {
            struct headcheck out;
            if (scan_n(heads[h], n, &out) != HEAD_INCOMPLETE)
                fail_msg("prefix of %zu bytes of %s: %u %s", n, heads[h], out.status, out.message);
        }
        expect_accept(heads[h]);
    }
}

static void test_malformed_request_lines(void **state) {
    (void)state;
    expect_reject("GARBAGE\r\n\r\n", 400, "malformed request line");
    expect_reject("GET\r\n\r\n", 400, "malformed request line");
    expect_reject("GET\t/x\tHTTP/1.1\r\n\r\n", 400, "malformed request line");
    expect_reject("GET  /x HTTP/1.1\r\n\r\n", 400, "malformed request line");
    expect_reject(" GET /x HTTP/1.1\r\n\r\n", 400, "malformed request line");
    expect_reject("GET /x\r\n\r\n", 400, "no HTTP version");
    expect_reject("GET /x HTTP/1.1x\r\n\r\n", 400, "malformed HTTP version");
    expect_reject("GET /x HTTP/1.10\r\n\r\n", 400, "malformed HTTP version");
    expect_reject("GET /x http/1.1\r\n\r\n", 400, "malformed HTTP version");
    expect_reject("GET /x HTTP/1.1 \r\n\r\n", 400, "malformed HTTP version");
    expect_reject("GET /a\x01z HTTP/1.1\r\n\r\n", 400, "control character in the request target");
    expect_reject("GET /x HTTP/1.1\rHost: t\r\n\r\n", 400, "CR not followed by LF");
    expect_reject("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA /x HTTP/1.1\r\n\r\n", 400, "method too long");
}

static void test_other_major_versions_are_4xx(void **state) {
    (void)state;
    expect_reject("GET /x HTTP/2.0\r\nHost: t\r\n\r\n", 400, "HTTP/2.0 is not supported");
    expect_reject("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, "HTTP/2.0 is not supported");
    expect_reject("GET /x HTTP/0.9\r\n\r\n", 400, "HTTP/0.9 is not supported");
}

static void test_garbage_is_refused_at_its_first_byte(void **state) {
    (void)state;
    struct headcheck out;
    assert_int_equal(scan_n("\x16\x03\x01", 1, &out), HEAD_REJECT); /* TLS ClientHello */
    assert_int_equal(scan_n("G\x00", 2, &out), HEAD_REJECT);
    assert_int_equal(scan_n("GET /x HTTX", 11, &out), HEAD_REJECT);
}

static void test_malformed_field_lines(void **state) {
    (void)state;
    expect_reject("GET /x HTTP/1.1\r\nHost: t\r\nBad header line\r\n\r\n", 400, "without a colon");
    expect_reject("GET /x HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n", 400, "without a colon");
    expect_reject("GET /x HTTP/1.1\r\nHost : t\r\n\r\n", 400,
                  "whitespace before the colon in header field \"Host\"");
    expect_reject("GET /x HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400, "line folding");
    expect_reject("GET /x HTTP/1.1\r\nHost: t\r\n: v\r\n\r\n", 400, "header field name");
    expect_reject("GET /x HTTP/1.1\r\nHost: t\r\nX(y): v\r\n\r\n", 400, "header field name");
    expect_reject("GET /x HTTP/1.1\r\nHost: t\x01\r\n\r\n", 400,
                  "control character in header field \"Host\"");
    expect_reject("GET /x HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", 400, "CR not followed by LF");
    expect_reject("GET /x HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400, "control character");
}

static void test_content_length_must_be_a_number(void **state) {
    (void)state;
    const char *bad[] = {"-1", "+5", "1 2", "", "0x10", "5,5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char req[128];
        snprintf(req, sizeof(req), "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: %s\r\n\r\n",
                 bad[i]);
        expect_reject(req, 400, "Content-Length is not a number");
    }
    expect_accept("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999999999\r\n\r\n");
    expect_reject("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 9999999999999999\r\n\r\n", 413,
                  "too large");
    expect_reject("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999\r\n\r\n",
                  413, "too large");
}

static void test_target_limit_and_query_pieces(void **state) {
    (void)state;
    check_head(repeat(0, "/", "a", HEADCHECK_PATH_MAX - 1, ""), "", 0, NULL);
    check_head(repeat(0, "/", "a", HEADCHECK_PATH_MAX, ""), "", 414,
               "request URI too long (at most 1024 bytes of path)");
    check_head(repeat(0, "/x?", "a", HEADCHECK_QUERY_MAX, ""), "", 0, NULL);
    check_head(repeat(0, "/x?", "a", HEADCHECK_QUERY_MAX + 1, ""), "", 414,
               "request URI too long (at most 8192 bytes of query)");

    check_head(repeat(0, "/x?a", "&a", HEADCHECK_ARGS_MAX - 1, ""), "", 0, NULL);
    check_head(repeat(0, "/x?a", "&a", HEADCHECK_ARGS_MAX, ""), "", 400, "too many parameters");
    check_head(repeat(0, "/x?", "&", HEADCHECK_ARGS_MAX, ""), "", 400, "too many parameters");
    check_head(repeat(0, "/", "&", 3 * HEADCHECK_ARGS_MAX, ""), "", 0, NULL); /* no query */
}

static void test_field_count_and_section_limits(void **state) {
    (void)state;
    /* Host is one field: 63 more make the most there may be. */
    check_head("/x", repeat(1, "", "X-Pad: y\r\n", HEADCHECK_FIELDS_MAX - 1, ""), 0, NULL);
    check_head("/x", repeat(1, "", "X-Pad: y\r\n", HEADCHECK_FIELDS_MAX, ""), 431,
               "too many header fields");

    /* "Host: t\r\n" is 9 bytes; "X: " and "\r\n" frame the value. */
    size_t value = HEADCHECK_SECTION_MAX - 9 - 5;
    check_head("/x", repeat(1, "X: ", "v", value, "\r\n"), 0, NULL);
    check_head("/x", repeat(1, "X: ", "v", value + 1, "\r\n"), 431, "header fields too large");
    /* Still arriving, and already too big. */
    expect_reject(repeat(1, "GET /x HTTP/1.1\r\nX: ", "v", HEADCHECK_SECTION_MAX, ""), 431,
                  "header fields too large");
}

static void test_leading_empty_lines_are_bounded(void **state) {
    (void)state;
    expect_accept(repeat(0, "", "\r\n", 8, "GET /x HTTP/1.1\r\n\r\n"));
    expect_reject(repeat(0, "", "\r\n", 9, "GET /x HTTP/1.1\r\n\r\n"), 400, "empty lines");
}

static void test_pipelined_requests_are_each_checked(void **state) {
    (void)state;
    expect_accept(GET_HEAD GET_HEAD GET_HEAD);
    expect_accept(GET_HEAD "GET /x HT");                /* the rest is still coming */
    expect_reject(GET_HEAD "GARBAGE\r\n", 400, "request 2 on this connection: malformed");
    expect_reject(GET_HEAD "GET /x HTTP/1.1\r\nHost: t\r\n\r\nGET /y HTTP/2.0\r\n\r\n", 400,
                  "request 3 on this connection: HTTP/2.0");
    expect_reject(GET_HEAD "\x16\x03", 400, "request 2");
    /* A body is skipped by its length, not scanned as a head. */
    expect_accept("POST /x HTTP/1.1\r\nContent-Length: 9\r\n\r\nGARBAGE\r\n" GET_HEAD);
    expect_reject("POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGARBAGE\r\n", 400, "request 2");
    /* A body not all there yet, chunked, or with two lengths ends the scan:
     * adstats refuses the last two and closes before reading on. */
    expect_accept("POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\nGARBAGE\r\n");
    expect_accept("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nGARBAGE\r\n");
    expect_accept("POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nGARBAGE\r\n");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wellformed_heads_pass),
        cmocka_unit_test(test_every_prefix_waits),
        cmocka_unit_test(test_malformed_request_lines),
        cmocka_unit_test(test_other_major_versions_are_4xx),
        cmocka_unit_test(test_garbage_is_refused_at_its_first_byte),
        cmocka_unit_test(test_malformed_field_lines),
        cmocka_unit_test(test_content_length_must_be_a_number),
        cmocka_unit_test(test_target_limit_and_query_pieces),
        cmocka_unit_test(test_field_count_and_section_limits),
        cmocka_unit_test(test_leading_empty_lines_are_bounded),
        cmocka_unit_test(test_pipelined_requests_are_each_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
