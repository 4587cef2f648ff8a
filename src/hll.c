/* hll.c -- Redis HyperLogLog decoding, union and estimate; see hll.h.
 *
 * Layout (Redis src/hyperloglog.c): a 16-byte header -- "HYLL", one
 * encoding byte (0 dense, 1 sparse), three unused bytes, an 8-byte cached
 * cardinality -- then the registers. */
#include "hll.h"

#include <math.h>
#include <string.h>

#define HEADER 16
#define DENSE_BYTES (HLL_REGISTERS * 6 / 8)
#define Q 50 /* hash bits left for the run of zeroes: 64 - 14 */
#define ALPHA_INF 0.721347520444481703680 /* 1 / (2 ln 2) */

static void raise(uint8_t *reg, unsigned value) {
    if (value > *reg) *reg = (uint8_t)value;
}

static bool merge_dense(uint8_t *regs, const unsigned char *p, size_t len) {
    if (len != DENSE_BYTES) return false;
    for (unsigned i = 0; i < HLL_REGISTERS; i++) {
        unsigned bit = i * 6, byte = bit / 8, shift = bit % 8;
        unsigned v = p[byte] >> shift;
        if (shift > 2) v |= (unsigned)p[byte + 1] << (8 - shift); /* spans two bytes */
        raise(&regs[i], v & 63);
    }
    return true;
}

static bool merge_sparse(uint8_t *regs, const unsigned char *p, size_t len) {
    size_t at = 0;
    unsigned reg = 0;
    while (at < len) {
        unsigned op = p[at], run;
        if ((op & 0xC0) == 0x00) {         /* ZERO */
            run = (op & 0x3F) + 1;
            at += 1;
        } else if ((op & 0xC0) == 0x40) {  /* XZERO */
            if (at + 1 >= len) return false;
            run = (((op & 0x3F) << 8) | p[at + 1]) + 1;
            at += 2;
        } else {                           /* VAL */
            run = (op & 0x03) + 1;
            unsigned value = ((op >> 2) & 0x1F) + 1;
            if (reg + run > HLL_REGISTERS) return false;
            for (unsigned i = 0; i < run; i++) raise(&regs[reg + i], value);
            at += 1;
        }
        if (reg + run > HLL_REGISTERS) return false;
        reg += run;
    }
    return reg == HLL_REGISTERS;
}

bool hll_merge(uint8_t regs[HLL_REGISTERS], const void *data, size_t len) {
    const unsigned char *p = data;
    if (len < HEADER || memcmp(p, "HYLL", 4) != 0) return false;
    switch (p[4]) {
    case 0: return merge_dense(regs, p + HEADER, len - HEADER);
    case 1: return merge_sparse(regs, p + HEADER, len - HEADER);
    default: return false;
    }
}

/* Ertl, "New cardinality estimation algorithms for HyperLogLog sketches"
 * (arXiv:1702.01284): sigma and tau as series summed to convergence. */
static double sigma(double x) {
    if (x == 1.0) return INFINITY;
    double y = 1.0, z = x, previous;
    do {
        x *= x;
        previous = z;
        z += x * y;
        y += y;
    } while (previous != z);
    return z;
}

static double tau(double x) {
    if (x == 0.0 || x == 1.0) return 0.0;
    double y = 1.0, z = 1.0 - x, previous;
    do {
        x = sqrt(x);
        previous = z;
        y *= 0.5;
        z -= pow(1.0 - x, 2) * y;
    } while (previous != z);
    return z / 3.0;
}

uint64_t hll_count(const uint8_t regs[HLL_REGISTERS]) {
    int histogram[64] = {0};
    for (unsigned i = 0; i < HLL_REGISTERS; i++) histogram[regs[i] & 63]++;

    double m = HLL_REGISTERS;
    double z = m * tau((m - histogram[Q + 1]) / m);
    for (int j = Q; j >= 1; j--) {
        z += histogram[j];
        z *= 0.5;
    }
    z += m * sigma(histogram[0] / m);
    return (uint64_t)llroundl(ALPHA_INF * m * m / z);
}
