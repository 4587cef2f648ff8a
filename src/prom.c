/* prom.c -- Prometheus text format; see prom.h. */
#include "prom.h"

#include <stdio.h>
#include <string.h>

const long long prom_bucket_us[PROM_BUCKETS] = {
    100,    250,    500,     1000,    2500,    5000,    10000,   25000,
    50000,  100000, 250000,  500000,  1000000, 2500000, 5000000, 10000000,
};

const char *const prom_bucket_le[PROM_BUCKETS] = {
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5",    "10",
};

size_t prom_bucket(long long value_us) {
    size_t i = 0;
    while (i < PROM_BUCKETS && value_us > prom_bucket_us[i]) i++;
    return i;
}

void prom_family(struct buf *b, const char *name, const char *type, const char *help) {
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void prom_label_value(struct buf *b, const char *value) {
    buf_append_char(b, '"');
    for (const char *c = value; *c; c++) {
        if (*c == '\\') buf_append_str(b, "\\\\");
        else if (*c == '"') buf_append_str(b, "\\\"");
        else if (*c == '\n') buf_append_str(b, "\\n");
        else buf_append_char(b, *c);
    }
    buf_append_char(b, '"');
}

static void sample_name(struct buf *b, const char *name, const char *labels) {
    buf_append_str(b, name);
    if (labels != NULL && labels[0] != '\0') buf_printf(b, "{%s}", labels);
    buf_append_char(b, ' ');
}

void prom_sample(struct buf *b, const char *name, const char *labels, unsigned long long value) {
    sample_name(b, name, labels);
    buf_printf(b, "%llu\n", value);
}

void prom_sample_signed(struct buf *b, const char *name, const char *labels, long long value) {
    sample_name(b, name, labels);
    buf_printf(b, "%lld\n", value);
}

void prom_sample_double(struct buf *b, const char *name, const char *labels, double value) {
    sample_name(b, name, labels);
    buf_printf(b, "%.6f\n", value);
}

void prom_histogram(struct buf *b, const char *name, const char *labels,
                    const unsigned long long *counts, unsigned long long sum_us) {
    const char *sep = labels != NULL && labels[0] != '\0' ? "," : "";
    if (labels == NULL) labels = "";
    unsigned long long cumulative = 0;
    for (size_t i = 0; i <= PROM_BUCKETS; i++) {
        cumulative += counts[i];
        buf_printf(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels, sep,
                   i < PROM_BUCKETS ? prom_bucket_le[i] : "+Inf", cumulative);
    }
    buf_printf(b, "%s_sum%s%s%s %llu.%06llu\n", name, labels[0] ? "{" : "", labels,
               labels[0] ? "}" : "", sum_us / 1000000, sum_us % 1000000);
    buf_printf(b, "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "", labels,
               labels[0] ? "}" : "", cumulative);
}
