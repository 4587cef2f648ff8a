/* prom.h -- writing the Prometheus text exposition format (version 0.0.4).
 *
 * Pure formatting, no state: the metrics registry (metrics.c) sums its
 * counters and renders them with these. Histograms are kept as one count
 * per bucket (not cumulative) plus a sum, in whole microseconds, and
 * written out cumulatively with the bucket bounds in seconds. */
#ifndef ADSTATS_PROM_H
#define ADSTATS_PROM_H

#include <stddef.h>

#include "buf.h"

/* The latency buckets shared by every adstats histogram: upper bounds in
 * microseconds, and the same bounds as Prometheus `le` labels (seconds).
 * A histogram has PROM_BUCKETS + 1 counts, the last one for +Inf. */
#define PROM_BUCKETS 16
extern const long long prom_bucket_us[PROM_BUCKETS];
extern const char *const prom_bucket_le[PROM_BUCKETS];

/* Index of the bucket `value_us` falls in: the first bound it does not
 * exceed, or PROM_BUCKETS (+Inf). Negative values go to the first. */
size_t prom_bucket(long long value_us);

/* # HELP and # TYPE lines of one metric family. */
void prom_family(struct buf *b, const char *name, const char *type, const char *help);

/* Appends `value` as a label value, escaping \, " and newlines. */
void prom_label_value(struct buf *b, const char *value);

/* One sample: name{labels} value. `labels` is preformatted (k="v",...)
 * and may be NULL or empty. */
void prom_sample(struct buf *b, const char *name, const char *labels, unsigned long long value);
void prom_sample_signed(struct buf *b, const char *name, const char *labels, long long value);
void prom_sample_double(struct buf *b, const char *name, const char *labels, double value);

/* A histogram's _bucket, _sum and _count samples. `counts` has
 * PROM_BUCKETS + 1 entries, one per bucket (not cumulative). */
void prom_histogram(struct buf *b, const char *name, const char *labels,
                    const unsigned long long *counts, unsigned long long sum_us);

#endif
