/* hll.h -- reading Redis HyperLogLogs, to count unique sessions over a
 * range of days.
 *
 * The unique sessions of several days are the cardinality of the union of
 * the days' HyperLogLogs. PFCOUNT with several keys computes that, but a
 * sharding proxy cannot route a command whose keys live on different
 * servers. So adstats GETs each day's HyperLogLog (a plain string) and
 * merges them itself: registers are 6-bit maxima, a union is the maximum
 * per register, and the estimate is Redis' own (Ertl's improved estimator,
 * Redis >= 5), so the answer is the one PFCOUNT would give. Both of Redis'
 * encodings are read: dense (16384 packed 6-bit registers) and sparse (run
 * lengths: ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx). */
#ifndef ADSTATS_HLL_H
#define ADSTATS_HLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HLL_REGISTERS 16384

/* Merges the HyperLogLog string `data` into `regs` (which starts zeroed
 * for an empty set). Returns false, leaving `regs` possibly part-merged, if
 * `data` is not a valid Redis HyperLogLog. */
bool hll_merge(uint8_t regs[HLL_REGISTERS], const void *data, size_t len);

/* The estimated number of distinct elements, as PFCOUNT computes it. */
uint64_t hll_count(const uint8_t regs[HLL_REGISTERS]);

#endif
