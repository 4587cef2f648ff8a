/* test_access_log.c -- unit tests for access_log_format: the fields of a
 * line, latency in milliseconds with microsecond digits, IPv4/IPv6/absent
 * client addresses, and parameters escaped so that no value can forge a
 * field or split the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "access_log.h"

static char *format(const struct access_entry *e, struct buf *b) {
    buf_init(b);
    access_log_format(b, e);
    assert_false(b->failed);
    assert_true(b->len > 0 && b->data[b->len - 1] == '\n');
    assert_null(memchr(b->data, '\n', b->len - 1)); /* one line */
    return b->data;
}

static void test_fields(void **state) {
    (void)state;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "10.1.2.3", &sa.sin_addr);
    struct access_entry e = {.method = "GET", .path = "/impression", .status = 200,
                             .latency_us = 1234, .bytes = 52,
                             .client = (const struct sockaddr *)&sa};
    struct buf b;
    const char *line = format(&e, &b);
    assert_int_equal(strncmp(line, "{\"time\": \"", 10), 0);
    assert_non_null(strstr(line, "Z\", \"method\": \"GET\", \"path\": \"/impression\", "
                                 "\"status\": 200, \"latency_ms\": 1.234, \"bytes\": 52, "
                                 "\"client\": \"10.1.2.3\", \"params\": {}}\n"));
    buf_free(&b);
}

static void test_ipv6_and_absent_client(void **state) {
    (void)state;
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::1", &sa.sin6_addr);
    struct access_entry e = {.method = "GET", .path = "/", .status = 404, .latency_us = 7,
                             .client = (const struct sockaddr *)&sa};
    struct buf b;
    assert_non_null(strstr(format(&e, &b), "\"latency_ms\": 0.007, \"bytes\": 0, \"client\": \"::1\""));
    buf_free(&b);
    e.client = NULL;
    e.latency_us = -5; /* a clock step never prints a negative latency */
    assert_non_null(strstr(format(&e, &b), "\"latency_ms\": 0.000, \"bytes\": 0, \"client\": \"\""));
    buf_free(&b);
}

static void test_params_are_escaped(void **state) {
    (void)state;
    char user[] = "a\"b\\c\n</script>\x01\xff";
    char sdk[] = "1.0";
    struct params p = {0};
    p.v[PARAM_USERNAME] = (struct param_value){user, sizeof(user) - 1, 0};
    p.v[PARAM_SDK_VERSION] = (struct param_value){sdk, 3, 1};
    struct access_entry e = {.method = "PO\"ST", .path = "/x\ny", .status = 400, .params = &p};
    struct buf b;
    const char *line = format(&e, &b);
    assert_non_null(strstr(line, "\"method\": \"PO\\\"ST\", \"path\": \"/x\\ny\""));
    assert_non_null(strstr(line, "\"params\": {\"sdk_version\": \"1.0\", \"username\": "
                                 "\"a\\\"b\\\\c\\n\\u003c/script\\u003e\\u0001\\ufffd\"}}\n"));
    buf_free(&b);
}

static void test_disabled_log_writes_nothing(void **state) {
    (void)state;
    assert_true(access_log_open(""));
    assert_false(access_log_enabled());
    struct access_entry e = {.method = "GET", .path = "/", .status = 200};
    access_log_write(&e); /* a no-op, not a crash */
    assert_int_equal(access_log_dropped(), 0);
    access_log_close();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_ipv6_and_absent_client),
        cmocka_unit_test(test_params_are_escaped),
        cmocka_unit_test(test_disabled_log_writes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
