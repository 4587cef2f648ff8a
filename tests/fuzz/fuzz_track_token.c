/* fuzz_track_token.c -- libFuzzer target: the tracking-token decoder
 * (track_token_decode) and base64url.
 *
 * The first byte picks what the rest is. Even: a token as a player would
 * send it, decoded against two keys (current and previous). Odd: a token
 * body, first sealed with the current key (track_token_seal) so that the
 * decoder gets past the MAC and its field parser and rules are reached --
 * the fuzzer could never forge a MAC on its own.
 *
 * Besides memory errors (ASan, UBSan), it checks: whatever the decoder
 * accepts re-encodes, under the key that signed it and in its version
 * (1 or 2), to exactly the same token (one spelling per set of claims); the claims it fills are within
 * their caps and NUL-terminated; and base64url decoding is the exact
 * inverse of encoding on whatever it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "track_token.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)
#define NOW 1700000000LL

static const char current[] = "fuzz-current-secret-0123";
static const char previous[] = "fuzz-previous-secret-456";

static struct track_key key_of(const char *s) {
    return (struct track_key){.data = (const unsigned char *)s, .len = strlen(s)};
}

static void check_reencodes(const char *tok, size_t len, const struct track_claims *c) {
    for (int id = 0; id < TRACK_FIELDS; id++) {
        CHECK(c->field_len[id] > 0 && c->field_len[id] <= TRACK_FIELD_MAX);
        CHECK(c->field[id][c->field_len[id]] == '\0');
    }
    /* It verified under one of the two: the re-encoding under that one matches. */
    const char *secrets[2] = {current, previous};
    bool matched = false;
    for (int i = 0; i < 2 && !matched; i++) {
        struct track_keys k = {.current = key_of(secrets[i])};
        struct buf b;
        buf_init(&b);
        CHECK(track_token_encode_as(c, &k, c->version, &b));
        matched = b.len == len && memcmp(b.data, tok, len) == 0;
        buf_free(&b);
    }
    CHECK(matched);
}

static void check_base64url(const char *in, size_t n) {
    unsigned char raw[TRACK_TOKEN_MAX_LEN];
    size_t raw_len;
    if (n > TRACK_TOKEN_MAX_LEN || !base64url_decode(in, n, raw, &raw_len)) return;
    char back[TRACK_TOKEN_MAX_LEN];
    CHECK(base64url_encode(raw, raw_len, back) == n);
    CHECK(memcmp(back, in, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    struct track_keys keys = {.current = key_of(current), .previous = key_of(previous)};
    struct track_claims c;
    const uint8_t *rest = data + 1;
    size_t n = size - 1;
    char sealed[TRACK_TOKEN_MAX_LEN];
    const char *tok = (const char *)rest;
    size_t tok_len = n;

    if (data[0] & 1) {
        tok_len = track_token_seal(rest, n, &keys.current, sealed);
        if (tok_len == 0) return 0;
        tok = sealed;
    } else {
        check_base64url(tok, tok_len);
    }
    long long ttl = (long long)(data[0] >> 1) * 3600;
    if (track_token_decode(tok, tok_len, &keys, NOW, ttl, &c) == TRACK_OK)
        check_reencodes(tok, tok_len, &c);
    return 0;
}
