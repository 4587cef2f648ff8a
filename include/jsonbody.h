/* jsonbody.h -- request parameters from an application/json body.
 *
 * A POST may carry its parameters as one flat JSON object,
 * {"username": "alice", "sdk_version": "4.12.3", "limit": 10}: every member
 * whose value is a string or a number is one parameter, exactly like a form
 * pair (params_add: the 64-pair cap, first value wins, empty is absent, the
 * value rules checked later by params_validate). A number's value is its
 * JSON text, as written ("4.10" stays "4.10"). Nested objects, arrays,
 * true, false and null are refused, as is anything but an object at the top
 * and any byte sequence that is not UTF-8. */
#ifndef ADSTATS_JSONBODY_H
#define ADSTATS_JSONBODY_H

#include <stddef.h>

#include "buf.h"
#include "params.h"

enum jsonbody_status {
    JSONBODY_OK,
    JSONBODY_MALFORMED,   /* not JSON (RFC 8259) */
    JSONBODY_NOT_OBJECT,  /* JSON, but not an object */
    JSONBODY_NOT_FLAT,    /* a member's value is an object, array, true, false or null */
    JSONBODY_BAD_UTF8,    /* invalid UTF-8, or an unpaired surrogate escape */
    JSONBODY_TOO_MANY,    /* more than PARAMS_MAX_PAIRS members (with the query's) */
};

/* Parses `in` (len bytes) into `p`, decoding strings in place like
 * form_parse: `in` must stay alive as long as `p` is used. On failure,
 * `*at` is the offset of the byte where the problem was found. */
enum jsonbody_status jsonbody_parse(char *in, size_t len, struct params *p, size_t *at);

/* Appends the message a 400 answers with for a failed parse. */
void jsonbody_message(enum jsonbody_status status, size_t at, struct buf *msg);

#endif
