/* test_ivt.c -- unit tests for ivt.c: the pattern-file parser (comments,
 * blanks, CRLF, the length, count and character rules, line numbers in
 * errors, a failed file adding nothing), matching (case, '*' pieces in
 * order, empty User-Agents), the shipped deploy/ivt-user-agents.txt against
 * real crawler and real player User-Agents, the deny list (IPv4, IPv6,
 * mapped, prefixes 0 and full; parsed by netaddr.c, whose own tests cover
 * its syntax) and ivt_classify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ivt.h"

/* Unit tests run from the repository root (tests/run-unit.sh). */
#define DEFAULT_LIST "deploy/ivt-user-agents.txt"

static struct ivt *with_patterns(const char *text) {
    struct ivt *v = ivt_new();
    assert_non_null(v);
    struct buf err;
    buf_init(&err);
    assert_true(ivt_add_user_agents(v, text, strlen(text), &err));
    assert_int_equal(err.len, 0);
    buf_free(&err);
    return v;
}

/* Parses `text`, which must fail with exactly `want`. */
static void refused(const char *text, size_t len, const char *want) {
    struct ivt *v = with_patterns("kept\n");
    struct buf err;
    buf_init(&err);
    assert_false(ivt_add_user_agents(v, text, len, &err));
    assert_string_equal(err.data, want);
    assert_int_equal(ivt_user_agent_count(v), 1);   /* nothing of it added */
    buf_free(&err);
    ivt_free(v);
}

static bool ua(const struct ivt *v, const char *s) {
    return ivt_user_agent_matches(v, s, strlen(s));
}

static void test_pattern_file_syntax(void **state) {
    (void)state;
    struct ivt *v = with_patterns("# a comment\n\n   \t\n  Foo  \r\n\t# indented comment\nbar\r\nlast");
    assert_int_equal(ivt_user_agent_count(v), 3);
    assert_true(ua(v, "xxFOOxx"));
    assert_true(ua(v, "BaR"));
    assert_true(ua(v, "the LAST one"));
    assert_false(ua(v, "fo o"));
    assert_false(ua(v, "# a comment"));
    ivt_free(v);
    v = with_patterns("");
    assert_int_equal(ivt_user_agent_count(v), 0);
    assert_false(ua(v, "anything"));
    ivt_free(v);
}

static void test_pattern_file_errors(void **state) {
    (void)state;
    char line[300];
    memset(line, 'a', 257);
    line[257] = '\0';
    char text[400];
    snprintf(text, sizeof(text), "ok\n#\n%s\n", line);
    refused(text, strlen(text), "line 3: pattern longer than 256 bytes");
    line[256] = '\0';
    struct ivt *v = with_patterns(line);                  /* 256 is allowed */
    ivt_free(v);
    refused("ok\nb\x01\n", 5, "line 2: pattern must be printable ASCII");
    refused("ok\nb\0c\n", 6, "line 2: pattern must be printable ASCII");
    refused("b\xc3\xa4r", 4, "line 1: pattern must be printable ASCII");
    refused("a\n**\n", 5, "line 2: a pattern of only '*' would match every user agent");

    struct buf big;
    buf_init(&big);
    for (int i = 0; i < IVT_PATTERNS_MAX; i++) buf_printf(&big, "p%d\n", i);
    v = ivt_new();
    struct buf err;
    buf_init(&err);
    assert_true(ivt_add_user_agents(v, big.data, big.len, &err));
    assert_int_equal(ivt_user_agent_count(v), IVT_PATTERNS_MAX);
    assert_false(ivt_add_user_agents(v, "one more", 8, &err));
    assert_string_equal(err.data, "line 1: more than 1024 patterns");
    assert_int_equal(ivt_user_agent_count(v), IVT_PATTERNS_MAX);
    buf_free(&err);
    buf_free(&big);
    ivt_free(v);
}

static void test_load_file(void **state) {
    (void)state;
    struct ivt *v = ivt_new();
    struct buf err;
    buf_init(&err);
    assert_false(ivt_load_user_agents(v, "/nonexistent/ivt.txt", &err));
    assert_string_equal(err.data, "/nonexistent/ivt.txt: No such file or directory");
    buf_reset(&err);

    char path[] = "/tmp/test_ivt.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("good\n\n**\n", f);
    fclose(f);
    assert_false(ivt_load_user_agents(v, path, &err));
    char want[128];
    snprintf(want, sizeof(want), "%s: line 3: a pattern of only '*' would match every user agent", path);
    assert_string_equal(err.data, want);
    assert_int_equal(ivt_user_agent_count(v), 0);
    buf_reset(&err);

    f = fopen(path, "w");
    for (int i = 0; i < IVT_FILE_MAX / 8 + 1; i++) fputs("#comment", f);
    fclose(f);
    assert_false(ivt_load_user_agents(v, path, &err));
    snprintf(want, sizeof(want), "%s: larger than 256 KiB", path);
    assert_string_equal(err.data, want);
    unlink(path);
    buf_free(&err);
    ivt_free(v);
}

static void test_globs(void **state) {
    (void)state;
    struct ivt *v = with_patterns("mozilla*google*bot\n*edge*\n");
    assert_true(ua(v, "Mozilla/5.0 (compatible; GoogleOther-bot)"));
    assert_false(ua(v, "Googlebot Mozilla"));          /* pieces out of order */
    assert_false(ua(v, "mozilla googl bot"));
    assert_true(ua(v, "EDGE"));                        /* leading and trailing '*' */
    assert_false(ua(v, ""));
    assert_false(ivt_user_agent_matches(v, NULL, 0));
    assert_false(ivt_user_agent_matches(v, "EDGE", 3)); /* only len bytes are read */
    ivt_free(v);
}

static const char *const crawlers[] = {
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "AdsBot-Google (+http://www.google.com/adsbot.html)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
    "curl/7.88.1",
    "Wget/1.21.3",
    "python-requests/2.31.0",
    "Python-urllib/3.11",
    "Go-http-client/1.1",
    "Scrapy/2.11.0 (+https://scrapy.org)",
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
    "PostmanRuntime/7.36.0",
    "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
};

static const char *const players[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36",
    "okhttp/4.12.0",
    "Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A.230901.001)",
    "MyGame/1.4 CFNetwork/1474 Darwin/23.0.0",
    "ExoPlayerLib/2.19.1",
    "AppleCoreMedia/1.0.0.21B91 (iPhone; U; CPU OS 17_1 like Mac OS X; en_us)",
    "Dart/3.2 (dart:io)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Linux; Android 12; SM-A125F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36 [Pinterest/Android]",
    "Roku/DVP-12.5 (12.5.0.4174-AE)",
};

static void test_default_list(void **state) {
    (void)state;
    struct ivt *v = ivt_new();
    struct buf err;
    buf_init(&err);
    assert_true(ivt_load_user_agents(v, DEFAULT_LIST, &err));
    assert_true(ivt_user_agent_count(v) > 40);
    for (size_t i = 0; i < sizeof(crawlers) / sizeof(*crawlers); i++) {
        if (!ua(v, crawlers[i])) fail_msg("not matched: %s", crawlers[i]);
    }
    for (size_t i = 0; i < sizeof(players) / sizeof(*players); i++) {
        if (ua(v, players[i])) fail_msg("matched: %s", players[i]);
    }
    buf_free(&err);
    ivt_free(v);
}

/* ---- deny list ------------------------------------------------------------ */

static struct netaddr addr(const char *s) {
    struct netaddr a;
    assert_true(netaddr_parse(s, strlen(s), &a));
    return a;
}

static bool denied(const struct ivt *v, const char *s) {
    struct netaddr a = addr(s);
    return ivt_address_denied(v, &a);
}

/* A refused list keeps the one before; its message is netaddr.h's. */
static void deny_refused(const char *list, const char *want) {
    struct ivt *v = ivt_new();
    struct buf err;
    buf_init(&err);
    assert_true(ivt_set_deny_list(v, "10.0.0.0/8", &err));
    assert_false(ivt_set_deny_list(v, list, &err));
    assert_string_equal(err.data, want);
    assert_int_equal(ivt_deny_count(v), 1);
    assert_true(denied(v, "10.1.2.3"));
    buf_free(&err);
    ivt_free(v);
}

static void test_deny_list(void **state) {
    (void)state;
    struct ivt *v = ivt_new();
    struct buf err;
    buf_init(&err);
    assert_true(ivt_set_deny_list(v, " 192.0.2.0/24, 198.51.100.7, 2001:db8::/32,"
                                     "2001:db8:1::1/128 ,100.64.0.0/10", &err));
    assert_int_equal(ivt_deny_count(v), 5);
    assert_true(denied(v, "192.0.2.0"));
    assert_true(denied(v, "192.0.2.255"));
    assert_false(denied(v, "192.0.3.0"));
    assert_true(denied(v, "198.51.100.7"));
    assert_false(denied(v, "198.51.100.8"));
    assert_true(denied(v, "100.127.255.255"));
    assert_false(denied(v, "100.128.0.0"));
    assert_true(denied(v, "2001:db8:ffff::1"));
    assert_false(denied(v, "2001:db9::"));
    assert_true(denied(v, "::ffff:192.0.2.9"));             /* IPv4 on a dual-stack socket */
    assert_false(denied(v, "::192.0.2.9"));
    assert_false(ivt_address_denied(v, NULL));

    assert_true(ivt_set_deny_list(v, "0.0.0.0/0", &err));   /* all of IPv4, no IPv6 */
    assert_true(denied(v, "203.0.113.1"));
    assert_false(denied(v, "2001:db8::1"));
    assert_true(ivt_set_deny_list(v, "0.0.0.0/0, ::/0", &err));
    assert_true(denied(v, "2001:db8::1"));
    assert_int_equal(ivt_deny_count(v), 2);
    assert_true(ivt_set_deny_list(v, "", &err));
    assert_int_equal(ivt_deny_count(v), 0);
    assert_int_equal(err.len, 0);
    buf_free(&err);
    ivt_free(v);

    deny_refused("192.0.2.1/24",
                 "deny list: \"192.0.2.1/24\" has bits set past its /24 prefix "
                 "(did you mean 192.0.2.0/24?)");
    deny_refused("1.2.3.0/24,1.2.3.4/33",
                 "deny list: \"1.2.3.4/33\": the prefix length must be 0 to 32");
    deny_refused("1.2.3",
                 "deny list: \"1.2.3\" is not an IPv4 or IPv6 address or CIDR block");
    deny_refused("1.2.3.4,,5.6.7.8",
                 "deny list: empty entry (two commas in a row, or one at an end)");
}

static void test_classify(void **state) {
    (void)state;
    struct ivt *v = with_patterns("curl/\n");
    struct buf err;
    buf_init(&err);
    assert_true(ivt_set_deny_list(v, "192.0.2.0/24", &err));
    struct netaddr in = addr("192.0.2.9"), out = addr("203.0.113.9");
    assert_int_equal(ivt_classify(v, "curl/8.0", 8, &out), IVT_USER_AGENT);
    assert_int_equal(ivt_classify(v, "curl/8.0", 8, &in), IVT_USER_AGENT);
    assert_int_equal(ivt_classify(v, "Firefox", 7, &in), IVT_ADDRESS);
    assert_int_equal(ivt_classify(v, NULL, 0, &in), IVT_ADDRESS);
    assert_int_equal(ivt_classify(v, "Firefox", 7, &out), IVT_VALID);
    assert_int_equal(ivt_classify(v, "Firefox", 7, NULL), IVT_VALID);
    assert_string_equal(ivt_verdict_name(IVT_VALID), "valid");
    assert_string_equal(ivt_verdict_name(IVT_USER_AGENT), "user_agent");
    assert_string_equal(ivt_verdict_name(IVT_ADDRESS), "address");
    buf_free(&err);
    ivt_free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_file_syntax),
        cmocka_unit_test(test_pattern_file_errors),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_globs),
        cmocka_unit_test(test_default_list),
        cmocka_unit_test(test_deny_list),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
