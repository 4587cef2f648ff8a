/* flask_layout.h -- the Flask service's Redis counters, as `adstats
 * import-flask` reads them (import_flask.h), and the pure decisions of the
 * import: which keys are Flask counters, what a name is, what to add.
 *
 * The Flask service kept one hash per name, the bare name being the key:
 * on GET /ad it ran HINCRBY <username> ad_requests_count 1 and the same on
 * <sdk_version>; GET /impression did the same with
 * impressions_requests_count. Users and SDK versions share that one
 * namespace, so a key alone does not say which it was.
 *
 * A Flask counter is a hash whose fields are a non-empty subset of those
 * two, each a count as HINCRBY writes it (decimal digits, no sign, no
 * leading zero) of at most FLASK_COUNT_MAX. A missing field counts 0. */
#ifndef ADSTATS_FLASK_LAYOUT_H
#define ADSTATS_FLASK_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "dimension.h"

/* The Flask hash field of each metric. */
#define FLASK_FIELD_IMPRESSIONS "impressions_requests_count"
#define FLASK_FIELD_AD_REQUESTS "ad_requests_count"

/* 2^53 - 1: the largest count a top list (a sorted set, whose scores are
 * doubles) still holds exactly. */
#define FLASK_COUNT_MAX 9007199254740991LL

/* Counts indexed by enum metric. */
struct flask_counts {
    long long n[METRIC_FLASK__COUNT];
};

/* True if s[0..len) is a count as defined above; stores it in `out`. */
bool flask_parse_count(const char *s, size_t len, long long *out);

enum flask_verdict {
    FLASK_COUNTERS,      /* a Flask counter: `out` holds its counts */
    FLASK_GONE,          /* no such key (it went between SCAN and the read) */
    FLASK_OTHER_FIELDS,  /* a hash with a field that is neither of the two */
    FLASK_NOT_A_COUNT,   /* one of the two fields holds something else */
};

/* Judges a hash from its HLEN and the values of the two Flask fields
 * (value[m] NULL where the field is absent). */
enum flask_verdict flask_read_hash(long long hlen, const char *const value[METRIC_FLASK__COUNT],
                                   const size_t len[METRIC_FLASK__COUNT], struct flask_counts *out);

/* How names are resolved into dimensions (--as). */
enum flask_as {
    FLASK_AS_AUTO,  /* a name adstats accepts as an sdk_version is an SDK
                       version, any other a user */
    FLASK_AS_USER,
    FLASK_AS_SDK,
    FLASK_AS_BOTH,  /* every name into both: what the Flask data means */
};

bool flask_as_parse(const char *s, enum flask_as *out);
const char *flask_as_name(enum flask_as as);

#define FLASK_DIM_BIT(dim) (1u << (dim))

/* The dimensions (a mask of FLASK_DIM_BIT) a name is imported into. */
unsigned flask_resolve(enum flask_as as, const char *name, size_t len);

/* True if adstats accepts the name as a value of `dim` on /ad and
 * /impression (the rules of params.c), so that /statistics can ask for it. */
bool flask_name_valid(enum dimension dim, const char *name, size_t len);

enum flask_delta {
    FLASK_DELTA_NEW,    /* `delta` holds what to add (one count at least > 0) */
    FLASK_DELTA_SAME,   /* all imported already */
    FLASK_DELTA_LOWER,  /* a source count is below what was imported */
};

/* Compares a source's counts with what earlier runs imported from it. */
enum flask_delta flask_delta(const struct flask_counts *source,
                             const struct flask_counts *imported, struct flask_counts *delta);

#endif
