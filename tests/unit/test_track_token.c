/* test_track_token.c -- unit tests for track_token.c and base64url.c: a
 * round trip; every claim altered (event, serve time, ad id, each field,
 * version, a signature byte) refused; a token for another secret; rotation
 * (the previous secret accepted only while configured); expiry at exactly
 * the ttl and one second past it, and the clock skew bound; a token cut at
 * every length; 1,000 random tokens (seeded); the longest fields and the
 * TRACK_TOKEN_MAX_LEN bound; well-signed bodies that are still malformed
 * (bad length prefixes, trailing bytes, fields that fail params.c's rules);
 * the encoder's refusals; version 1 tokens (earlier releases') still
 * verified, version 2's tags bound to their events, every other version
 * refused; base64url edge cases; key, event and ad id helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "events.h"
#include "track_token.h"

#define NOW 1700000000LL
#define TTL TRACK_TTL_DEFAULT_S

static const char current_secret[] = "current-secret-0123456789";
static const char previous_secret[] = "previous-secret-9876543210";
static const char other_secret[] = "another-service-secret-xyz";

static struct track_key key_of(const char *s) {
    return (struct track_key){.data = (const unsigned char *)s, .len = strlen(s)};
}

static struct track_keys keys_current(void) {
    return (struct track_keys){.current = key_of(current_secret)};
}

static void set_field(struct track_claims *c, enum param_id id, const char *v) {
    size_t len = strlen(v);
    assert_true(len <= TRACK_FIELD_MAX);
    memcpy(c->field[id], v, len + 1);
    c->field_len[id] = len;
}

static struct track_claims sample(void) {
    struct track_claims c;
    memset(&c, 0, sizeof(c));
    c.event = TRACK_MIDPOINT;
    c.served_at = NOW;
    for (int i = 0; i < TRACK_AD_ID_LEN; i++) c.ad_id[i] = (unsigned char)(0xA0 + i);
    set_field(&c, PARAM_SDK_VERSION, "4.12.3");
    set_field(&c, PARAM_SESSION_ID, "0f3c9d1e-session");
    set_field(&c, PARAM_PLATFORM, "android");
    set_field(&c, PARAM_USERNAME, "J\xc3\xb6rg");
    set_field(&c, PARAM_COUNTRY_CODE, "DE");
    return c;
}

/* The token of `c` under `k`, NUL-terminated, in `out` (TRACK_TOKEN_MAX_LEN + 1). */
static size_t encode(const struct track_claims *c, const struct track_keys *k, char *out) {
    struct buf b;
    buf_init(&b);
    assert_true(track_token_encode(c, k, &b));
    assert_true(b.len <= TRACK_TOKEN_MAX_LEN);
    memcpy(out, b.data, b.len + 1);
    size_t len = b.len;
    buf_free(&b);
    return len;
}

static enum track_token_status decode_at(const char *tok, size_t len, const struct track_keys *k,
                                         long long now, struct track_claims *out) {
    return track_token_decode(tok, len, k, now, TTL, out);
}

static enum track_token_status decode(const char *tok, const struct track_keys *k) {
    struct track_claims out;
    return decode_at(tok, strlen(tok), k, NOW, &out);
}

static void assert_claims_equal(const struct track_claims *a, const struct track_claims *b) {
    assert_int_equal(a->event, b->event);
    assert_int_equal(a->served_at, b->served_at);
    assert_memory_equal(a->ad_id, b->ad_id, TRACK_AD_ID_LEN);
    for (int id = 0; id < TRACK_FIELDS; id++) {
        assert_int_equal(a->field_len[id], b->field_len[id]);
        assert_memory_equal(a->field[id], b->field[id], a->field_len[id] + 1);
    }
}

/* A correctly signed token around a body of the test's making. */
static size_t seal(const unsigned char *body, size_t len, char *out) {
    struct track_key k = key_of(current_secret);
    size_t n = track_token_seal(body, len, &k, out);
    assert_true(n > 0);
    out[n] = '\0';
    return n;
}

/* The signature's length in a decoded token (version 1: a MAC, 2: a tag). */
static size_t sig_len_of(const unsigned char *raw) {
    return raw[0] == TRACK_TOKEN_V1 ? TRACK_MAC_LEN : TRACK_TAG_LEN;
}

/* The body (signature stripped) of a token, for tests that alter it and reseal. */
static size_t body_of(const char *tok, size_t len, unsigned char *body) {
    size_t n;
    assert_true(base64url_decode(tok, len, body, &n));
    return n - sig_len_of(body);
}

/* The token of `c` in format `version`, NUL-terminated, in `out`. */
static size_t encode_as(const struct track_claims *c, const struct track_keys *k,
                        unsigned char version, char *out) {
    struct buf b;
    buf_init(&b);
    assert_true(track_token_encode_as(c, k, version, &b));
    memcpy(out, b.data, b.len + 1);
    size_t len = b.len;
    buf_free(&b);
    return len;
}

/* The decoded bytes of the token of `c` in format `version`: raw[0..return). */
static size_t raw_token(const struct track_claims *c, const struct track_keys *k,
                        unsigned char version, unsigned char raw[TRACK_RAW_MAX]) {
    char tok[TRACK_TOKEN_MAX_LEN + 1];
    size_t n, len = encode_as(c, k, version, tok);
    assert_true(base64url_decode(tok, len, raw, &n));
    return n;
}

/* Decodes the token whose bytes are raw[0..n) (made or altered by a test). */
static enum track_token_status decode_raw(const unsigned char *raw, size_t n,
                                          const struct track_keys *k) {
    char tok[TRACK_TOKEN_MAX_LEN + 1];
    tok[base64url_encode(raw, n, tok)] = '\0';
    return decode(tok, k);
}

/* ---- round trip and alterations ----------------------------------------- */

static void test_round_trip(void **state) {
    (void)state;
    struct track_keys k = keys_current();
    for (int e = 0; e < TRACK_EVENT__COUNT; e++) {
        struct track_claims c = sample(), out;
        c.event = (enum track_event)e;
        char tok[TRACK_TOKEN_MAX_LEN + 1];
        size_t len = encode(&c, &k, tok);
        for (size_t i = 0; i < len; i++) assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", tok[i]));
        assert_int_equal(decode_at(tok, len, &k, NOW, &out), TRACK_OK);
        assert_claims_equal(&c, &out);
    }
}

/* Changes one thing in the claims: the new token is different, and the
 * old token's MAC does not fit the new body. */
static void refused_when_body_altered(size_t offset, unsigned char xor_mask) {
    struct track_keys k = keys_current();
    struct track_claims c = sample();
    char tok[TRACK_TOKEN_MAX_LEN + 1];
    size_t len = encode(&c, &k, tok);
    unsigned char raw[TRACK_RAW_MAX];
    size_t n;
    assert_true(base64url_decode(tok, len, raw, &n));
    raw[offset] ^= xor_mask;
    char forged[TRACK_TOKEN_MAX_LEN + 1];
    forged[base64url_encode(raw, n, forged)] = '\0';
    enum track_token_status st = decode(forged, &k);
    if (offset == 0) assert_int_equal(st, TRACK_UNKNOWN_VERSION);
    else assert_int_equal(st, TRACK_BAD_SIGNATURE);
}

static void test_every_byte_altered_is_refused(void **state) {
    (void)state;
    struct track_claims c = sample();
    struct track_keys k = keys_current();
    char tok[TRACK_TOKEN_MAX_LEN + 1];
    size_t len = encode(&c, &k, tok);
    size_t raw_len = len * 3 / 4;
    /* Version, event, serve time, ad id, every field byte, every MAC byte. */
    for (size_t off = 0; off < raw_len; off++) {
        refused_when_body_altered(off, 0x01);
        refused_when_body_altered(off, 0x80);
    }
}

/* The forgeries the issue names, made as an attacker would: take a real
 * token and rewrite a claim (re-encoding the body, keeping the MAC). */
static void test_named_forgeries_are_refused(void **state) {
    (void)state;
    struct track_keys k = keys_current();
    struct track_keys other = {.current = key_of(other_secret)};
    struct track_claims c = sample();
    char tok[TRACK_TOKEN_MAX_LEN + 1], forged[TRACK_TOKEN_MAX_LEN + 1];
    size_t len = encode(&c, &k, tok);
    unsigned char raw[TRACK_RAW_MAX];
    size_t n;
    assert_true(base64url_decode(tok, len, raw, &n));

    struct track_claims changed[4] = {sample(), sample(), sample(), sample()};
    set_field(&changed[0], PARAM_USERNAME, "mallory");
    changed[1].event = TRACK_COMPLETE;
    changed[2].served_at = NOW + 3600;
    changed[3].ad_id[0] ^= 1;
    for (int i = 0; i < 4; i++) {
        /* The other claims' token under another key, with our token's MAC. */
        char t[TRACK_TOKEN_MAX_LEN + 1];
        size_t tl = encode(&changed[i], &other, t);
        unsigned char r[TRACK_RAW_MAX];
        size_t rn;
        assert_true(base64url_decode(t, tl, r, &rn));
        size_t sig = sig_len_of(raw);
        memcpy(r + rn - sig, raw + n - sig, sig);
        forged[base64url_encode(r, rn, forged)] = '\0';
        assert_int_equal(decode(forged, &k), TRACK_BAD_SIGNATURE);
        assert_int_equal(decode(t, &k), TRACK_BAD_SIGNATURE); /* signed by another secret */
    }
}

static void test_rotation(void **state) {
    (void)state;
    struct track_keys before = keys_current();
    struct track_keys after = {.current = key_of(other_secret), .previous = key_of(current_secret)};
    struct track_keys later = {.current = key_of(other_secret), .previous = key_of(previous_secret)};
    struct track_claims c = sample();
    char tok[TRACK_TOKEN_MAX_LEN + 1];
    encode(&c, &before, tok);
    assert_int_equal(decode(tok, &before), TRACK_OK);
    assert_int_equal(decode(tok, &after), TRACK_OK);    /* in flight across the rotation */
    struct track_keys dropped = {.current = key_of(other_secret)};
    assert_int_equal(decode(tok, &dropped), TRACK_BAD_SIGNATURE);
    assert_int_equal(decode(tok, &later), TRACK_BAD_SIGNATURE);
    /* New tokens are signed with the new current key. */
    char fresh[TRACK_TOKEN_MAX_LEN + 1];
    encode(&c, &after, fresh);
    assert_string_not_equal(tok, fresh);
    assert_int_equal(decode(fresh, &dropped), TRACK_OK);
    assert_int_equal(decode(fresh, &before), TRACK_BAD_SIGNATURE);
    /* No key at all: nothing verifies, nothing is signed. */
    struct track_keys none = {0};
    assert_int_equal(decode(tok, &none), TRACK_BAD_SIGNATURE);
    struct buf b;
    buf_init(&b);
    assert_false(track_token_encode(&c, &none, &b));
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_expiry_and_skew(void **state) {
    (void)state;
    struct track_keys k = keys_current();
    struct track_claims c = sample(), out;
    char tok[TRACK_TOKEN_MAX_LEN + 1];
    size_t len = encode(&c, &k, tok);
    assert_int_equal(decode_at(tok, len, &k, NOW + TTL, &out), TRACK_OK);
    assert_int_equal(decode_at(tok, len, &k, NOW + TTL + 1, &out), TRACK_EXPIRED);
    assert_int_equal(track_token_decode(tok, len, &k, NOW + 61, 60, &out), TRACK_EXPIRED);
    assert_int_equal(track_token_decode(tok, len, &k, NOW + 60, 60, &out), TRACK_OK);
    assert_int_equal(decode_at(tok, len, &k, NOW - TRACK_CLOCK_SKEW_S, &out), TRACK_OK);
    assert_int_equal(decode_at(tok, len, &k, NOW - TRACK_CLOCK_SKEW_S - 1, &out), TRACK_FUTURE);
    /* The serve time's extremes. */
    c.served_at = 0;
    len = encode(&c, &k, tok);
    assert_int_equal(decode_at(tok, len, &k, 0, &out), TRACK_OK);
    c.served_at = TRACK_SERVED_MAX;
    len = encode(&c, &k, tok);
    assert_int_equal(decode_at(tok, len, &k, TRACK_SERVED_MAX, &out), TRACK_OK);
    assert_int_equal(decode_at(tok, len, &k, NOW, &out), TRACK_FUTURE);
}

static void test_truncated_at_every_length(void **state) {
    (void)state;
    struct track_keys k = keys_current();
    struct track_claims c = sample(), out;
    char tok[TRACK_TOKEN_MAX_LEN + 1];
    size_t len = encode(&c, &k, tok);
    for (size_t cut = 0; cut < len; cut++) {
        enum track_token_status st = decode_at(tok, cut, &k, NOW, &out);
        assert_true(st == TRACK_MALFORMED || st == TRACK_BAD_SIGNATURE);
    }
    /* One character more is refused too. */
    char longer[TRACK_TOKEN_MAX_LEN + 2];
    memcpy(longer, tok, len);
    longer[len] = 'A';
    assert_int_not_equal(decode_at(longer, len + 1, &k, NOW, &out), TRACK_OK);
}

static void test_random_tokens_are_refused(void **state) {
    (void)state;
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    struct track_keys k = keys_current();
    struct track_claims out;
    srandom(14);
    for (int i = 0; i < 1000; i++) {
        char tok[TRACK_TOKEN_MAX_LEN];
        size_t len = (size_t)random() % (TRACK_TOKEN_MAX_LEN + 1);
        for (size_t j = 0; j < len; j++) tok[j] = alphabet[random() % 64];
        /* Half of them start as a real token does, to get past the version. */
        if (i % 2 && len > 0) tok[0] = 'A';
        assert_int_not_equal(decode_at(tok, len, &k, NOW, &out), TRACK_OK);
    }
}

static void test_longest_fields(void **state) {
    (void)state;
    struct track_keys k = keys_current();
    struct track_claims c = sample(), out;
    static const size_t caps[TRACK_FIELDS] = {PARAM_SDK_VERSION_MAX, PARAM_SESSION_ID_MAX,
                                              PARAM_PLATFORM_MAX, PARAM_USERNAME_MAX, 2};
    for (int id = 0; id < TRACK_FIELDS - 1; id++) {
        memset(c.field[id], '7', caps[id]);
        c.field[id][caps[id]] = '\0';
        c.field_len[id] = caps[id];
    }
    char tok[TRACK_TOKEN_MAX_LEN + 1];
    size_t len = encode(&c, &k, tok);
    assert_int_equal(len, BASE64URL_LEN(TRACK_BODY_MAX + TRACK_TAG_LEN));
    assert_int_equal(len, 396);
    assert_int_equal(decode_at(tok, len, &k, NOW, &out), TRACK_OK);
    assert_claims_equal(&c, &out);
    /* Version 1's is the longest a decoder takes. */
    len = encode_as(&c, &k, TRACK_TOKEN_V1, tok);
    assert_int_equal(len, TRACK_TOKEN_MAX_LEN);
    assert_int_equal(TRACK_TOKEN_MAX_LEN, 428);
    assert_int_equal(decode_at(tok, len, &k, NOW, &out), TRACK_OK);
    assert_claims_equal(&c, &out);
    /* One byte past a cap: the encoder refuses. */
    struct buf b;
    buf_init(&b);
    c.field[PARAM_USERNAME][PARAM_USERNAME_MAX] = '7';
    c.field[PARAM_USERNAME][PARAM_USERNAME_MAX + 1] = '\0';
    c.field_len[PARAM_USERNAME] = PARAM_USERNAME_MAX + 1;
    assert_false(track_token_encode(&c, &k, &b));
    buf_free(&b);
}

/* ---- well signed, still malformed ---------------------------------------- */

static void test_signed_but_malformed(void **state) {
    (void)state;
    struct track_keys k = keys_current();
    struct track_claims c = sample();
    char tok[TRACK_TOKEN_MAX_LEN + 1], t[TRACK_TOKEN_MAX_LEN + 1];
    size_t len = encode(&c, &k, tok);
    unsigned char body[TRACK_RAW_MAX], b[TRACK_RAW_MAX];
    size_t n = body_of(tok, len, body);
    assert_int_equal(decode(tok, &k), TRACK_OK);
    memcpy(b, body, n);
    assert_int_equal(seal(b, n, t), len);
    assert_int_equal(decode(t, &k), TRACK_OK);               /* resealing changes nothing */

    b[n] = 0;                                                /* a trailing byte */
    seal(b, n + 1, t);
    assert_int_equal(decode(t, &k), TRACK_MALFORMED);
    seal(b, n - 1, t);                                       /* country code cut short */
    assert_int_equal(decode(t, &k), TRACK_MALFORMED);

    memcpy(b, body, n);
    b[1] = TRACK_EVENT__COUNT;                               /* unknown event */
    seal(b, n, t);
    assert_int_equal(decode(t, &k), TRACK_MALFORMED);

    memcpy(b, body, n);
    memset(b + 2, 0xff, 8);                                  /* serve time out of range */
    seal(b, n, t);
    assert_int_equal(decode(t, &k), TRACK_MALFORMED);

    size_t first = TRACK_HEADER_LEN;                         /* sdk_version's length byte */
    memcpy(b, body, n);
    b[first] = 0xff;                                         /* length past the end */
    seal(b, n, t);
    assert_int_equal(decode(t, &k), TRACK_MALFORMED);
    b[first] = 0;                                            /* empty field */
    seal(b, n, t);
    assert_int_equal(decode(t, &k), TRACK_MALFORMED);

    memcpy(b, body, n);
    b[n - 2] = 'd';                                          /* lower-case country: not canonical */
    seal(b, n, t);
    assert_int_equal(decode(t, &k), TRACK_MALFORMED);
    b[n - 2] = 'X';                                          /* XE: no such country */
    seal(b, n, t);
    assert_int_equal(decode(t, &k), TRACK_MALFORMED);

    memcpy(b, body, n);
    b[first + 2] = 'x';                                      /* "4x12.3": not a version */
    seal(b, n, t);
    assert_int_equal(decode(t, &k), TRACK_MALFORMED);

    /* A control character in the username (a field of params' RULE_TEXT). */
    memcpy(b, body, n);
    size_t user = first;
    for (int id = 0; id < PARAM_USERNAME; id++) user += 1 + b[user];
    b[user + 1] = '\n';
    seal(b, n, t);
    assert_int_equal(decode(t, &k), TRACK_MALFORMED);

    /* A body too short to hold the header. */
    seal(b, 3, t);
    assert_int_equal(decode(t, &k), TRACK_MALFORMED);
}

static void test_unknown_version(void **state) {
    (void)state;
    struct track_keys k = keys_current();
    struct track_claims c = sample();
    char tok[TRACK_TOKEN_MAX_LEN + 1], t[TRACK_TOKEN_MAX_LEN + 1];
    size_t len = encode(&c, &k, tok);
    unsigned char b[TRACK_RAW_MAX];
    size_t n = body_of(tok, len, b);
    for (int v = 0; v < 256; v++) {
        if (v == TRACK_TOKEN_V1 || v == TRACK_TOKEN_V2) continue;
        b[0] = (unsigned char)v;
        seal(b, n, t);
        assert_int_equal(decode(t, &k), TRACK_UNKNOWN_VERSION);
    }
}

/* Tokens of version 1, made by releases before version 2, verify as they
 * did: every event, under the current and the previous key, altered bytes
 * refused; and neither version's signature passes for the other's. */
static void test_version_1_still_verifies(void **state) {
    (void)state;
    struct track_keys k = keys_current();
    struct track_keys rotated = {.current = key_of(other_secret), .previous = key_of(current_secret)};
    for (int e = 0; e < TRACK_EVENT__COUNT; e++) {
        struct track_claims c = sample(), out;
        c.event = (enum track_event)e;
        char tok[TRACK_TOKEN_MAX_LEN + 1];
        size_t len = encode_as(&c, &k, TRACK_TOKEN_V1, tok);
        assert_int_equal(decode_at(tok, len, &k, NOW, &out), TRACK_OK);
        assert_claims_equal(&c, &out);
        assert_int_equal(out.version, TRACK_TOKEN_V1);
        assert_int_equal(decode_at(tok, len, &rotated, NOW, &out), TRACK_OK);

        unsigned char raw[TRACK_RAW_MAX];
        size_t n = raw_token(&c, &k, TRACK_TOKEN_V1, raw);
        assert_int_equal(sig_len_of(raw), TRACK_MAC_LEN);
        raw[1] ^= 1;                                   /* another event, same MAC */
        assert_int_equal(decode_raw(raw, n, &k), TRACK_BAD_SIGNATURE);
        raw[1] ^= 1;
        raw[0] = TRACK_TOKEN_V2;                       /* relabelled: MAC read as body and tag */
        assert_int_equal(decode_raw(raw, n, &k), TRACK_BAD_SIGNATURE);
    }
    /* A version 2 token relabelled as version 1: its tag is no MAC. */
    struct track_claims c = sample();
    unsigned char raw[TRACK_RAW_MAX];
    size_t n = raw_token(&c, &k, TRACK_TOKEN_V2, raw);
    raw[0] = TRACK_TOKEN_V1;
    assert_int_equal(decode_raw(raw, n, &k), TRACK_BAD_SIGNATURE);
}

/* Version 2: one HMAC signs four events, each event's tag its own slice;
 * a tag moved to another event of the same group, or of the other group,
 * is refused. */
static void test_version_2_tags_are_per_event(void **state) {
    (void)state;
    struct track_keys k = keys_current();
    unsigned char raw[TRACK_EVENT__COUNT][TRACK_RAW_MAX];
    size_t n[TRACK_EVENT__COUNT];
    for (int e = 0; e < TRACK_EVENT__COUNT; e++) {
        struct track_claims c = sample();
        c.event = (enum track_event)e;
        n[e] = raw_token(&c, &k, TRACK_TOKEN_VERSION, raw[e]);
        assert_int_equal(raw[e][0], TRACK_TOKEN_V2);
    }
    for (int e = 0; e < TRACK_EVENT__COUNT; e++) {
        for (int other = 0; other < TRACK_EVENT__COUNT; other++) {
            if (other == e) continue;
            /* The tags of two events differ, and e's body with other's tag fails. */
            const unsigned char *tag = raw[other] + n[other] - TRACK_TAG_LEN;
            assert_memory_not_equal(raw[e] + n[e] - TRACK_TAG_LEN, tag, TRACK_TAG_LEN);
            unsigned char r[TRACK_RAW_MAX];
            memcpy(r, raw[e], n[e]);
            memcpy(r + n[e] - TRACK_TAG_LEN, tag, TRACK_TAG_LEN);
            assert_int_equal(decode_raw(r, n[e], &k), TRACK_BAD_SIGNATURE);
        }
    }
}

static void test_encoder_refusals(void **state) {
    (void)state;
    struct track_keys k = keys_current();
    struct buf b;
    buf_init(&b);
    struct track_claims c = sample();
    c.event = TRACK_EVENT__COUNT;
    assert_false(track_token_encode(&c, &k, &b));
    c = sample();
    c.served_at = -1;
    assert_false(track_token_encode(&c, &k, &b));
    c.served_at = TRACK_SERVED_MAX + 1;
    assert_false(track_token_encode(&c, &k, &b));
    c = sample();
    set_field(&c, PARAM_COUNTRY_CODE, "de");
    assert_false(track_token_encode(&c, &k, &b));
    set_field(&c, PARAM_COUNTRY_CODE, "");
    assert_false(track_token_encode(&c, &k, &b));
    c = sample();
    set_field(&c, PARAM_PLATFORM, "and roid");
    assert_false(track_token_encode(&c, &k, &b));
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

/* ---- helpers ------------------------------------------------------------- */

static void test_fields_are_the_event_params(void **state) {
    (void)state;
    assert_int_equal(TRACK_FIELD_MASK, EVENT_PARAMS);
    struct params p;
    memset(&p, 0, sizeof(p));
    char values[TRACK_FIELDS][8] = {"1.0", "s", "ios", "u", "FR"};
    for (int id = 0; id < TRACK_FIELDS; id++) {
        p.v[id].data = values[id];
        p.v[id].len = strlen(values[id]);
    }
    struct track_claims c;
    memset(&c, 0, sizeof(c));
    assert_true(track_claims_set_fields(&c, &p));
    assert_string_equal(c.field[PARAM_COUNTRY_CODE], "FR");
    assert_int_equal(c.field_len[PARAM_PLATFORM], 3);
    p.v[PARAM_USERNAME].data = NULL;
    assert_false(track_claims_set_fields(&c, &p));
}

static void test_events_and_messages(void **state) {
    (void)state;
    static const char *const names[] = {"impression", "start", "firstQuartile", "midpoint",
                                        "thirdQuartile", "complete", "click"};
    for (int e = 0; e < TRACK_EVENT__COUNT; e++) {
        enum track_event got;
        assert_string_equal(track_event_name((enum track_event)e), names[e]);
        assert_true(track_event_parse(names[e], strlen(names[e]), &got));
        assert_int_equal(got, e);
    }
    enum track_event got;
    assert_false(track_event_parse("Start", 5, &got));
    assert_false(track_event_parse("star", 4, &got));
    assert_false(track_event_parse("", 0, &got));
    for (int st = TRACK_OK; st <= TRACK_FUTURE; st++)
        assert_non_null(strstr(track_token_status_message((enum track_token_status)st), "token"));
    assert_string_equal(track_token_status_message(TRACK_EXPIRED), "tracking token has expired");
}

static void test_key_rules(void **state) {
    (void)state;
    const char *why = NULL;
    assert_true(track_key_valid("0123456789abcdef", &why));
    assert_false(track_key_valid("0123456789abcde", &why));
    assert_string_equal(why, "must be at least 16 bytes long");
    assert_false(track_key_valid("", &why));
    assert_false(track_key_valid(NULL, &why));
    char *huge = malloc(4098);
    assert_non_null(huge);
    memset(huge, 'k', 4097);
    huge[4097] = '\0';
    assert_false(track_key_valid(huge, &why));
    huge[4096] = '\0';
    assert_true(track_key_valid(huge, &why));
    free(huge);
}

static void test_ad_ids(void **state) {
    (void)state;
    unsigned char a[TRACK_AD_ID_LEN], b[TRACK_AD_ID_LEN];
    assert_true(track_ad_id_new(a));
    assert_true(track_ad_id_new(b));
    assert_memory_not_equal(a, b, TRACK_AD_ID_LEN);
    unsigned char id[TRACK_AD_ID_LEN];
    for (int i = 0; i < TRACK_AD_ID_LEN; i++) id[i] = (unsigned char)(i * 17);
    char hex[2 * TRACK_AD_ID_LEN + 1];
    track_ad_id_hex(id, hex);
    assert_string_equal(hex, "00112233445566778899aabbccddeeff");
}

/* ---- base64url ----------------------------------------------------------- */

static void b64_round_trip(const char *bytes, size_t n, const char *want) {
    char enc[64];
    size_t len = base64url_encode((const unsigned char *)bytes, n, enc);
    assert_int_equal(len, BASE64URL_LEN(n));
    assert_int_equal(len, strlen(want));
    assert_memory_equal(enc, want, len);
    unsigned char dec[48];
    size_t dn;
    assert_true(base64url_decode(enc, len, dec, &dn));
    assert_int_equal(dn, n);
    if (n) assert_memory_equal(dec, bytes, n);
}

static bool b64_ok(const char *s) {
    unsigned char out[64];
    size_t n;
    return base64url_decode(s, strlen(s), out, &n);
}

static void test_base64url(void **state) {
    (void)state;
    /* RFC 4648 section 10's vectors, unpadded. */
    b64_round_trip("", 0, "");
    b64_round_trip("f", 1, "Zg");
    b64_round_trip("fo", 2, "Zm8");
    b64_round_trip("foo", 3, "Zm9v");
    b64_round_trip("foob", 4, "Zm9vYg");
    b64_round_trip("fooba", 5, "Zm9vYmE");
    b64_round_trip("foobar", 6, "Zm9vYmFy");
    /* The two characters that differ from base64: 62 and 63. */
    b64_round_trip("\xfb\xff", 2, "-_8");
    b64_round_trip("\xff\xff\xff", 3, "____");
    b64_round_trip("\x00\x00\x00", 3, "AAAA");
    assert_false(b64_ok("Zg=="));   /* padding */
    assert_false(b64_ok("Zm8="));
    assert_false(b64_ok("Z"));      /* a length of 1 mod 4 */
    assert_false(b64_ok("Zm9vY"));
    assert_false(b64_ok("Zh"));     /* non-zero unused bits: 'h' = 33 */
    assert_false(b64_ok("Zm9"));    /* '9' = 61, low two bits set */
    assert_false(b64_ok("+/8"));    /* the base64 alphabet */
    assert_false(b64_ok("Zm 9v"));
    assert_false(b64_ok("Zm9v\n"));
    assert_false(b64_ok("Zm\x009v"));
    assert_true(b64_ok("Zm8"));
    /* Every byte value through both directions. */
    unsigned char all[256], back[256];
    for (int i = 0; i < 256; i++) all[i] = (unsigned char)i;
    char enc[BASE64URL_LEN(256)];
    size_t len = base64url_encode(all, 256, enc), n;
    assert_true(base64url_decode(enc, len, back, &n));
    assert_int_equal(n, 256);
    assert_memory_equal(all, back, 256);
}

/* A prepared key signs the same bytes as the plain one, and verifies
 * either's tokens; an altered token stays refused. */
static void test_prepared_key(void **state) {
    (void)state;
    struct track_claims c = sample();
    struct track_keys plain = keys_current(), prepared = keys_current();
    assert_true(track_key_prepare(&prepared.current));
    char a[TRACK_TOKEN_MAX_LEN + 1], b[TRACK_TOKEN_MAX_LEN + 1];
    size_t n = encode(&c, &plain, a);
    assert_int_equal(encode(&c, &prepared, b), n);
    assert_string_equal(a, b);
    assert_int_equal(decode(a, &prepared), TRACK_OK);
    b[n - 1] = b[n - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(decode(b, &prepared), TRACK_BAD_SIGNATURE);
    track_key_release(&prepared.current);
    assert_null(prepared.current.prepared);
    struct track_key none = {0};
    assert_false(track_key_prepare(&none));
}

/* A thread's copies of prepared keys: reused MAC after MAC, kept apart
 * for the current and the previous key, and never taken for a key
 * prepared later in a released one's place. */
static void test_prepared_keys_reused(void **state) {
    (void)state;
    struct track_claims c = sample();
    struct track_keys plain = {.current = key_of(current_secret), .previous = key_of(other_secret)};
    char want[TRACK_TOKEN_MAX_LEN + 1], other[TRACK_TOKEN_MAX_LEN + 1], got[TRACK_TOKEN_MAX_LEN + 1];
    encode(&c, &plain, want);
    struct track_keys swapped = {.current = plain.previous};
    encode(&c, &swapped, other);
    for (int round = 0; round < 3; round++) {
        struct track_keys k = plain;
        assert_true(track_key_prepare(&k.current));
        assert_true(track_key_prepare(&k.previous));
        for (int i = 0; i < 3; i++) {
            encode(&c, &k, got);
            assert_string_equal(got, want);
            assert_int_equal(decode(other, &k), TRACK_OK); /* the previous key's copy */
        }
        struct track_keys third = {.current = key_of(previous_secret)};
        assert_true(track_key_prepare(&third.current)); /* a third key: a copy replaced */
        assert_int_equal(decode(want, &third), TRACK_BAD_SIGNATURE);
        encode(&c, &k, got);
        assert_string_equal(got, want);
        track_key_release(&third.current);
        track_key_release(&k.current);
        track_key_release(&k.previous);
        /* The next round's keys may take these keys' memory: their own
         * copies must be made anew. */
        plain.current = key_of(round % 2 ? current_secret : other_secret);
        plain.previous = key_of(round % 2 ? other_secret : current_secret);
        encode(&c, &plain, want);
        swapped.current = plain.previous;
        encode(&c, &swapped, other);
    }
}

/* Checks that `b` holds, from start[0] = `at` on, each of the seven
 * tokens that track_token_encode makes for c's events, after the prefix. */
static void check_events(const struct buf *b, size_t at, const size_t *start,
                         const struct track_claims *c, const struct track_keys *k) {
    assert_int_equal(start[0], at);
    assert_int_equal(start[TRACK_EVENT__COUNT], b->len);
    for (int e = 0; e < TRACK_EVENT__COUNT; e++) {
        struct track_claims one = *c;
        one.event = (enum track_event)e;
        char tok[TRACK_TOKEN_MAX_LEN + 1];
        size_t n = encode(&one, k, tok);
        assert_int_equal(start[e + 1] - start[e], 13 + n);
        assert_memory_equal(b->data + start[e], "http://x/t?k=", 13);
        assert_memory_equal(b->data + start[e] + 13, tok, n);
        struct track_claims out;
        assert_int_equal(decode_at(tok, n, k, NOW, &out), TRACK_OK);
        assert_int_equal(out.event, e);
    }
}

/* One served ad's seven pixels: each the token track_token_encode makes
 * for its event, after the prefix, where `start` says -- for bodies of
 * every length modulo 3, since the encoder shares their middle. */
static void test_encode_events(void **state) {
    (void)state;
    struct track_claims c = sample();
    struct track_keys k = keys_current();
    assert_true(track_key_prepare(&k.current));
    struct buf b;
    buf_init(&b);
    size_t start[TRACK_EVENT__COUNT + 1];
    static const char *const users[] = {"a", "ab", "abc", "abcd"};
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        set_field(&c, PARAM_USERNAME, users[i]);
        buf_reset(&b);
        buf_append_str(&b, "before");
        assert_true(track_token_encode_events(&c, &k, "http://x/t?k=", 13, &b, start));
        check_events(&b, 6, start, &c, &k);
    }
    /* Claims a decoder would refuse: nothing appended. */
    c = sample();
    size_t len = b.len;
    c.served_at = -1;
    assert_false(track_token_encode_events(&c, &k, "p", 1, &b, start));
    c = sample();
    set_field(&c, PARAM_COUNTRY_CODE, "de");
    assert_false(track_token_encode_events(&c, &k, "p", 1, &b, start));
    assert_int_equal(b.len, len);
    buf_free(&b);
    track_key_release(&k.current);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_prepared_key),
        cmocka_unit_test(test_prepared_keys_reused),
        cmocka_unit_test(test_encode_events),
        cmocka_unit_test(test_version_1_still_verifies),
        cmocka_unit_test(test_version_2_tags_are_per_event),
        cmocka_unit_test(test_every_byte_altered_is_refused),
        cmocka_unit_test(test_named_forgeries_are_refused),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_expiry_and_skew),
        cmocka_unit_test(test_truncated_at_every_length),
        cmocka_unit_test(test_random_tokens_are_refused),
        cmocka_unit_test(test_longest_fields),
        cmocka_unit_test(test_signed_but_malformed),
        cmocka_unit_test(test_unknown_version),
        cmocka_unit_test(test_encoder_refusals),
        cmocka_unit_test(test_fields_are_the_event_params),
        cmocka_unit_test(test_events_and_messages),
        cmocka_unit_test(test_key_rules),
        cmocka_unit_test(test_ad_ids),
        cmocka_unit_test(test_base64url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
