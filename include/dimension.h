/* dimension.h -- what adstats counts events by, and what it counts.
 *
 * Every event is counted once per dimension: its user, its SDK version, its
 * country and its platform. A dimension has one name that the API uses
 * everywhere for it (the /statistics filter and the top-list dimension), the
 * event parameter that carries its value, and the /statistics parameter that
 * selects it. The metrics are the two event types: impressions and ad
 * requests. Adding a dimension takes more than a row in dimension.c's table:
 * an enum value here and a bit in DIMENSION_FILTERS, its parameters in
 * params.c (and its name in params.c's list of dimensions), a key letter and
 * top-list keys in keys.c, room in the event batch (store.h), openapi.yaml
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

/* No-fills (keys.h) are deliberately no metric: they have no top list. A
 * ranking by no-fill count would mostly repeat the ad-request ranking (the
 * values with most requests have most no-fills), what tells a bad fill is
 * the rate, which /statistics?no_fills=1 gives per value; and leaving them
 * out keeps a no-fill at 12 commands and every METRIC__COUNT loop (top
 * lists, event ids, reset) as it is. /statistics/top?metric=no_fills is a
 * 400 like any unknown metric. */
enum metric {
    METRIC_IMPRESSIONS,
    METRIC_AD_REQUESTS,
    METRIC__COUNT
};

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

/* "impressions" / "ad_requests": the metric's name in the API. */
const char *metric_name(enum metric m);
bool metric_by_name(const char *name, size_t len, enum metric *m);

#endif
