/* params.h -- request parameters: their names, their value rules, and the
 * parser for query strings and form bodies.
 *
 * Every parameter adstats understands is listed once, in params.c, with its
 * length cap and value rule. Endpoints declare which of them they permit and
 * which they require (endpoint.h); the request pipeline parses the query
 * string and body (form or JSON, jsonbody.h) into a `struct params`, then
 * validates exactly the permitted ones. Parameters no endpoint permits are ignored, as the Flask
 * service ignored them, but their number is capped. */
#ifndef ADSTATS_PARAMS_H
#define ADSTATS_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum param_id {
    PARAM_SDK_VERSION,
    PARAM_SESSION_ID,
    PARAM_PLATFORM,
    PARAM_USERNAME,
    PARAM_COUNTRY_CODE,
    PARAM_SDK,
    PARAM_COUNTRY,
    PARAM_FROM,
    PARAM_TO,
    PARAM_INTERVAL,
    PARAM_UNIQUE_SESSIONS,
    PARAM_DIMENSION,
    PARAM_METRIC,
    PARAM_LIMIT,
    PARAM_EVENT_ID,
    PARAM_NO_FILLS,
    PARAM_VIDEO,
    PARAM_INVALID,
    PARAM_K,
    PARAM_E,
    PARAM__COUNT
};

#define PARAM_BIT(id) (1u << (id))

/* The length caps, in bytes, of the five request fields every event
 * carries (params.c's table holds them; track_token.h sizes its tokens by
 * them). */
#define PARAM_SDK_VERSION_MAX 32
#define PARAM_SESSION_ID_MAX 128
#define PARAM_PLATFORM_MAX 32
#define PARAM_USERNAME_MAX 64
#define PARAM_COUNTRY_CODE_MAX 2

/* The cap of GET /t's token `k`: track_token.h's TRACK_TOKEN_MAX_LEN,
 * which is computed from the caps above (it checks the two agree; params
 * cannot include it, track_token.h includes params.h). */
#define PARAM_TOKEN_MAX 428
#define PARAMS_MAX_PAIRS 64
#define PARAMS_TOO_MANY_MESSAGE "too many parameters (at most 64)"

struct param_value {
    char *data;      /* decoded, NUL-terminated; NULL when absent */
    size_t len;
    unsigned order;  /* position in the request, to tell which came first */
};

struct params {
    struct param_value v[PARAM__COUNT];
    unsigned pairs;  /* all pairs seen, known or not */
};

enum form_status {
    FORM_OK,
    FORM_BAD_ESCAPE,  /* a '%' not followed by two hex digits */
    FORM_TOO_MANY,    /* more than PARAMS_MAX_PAIRS pairs */
};

const char *param_name(enum param_id id);

/* Decodes an application/x-www-form-urlencoded string (a query string or a
 * POST body) in place and records the first value of every known parameter.
 * `in` must stay alive as long as `p` is used, and have one writable byte
 * past `len` (a terminator is written there). Empty values count as absent
 * (the Flask service took `username=` as the name ""; see README.md). */
enum form_status form_parse(char *in, size_t len, struct params *p);

/* Records one decoded pair, as form_parse does for each of its pairs (and
 * jsonbody.c for each member): counts it against PARAMS_MAX_PAIRS, and
 * keeps `value` (NUL-terminated, value_len bytes, which must outlive `p`)
 * if `key` names a known parameter not seen before and the value is not
 * empty. */
enum form_status params_add(struct params *p, const char *key, size_t key_len, char *value,
                            size_t value_len);

/* Checks every parameter in `permitted` (a PARAM_BIT mask) that is present
 * against its rules. Returns true if all hold; otherwise appends one message
 * naming every violated rule to `msg`. Normalises values in place
 * (country codes to upper case, flags to "1" or "0"). */
bool params_validate(struct params *p, uint32_t permitted, struct buf *msg);

/* Appends the Flask service's message for missing parameters:
 * "following params are required ['a', 'b']", listing the ids of `missing`
 * in enum order. */
void params_missing_message(uint32_t missing, struct buf *msg);

/* The value of a validated integer parameter (limit), or `fallback` when
 * it is absent. */
long params_integer(const struct params *p, enum param_id id, long fallback);

/* True if any parameter of the PARAM_BIT mask is present. */
bool params_any(const struct params *p, uint32_t mask);

/* A validated flag parameter (unique_sessions, no_fills, video, invalid): true for 1/true. */
bool params_flag(const struct params *p, enum param_id id);

/* True if `code` (2 bytes, any case) is an ISO 3166-1 alpha-2 code. */
bool country_code_known(const char *code);

#endif
