/* track_token.c -- signed tracking-pixel tokens; see track_token.h for the
 * format (version 2: an 8-byte slice of an HMAC per event, four events to
 * an HMAC; version 1's full MAC per event still verifies).
 *
 * The MAC is OpenSSL's libcrypto: HMAC-SHA256 (HMAC(), or a thread's
 * EVP_MAC context copied once from a prepared key's) and the constant-time
 * CRYPTO_memcmp(). A well-kept, widely reviewed library
 * (already on every machine adstats runs on, under libcurl) rather than a
 * hand-written SHA-256: getting a hash, HMAC's key padding and a comparison
 * that leaks no timing all right is exactly what such a library is for. */
#include "track_token.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define LABEL_LEN (sizeof(TRACK_MAC_LABEL) - 1)
/* Long enough for any sane secret, short enough for HMAC()'s int length. */
#define KEY_MAX_LEN 4096

_Static_assert(TRACK_FIELD_MAX <= 255, "a field's length must fit its length byte");
_Static_assert(PARAM_SDK_VERSION == 0 && PARAM_SESSION_ID == 1 && PARAM_PLATFORM == 2
                   && PARAM_USERNAME == 3 && PARAM_COUNTRY_CODE == 4,
               "the five request fields are the first params");

static const char *const event_names[TRACK_EVENT__COUNT] = {
    [TRACK_IMPRESSION] = "impression",
    [TRACK_START] = "start",
    [TRACK_FIRST_QUARTILE] = "firstQuartile",
    [TRACK_MIDPOINT] = "midpoint",
    [TRACK_THIRD_QUARTILE] = "thirdQuartile",
    [TRACK_COMPLETE] = "complete",
    [TRACK_CLICK] = "click",
};

const char *track_event_name(enum track_event e) {
    return (unsigned)e < TRACK_EVENT__COUNT ? event_names[e] : "unknown";
}

bool track_event_parse(const char *s, size_t len, enum track_event *out) {
    for (int e = 0; e < TRACK_EVENT__COUNT; e++) {
        if (strlen(event_names[e]) == len && memcmp(event_names[e], s, len) == 0) {
            *out = (enum track_event)e;
            return true;
        }
    }
    return false;
}

const char *track_token_status_message(enum track_token_status st) {
    switch (st) {
    case TRACK_OK: return "tracking token is valid";
    case TRACK_MALFORMED: return "tracking token is malformed";
    case TRACK_UNKNOWN_VERSION: return "tracking token has an unknown version";
    case TRACK_BAD_SIGNATURE: return "tracking token signature does not match";
    case TRACK_EXPIRED: return "tracking token has expired";
    case TRACK_FUTURE: return "tracking token is dated in the future";
    }
    return "tracking token is invalid";
}

bool track_key_valid(const char *secret, const char **why) {
    size_t len = secret != NULL ? strlen(secret) : 0;
    if (len < TRACK_KEY_MIN_LEN) {
        *why = "must be at least 16 bytes long";
        return false;
    }
    if (len > KEY_MAX_LEN) {
        *why = "must be at most 4096 bytes long";
        return false;
    }
    return true;
}

bool track_ad_id_new(unsigned char id[TRACK_AD_ID_LEN]) {
    size_t got = 0;
    while (got < TRACK_AD_ID_LEN) {
        ssize_t n = getrandom(id + got, TRACK_AD_ID_LEN - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        got += (size_t)n;
    }
    return true;
}

void track_ad_id_hex(const unsigned char id[TRACK_AD_ID_LEN], char out[2 * TRACK_AD_ID_LEN + 1]) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < TRACK_AD_ID_LEN; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[2 * TRACK_AD_ID_LEN] = '\0';
}

bool track_claims_set_fields(struct track_claims *c, const struct params *p) {
    for (int id = 0; id < TRACK_FIELDS; id++) {
        const struct param_value *v = &p->v[id];
        if (v->data == NULL || v->len > TRACK_FIELD_MAX) return false;
        memcpy(c->field[id], v->data, v->len);
        c->field[id][v->len] = '\0';
        c->field_len[id] = v->len;
    }
    return true;
}

/* ---- the five fields --------------------------------------------------- */

/* True if every field is present and passes params_validate() unchanged:
 * what the decoder accepts is what a request could have carried, spelled
 * as the request pipeline leaves it (so it re-encodes to the same token). */
static bool fields_canonical(const struct track_claims *c) {
    char copy[TRACK_FIELDS][TRACK_FIELD_MAX + 1];
    struct params p;
    memset(&p, 0, sizeof(p));
    for (int id = 0; id < TRACK_FIELDS; id++) {
        size_t len = c->field_len[id];
        if (len == 0 || len > TRACK_FIELD_MAX) return false;
        memcpy(copy[id], c->field[id], len);
        copy[id][len] = '\0';
        p.v[id].data = copy[id];
        p.v[id].len = len;
    }
    char storage[256];
    struct buf why;
    buf_init_static(&why, storage, sizeof(storage));
    bool ok = params_validate(&p, TRACK_FIELD_MASK, &why);
    buf_free(&why);
    for (int id = 0; ok && id < TRACK_FIELDS; id++)
        ok = p.v[id].len == c->field_len[id] && memcmp(copy[id], c->field[id], p.v[id].len) == 0;
    return ok;
}

/* ---- MAC --------------------------------------------------------------- */

/* Numbers every preparation, so that a thread's copy is never taken for
 * another key's (a released key's memory may hold the next one). */
static atomic_ulong preparations;

bool track_key_prepare(struct track_key *k) {
    if (k->data == NULL || k->len > KEY_MAX_LEN) return false;
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac != NULL ? EVP_MAC_CTX_new(hmac) : NULL;
    EVP_MAC_free(hmac); /* the context keeps its own reference */
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    if (ctx == NULL || EVP_MAC_init(ctx, k->data, k->len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return false;
    }
    k->prepared = ctx;
    k->prepared_id = atomic_fetch_add(&preparations, 1) + 1;
    return true;
}

void track_key_release(struct track_key *k) {
    EVP_MAC_CTX_free(k->prepared);
    k->prepared = NULL;
    k->prepared_id = 0;
}

/* ---- a thread's copies of the prepared keys ----------------------------- */

/* Two: the current and the previous key. A copy made from the prepared
 * state once is re-initialised for each MAC (EVP_MAC_init without a key
 * keeps HMAC's keyed state), where a copy per MAC would allocate and free
 * a handful of objects each time. */
#define THREAD_KEYS 2

struct thread_keys {
    unsigned long id[THREAD_KEYS];
    EVP_MAC_CTX *ctx[THREAD_KEYS];
};

static _Thread_local struct thread_keys *mine;
static pthread_key_t mine_key;
static pthread_once_t mine_once = PTHREAD_ONCE_INIT;
static bool mine_key_ok;

static void free_thread_keys(void *p) {
    struct thread_keys *tk = p;
    for (int i = 0; i < THREAD_KEYS; i++) EVP_MAC_CTX_free(tk->ctx[i]);
    free(tk);
}

static void make_mine_key(void) {
    mine_key_ok = pthread_key_create(&mine_key, free_thread_keys) == 0;
}

/* The thread's own table, made at its first MAC; NULL if it cannot be
 * (no memory, or no way to free it when the thread ends). */
static struct thread_keys *thread_keys(void) {
    if (mine != NULL) return mine;
    if (pthread_once(&mine_once, make_mine_key) != 0 || !mine_key_ok) return NULL;
    struct thread_keys *tk = calloc(1, sizeof(*tk));
    if (tk == NULL) return NULL;
    if (pthread_setspecific(mine_key, tk) != 0) {
        free(tk);
        return NULL;
    }
    return mine = tk;
}

/* The thread's context for `key`, ready for a MAC: its own copy of the
 * prepared state, re-initialised. NULL: none (the caller then copies). */
static EVP_MAC_CTX *thread_ctx(const struct track_key *key) {
    struct thread_keys *tk = thread_keys();
    if (tk == NULL) return NULL;
    int slot = tk->id[0] == key->prepared_id ? 0 : tk->id[1] == key->prepared_id ? 1 : -1;
    if (slot < 0) {
        slot = tk->id[0] == 0 ? 0 : 1; /* a free slot, else the second */
        EVP_MAC_CTX_free(tk->ctx[slot]);
        tk->ctx[slot] = EVP_MAC_CTX_dup(key->prepared);
        tk->id[slot] = tk->ctx[slot] != NULL ? key->prepared_id : 0;
        if (tk->ctx[slot] == NULL) return NULL;
        return tk->ctx[slot]; /* a fresh copy is ready as it is */
    }
    if (EVP_MAC_init(tk->ctx[slot], NULL, 0, NULL) != 1) return NULL;
    return tk->ctx[slot];
}

/* HMAC-SHA256(key, msg[0..len)) from the thread's copy of the prepared
 * state, or from a copy of its own when the thread has none. */
static bool prepared_mac(const struct track_key *key, const unsigned char *msg, size_t len,
                         unsigned char mac[TRACK_MAC_LEN]) {
    EVP_MAC_CTX *ctx = thread_ctx(key);
    EVP_MAC_CTX *own = ctx == NULL ? EVP_MAC_CTX_dup(key->prepared) : NULL;
    if (ctx == NULL) ctx = own;
    size_t mac_len = 0;
    bool ok = ctx != NULL && EVP_MAC_update(ctx, msg, len) == 1
           && EVP_MAC_final(ctx, mac, &mac_len, TRACK_MAC_LEN) == 1 && mac_len == TRACK_MAC_LEN;
    EVP_MAC_CTX_free(own);
    return ok;
}

/* HMAC-SHA256(key, label || body[0] || second || body[2..len)): the MAC
 * of a body whose second byte, the event, is `second` instead (version 1
 * passes the event itself, version 2 its group). len >= 2. */
static bool compute_mac(const struct track_key *key, const unsigned char *body, size_t len,
                        unsigned char second, unsigned char mac[TRACK_MAC_LEN]) {
    if (key->data == NULL || key->len > KEY_MAX_LEN || len < 2 || len > TRACK_BODY_MAX)
        return false;
    unsigned char msg[LABEL_LEN + TRACK_BODY_MAX];
    memcpy(msg, TRACK_MAC_LABEL, LABEL_LEN);
    memcpy(msg + LABEL_LEN, body, len);
    msg[LABEL_LEN + 1] = second;
    if (key->prepared != NULL) return prepared_mac(key, msg, LABEL_LEN + len, mac);
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), key->data, (int)key->len, msg, LABEL_LEN + len, mac, &mac_len) == NULL)
        return false;
    return mac_len == TRACK_MAC_LEN;
}

/* ---- version 2's tags ---------------------------------------------------- */

/* One HMAC holds the tags of TAGS_PER_MAC events: event e's tag is slice
 * e % TAGS_PER_MAC of the MAC of its group, e / TAGS_PER_MAC. */
#define TAGS_PER_MAC (TRACK_MAC_LEN / TRACK_TAG_LEN)
#define TAG_GROUPS ((TRACK_EVENT__COUNT + TAGS_PER_MAC - 1) / TAGS_PER_MAC)

static unsigned char group_of(unsigned char event) { return event / TAGS_PER_MAC; }
static size_t slice_of(unsigned char event) { return (size_t)(event % TAGS_PER_MAC) * TRACK_TAG_LEN; }

/* The signature's length in a token of `version`; 0 for a version this
 * build does not know. */
static size_t signature_len(unsigned char version) {
    return version == TRACK_TOKEN_V1 ? TRACK_MAC_LEN : version == TRACK_TOKEN_V2 ? TRACK_TAG_LEN : 0;
}

/* Writes the signature of body[0..len) to `sig` and returns its length:
 * version 2's tag when body[0] says version 2, else version 1's MAC. 0 if
 * no MAC could be made. */
static size_t sign_body(const struct track_key *key, const unsigned char *body, size_t len,
                        unsigned char sig[TRACK_MAC_LEN]) {
    if (len < 2) return 0;
    if (body[0] != TRACK_TOKEN_V2) return compute_mac(key, body, len, body[1], sig) ? TRACK_MAC_LEN : 0;
    unsigned char mac[TRACK_MAC_LEN];
    if (!compute_mac(key, body, len, group_of(body[1]), mac)) return 0;
    memcpy(sig, mac + slice_of(body[1]), TRACK_TAG_LEN);
    return TRACK_TAG_LEN;
}

/* True if raw[body_len..) is the signature of raw[0..body_len) under
 * `key`, compared in constant time. */
static bool signed_with(const struct track_key *key, const unsigned char *raw, size_t body_len) {
    unsigned char want[TRACK_MAC_LEN];
    size_t n = sign_body(key, raw, body_len, want);
    return n > 0 && CRYPTO_memcmp(want, raw + body_len, n) == 0;
}

/* Appends body[0..len) || sig[0..sig_len), base64url-encoded, to `out`. */
static bool append_token(const unsigned char *body, size_t len, const unsigned char *sig,
                         size_t sig_len, struct buf *out) {
    unsigned char raw[TRACK_RAW_MAX];
    char tok[TRACK_TOKEN_MAX_LEN];
    memcpy(raw, body, len);
    memcpy(raw + len, sig, sig_len);
    buf_append(out, tok, base64url_encode(raw, len + sig_len, tok));
    return !out->failed;
}

size_t track_token_seal(const unsigned char *body, size_t len, const struct track_key *key,
                        char *out) {
    unsigned char raw[TRACK_RAW_MAX];
    if (len < 2 || len > TRACK_BODY_MAX) return 0;
    memcpy(raw, body, len);
    size_t sig_len = sign_body(key, body, len, raw + len);
    if (sig_len == 0) return 0;
    return base64url_encode(raw, len + sig_len, out);
}

/* ---- encoding ---------------------------------------------------------- */

static size_t write_body(const struct track_claims *c, unsigned char version, unsigned char *b) {
    size_t n = 0;
    b[n++] = version;
    b[n++] = (unsigned char)c->event;
    for (int shift = 56; shift >= 0; shift -= 8)
        b[n++] = (unsigned char)((uint64_t)c->served_at >> shift);
    memcpy(b + n, c->ad_id, TRACK_AD_ID_LEN);
    n += TRACK_AD_ID_LEN;
    for (int id = 0; id < TRACK_FIELDS; id++) {
        b[n++] = (unsigned char)c->field_len[id];
        memcpy(b + n, c->field[id], c->field_len[id]);
        n += c->field_len[id];
    }
    return n;
}

static bool claims_encodable(const struct track_claims *c) {
    if (c->served_at < 0 || c->served_at > TRACK_SERVED_MAX) return false;
    return fields_canonical(c);
}

bool track_token_encode_as(const struct track_claims *c, const struct track_keys *k,
                           unsigned char version, struct buf *out) {
    if ((unsigned)c->event >= TRACK_EVENT__COUNT || signature_len(version) == 0
        || !claims_encodable(c))
        return false;
    unsigned char body[TRACK_BODY_MAX], sig[TRACK_MAC_LEN];
    size_t len = write_body(c, version, body), out_len = out->len;
    size_t sig_len = sign_body(&k->current, body, len, sig);
    bool ok = sig_len > 0 && append_token(body, len, sig, sig_len, out);
    if (!ok) out->len = out_len;
    return ok;
}

bool track_token_encode(const struct track_claims *c, const struct track_keys *k, struct buf *out) {
    return track_token_encode_as(c, k, TRACK_TOKEN_VERSION, out);
}

/* The seven pixels share their groups' MACs, which is version 2's layout. */
_Static_assert(TRACK_TOKEN_VERSION == TRACK_TOKEN_V2, "track_token_encode_events writes version 2");

/* The seven tokens of an ad differ only in their event byte, body[1], and
 * their tag. Base64 turns each 3 bytes into 4 characters by themselves, so
 * the body from byte 3 to a multiple of 3 further is encoded once and copied
 * into each token, between its own first 3 bytes and its tail (the body's
 * last 0-2 bytes and the tag). */
#define SHARED_FROM 3

bool track_token_encode_events(const struct track_claims *c, const struct track_keys *k,
                               const char *prefix, size_t prefix_len, struct buf *out,
                               size_t start[TRACK_EVENT__COUNT + 1]) {
    if (!claims_encodable(c)) return false;
    unsigned char body[TRACK_BODY_MAX], mac[TAG_GROUPS][TRACK_MAC_LEN];
    size_t len = write_body(c, TRACK_TOKEN_V2, body), out_len = out->len;
    bool ok = true;
    for (unsigned char g = 0; ok && g < TAG_GROUPS; g++)
        ok = compute_mac(&k->current, body, len, g, mac[g]);

    size_t shared_end = SHARED_FROM + (len - SHARED_FROM) / 3 * 3;
    char shared[BASE64URL_LEN(TRACK_BODY_MAX)];
    size_t shared_chars = base64url_encode(body + SHARED_FROM, shared_end - SHARED_FROM, shared);
    for (int e = 0; ok && e < TRACK_EVENT__COUNT; e++) {
        start[e] = out->len;
        body[1] = (unsigned char)e; /* write_body's event byte */
        unsigned char tail[2 + TRACK_TAG_LEN];
        size_t tail_len = len - shared_end;
        memcpy(tail, body + shared_end, tail_len);
        memcpy(tail + tail_len, mac[group_of(body[1])] + slice_of(body[1]), TRACK_TAG_LEN);
        char head[4], tail_chars[BASE64URL_LEN(sizeof(tail))];
        buf_append(out, prefix, prefix_len);
        buf_append(out, head, base64url_encode(body, SHARED_FROM, head));
        buf_append(out, shared, shared_chars);
        buf_append(out, tail_chars, base64url_encode(tail, tail_len + TRACK_TAG_LEN, tail_chars));
        ok = !out->failed;
    }
    start[TRACK_EVENT__COUNT] = out->len;
    if (!ok) out->len = out_len;
    return ok;
}

/* ---- decoding ---------------------------------------------------------- */

/* Parses a body whose MAC has been checked. False unless it holds exactly
 * the claims of one token: a known event, a serve time in range, five
 * fields within their caps that pass their rules, and nothing after. */
static bool parse_body(const unsigned char *b, size_t n, struct track_claims *c) {
    size_t at = 1;
    if (b[at] >= TRACK_EVENT__COUNT) return false;
    c->event = (enum track_event)b[at++];
    uint64_t t = 0;
    for (int i = 0; i < 8; i++) t = t << 8 | b[at++];
    if (t > (uint64_t)TRACK_SERVED_MAX) return false;
    c->served_at = (long long)t;
    memcpy(c->ad_id, b + at, TRACK_AD_ID_LEN);
    at += TRACK_AD_ID_LEN;
    for (int id = 0; id < TRACK_FIELDS; id++) {
        if (at >= n) return false;
        size_t len = b[at++];
        if (len > TRACK_FIELD_MAX || len > n - at) return false;
        memcpy(c->field[id], b + at, len);
        c->field[id][len] = '\0';
        c->field_len[id] = len;
        at += len;
    }
    return at == n && fields_canonical(c);
}

enum track_token_status track_token_decode(const char *tok, size_t len, const struct track_keys *k,
                                           long long now_s, long long ttl_s,
                                           struct track_claims *out) {
    unsigned char raw[TRACK_RAW_MAX];
    size_t n;
    if (len < BASE64URL_LEN(TRACK_RAW_MIN) || len > TRACK_TOKEN_MAX_LEN) return TRACK_MALFORMED;
    if (!base64url_decode(tok, len, raw, &n) || n < TRACK_RAW_MIN) return TRACK_MALFORMED;
    size_t sig_len = signature_len(raw[0]);
    if (sig_len == 0) return TRACK_UNKNOWN_VERSION;
    if (n < TRACK_HEADER_LEN + TRACK_FIELDS + sig_len) return TRACK_MALFORMED;

    size_t body_len = n - sig_len;
    bool signed_ok = signed_with(&k->current, raw, body_len);
    if (!signed_ok && k->previous.data != NULL) signed_ok = signed_with(&k->previous, raw, body_len);
    if (!signed_ok) return TRACK_BAD_SIGNATURE;

    if (!parse_body(raw, body_len, out)) return TRACK_MALFORMED;
    out->version = raw[0];
    if (out->served_at > now_s && out->served_at - now_s > TRACK_CLOCK_SKEW_S) return TRACK_FUTURE;
    if (now_s > out->served_at && now_s - out->served_at > ttl_s) return TRACK_EXPIRED;
    return TRACK_OK;
}
