/* test_ratelimit.c -- unit tests for ratelimit.c, with the time given: the
 * first `first` events of a run pass, the rest are held and due once the
 * window is over; later windows pass `again`; a window that holds nothing
 * ends the run; at most max(first, again) + 1 lines a window under any
 * load; force ends a window early; counts get thousands separators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ratelimit.h"

static const struct ratelimit_policy five = {.first = 5, .again = 5, .window_ms = 1000};
static const struct ratelimit_policy once = {.first = 1, .again = 0, .window_ms = 1000};

/* One event as a log would treat it: lines written for it (a summary that
 * was due, its own line), the summary's count added to *held_total. */
static int event(struct ratelimit *r, const struct ratelimit_policy *p, long long now_ms,
                 unsigned long long *held_total) {
    long long span;
    unsigned long long due = ratelimit_due(r, p, now_ms, false, &span);
    *held_total += due;
    return (due > 0) + ratelimit_pass(r, p, now_ms);
}

static void test_first_few_pass_then_held(void **state) {
    (void)state;
    struct ratelimit r;
    ratelimit_init(&r);
    for (int i = 0; i < 5; i++) assert_true(ratelimit_pass(&r, &five, 100 + i));
    for (int i = 0; i < 995; i++) assert_false(ratelimit_pass(&r, &five, 105 + i));
    long long span = -1;
    assert_int_equal(ratelimit_due(&r, &five, 1099, false, &span), 0); /* not over yet */
    assert_int_equal(ratelimit_due(&r, &five, 1100, false, &span), 995);
    assert_int_equal(span, 1000);
    /* a new window of the run: five again */
    for (int i = 0; i < 5; i++) assert_true(ratelimit_pass(&r, &five, 1100 + i));
    assert_false(ratelimit_pass(&r, &five, 1105));
}

static void test_lines_bounded_and_counts_exact(void **state) {
    (void)state;
    struct ratelimit r;
    ratelimit_init(&r);
    unsigned long long held = 0;
    int lines = 0, full = 0;
    for (long long t = 0; t < 10000; t++) { /* ten a millisecond for 10 s */
        for (int i = 0; i < 10; i++) {
            long long span;
            unsigned long long due = ratelimit_due(&r, &five, t, false, &span);
            held += due;
            lines += due > 0;
            bool pass = ratelimit_pass(&r, &five, t);
            full += pass;
            lines += pass;
        }
    }
    long long span;
    unsigned long long last = ratelimit_due(&r, &five, 10000, true, &span);
    held += last;
    lines += last > 0;
    assert_int_equal(full + held, 100000);
    assert_true(lines <= 10 * (5 + 1));
    assert_int_equal(full, 50);
}

static void test_quiet_window_ends_the_run(void **state) {
    (void)state;
    struct ratelimit r;
    ratelimit_init(&r);
    unsigned long long held = 0;
    assert_int_equal(event(&r, &once, 0, &held), 1);
    assert_int_equal(event(&r, &once, 10, &held), 0); /* held */
    assert_int_equal(event(&r, &once, 1000, &held), 1); /* the summary; this one held */
    assert_int_equal(held, 1);
    long long span;
    assert_int_equal(ratelimit_due(&r, &once, 2000, false, &span), 1);
    assert_int_equal(ratelimit_due(&r, &once, 3000, false, &span), 0); /* nothing: run over */
    assert_false(r.active);
    assert_int_equal(event(&r, &once, 3001, &held), 1); /* afresh: in full */
}

static void test_again_zero_summaries_only(void **state) {
    (void)state;
    struct ratelimit r;
    ratelimit_init(&r);
    unsigned long long held = 0;
    int lines = 0;
    for (long long t = 0; t < 5000; t++) lines += event(&r, &once, t, &held);
    assert_int_equal(lines, 5); /* the first line, then one summary a second */
    assert_int_equal(held, 3999); /* the last second's 1000 are still held */
}

static void test_force_ends_the_window_early(void **state) {
    (void)state;
    struct ratelimit r;
    ratelimit_init(&r);
    for (int i = 0; i < 8; i++) ratelimit_pass(&r, &five, 0);
    long long span = -1;
    assert_int_equal(ratelimit_due(&r, &five, 300, false, &span), 0);
    assert_int_equal(ratelimit_due(&r, &five, 300, true, &span), 3);
    assert_int_equal(span, 300);
}

static void test_commas(void **state) {
    (void)state;
    char out[40];
    ratelimit_commas(3045, out, sizeof(out));
    assert_string_equal(out, "3,045");
    ratelimit_commas(999, out, sizeof(out));
    assert_string_equal(out, "999");
    ratelimit_commas(1234567, out, sizeof(out));
    assert_string_equal(out, "1,234,567");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_few_pass_then_held),
        cmocka_unit_test(test_lines_bounded_and_counts_exact),
        cmocka_unit_test(test_quiet_window_ends_the_run),
        cmocka_unit_test(test_again_zero_summaries_only),
        cmocka_unit_test(test_force_ends_the_window_early),
        cmocka_unit_test(test_commas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
