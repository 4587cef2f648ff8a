/* track_token.h -- signed tokens for the tracking pixels of injected VAST
 * ads (GET /t, issue 14).
 *
 * When /ad injects tracking URLs into a VAST document, each URL carries a
 * token that says what the pixel counts: the event type, the five request
 * fields of the ad request (sdk_version, session_id, platform, username,
 * country_code), an id of the served ad and its serve time. The token is
 * signed with HMAC-SHA256 under the tracking secret, so that a player can
 * fire it but nobody can make one up or change a byte of it: the event type
 * is inside the token, so a start pixel cannot be turned into a complete.
 *
 * Wire format (all of it base64url without padding, base64url.h):
 *
 *     version    1 byte   TRACK_TOKEN_V2 (what the encoder writes) or TRACK_TOKEN_V1
 *     event      1 byte   enum track_event
 *     served_at  8 bytes  Unix seconds, big-endian, 0 to TRACK_SERVED_MAX
 *     ad id     16 bytes  random (track_ad_id_new)
 *     5 fields   each a length byte then that many bytes, in param order:
 *                sdk_version, session_id, platform, username, country_code
 *     signature  version 1: 32 bytes, HMAC-SHA256(key, TRACK_MAC_LABEL || all the above)
 *                version 2:  8 bytes, TRACK_TAG_LEN bytes of
 *                HMAC-SHA256(key, TRACK_MAC_LABEL || the above with the event
 *                byte replaced by event / 4): bytes 8 * (event % 4) to 8 * (event % 4) + 7
 *
 * Version 2 exists for the cost of /ad: one served ad needs a token per
 * event, seven, and in version 1 each is an HMAC. In version 2 one HMAC
 * covers four events (its 32 bytes are four 8-byte tags, one per event of
 * the group), so an ad costs two and a pixel still one. Each tag is still
 * bound to its event: another event's tag is another slice, or another
 * HMAC. 64 bits is a forgery chance of 2^-64 per request, and a pixel can
 * only be tried online, one request at a time. Version 1 tokens, made by
 * earlier releases, verify as they always did until they expire.
 *
 * Fields are length-prefixed, never split at a delimiter, so no value can
 * smuggle in another field. The label keeps a MAC made for tokens from
 * meaning anything elsewhere, should the secret ever be reused; the version
 * byte, right after it, keeps the two versions' MACs apart.
 *
 * Decoding trusts nothing before the MAC: it checks the length bounds, the
 * base64url, the version and then the MAC (constant-time, against the
 * current key and then the previous one, if any: which key signed is not
 * written in the token, because "current" and "previous" are roles that
 * move at every rotation). Only then does it parse the fields -- every
 * length within its cap, the values re-checked by params_validate() as a
 * request's would be, nothing left over -- and check the serve time against
 * the ttl and the clock skew allowance. A decoded token re-encodes to the
 * same bytes: the format has one spelling for each set of claims. */
#ifndef ADSTATS_TRACK_TOKEN_H
#define ADSTATS_TRACK_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "base64url.h"
#include "buf.h"
#include "params.h"

#define TRACK_TOKEN_V1 1
#define TRACK_TOKEN_V2 2
#define TRACK_TOKEN_VERSION TRACK_TOKEN_V2 /* what the encoder writes */
#define TRACK_MAC_LABEL "adstats tracking token"
#define TRACK_MAC_LEN 32  /* an HMAC-SHA256; version 1's signature */
#define TRACK_TAG_LEN 8   /* version 2's signature: a quarter of one */
#define TRACK_AD_ID_LEN 16
#define TRACK_KEY_MIN_LEN 16
#define TRACK_TTL_DEFAULT_S (24 * 3600)
/* A serve time up to this far ahead of the decoder's clock is accepted
 * (another node, or NTP catching up); further ahead, FUTURE. */
#define TRACK_CLOCK_SKEW_S 300
/* 9999-12-31T23:59:59Z, the last second day.h knows. */
#define TRACK_SERVED_MAX 253402300799LL

/* The five fields are params 0 to PARAM_COUNTRY_CODE (the first five ids of
 * params.h; a unit test checks they are events.h's EVENT_PARAMS). */
#define TRACK_FIELDS (PARAM_COUNTRY_CODE + 1)
#define TRACK_FIELD_MASK (PARAM_BIT(TRACK_FIELDS) - 1)
#define TRACK_FIELD_MAX PARAM_SESSION_ID_MAX /* the longest of the five */

#define TRACK_HEADER_LEN (1 + 1 + 8 + TRACK_AD_ID_LEN)
#define TRACK_BODY_MAX                                                                      \
    (TRACK_HEADER_LEN + TRACK_FIELDS + PARAM_SDK_VERSION_MAX + PARAM_SESSION_ID_MAX        \
     + PARAM_PLATFORM_MAX + PARAM_USERNAME_MAX + PARAM_COUNTRY_CODE_MAX)
/* The shortest token (version 2, one byte a field) and the longest
 * (version 1, every field at its cap), decoded. */
#define TRACK_RAW_MIN (TRACK_HEADER_LEN + TRACK_FIELDS + TRACK_TAG_LEN)
#define TRACK_RAW_MAX (TRACK_BODY_MAX + TRACK_MAC_LEN)
/* The longest token, in characters (428, version 1; version 2's is 396). */
#define TRACK_TOKEN_MAX_LEN BASE64URL_LEN(TRACK_RAW_MAX)
_Static_assert(TRACK_TOKEN_MAX_LEN == PARAM_TOKEN_MAX, "params.h's PARAM_TOKEN_MAX is the token cap");

/* The VAST events a pixel can count, in the order of their wire byte. */
enum track_event {
    TRACK_IMPRESSION,
    TRACK_START,
    TRACK_FIRST_QUARTILE,
    TRACK_MIDPOINT,
    TRACK_THIRD_QUARTILE,
    TRACK_COMPLETE,
    TRACK_CLICK,
    TRACK_EVENT__COUNT
};

struct track_claims {
    unsigned char version;                        /* the decoder's: which format it was */
    enum track_event event;
    long long served_at;                          /* Unix seconds */
    unsigned char ad_id[TRACK_AD_ID_LEN];
    char field[TRACK_FIELDS][TRACK_FIELD_MAX + 1]; /* indexed by enum param_id */
    size_t field_len[TRACK_FIELDS];
};

struct track_key {
    const unsigned char *data;  /* NULL: no key */
    size_t len;
    void *prepared;             /* track_key_prepare's keyed HMAC state; NULL: none */
    unsigned long prepared_id;  /* which preparation, for threads' copies of it */
};

struct track_keys {
    struct track_key current;   /* signs, and verifies */
    struct track_key previous;  /* only verifies: the key before a rotation */
};

enum track_token_status {
    TRACK_OK,
    TRACK_MALFORMED,        /* not a token of this format */
    TRACK_UNKNOWN_VERSION,  /* a version this build does not know */
    TRACK_BAD_SIGNATURE,    /* forged or altered, or signed with another key */
    TRACK_EXPIRED,          /* served more than ttl seconds ago */
    TRACK_FUTURE,           /* served more than TRACK_CLOCK_SKEW_S from now */
};

/* The VAST name of an event (impression, start, firstQuartile, midpoint,
 * thirdQuartile, complete, click), and back. */
const char *track_event_name(enum track_event e);
bool track_event_parse(const char *s, size_t len, enum track_event *out);

/* What a 403 for `st` says, e.g. "tracking token has expired". */
const char *track_token_status_message(enum track_token_status st);

/* True if `secret` may serve as a tracking key (at least TRACK_KEY_MIN_LEN
 * bytes); otherwise false and *why says what is wrong. For start-up. */
bool track_key_valid(const char *secret, const char **why);

/* Computes the key's HMAC state once (HMAC's padded key, hashed), so that
 * MACs under it start from that state instead of fetching SHA-256 and
 * hashing the key again (a served ad takes two). Shared read-only by
 * every thread: each thread keeps its own copy of it, made at its first MAC
 * under the key and re-initialised for every MAC after (freed when the
 * thread ends), so that a MAC allocates nothing. False if libcrypto cannot:
 * the key then works unprepared. Release it with track_key_release. */
bool track_key_prepare(struct track_key *k);
void track_key_release(struct track_key *k);

/* Fills `id` with fresh random bytes (getrandom(2)); false if the kernel
 * gives none. */
bool track_ad_id_new(unsigned char id[TRACK_AD_ID_LEN]);

/* Writes the ad id as 32 lower-case hex digits and a NUL (for Redis keys). */
void track_ad_id_hex(const unsigned char id[TRACK_AD_ID_LEN], char out[2 * TRACK_AD_ID_LEN + 1]);

/* Copies the five fields of a validated request into `c`. False if one is
 * absent or longer than its cap (params_validate refuses those first). */
bool track_claims_set_fields(struct track_claims *c, const struct params *p);

/* Appends the token of `c`, signed with k->current, to `out`
 * (TRACK_TOKEN_MAX_LEN characters at most, no NUL counted). False, and
 * `out` unchanged, if the claims are not what a decoder would accept (an
 * unknown event, a serve time outside 0..TRACK_SERVED_MAX, a field absent,
 * too long or failing its rule, a lower-case country code), if there is no
 * current key, or if `out` could not grow. */
bool track_token_encode(const struct track_claims *c, const struct track_keys *k, struct buf *out);

/* track_token_encode in a given format, TRACK_TOKEN_V1 or TRACK_TOKEN_V2
 * (false for another): for the tests and the fuzz target, which check that
 * a decoded token of either version re-encodes to itself. */
bool track_token_encode_as(const struct track_claims *c, const struct track_keys *k,
                           unsigned char version, struct buf *out);

/* Appends `prefix` and then the token of `c` for each event, in event
 * order (c->event is not read), to `out`, and sets start[e] to where the
 * text of event e begins and start[TRACK_EVENT__COUNT] to the end: the
 * pixels of one served ad. The claims are checked once, as
 * track_token_encode checks them, and their body is written once; only
 * the event byte and the tag differ between the tokens, and the seven tags
 * come from two HMACs. False, and `out` unchanged, as for
 * track_token_encode. */
bool track_token_encode_events(const struct track_claims *c, const struct track_keys *k,
                               const char *prefix, size_t prefix_len, struct buf *out,
                               size_t start[TRACK_EVENT__COUNT + 1]);

/* Decodes and verifies tok[0..len) at time `now_s`, accepting serve times
 * from now_s - ttl_s to now_s + TRACK_CLOCK_SKEW_S. Fills *out only on
 * TRACK_OK (otherwise its contents are unspecified). */
enum track_token_status track_token_decode(const char *tok, size_t len, const struct track_keys *k,
                                           long long now_s, long long ttl_s,
                                           struct track_claims *out);

/* The last step of encoding, for tests and the fuzz target that need a
 * correctly signed token around a body of their own making: appends the
 * signature of body[0..len) under `key` (version 2's tag if body[0] is
 * TRACK_TOKEN_V2, else version 1's MAC, whatever the version byte says),
 * base64url-encodes the result into `out` (TRACK_TOKEN_MAX_LEN characters
 * at most) and returns that length; 0 if len is under 2 or over
 * TRACK_BODY_MAX, or the key is missing. */
size_t track_token_seal(const unsigned char *body, size_t len, const struct track_key *key,
                        char *out);

#endif
