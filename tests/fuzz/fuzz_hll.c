/* fuzz_hll.c -- libFuzzer target: reading a Redis HyperLogLog (hll.c).
 *
 * The strings come from Redis, but a key can hold anything (a corrupt or
 * foreign value where a day's HyperLogLog should be): any bytes must be
 * either rejected or merged without reading out of bounds, leaving every
 * register within 0..63, and a merge must never lower a register. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hll.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t regs[HLL_REGISTERS], before[HLL_REGISTERS];
    memset(regs, 0, sizeof(regs));
    /* Also merge over a non-empty set: a few registers already raised. */
    for (size_t i = 0; i < size && i < 64; i++) regs[(data[i] * 257u + i) % HLL_REGISTERS] = 3;
    memcpy(before, regs, sizeof(regs));
    /* An exact-size copy, so that ASan sees any read past the end. */
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) return 0;
    memcpy(copy, data, size);
    hll_merge(regs, copy, size);
    free(copy);
    for (size_t i = 0; i < HLL_REGISTERS; i++) CHECK(regs[i] <= 63 && regs[i] >= before[i]);
    (void)hll_count(regs);
    return 0;
}
