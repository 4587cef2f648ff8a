/* test_acceptor.c -- unit tests for the pure part of acceptor.c: the
 * answer a connection gets when its head is refused before libmicrohttpd
 * sees it -- status line, JSON error body with a matching Content-Length,
 * Connection: close, and Retry-After only on a 503. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acceptor.h"

static char *answer(unsigned status, const char *message) {
    struct buf b;
    buf_init(&b);
    assert_true(acceptor_format_answer(&b, status, message));
    return buf_steal(&b);
}

static void test_400(void **state) {
    (void)state;
    char *a = answer(400, "malformed request line");
    const char *body = "{\"success\": false, \"message\": \"malformed request line\"}";
    assert_int_equal(strncmp(a, "HTTP/1.1 400 Bad Request\r\n", 26), 0);
    assert_non_null(strstr(a, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(a, "\r\nConnection: close\r\n"));
    assert_null(strstr(a, "Retry-After"));
    char *end = strstr(a, "\r\n\r\n");
    assert_non_null(end);
    assert_string_equal(end + 4, body);
    char length[48];
    snprintf(length, sizeof(length), "\r\nContent-Length: %zu\r\n", strlen(body));
    assert_non_null(strstr(a, length));
    free(a);
}

static void test_503_says_when_to_retry(void **state) {
    (void)state;
    char *a = answer(503, "too many open connections, retry later");
    assert_int_equal(strncmp(a, "HTTP/1.1 503 Service Unavailable\r\n", 34), 0);
    assert_non_null(strstr(a, "\r\nRetry-After: 1\r\n\r\n{"));
    free(a);
}

static void test_message_is_escaped(void **state) {
    (void)state;
    char *a = answer(431, "bad \"header\"\n");
    assert_non_null(strstr(a, "\"message\": \"bad \\\"header\\\"\\n\"}"));
    free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_400),
        cmocka_unit_test(test_503_says_when_to_retry),
        cmocka_unit_test(test_message_is_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
