/* test_log_repeated.c -- unit tests for log.c's rate limiter of repeated
 * failures: the first line of a kind in full, the rest counted and
 * summarized at most once a second per kind (with thousands separators),
 * kinds apart, a quiet kind starting afresh, and flush writing a held-back
 * summary. Time is given (the _at variants); output goes to a temp file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static FILE *out;
static char text[8192];

static int setup(void **state) {
    (void)state;
    out = tmpfile();
    log_set_output(out);
    log_repeated_reset();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    log_set_output(NULL);
    fclose(out);
    return 0;
}

/* Everything logged so far, and the number of lines. */
static int logged(void) {
    fflush(out);
    rewind(out);
    size_t n = fread(text, 1, sizeof(text) - 1, out);
    text[n] = '\0';
    int lines = 0;
    for (size_t i = 0; i < n; i++) lines += text[i] == '\n';
    return lines;
}

static void oom(long long now_ms) {
    log_repeated_at(now_ms, LOG_ERROR, "redis: OOM error replies", "redis: command failed: %s",
                    "OOM command not allowed");
}

static void test_first_line_in_full_then_counted(void **state) {
    (void)state;
    for (int i = 0; i < 3046; i++) oom(1000 + i / 10);
    assert_int_equal(logged(), 1);
    assert_non_null(strstr(text, "redis: command failed: OOM command not allowed"));
    oom(2000); /* a second after the first: the summary is due */
    assert_int_equal(logged(), 2);
    assert_non_null(strstr(text, "redis: 3,045 more OOM error replies in the last 1.0 s"));
}

static void test_at_most_one_summary_per_second(void **state) {
    (void)state;
    for (long long t = 0; t < 5000; t++) oom(10000 + t); /* one a millisecond for 5 s */
    /* the first line, then one summary a second */
    assert_int_equal(logged(), 5);
}

static void test_kinds_are_apart(void **state) {
    (void)state;
    oom(0);
    log_repeated_at(1, LOG_WARN, "redis: connect failures", "redis: cannot connect to %s", "x");
    oom(2);
    log_repeated_at(3, LOG_WARN, "redis: connect failures", "redis: cannot connect to %s", "x");
    assert_int_equal(logged(), 2);
    assert_non_null(strstr(text, "cannot connect to x"));
}

static void test_quiet_kind_starts_afresh(void **state) {
    (void)state;
    oom(0);
    log_repeated_flush_at(1500); /* nothing held back: the run ends */
    assert_int_equal(logged(), 1);
    oom(1600);
    assert_int_equal(logged(), 2);
    assert_null(strstr(text, "more"));
}

static void test_flush_writes_the_held_back_count(void **state) {
    (void)state;
    oom(0);
    oom(10);
    oom(20);
    log_repeated_flush_at(500); /* not due yet */
    assert_int_equal(logged(), 1);
    log_repeated_flush_at(1250);
    assert_int_equal(logged(), 2);
    assert_non_null(strstr(text, "redis: 2 more OOM error replies in the last 1.2 s"));
}

static void test_many_kinds_share_other(void **state) {
    (void)state;
    char kind[32];
    for (int i = 0; i < LOG_KINDS + 10; i++) {
        snprintf(kind, sizeof(kind), "k: kind %d", i);
        log_repeated_at(0, LOG_ERROR, kind, "line %d", i);
    }
    /* LOG_KINDS - 1 kinds of their own, then one "other" line */
    assert_int_equal(logged(), LOG_KINDS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_line_in_full_then_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_most_one_summary_per_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kinds_are_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quiet_kind_starts_afresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_writes_the_held_back_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_kinds_share_other, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
