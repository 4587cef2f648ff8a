/* dimension.h -- what adstats counts events by, and what it counts.
 *
 * Every event is counted once per dimension: its user, its SDK version, its
 * country and its platform. A dimension has one name that the API uses
 * everywhere for it (the /statistics filter and the top-list dimension), the
 * event parameter that carries its value, and the /statistics parameter that
 * selects it. The metrics are what its events count: impressions and ad
 * requests and, with tracking (issue 14), video events. Adding a dimension takes more than a row in dimension.c's table:
 * an enum value here and a bit in DIMENSION_FILTERS, its parameters in
 * params.c (and its name in params.c's list of dimensions), a key letter and
 * top-list keys in keys.c, room in the event batch (batch.h), openapi.yaml
 * and the tests. docs/HACKING.md lists every file. */
#ifndef ADSTATS_DIMENSION_H
#define ADSTATS_DIMENSION_H

#include <stdbool.h>
#include <stddef.h>

#include "params.h"

enum dimension {
    DIM_USER,
    DIM_SDK,
    DIM_COUNTRY,
    DIM_PLATFORM,
    DIM__COUNT
};

/* What adstats counts per dimension value, all-time and per day (keys.h
 * names their fields). The first METRIC_RANKED__COUNT also have top lists
 * (/statistics/top): the Flask service's two, then the two video outcomes
 * worth ranking by (issue 14). The quartiles and starts are steps on the
 * way to a complete, and invalid traffic is what gets filtered out: their
 * top lists would cost a sorted set of every user each and rank nothing
 * new, so /statistics gives them per value only. A top list costs no
 * command per event: the deferred index writer (index_writer.h) sends one
 * ZADD GT per list and flush, with the totals that beat the list's K-th.
 *
 * No-fills (keys.h) are deliberately no metric: they have no top list. A
 * ranking by no-fill count would mostly repeat the ad-request ranking (the
 * values with most requests have most no-fills), what tells a bad fill is
 * the rate, which /statistics?no_fills=1 gives per value. */
enum metric {
    METRIC_IMPRESSIONS,
    METRIC_AD_REQUESTS,
    METRIC_COMPLETES,
    METRIC_CLICKS,
    METRIC_STARTS,
    METRIC_FIRST_QUARTILES,
    METRIC_MIDPOINTS,
    METRIC_THIRD_QUARTILES,
    METRIC_INVALID,
    METRIC__COUNT
};

#define METRIC_FLASK__COUNT 2  /* the Flask service's metrics: impressions, ad requests */
#define METRIC_RANKED__COUNT 4 /* metrics with top lists */

struct dimension_spec {
    const char *name;           /* "username", "sdk", "country", "platform" */
    enum param_id event_param;  /* on /ad and /impression */
    enum param_id filter_param; /* on /statistics */
};

const struct dimension_spec *dimension_spec(enum dimension dim);
bool dimension_by_name(const char *name, size_t len, enum dimension *dim);

/* The /statistics filter parameters, and the subject they select: of
 * those present, the one that comes first in the query (as the Flask
 * service did with username and sdk). NULL if none is present. */
#define DIMENSION_FILTERS                                                            \
    (PARAM_BIT(PARAM_USERNAME) | PARAM_BIT(PARAM_SDK) | PARAM_BIT(PARAM_COUNTRY)     \
     | PARAM_BIT(PARAM_PLATFORM))
const struct param_value *dimension_filter(const struct params *p, enum dimension *dim);

/* Which dimensions keep unique-session HyperLogLogs (--sessions-dimensions,
 * docs/ANALYTICS.md says why users keep none by default). A set is a bit
 * per dimension, (1u << dim). dimension_parse_set reads a comma-separated
 * list of dimension names ("sdk,country,platform", "" for none); false if
 * a name is unknown. dimension_keep_sessions is called once at start-up,
 * before any thread runs; dimension_has_sessions is read-only after. */
#define DIMENSION_SESSIONS_DEFAULT "sdk,country,platform"
bool dimension_parse_set(const char *text, unsigned *set);
void dimension_keep_sessions(unsigned set);
bool dimension_has_sessions(enum dimension dim);

/* "impressions", "ad_requests", "completes", "first_quartiles" ...: the
 * metric's name in the API. metric_by_name finds any metric. */
const char *metric_name(enum metric m);
bool metric_by_name(const char *name, size_t len, enum metric *m);

#endif
