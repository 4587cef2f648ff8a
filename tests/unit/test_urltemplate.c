/* test_urltemplate.c -- unit tests for the --vast-url template: a URL
 * without placeholders is one literal part; each placeholder is replaced by
 * its value percent-encoded (everything but RFC 3986's unreserved
 * characters), absent values by nothing; unknown placeholders, unmatched
 * braces and placeholders in the host are refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "urltemplate.h"

static void expect_encoded(const char *in, size_t len, const char *want) {
    struct buf out;
    buf_init(&out);
    url_encode_append(&out, in, len);
    assert_false(out.failed);
    assert_string_equal(out.len ? out.data : "", want);
    buf_free(&out);
}

static void test_encoding_keeps_only_unreserved(void **state) {
    (void)state;
    expect_encoded("AZaz09-._~", 10, "AZaz09-._~");
    expect_encoded("a b&c/d=e+f?g#h%i", 17, "a%20b%26c%2Fd%3De%2Bf%3Fg%23h%25i");
    expect_encoded("\xc3\xa9\xff", 3, "%C3%A9%FF");
    expect_encoded("a\0b", 3, "a%00b");
    expect_encoded("\r\n{}", 4, "%0D%0A%7B%7D");
    expect_encoded("", 0, "");
}

/* Expands `text` with `vars`, or fails. */
static void expect_expanded_with(const char *text, const struct urlvalue *vars, const char *want) {
    struct urltemplate t;
    char why[256];
    if (!urltemplate_parse(&t, text, why, sizeof(why))) fail_msg("refused %s: %s", text, why);
    struct buf out;
    buf_init(&out);
    urltemplate_expand(&t, vars, &out);
    assert_false(out.failed);
    assert_string_equal(out.data, want);
    buf_free(&out);
    urltemplate_free(&t);
}

/* Expands `text` with fixed sample values (two of which need encoding). */
static void expect_expansion(const char *text, const char *want) {
    static const char *const values[URLVAR__COUNT] = {
        "1.2.3", "s 1", "ios", "a/b", "DE", "123456789", "1700000000",
    };
    struct urlvalue vars[URLVAR__COUNT];
    for (int v = 0; v < URLVAR__COUNT; v++)
        vars[v] = (struct urlvalue){values[v], strlen(values[v])};
    expect_expanded_with(text, vars, want);
}

static void test_plain_url_is_one_literal(void **state) {
    (void)state;
    struct urltemplate t;
    char why[256];
    assert_true(urltemplate_parse(&t, "https://ads.example/vast?key=k", why, sizeof(why)));
    assert_int_equal(t.n_parts, 1);
    assert_int_equal(t.uses, 0);
    urltemplate_free(&t);
    expect_expansion("https://ads.example/vast?key=k", "https://ads.example/vast?key=k");
}

static void test_every_placeholder_is_replaced(void **state) {
    (void)state;
    expect_expansion("http://h/v?a={sdk_version}&b={session_id}&c={platform}&d={username}"
                     "&e={country_code}&f={cachebuster}&g={timestamp}",
                     "http://h/v?a=1.2.3&b=s%201&c=ios&d=a%2Fb&e=DE&f=123456789&g=1700000000");
    expect_expansion("http://h/{platform}/{platform}{username}", "http://h/ios/iosa%2Fb");
    expect_expansion("http://h:8080/{username}", "http://h:8080/a%2Fb");
    expect_expansion("http://h?u={username}", "http://h?u=a%2Fb");
}

static void test_uses_lists_the_placeholders(void **state) {
    (void)state;
    struct urltemplate t;
    char why[256];
    assert_true(urltemplate_parse(&t, "http://h/v?cb={cachebuster}&u={username}&c={cachebuster}",
                                  why, sizeof(why)));
    assert_int_equal(t.uses, URLVAR_BIT(URLVAR_CACHEBUSTER) | URLVAR_BIT(URLVAR_USERNAME));
    assert_int_equal(t.n_parts, 6);
    urltemplate_free(&t);
}

static void test_absent_value_expands_to_nothing(void **state) {
    (void)state;
    struct urlvalue vars[URLVAR__COUNT] = {{NULL, 0}};
    expect_expanded_with("http://h/v?u={username}&x=1", vars, "http://h/v?u=&x=1");
}

static void expect_refused(const char *text, const char *needle) {
    struct urltemplate t;
    char why[256] = "";
    if (urltemplate_parse(&t, text, why, sizeof(why))) fail_msg("accepted %s", text);
    assert_null(t.text);
    assert_null(t.parts);
    if (strstr(why, needle) == NULL) fail_msg("\"%s\" lacks \"%s\"", why, needle);
    assert_null(strchr(why, '\n'));
    urltemplate_free(&t); /* harmless on a refused template */
}

static void test_bad_templates_are_refused(void **state) {
    (void)state;
    expect_refused("http://h/v?u={user}", "unknown placeholder {user}; known: {sdk_version}");
    expect_refused("http://h/v?u={Username}", "unknown placeholder {Username}");
    expect_refused("http://h/v?u={}", "unknown placeholder {}");
    expect_refused("http://h/v?u={username", "'{' at byte 14 has no closing '}'");
    expect_refused("http://h/v?u={username}&v={", "'{' at byte 27 has no closing '}'");
    expect_refused("http://h/v?u=username}", "'}' without '{' at byte 22");
    expect_refused("http://h/v?u={a{username}}", "unknown placeholder {a{username}");
    expect_refused("http://{platform}.ads/v", "placeholder {platform} in the host");
    expect_refused("http://ads:{timestamp}/v", "in the host");
    expect_refused("http://{username}@ads/v", "in the host");
}

static void test_long_unknown_name_is_shown_cut(void **state) {
    (void)state;
    char text[400];
    memset(text, 'x', sizeof(text));
    memcpy(text, "http://h/{", 10);
    strcpy(text + sizeof(text) - 2, "}");
    struct urltemplate t;
    char why[256];
    assert_false(urltemplate_parse(&t, text, why, sizeof(why)));
    assert_true(strlen(why) < sizeof(why) - 1);
    assert_non_null(strstr(why, "{xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx}"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoding_keeps_only_unreserved),
        cmocka_unit_test(test_plain_url_is_one_literal),
        cmocka_unit_test(test_every_placeholder_is_replaced),
        cmocka_unit_test(test_uses_lists_the_placeholders),
        cmocka_unit_test(test_absent_value_expands_to_nothing),
        cmocka_unit_test(test_bad_templates_are_refused),
        cmocka_unit_test(test_long_unknown_name_is_shown_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
