/* test_params.c -- unit tests for params.c: form_parse on query strings and
 * form bodies ('+' as space, %XX decoding including UTF-8 and %00, bad
 * escapes, empty values, duplicates, unknown keys, the 64-pair cap, the order
 * field); params_validate for every rule (length caps, UTF-8, control
 * characters, version and platform syntax, country codes and their
 * normalisation) and its single combined message; params_missing_message;
 * param_name and country_code_known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "params.h"

/* A parsed request: the decoded-in-place copy of the input, which the values
 * point into, and the params. The copy is exactly len + 1 bytes (input plus
 * terminator, as the request pipeline provides) so that AddressSanitizer
 * catches any write past it. */
struct parsed {
    char *in;
    struct params p;
    enum form_status status;
};

static void parse_n(struct parsed *r, const char *input, size_t len) {
    memset(&r->p, 0, sizeof(r->p));
    r->in = malloc(len + 1);
    assert_non_null(r->in);
    memcpy(r->in, input, len);
    r->in[len] = '\0';
    r->status = form_parse(r->in, len, &r->p);
}

static void parse(struct parsed *r, const char *input) {
    parse_n(r, input, strlen(input));
}

static void parsed_free(struct parsed *r) {
    free(r->in);
    r->in = NULL;
}

/* Asserts parameter `id` is present with exactly `want` (want_len bytes). */
static void value_is(const struct parsed *r, enum param_id id, const char *want,
                     size_t want_len) {
    const struct param_value *v = &r->p.v[id];
    assert_non_null(v->data);
    assert_int_equal(v->len, want_len);
    assert_memory_equal(v->data, want, want_len);
    assert_int_equal(v->data[want_len], '\0');
}

#define VALUE_IS(r, id, literal) value_is(r, id, literal, sizeof(literal) - 1)

/* Parses `query`, validates the parameters in `permitted` and checks the
 * result: `want` is NULL for valid, else the whole message expected. */
static void validate_is(const char *query, uint32_t permitted, const char *want) {
    struct parsed r;
    parse(&r, query);
    assert_int_equal(r.status, FORM_OK);
    struct buf msg;
    buf_init(&msg);
    bool ok = params_validate(&r.p, permitted, &msg);
    if (want == NULL) {
        if (!ok) fail_msg("\"%s\" rejected: %s", query, msg.data);
        assert_int_equal(msg.len, 0);
    } else {
        if (ok) fail_msg("\"%s\" accepted, expected: %s", query, want);
        assert_string_equal(msg.data, want);
    }
    buf_free(&msg);
    parsed_free(&r);
}

#define ALL_PARAMS ((1u << PARAM__COUNT) - 1)

#define MSG_TOO_LONG(name, n) "invalid parameters: " name " is too long (at most " #n " bytes)"
#define MSG_UTF8(name) "invalid parameters: " name " must be valid UTF-8"
#define MSG_CONTROL(name) "invalid parameters: " name " must not contain control characters"
#define MSG_VERSION(name) \
    "invalid parameters: " name " must be digits separated by single dots, e.g. 4.12.3"
#define MSG_PLATFORM \
    "invalid parameters: platform may only contain letters, digits, '.', '_' and '-'"
#define MSG_COUNTRY \
    "invalid parameters: country_code must be a two-letter ISO 3166-1 alpha-2 country code"

/* Returns a heap string "key=" followed by n copies of `unit`. */
static char *repeat_pair(const char *key, const char *unit, size_t n) {
    size_t klen = strlen(key), ulen = strlen(unit);
    char *s = malloc(klen + 1 + n * ulen + 1);
    assert_non_null(s);
    memcpy(s, key, klen);
    s[klen] = '=';
    for (size_t i = 0; i < n; i++) memcpy(s + klen + 1 + i * ulen, unit, ulen);
    s[klen + 1 + n * ulen] = '\0';
    return s;
}

/* ---- form_parse: decoding ------------------------------------------------ */

static void test_parse_plain_pairs(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "username=alice&sdk_version=4.12.3&platform=android");
    assert_int_equal(r.status, FORM_OK);
    VALUE_IS(&r, PARAM_USERNAME, "alice");
    VALUE_IS(&r, PARAM_SDK_VERSION, "4.12.3");
    VALUE_IS(&r, PARAM_PLATFORM, "android");
    assert_null(r.p.v[PARAM_SESSION_ID].data);
    assert_null(r.p.v[PARAM_COUNTRY_CODE].data);
    assert_null(r.p.v[PARAM_SDK].data);
    assert_int_equal(r.p.pairs, 3);
    parsed_free(&r);
}

static void test_parse_empty_input(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "");
    assert_int_equal(r.status, FORM_OK);
    assert_int_equal(r.p.pairs, 0);
    for (int id = 0; id < PARAM__COUNT; id++) assert_null(r.p.v[id].data);
    parsed_free(&r);
}

static void test_parse_plus_is_space(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "username=John+Q+Public&session_id=+a+");
    assert_int_equal(r.status, FORM_OK);
    VALUE_IS(&r, PARAM_USERNAME, "John Q Public");
    VALUE_IS(&r, PARAM_SESSION_ID, " a ");
    parsed_free(&r);
}

static void test_parse_percent_escapes(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "username=a%2Bb%20c%26d%3De%25&session_id=%2b%2f%3a");
    assert_int_equal(r.status, FORM_OK);
    VALUE_IS(&r, PARAM_USERNAME, "a+b c&d=e%");
    VALUE_IS(&r, PARAM_SESSION_ID, "+/:"); /* lower-case hex too */
    parsed_free(&r);
}

static void test_parse_percent_encoded_utf8(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "username=Jos%C3%A9+%E2%82%AC%F0%9F%98%80");
    assert_int_equal(r.status, FORM_OK);
    VALUE_IS(&r, PARAM_USERNAME, "Jos\xC3\xA9 \xE2\x82\xAC\xF0\x9F\x98\x80");
    parsed_free(&r);
}

static void test_parse_raw_utf8_passes_through(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "username=Jos\xC3\xA9");
    VALUE_IS(&r, PARAM_USERNAME, "Jos\xC3\xA9");
    parsed_free(&r);
}

static void test_parse_percent_00_stays_in_value_with_its_length(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "username=a%00b&sdk=1");
    assert_int_equal(r.status, FORM_OK);
    VALUE_IS(&r, PARAM_USERNAME, "a\0b");
    VALUE_IS(&r, PARAM_SDK, "1");
    parsed_free(&r);
}

static void test_parse_keys_are_decoded_too(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "user%6Eame=bob&sdk%5Fversion=1.0&session+id=x");
    assert_int_equal(r.status, FORM_OK);
    VALUE_IS(&r, PARAM_USERNAME, "bob");
    VALUE_IS(&r, PARAM_SDK_VERSION, "1.0");
    assert_null(r.p.v[PARAM_SESSION_ID].data); /* "session id" is not a key */
    parsed_free(&r);
}

static void test_parse_value_may_contain_equals(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "session_id=a=b=c");
    VALUE_IS(&r, PARAM_SESSION_ID, "a=b=c");
    parsed_free(&r);
}

static void test_parse_keys_are_case_sensitive(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "Username=alice&USERNAME=bob");
    assert_int_equal(r.status, FORM_OK);
    assert_null(r.p.v[PARAM_USERNAME].data);
    assert_int_equal(r.p.pairs, 2);
    parsed_free(&r);
}

/* ---- form_parse: bad escapes --------------------------------------------- */

static void expect_bad_escape(const char *input) {
    struct parsed r;
    parse(&r, input);
    if (r.status != FORM_BAD_ESCAPE) fail_msg("\"%s\" gave status %d", input, r.status);
    parsed_free(&r);
}

static void test_parse_non_hex_escape_is_bad(void **state) {
    (void)state;
    expect_bad_escape("username=%G1");
    expect_bad_escape("username=%1G");
    expect_bad_escape("username=%%41");
    expect_bad_escape("username=% 1");
}

static void test_parse_truncated_escape_is_bad(void **state) {
    (void)state;
    expect_bad_escape("username=%");
    expect_bad_escape("username=%2");
    expect_bad_escape("username=%2&sdk=1");
    expect_bad_escape("username=a%");
}

static void test_parse_bad_escape_in_key_or_unknown_pair_is_bad(void **state) {
    (void)state;
    expect_bad_escape("user%ZZname=a");
    expect_bad_escape("username=a&other=%Q");
    expect_bad_escape("%");
}

/* ---- form_parse: presence, duplicates, unknown keys ---------------------- */

static void test_parse_empty_value_counts_as_absent(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "username=&sdk_version&platform=%20");
    assert_int_equal(r.status, FORM_OK);
    assert_null(r.p.v[PARAM_USERNAME].data);
    assert_null(r.p.v[PARAM_SDK_VERSION].data);
    VALUE_IS(&r, PARAM_PLATFORM, " "); /* not empty: validation rejects it */
    assert_int_equal(r.p.pairs, 3);
    parsed_free(&r);
}

static void test_parse_duplicate_first_wins(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "username=first&username=second&username=third");
    assert_int_equal(r.status, FORM_OK);
    VALUE_IS(&r, PARAM_USERNAME, "first");
    assert_int_equal(r.p.v[PARAM_USERNAME].order, 1);
    parsed_free(&r);
}

static void test_parse_duplicate_after_empty_first_takes_the_nonempty(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "username=&username=bob");
    VALUE_IS(&r, PARAM_USERNAME, "bob");
    assert_int_equal(r.p.v[PARAM_USERNAME].order, 2);
    parsed_free(&r);
}

static void test_parse_unknown_keys_ignored_but_counted(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "utm_source=x&username=alice&=nokey&junk");
    assert_int_equal(r.status, FORM_OK);
    VALUE_IS(&r, PARAM_USERNAME, "alice");
    assert_int_equal(r.p.v[PARAM_USERNAME].order, 2);
    assert_int_equal(r.p.pairs, 4);
    parsed_free(&r);
}

static void test_parse_empty_segments_are_skipped(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "&&username=alice&&&sdk=1&");
    assert_int_equal(r.status, FORM_OK);
    VALUE_IS(&r, PARAM_USERNAME, "alice");
    VALUE_IS(&r, PARAM_SDK, "1");
    assert_int_equal(r.p.pairs, 2);
    parsed_free(&r);
}

static void test_parse_reads_only_len_bytes(void **state) {
    (void)state;
    struct parsed r;
    parse_n(&r, "username=alice&sdk=1", strlen("username=ali"));
    VALUE_IS(&r, PARAM_USERNAME, "ali");
    assert_null(r.p.v[PARAM_SDK].data);
    parsed_free(&r);
}

/* ---- form_parse: order --------------------------------------------------- */

static void test_parse_order_tells_which_came_first(void **state) {
    (void)state;
    struct parsed a, b;
    parse(&a, "sdk=1&username=a");
    parse(&b, "username=a&sdk=1");
    assert_true(a.p.v[PARAM_SDK].order < a.p.v[PARAM_USERNAME].order);
    assert_true(b.p.v[PARAM_USERNAME].order < b.p.v[PARAM_SDK].order);
    parsed_free(&a);
    parsed_free(&b);
}

static void test_parse_order_counts_unknown_pairs(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "x=1&sdk=1&y=2&z=3&username=a");
    assert_int_equal(r.p.v[PARAM_SDK].order, 2);
    assert_int_equal(r.p.v[PARAM_USERNAME].order, 5);
    parsed_free(&r);
}

static void test_parse_query_then_body_accumulate(void **state) {
    (void)state;
    /* the pipeline parses the query string, then the body, into one params */
    char query[] = "username=q&x=1";
    char body[] = "username=b&sdk=2";
    struct params p;
    memset(&p, 0, sizeof(p));
    assert_int_equal(form_parse(query, strlen(query), &p), FORM_OK);
    assert_int_equal(form_parse(body, strlen(body), &p), FORM_OK);
    assert_string_equal(p.v[PARAM_USERNAME].data, "q");
    assert_string_equal(p.v[PARAM_SDK].data, "2");
    assert_int_equal(p.v[PARAM_SDK].order, 4);
    assert_int_equal(p.pairs, 4);
}

/* ---- form_parse: pair cap ------------------------------------------------ */

/* Returns "k=v&k=v&..." with n pairs, the last being username=last. */
static char *many_pairs(unsigned n) {
    char *s = malloc((size_t)n * 4 + 32);
    assert_non_null(s);
    size_t len = 0;
    for (unsigned i = 1; i < n; i++) {
        memcpy(s + len, "k=v&", 4);
        len += 4;
    }
    strcpy(s + len, "username=last");
    return s;
}

static void test_parse_64_pairs_allowed(void **state) {
    (void)state;
    char *s = many_pairs(PARAMS_MAX_PAIRS);
    struct parsed r;
    parse(&r, s);
    assert_int_equal(r.status, FORM_OK);
    assert_int_equal(r.p.pairs, 64);
    VALUE_IS(&r, PARAM_USERNAME, "last");
    parsed_free(&r);
    free(s);
}

static void test_parse_65_pairs_too_many(void **state) {
    (void)state;
    char *s = many_pairs(PARAMS_MAX_PAIRS + 1);
    struct parsed r;
    parse(&r, s);
    assert_int_equal(r.status, FORM_TOO_MANY);
    parsed_free(&r);
    free(s);
}

static void test_parse_cap_counts_across_query_and_body(void **state) {
    (void)state;
    char *query = many_pairs(40), *body = many_pairs(25);
    struct params p;
    memset(&p, 0, sizeof(p));
    assert_int_equal(form_parse(query, strlen(query), &p), FORM_OK);
    assert_int_equal(form_parse(body, strlen(body), &p), FORM_TOO_MANY);
    free(query);
    free(body);
}

/* ---- params_validate: length caps ---------------------------------------- */

static void check_cap(const char *name, enum param_id id, const char *unit, size_t cap,
                      const char *too_long_msg) {
    char *at = repeat_pair(name, unit, cap);
    char *over = repeat_pair(name, unit, cap + 1);
    validate_is(at, PARAM_BIT(id), NULL);
    validate_is(over, PARAM_BIT(id), too_long_msg);
    free(at);
    free(over);
}

static void test_validate_username_cap_64(void **state) {
    (void)state;
    check_cap("username", PARAM_USERNAME, "u", 64, MSG_TOO_LONG("username", 64));
}

static void test_validate_session_id_cap_128(void **state) {
    (void)state;
    check_cap("session_id", PARAM_SESSION_ID, "s", 128, MSG_TOO_LONG("session_id", 128));
}

static void test_validate_sdk_version_cap_32(void **state) {
    (void)state;
    check_cap("sdk_version", PARAM_SDK_VERSION, "1", 32, MSG_TOO_LONG("sdk_version", 32));
}

static void test_validate_sdk_cap_32(void **state) {
    (void)state;
    check_cap("sdk", PARAM_SDK, "1", 32, MSG_TOO_LONG("sdk", 32));
}

static void test_validate_platform_cap_32(void **state) {
    (void)state;
    check_cap("platform", PARAM_PLATFORM, "p", 32, MSG_TOO_LONG("platform", 32));
}

static void test_validate_caps_count_bytes_not_characters(void **state) {
    (void)state;
    /* 32 x U+00E9 is 64 bytes; 33 of them are 66 */
    char *at = repeat_pair("username", "%C3%A9", 32);
    char *over = repeat_pair("username", "%C3%A9", 33);
    validate_is(at, PARAM_BIT(PARAM_USERNAME), NULL);
    validate_is(over, PARAM_BIT(PARAM_USERNAME), MSG_TOO_LONG("username", 64));
    free(at);
    free(over);
}

/* ---- params_validate: text rule ------------------------------------------ */

static void test_validate_text_accepts_printable_utf8(void **state) {
    (void)state;
    uint32_t text = PARAM_BIT(PARAM_USERNAME) | PARAM_BIT(PARAM_SESSION_ID);
    validate_is("username=alice+smith&session_id=abc-123_XYZ.~!*'()", text, NULL);
    validate_is("username=Jos%C3%A9+%E2%82%AC+%F0%9F%98%80", text, NULL);
    validate_is("username=%C2%A0nbsp", text, NULL); /* U+00A0: first after C1 */
    validate_is("username=%3Cb%3E%22%5C", text, NULL);
}

static void test_validate_text_rejects_invalid_utf8(void **state) {
    (void)state;
    uint32_t u = PARAM_BIT(PARAM_USERNAME);
    validate_is("username=%FF", u, MSG_UTF8("username"));
    validate_is("username=a%C3", u, MSG_UTF8("username"));          /* truncated */
    validate_is("username=%C3%28", u, MSG_UTF8("username"));        /* bad continuation */
    validate_is("username=%80", u, MSG_UTF8("username"));           /* lone continuation */
    validate_is("username=%C0%AF", u, MSG_UTF8("username"));        /* overlong '/' */
    validate_is("username=%E0%80%AF", u, MSG_UTF8("username"));     /* overlong '/' */
    validate_is("username=%F0%80%80%AF", u, MSG_UTF8("username"));  /* overlong '/' */
    validate_is("username=%ED%A0%80", u, MSG_UTF8("username"));     /* U+D800 */
    validate_is("username=%ED%BF%BF", u, MSG_UTF8("username"));     /* U+DFFF */
    validate_is("username=%F4%90%80%80", u, MSG_UTF8("username"));  /* U+110000 */
    validate_is("session_id=%FE", PARAM_BIT(PARAM_SESSION_ID), MSG_UTF8("session_id"));
}

static void test_validate_text_rejects_c0_controls(void **state) {
    (void)state;
    uint32_t u = PARAM_BIT(PARAM_USERNAME);
    validate_is("username=a%00b", u, MSG_CONTROL("username"));
    validate_is("username=a%01", u, MSG_CONTROL("username"));
    validate_is("username=a%09b", u, MSG_CONTROL("username"));
    validate_is("username=a%0A", u, MSG_CONTROL("username"));
    validate_is("username=%1F", u, MSG_CONTROL("username"));
    validate_is("session_id=x%0D", PARAM_BIT(PARAM_SESSION_ID), MSG_CONTROL("session_id"));
}

static void test_validate_text_rejects_del(void **state) {
    (void)state;
    validate_is("username=a%7F", PARAM_BIT(PARAM_USERNAME), MSG_CONTROL("username"));
}

static void test_validate_text_rejects_c1_controls(void **state) {
    (void)state;
    uint32_t u = PARAM_BIT(PARAM_USERNAME);
    validate_is("username=a%C2%80", u, MSG_CONTROL("username")); /* U+0080 */
    validate_is("username=a%C2%85", u, MSG_CONTROL("username")); /* U+0085 NEL */
    validate_is("username=a%C2%9F", u, MSG_CONTROL("username")); /* U+009F */
}

/* ---- params_validate: version rule --------------------------------------- */

static void test_validate_version_accepts_digits_and_dots(void **state) {
    (void)state;
    uint32_t v = PARAM_BIT(PARAM_SDK_VERSION) | PARAM_BIT(PARAM_SDK);
    validate_is("sdk_version=1", v, NULL);
    validate_is("sdk_version=4.12.3", v, NULL);
    validate_is("sdk_version=10.0.0.1&sdk=2.0", v, NULL);
    validate_is("sdk_version=007", v, NULL);
}

static void test_validate_version_rejects_bad_dots_and_characters(void **state) {
    (void)state;
    const char *bad[] = {"1.", ".1", "1..2", ".", "1.2.", "v1", "1.0-beta", "1%2C0",
                         "1+0", "%EF%BC%91", "1.a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char q[64];
        strcpy(q, "sdk_version=");
        strcat(q, bad[i]);
        validate_is(q, PARAM_BIT(PARAM_SDK_VERSION), MSG_VERSION("sdk_version"));
    }
    validate_is("sdk=1..2", PARAM_BIT(PARAM_SDK), MSG_VERSION("sdk"));
}

/* ---- params_validate: platform rule -------------------------------------- */

static void test_validate_platform_charset(void **state) {
    (void)state;
    uint32_t p = PARAM_BIT(PARAM_PLATFORM);
    validate_is("platform=android", p, NULL);
    validate_is("platform=iOS_17.2-beta", p, NULL);
    validate_is("platform=A-Z.a-z_0-9", p, NULL);
    validate_is("platform=smart+tv", p, MSG_PLATFORM);
    validate_is("platform=a%2Fb", p, MSG_PLATFORM);
    validate_is("platform=%C3%A9", p, MSG_PLATFORM);
    validate_is("platform=a%00", p, MSG_PLATFORM);
    validate_is("platform=a:b", p, MSG_PLATFORM);
}

/* ---- params_validate: country rule --------------------------------------- */

static void test_validate_country_accepts_known_codes_any_case(void **state) {
    (void)state;
    uint32_t c = PARAM_BIT(PARAM_COUNTRY_CODE);
    validate_is("country_code=US", c, NULL);
    validate_is("country_code=us", c, NULL);
    validate_is("country_code=gB", c, NULL);
    validate_is("country_code=Fr", c, NULL);
}

static void test_validate_country_normalises_to_upper_case(void **state) {
    (void)state;
    const char *inputs[] = {"country_code=us", "country_code=uS", "country_code=Us",
                            "country_code=US"};
    for (size_t i = 0; i < 4; i++) {
        struct parsed r;
        parse(&r, inputs[i]);
        struct buf msg;
        buf_init(&msg);
        assert_true(params_validate(&r.p, PARAM_BIT(PARAM_COUNTRY_CODE), &msg));
        VALUE_IS(&r, PARAM_COUNTRY_CODE, "US");
        buf_free(&msg);
        parsed_free(&r);
    }
}

static void test_validate_country_rejects_unknown_and_malformed(void **state) {
    (void)state;
    const char *bad[] = {"AB", "XX", "ZZ", "UK", "USA", "U1", "U", "1A", "%C3%A9",
                         "U%00", "U+", "us%20"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char q[64];
        strcpy(q, "country_code=");
        strcat(q, bad[i]);
        validate_is(q, PARAM_BIT(PARAM_COUNTRY_CODE), MSG_COUNTRY);
    }
}

static void test_validate_rejected_country_is_left_unchanged(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "country_code=xx");
    struct buf msg;
    buf_init(&msg);
    assert_false(params_validate(&r.p, PARAM_BIT(PARAM_COUNTRY_CODE), &msg));
    VALUE_IS(&r, PARAM_COUNTRY_CODE, "xx");
    buf_free(&msg);
    parsed_free(&r);
}

/* ---- params_validate: scope and combined message ------------------------- */

static void test_validate_only_checks_permitted_params(void **state) {
    (void)state;
    /* sdk_version and platform are bad but not permitted */
    validate_is("sdk_version=x&platform=%20&username=ok", PARAM_BIT(PARAM_USERNAME), NULL);
    validate_is("sdk_version=x", 0, NULL);
}

static void test_validate_absent_params_pass(void **state) {
    (void)state;
    validate_is("", ALL_PARAMS, NULL);
    validate_is("username=&country_code=", ALL_PARAMS, NULL);
}

static void test_validate_all_good_params(void **state) {
    (void)state;
    validate_is("sdk_version=4.12.3&session_id=abc&platform=ios&username=alice"
                "&country_code=de&sdk=1.0",
                ALL_PARAMS, NULL);
}

static void test_validate_message_lists_every_violation_in_order(void **state) {
    (void)state;
    char *long_user = repeat_pair("username", "u", 65);
    char q[256];
    strcpy(q, "country_code=XX&");
    strcat(q, long_user);
    strcat(q, "&platform=a%2Fb&session_id=%FF&sdk_version=1.&sdk=.1");
    validate_is(q, ALL_PARAMS,
                "invalid parameters: "
                "sdk_version must be digits separated by single dots, e.g. 4.12.3; "
                "session_id must be valid UTF-8; "
                "platform may only contain letters, digits, '.', '_' and '-'; "
                "username is too long (at most 64 bytes); "
                "country_code must be a two-letter ISO 3166-1 alpha-2 country code; "
                "sdk must be digits separated by single dots, e.g. 4.12.3");
    free(long_user);
}

static void test_validate_message_with_two_violations(void **state) {
    (void)state;
    validate_is("username=a%01&sdk_version=x&platform=ok", ALL_PARAMS,
                "invalid parameters: "
                "sdk_version must be digits separated by single dots, e.g. 4.12.3; "
                "username must not contain control characters");
}

static void test_validate_too_long_wins_over_content_rule(void **state) {
    (void)state;
    /* 65 control characters: reported as too long, not as control chars */
    char *q = repeat_pair("username", "%01", 65);
    validate_is(q, PARAM_BIT(PARAM_USERNAME), MSG_TOO_LONG("username", 64));
    free(q);
}

static void test_validate_appends_to_existing_message(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "platform=a%20b");
    struct buf msg;
    buf_init(&msg);
    buf_append_str(&msg, "prefix: ");
    assert_false(params_validate(&r.p, PARAM_BIT(PARAM_PLATFORM), &msg));
    assert_string_equal(msg.data, "prefix: " MSG_PLATFORM);
    buf_free(&msg);
    parsed_free(&r);
}

/* ---- params_missing_message ---------------------------------------------- */

static void missing_is(uint32_t missing, const char *want) {
    struct buf msg;
    buf_init(&msg);
    params_missing_message(missing, &msg);
    assert_string_equal(msg.data, want);
    buf_free(&msg);
}

static void test_missing_message_two_params_in_enum_order(void **state) {
    (void)state;
    missing_is(PARAM_BIT(PARAM_USERNAME) | PARAM_BIT(PARAM_SDK_VERSION),
               "following params are required ['sdk_version', 'username']");
}

static void test_missing_message_one_param(void **state) {
    (void)state;
    missing_is(PARAM_BIT(PARAM_USERNAME), "following params are required ['username']");
}

static void test_missing_message_all_params(void **state) {
    (void)state;
    /* the six parameters of the Flask service (the analytics ones are
     * checked in test_params_analytics.c) */
    missing_is(PARAM_BIT(PARAM_SDK_VERSION) | PARAM_BIT(PARAM_SESSION_ID) | PARAM_BIT(PARAM_PLATFORM)
                   | PARAM_BIT(PARAM_USERNAME) | PARAM_BIT(PARAM_COUNTRY_CODE) | PARAM_BIT(PARAM_SDK),
               "following params are required ['sdk_version', 'session_id', "
               "'platform', 'username', 'country_code', 'sdk']");
}

static void test_missing_message_empty_mask(void **state) {
    (void)state;
    missing_is(0, "following params are required []");
}

/* ---- param_name and country_code_known ----------------------------------- */

static void test_param_names(void **state) {
    (void)state;
    assert_string_equal(param_name(PARAM_SDK_VERSION), "sdk_version");
    assert_string_equal(param_name(PARAM_SESSION_ID), "session_id");
    assert_string_equal(param_name(PARAM_PLATFORM), "platform");
    assert_string_equal(param_name(PARAM_USERNAME), "username");
    assert_string_equal(param_name(PARAM_COUNTRY_CODE), "country_code");
    assert_string_equal(param_name(PARAM_SDK), "sdk");
}

static void test_country_code_known_valid_codes(void **state) {
    (void)state;
    const char *valid[] = {"US", "GB", "DE", "FR", "JP", "BR", "ZA", "AQ", "AX", "SS",
                           "AD", "ZW", "CW", "SX", "BQ", "TL"};
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        if (!country_code_known(valid[i])) fail_msg("%s should be known", valid[i]);
    }
}

static void test_country_code_known_any_case(void **state) {
    (void)state;
    assert_true(country_code_known("us"));
    assert_true(country_code_known("gb"));
    assert_true(country_code_known("dE"));
}

static void test_country_code_known_invalid_codes(void **state) {
    (void)state;
    /* UK is not an ISO 3166-1 code (GB is); EU and XK are not officially assigned */
    const char *invalid[] = {"XX", "AB", "ZZ", "UK", "EU", "XK", "AA", "QZ", "OO",
                             "U1", "1U", "@A", "[A", "`A", "{A", "A@", "A[", "  "};
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        if (country_code_known(invalid[i])) fail_msg("%s should be unknown", invalid[i]);
    }
}

static void test_country_code_known_counts_249_codes(void **state) {
    (void)state;
    int known = 0;
    char code[3] = {0};
    for (char a = 'A'; a <= 'Z'; a++) {
        for (char b = 'A'; b <= 'Z'; b++) {
            code[0] = a, code[1] = b;
            known += country_code_known(code);
        }
    }
    assert_int_equal(known, 249);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_plain_pairs),
        cmocka_unit_test(test_parse_empty_input),
        cmocka_unit_test(test_parse_plus_is_space),
        cmocka_unit_test(test_parse_percent_escapes),
        cmocka_unit_test(test_parse_percent_encoded_utf8),
        cmocka_unit_test(test_parse_raw_utf8_passes_through),
        cmocka_unit_test(test_parse_percent_00_stays_in_value_with_its_length),
        cmocka_unit_test(test_parse_keys_are_decoded_too),
        cmocka_unit_test(test_parse_value_may_contain_equals),
        cmocka_unit_test(test_parse_keys_are_case_sensitive),
        cmocka_unit_test(test_parse_non_hex_escape_is_bad),
        cmocka_unit_test(test_parse_truncated_escape_is_bad),
        cmocka_unit_test(test_parse_bad_escape_in_key_or_unknown_pair_is_bad),
        cmocka_unit_test(test_parse_empty_value_counts_as_absent),
        cmocka_unit_test(test_parse_duplicate_first_wins),
        cmocka_unit_test(test_parse_duplicate_after_empty_first_takes_the_nonempty),
        cmocka_unit_test(test_parse_unknown_keys_ignored_but_counted),
        cmocka_unit_test(test_parse_empty_segments_are_skipped),
        cmocka_unit_test(test_parse_reads_only_len_bytes),
        cmocka_unit_test(test_parse_order_tells_which_came_first),
        cmocka_unit_test(test_parse_order_counts_unknown_pairs),
        cmocka_unit_test(test_parse_query_then_body_accumulate),
        cmocka_unit_test(test_parse_64_pairs_allowed),
        cmocka_unit_test(test_parse_65_pairs_too_many),
        cmocka_unit_test(test_parse_cap_counts_across_query_and_body),
        cmocka_unit_test(test_validate_username_cap_64),
        cmocka_unit_test(test_validate_session_id_cap_128),
        cmocka_unit_test(test_validate_sdk_version_cap_32),
        cmocka_unit_test(test_validate_sdk_cap_32),
        cmocka_unit_test(test_validate_platform_cap_32),
        cmocka_unit_test(test_validate_caps_count_bytes_not_characters),
        cmocka_unit_test(test_validate_text_accepts_printable_utf8),
        cmocka_unit_test(test_validate_text_rejects_invalid_utf8),
        cmocka_unit_test(test_validate_text_rejects_c0_controls),
        cmocka_unit_test(test_validate_text_rejects_del),
        cmocka_unit_test(test_validate_text_rejects_c1_controls),
        cmocka_unit_test(test_validate_version_accepts_digits_and_dots),
        cmocka_unit_test(test_validate_version_rejects_bad_dots_and_characters),
        cmocka_unit_test(test_validate_platform_charset),
        cmocka_unit_test(test_validate_country_accepts_known_codes_any_case),
        cmocka_unit_test(test_validate_country_normalises_to_upper_case),
        cmocka_unit_test(test_validate_country_rejects_unknown_and_malformed),
        cmocka_unit_test(test_validate_rejected_country_is_left_unchanged),
        cmocka_unit_test(test_validate_only_checks_permitted_params),
        cmocka_unit_test(test_validate_absent_params_pass),
        cmocka_unit_test(test_validate_all_good_params),
        cmocka_unit_test(test_validate_message_lists_every_violation_in_order),
        cmocka_unit_test(test_validate_message_with_two_violations),
        cmocka_unit_test(test_validate_too_long_wins_over_content_rule),
        cmocka_unit_test(test_validate_appends_to_existing_message),
        cmocka_unit_test(test_missing_message_two_params_in_enum_order),
        cmocka_unit_test(test_missing_message_one_param),
        cmocka_unit_test(test_missing_message_all_params),
        cmocka_unit_test(test_missing_message_empty_mask),
        cmocka_unit_test(test_param_names),
        cmocka_unit_test(test_country_code_known_valid_codes),
        cmocka_unit_test(test_country_code_known_any_case),
        cmocka_unit_test(test_country_code_known_invalid_codes),
        cmocka_unit_test(test_country_code_known_counts_249_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
