/* test_upstream.c -- unit tests for the pure parts of upstream.c: how a
 * finished transfer is classified (timeout, too large, connection error,
 * HTTP status, ok) and that every outcome has its own name, as /metrics,
 * the JSON error and the backend log show it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <string.h>

#include "upstream.h"

#define CAP 1000L

static void test_classify(void **state) {
    (void)state;
    assert_int_equal(upstream_classify(CURLE_OK, 200, 10, CAP), UPSTREAM_OK);
    assert_int_equal(upstream_classify(CURLE_OK, 299, 0, CAP), UPSTREAM_OK);
    assert_int_equal(upstream_classify(CURLE_OK, 204, CAP, CAP), UPSTREAM_OK);
    assert_int_equal(upstream_classify(CURLE_OK, 199, 10, CAP), UPSTREAM_HTTP_STATUS);
    assert_int_equal(upstream_classify(CURLE_OK, 300, 10, CAP), UPSTREAM_HTTP_STATUS);
    assert_int_equal(upstream_classify(CURLE_OK, 503, 10, CAP), UPSTREAM_HTTP_STATUS);
    assert_int_equal(upstream_classify(CURLE_OK, 0, 0, CAP), UPSTREAM_HTTP_STATUS);
    assert_int_equal(upstream_classify(CURLE_OPERATION_TIMEDOUT, 200, 10, CAP), UPSTREAM_TIMEOUT);
    assert_int_equal(upstream_classify(CURLE_OPERATION_TIMEDOUT, 0, CAP + 1, CAP),
                     UPSTREAM_TIMEOUT); /* a timeout is a timeout, however much came */
    /* The body callback refuses past the cap and counts what it refused. */
    assert_int_equal(upstream_classify(CURLE_WRITE_ERROR, 200, CAP + 1, CAP), UPSTREAM_TOO_LARGE);
    /* ...whereas a write error within the cap was a failed append. */
    assert_int_equal(upstream_classify(CURLE_WRITE_ERROR, 200, CAP, CAP), UPSTREAM_CONNECT);
    assert_int_equal(upstream_classify(CURLE_COULDNT_CONNECT, 0, 0, CAP), UPSTREAM_CONNECT);
    assert_int_equal(upstream_classify(CURLE_RECV_ERROR, 200, 10, CAP), UPSTREAM_CONNECT);
}

static void test_every_outcome_has_its_own_name(void **state) {
    (void)state;
    for (int a = 0; a < UPSTREAM__COUNT; a++) {
        const char *name = upstream_outcome_name(a);
        assert_non_null(name);
        assert_string_not_equal(name, "unknown");
        for (int b = 0; b < a; b++) assert_string_not_equal(name, upstream_outcome_name(b));
    }
    assert_string_equal(upstream_outcome_name(UPSTREAM_CONNECT), "connect_error");
    assert_string_equal(upstream_outcome_name(UPSTREAM__COUNT), "unknown");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_every_outcome_has_its_own_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
