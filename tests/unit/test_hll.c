/* test_hll.c -- unit tests for hll.c: decoding Redis' sparse and dense
 * HyperLogLog encodings into registers, merging (maximum per register),
 * the estimate on known register sets, and rejection of anything that is
 * not a well-formed HyperLogLog. (That the estimate equals Redis' own
 * PFCOUNT is checked against a real Redis in the integration tests.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hll.h"

#define DENSE_LEN (16 + HLL_REGISTERS * 6 / 8)

static size_t header(unsigned char *out, int encoding) {
    memset(out, 0, 16);
    memcpy(out, "HYLL", 4);
    out[4] = (unsigned char)encoding;
    return 16;
}

/* XZERO covering `n` (1..16384) registers. */
static size_t xzero(unsigned char *out, unsigned n) {
    out[0] = (unsigned char)(0x40 | ((n - 1) >> 8));
    out[1] = (unsigned char)((n - 1) & 0xFF);
    return 2;
}

static size_t val(unsigned char *out, unsigned value, unsigned run) {
    out[0] = (unsigned char)(0x80 | ((value - 1) << 2) | (run - 1));
    return 1;
}

static void set_dense(unsigned char *regs, unsigned i, unsigned v) {
    unsigned bit = i * 6, byte = bit / 8, shift = bit % 8;
    regs[byte] = (unsigned char)((regs[byte] & ~(63u << shift)) | (v << shift));
    if (shift > 2) {
        regs[byte + 1] = (unsigned char)((regs[byte + 1] & ~(63u >> (8 - shift)))
                                         | (v >> (8 - shift)));
    }
}

static void test_empty_sparse_counts_zero(void **state) {
    (void)state;
    unsigned char h[32];
    size_t n = header(h, 1);
    n += xzero(h + n, 16384);
    uint8_t regs[HLL_REGISTERS] = {0};
    assert_true(hll_merge(regs, h, n));
    assert_int_equal(hll_count(regs), 0);
}

static void test_sparse_registers_decoded(void **state) {
    (void)state;
    /* registers 1000 = 2, 1020..1021 = 3 (Redis' own example) */
    unsigned char h[32];
    size_t n = header(h, 1);
    n += xzero(h + n, 1000);
    n += val(h + n, 2, 1);
    h[n++] = 19 - 1; /* ZERO:19 */
    n += val(h + n, 3, 2);
    n += xzero(h + n, 16384 - 1022);
    uint8_t regs[HLL_REGISTERS] = {0};
    assert_true(hll_merge(regs, h, n));
    for (unsigned i = 0; i < HLL_REGISTERS; i++) {
        unsigned want = i == 1000 ? 2 : (i == 1020 || i == 1021) ? 3 : 0;
        if (regs[i] != want) fail_msg("register %u is %u, want %u", i, regs[i], want);
    }
    assert_int_equal(hll_count(regs), 3);
}

static void test_dense_registers_decoded(void **state) {
    (void)state;
    unsigned char *h = calloc(1, DENSE_LEN + 1);
    header(h, 0);
    for (unsigned i = 0; i < HLL_REGISTERS; i++) set_dense(h + 16, i, (i * 7 + 3) % 52);
    uint8_t regs[HLL_REGISTERS] = {0};
    assert_true(hll_merge(regs, h, DENSE_LEN));
    for (unsigned i = 0; i < HLL_REGISTERS; i++) assert_int_equal(regs[i], (i * 7 + 3) % 52);
    free(h);
}

static void test_merge_takes_maximum(void **state) {
    (void)state;
    unsigned char *dense = calloc(1, DENSE_LEN + 1);
    header(dense, 0);
    set_dense(dense + 16, 5, 4);
    set_dense(dense + 16, 16383, 9);
    unsigned char sparse[32];
    size_t n = header(sparse, 1);
    n += xzero(sparse + n, 5);
    n += val(sparse + n, 7, 1); /* register 5 = 7 */
    n += val(sparse + n, 1, 1); /* register 6 = 1 */
    n += xzero(sparse + n, 16384 - 7);
    uint8_t regs[HLL_REGISTERS] = {0};
    assert_true(hll_merge(regs, dense, DENSE_LEN));
    assert_true(hll_merge(regs, sparse, n));
    assert_int_equal(regs[5], 7);
    assert_int_equal(regs[6], 1);
    assert_int_equal(regs[16383], 9);
    free(dense);
}

static void test_estimate_follows_linear_counting_when_small(void **state) {
    (void)state;
    const unsigned ks[] = {1, 10, 100, 1000};
    for (size_t t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
        uint8_t regs[HLL_REGISTERS] = {0};
        for (unsigned i = 0; i < ks[t]; i++) regs[i * 3 % HLL_REGISTERS] = 1;
        double m = HLL_REGISTERS;
        double linear = m * log(m / (m - ks[t]));
        double got = (double)hll_count(regs);
        if (fabs(got - linear) > 0.01 * linear + 1)
            fail_msg("%u registers: %f, linear counting %f", ks[t], got, linear);
    }
}

static void test_rejects_malformed(void **state) {
    (void)state;
    uint8_t regs[HLL_REGISTERS] = {0};
    unsigned char h[64];
    size_t n = header(h, 1);
    assert_false(hll_merge(regs, h, 10));                 /* shorter than a header */
    assert_false(hll_merge(regs, "NOPE0000000000000000", 20));
    assert_false(hll_merge(regs, h, n));                  /* sparse with no registers */
    size_t m = n + xzero(h + n, 16000);
    assert_false(hll_merge(regs, h, m));                  /* too few registers */
    m += xzero(h + m, 385);
    assert_false(hll_merge(regs, h, m));                  /* too many */
    h[n] = 0x40;                                          /* XZERO cut short */
    assert_false(hll_merge(regs, h, n + 1));
    header(h, 2);                                         /* unknown encoding */
    assert_false(hll_merge(regs, h, 18));
    unsigned char *dense = calloc(1, DENSE_LEN + 1);
    header(dense, 0);
    assert_false(hll_merge(regs, dense, DENSE_LEN - 1));  /* dense of the wrong size */
    assert_true(hll_merge(regs, dense, DENSE_LEN));
    free(dense);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_sparse_counts_zero),
        cmocka_unit_test(test_sparse_registers_decoded),
        cmocka_unit_test(test_dense_registers_decoded),
        cmocka_unit_test(test_merge_takes_maximum),
        cmocka_unit_test(test_estimate_follows_linear_counting_when_small),
        cmocka_unit_test(test_rejects_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
