/* test_netaddr.c -- unit tests for --trusted-proxies parsing and matching
 * (netaddr.c) and for what goes out as X-Forwarded-For and User-Agent
 * (forwarded.c): lists of addresses and blocks, blanks allowed; every bad
 * entry refused with a reason; prefixes matched to the bit; IPv4-mapped
 * peers matched as IPv4; the incoming chain believed only from a trusted
 * peer, cleaned, and cut from the left, whole entries at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "forwarded.h"
#include "netaddr.h"

static struct netaddr addr(const char *text) {
    struct netaddr a;
    if (!netaddr_parse(text, strlen(text), &a)) fail_msg("not an address: %s", text);
    return a;
}

static struct netaddr_list list_of(const char *text) {
    struct netaddr_list l;
    char why[256];
    if (!netaddr_list_parse(text, &l, why, sizeof(why))) fail_msg("refused \"%s\": %s", text, why);
    return l;
}

static bool trusted(const char *list, const char *peer) {
    struct netaddr_list l = list_of(list);
    struct netaddr a = addr(peer);
    bool in = netaddr_list_contains(&l, &a);
    netaddr_list_free(&l);
    return in;
}

static void test_addresses_parse_and_format(void **state) {
    (void)state;
    const char *same[] = {"192.0.2.1", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::1", "::"};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        char text[NETADDR_TEXT_MAX];
        struct netaddr a = addr(same[i]);
        netaddr_format(&a, text);
        assert_string_equal(text, same[i]);
    }
    struct netaddr mapped = addr("::ffff:192.0.2.1");
    assert_int_equal(mapped.family, AF_INET);
    const char *bad[] = {"", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1.2.3.4 ", "host",
                         "1::2::3", "::g", "[::1]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct netaddr a;
        if (netaddr_parse(bad[i], strlen(bad[i]), &a)) fail_msg("accepted \"%s\"", bad[i]);
    }
    struct netaddr a;
    assert_false(netaddr_parse("1.2.3.4\0", 8, &a)); /* an embedded NUL */
    assert_true(netaddr_parse("1.2.3.4xyz", 7, &a)); /* only `len` bytes are read */
}

static void test_lists_parse(void **state) {
    (void)state;
    struct netaddr_list l = list_of("");
    assert_int_equal(l.n, 0);
    netaddr_list_free(&l);
    l = list_of("  ");
    assert_int_equal(l.n, 0);
    netaddr_list_free(&l);
    l = list_of(" 10.0.0.0/8 ,192.0.2.7,\t2001:db8::/32,::1 ");
    assert_int_equal(l.n, 4);
    assert_int_equal(l.blocks[0].prefix, 8);
    assert_int_equal(l.blocks[1].prefix, 32);
    assert_int_equal(l.blocks[2].prefix, 32);
    assert_int_equal(l.blocks[3].prefix, 128);
    netaddr_list_free(&l);
}

static void expect_refused(const char *text, const char *needle) {
    struct netaddr_list l;
    char why[256] = "";
    if (netaddr_list_parse(text, &l, why, sizeof(why))) fail_msg("accepted \"%s\"", text);
    assert_null(l.blocks);
    assert_int_equal(l.n, 0);
    if (strstr(why, needle) == NULL) fail_msg("\"%s\" lacks \"%s\"", why, needle);
}

static void test_bad_lists_are_refused(void **state) {
    (void)state;
    expect_refused("proxy.internal", "\"proxy.internal\" is not an IPv4 or IPv6 address");
    expect_refused("10.0.0.0/8, 10.0.0.300", "\"10.0.0.300\" is not");
    expect_refused("10.0.0.0/33", "\"10.0.0.0/33\": the prefix length must be 0 to 32");
    expect_refused("fd00::/129", "must be 0 to 128");
    expect_refused("10.0.0.0/", "prefix length");
    expect_refused("10.0.0.0/8/8", "prefix length");
    expect_refused("10.0.0.0/-1", "prefix length");
    expect_refused("10.0.0.0/ 8", "prefix length");
    expect_refused("10.0.0.1/8", "has bits set past its /8 prefix (did you mean 10.0.0.0/8?)");
    expect_refused("fd00::1/8", "did you mean fd00::/8?");
    expect_refused("10.0.0.0/8,,::1", "empty entry");
    expect_refused("10.0.0.0/8,", "empty entry");
    expect_refused(",10.0.0.0/8", "empty entry");
    expect_refused("10.0.0.0 /8", "not an IPv4");
}

static void test_blocks_match_to_the_bit(void **state) {
    (void)state;
    assert_true(trusted("10.0.0.0/8", "10.255.1.2"));
    assert_false(trusted("10.0.0.0/8", "11.0.0.0"));
    assert_true(trusted("192.168.4.0/22", "192.168.7.255"));
    assert_false(trusted("192.168.4.0/22", "192.168.8.0"));
    assert_false(trusted("192.168.4.0/22", "192.168.3.255"));
    assert_true(trusted("192.0.2.7", "192.0.2.7"));
    assert_false(trusted("192.0.2.7", "192.0.2.6"));
    assert_true(trusted("0.0.0.0/0", "203.0.113.1"));
    assert_false(trusted("0.0.0.0/0", "::1"));         /* families never mix */
    assert_true(trusted("::/0", "2001:db8::1"));
    assert_true(trusted("2001:db8::/33", "2001:db8:7fff::1"));
    assert_false(trusted("2001:db8::/33", "2001:db8:8000::1"));
    assert_false(trusted("", "127.0.0.1"));             /* empty: nobody */
    assert_true(trusted("::1, 127.0.0.0/8", "127.9.9.9"));
    assert_true(trusted("::ffff:10.0.0.0/104", "10.1.2.3")); /* mapped blocks as IPv4 */
    assert_true(trusted("10.0.0.0/8", "::ffff:10.1.2.3"));
}

static void test_socket_addresses(void **state) {
    (void)state;
    struct sockaddr_in sin = {.sin_family = AF_INET};
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
    struct sockaddr_storage unix_like = {.ss_family = AF_UNIX};
    struct netaddr a;
    char text[NETADDR_TEXT_MAX];
    inet_pton(AF_INET, "192.0.2.9", &sin.sin_addr);
    assert_true(netaddr_from_sockaddr((struct sockaddr *)&sin, &a));
    netaddr_format(&a, text);
    assert_string_equal(text, "192.0.2.9");
    inet_pton(AF_INET6, "::ffff:192.0.2.9", &sin6.sin6_addr);
    assert_true(netaddr_from_sockaddr((struct sockaddr *)&sin6, &a));
    assert_int_equal(a.family, AF_INET);
    netaddr_format(&a, text);
    assert_string_equal(text, "192.0.2.9");
    assert_false(netaddr_from_sockaddr((struct sockaddr *)&unix_like, &a));
    assert_false(netaddr_from_sockaddr(NULL, &a));
}

/* ---- forwarded.c --------------------------------------------------------- */

static void expect_forwarded(const char *list, const char *peer, const char *incoming,
                             const char *want) {
    struct netaddr_list l = list_of(list);
    struct netaddr p = addr(peer);
    struct buf out;
    buf_init(&out);
    forwarded_for(&out, &l, &p, incoming);
    assert_false(out.failed);
    assert_string_equal(out.data, want);
    buf_free(&out);
    netaddr_list_free(&l);
}

static void test_forwarded_for_trusts_only_listed_peers(void **state) {
    (void)state;
    expect_forwarded("", "192.0.2.1", "6.6.6.6", "192.0.2.1");
    expect_forwarded("10.0.0.0/8", "192.0.2.1", "6.6.6.6", "192.0.2.1");
    expect_forwarded("10.0.0.0/8", "10.0.0.2", "203.0.113.5, 10.0.0.9",
                     "203.0.113.5, 10.0.0.9, 10.0.0.2");
    expect_forwarded("10.0.0.0/8", "10.0.0.2", NULL, "10.0.0.2");
    expect_forwarded("10.0.0.0/8", "10.0.0.2", "", "10.0.0.2");
    expect_forwarded("::1", "::1", "2001:db8::5", "2001:db8::5, ::1");
}

static void test_forwarded_for_is_cleaned(void **state) {
    (void)state;
    expect_forwarded("10.0.0.0/8", "10.0.0.2", "1.2.3.4\r\nX-Evil: 1",
                     "1.2.3.4X-Evil: 1, 10.0.0.2");
    expect_forwarded("10.0.0.0/8", "10.0.0.2", "  1.2.3.4\t\x01\xc3\xa9 ,  ", "1.2.3.4, 10.0.0.2");
    expect_forwarded("10.0.0.0/8", "10.0.0.2", " , ", "10.0.0.2");
}

static void test_forwarded_for_keeps_the_rightmost_whole_entries(void **state) {
    (void)state;
    struct netaddr_list l = list_of("10.0.0.0/8");
    struct netaddr p = addr("10.0.0.2");
    char chain[4096] = "";
    size_t n = 0;
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(chain + n, sizeof(chain) - n, "%s198.51.%d.%d", i ? ", " : "",
                              i / 100, i % 100);
    struct buf out;
    buf_init(&out);
    forwarded_for(&out, &l, &p, chain);
    assert_true(out.len <= FORWARDED_FOR_MAX);
    assert_true(out.len > FORWARDED_FOR_MAX - 20);
    const char *tail = "198.51.1.99, 10.0.0.2";
    assert_string_equal(out.data + out.len - strlen(tail), tail);
    assert_memory_equal(out.data, "198.51.", 7);
    /* the first entry kept is whole: the chain holds it after ", " */
    char first[32];
    snprintf(first, sizeof(first), ", %.*s,", (int)strcspn(out.data, ","), out.data);
    assert_non_null(strstr(chain, first));
    buf_free(&out);

    /* One entry longer than the whole budget is dropped. */
    char huge[2048];
    memset(huge, '1', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    buf_init(&out);
    forwarded_for(&out, &l, &p, huge);
    assert_string_equal(out.data, "10.0.0.2");
    buf_free(&out);
    netaddr_list_free(&l);
}

static void expect_clean(const char *in, size_t max, const char *want) {
    struct buf out;
    buf_init(&out);
    buf_append_str(&out, "UA=");
    forwarded_append_clean(&out, in, max);
    assert_string_equal(out.data, want);
    buf_free(&out);
}

/* The client behind trusted proxies: the first hop from the right that no
 * trusted proxy is; the peer itself when it is not trusted. */
static const char *client_of(const char *trusted, const char *peer, const char *incoming) {
    static char text[NETADDR_TEXT_MAX];
    struct netaddr_list l = list_of(trusted);
    struct netaddr p, out;
    assert_true(netaddr_parse(peer, strlen(peer), &p));
    assert_true(forwarded_client(&l, &p, incoming, &out));
    netaddr_list_free(&l);
    netaddr_format(&out, text);
    return text;
}

static void test_forwarded_client(void **state) {
    (void)state;
    assert_string_equal(client_of("10.0.0.0/8", "203.0.113.5", "198.51.100.1"), "203.0.113.5");
    assert_string_equal(client_of("10.0.0.0/8", "10.0.0.1", NULL), "10.0.0.1");
    assert_string_equal(client_of("10.0.0.0/8", "10.0.0.1", "198.51.100.1"), "198.51.100.1");
    assert_string_equal(client_of("10.0.0.0/8", "10.0.0.1", "192.0.2.7, 198.51.100.1 , 10.2.3.4"),
                        "198.51.100.1");
    assert_string_equal(client_of("10.0.0.0/8", "10.0.0.1", "10.9.9.9, 10.2.3.4"), "10.9.9.9");
    assert_string_equal(client_of("10.0.0.0/8", "10.0.0.1", "192.0.2.7, junk, 10.2.3.4"),
                        "10.2.3.4");
    assert_string_equal(client_of("10.0.0.0/8", "10.0.0.1", ""), "10.0.0.1");
    struct netaddr_list none = {0};
    struct netaddr out;
    assert_false(forwarded_client(&none, NULL, "192.0.2.7", &out));
}

static void test_user_agent_is_cleaned_and_cut_on_a_character(void **state) {
    (void)state;
    expect_clean("Mozilla/5.0 (X11)", 100, "UA=Mozilla/5.0 (X11)");
    expect_clean("a\r\nb\tc\x7f" "d\x01", 100, "UA=abcd");
    expect_clean("  padded \t ", 100, "UA=padded");
    expect_clean("caf\xc3\xa9!", 100, "UA=caf\xc3\xa9!");
    expect_clean("caf\xc3\xa9", 4, "UA=caf");          /* é would be cut in two */
    expect_clean("caf\xc3\xa9", 5, "UA=caf\xc3\xa9");
    expect_clean("\xe2\x82\xac\xe2\x82\xac", 5, "UA=\xe2\x82\xac"); /* € € */
    expect_clean("abc def", 4, "UA=abc");                /* no blank left at the cut */
    expect_clean("\r\n", 100, "UA=");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses_parse_and_format),
        cmocka_unit_test(test_lists_parse),
        cmocka_unit_test(test_bad_lists_are_refused),
        cmocka_unit_test(test_blocks_match_to_the_bit),
        cmocka_unit_test(test_socket_addresses),
        cmocka_unit_test(test_forwarded_for_trusts_only_listed_peers),
        cmocka_unit_test(test_forwarded_for_is_cleaned),
        cmocka_unit_test(test_forwarded_for_keeps_the_rightmost_whole_entries),
        cmocka_unit_test(test_user_agent_is_cleaned_and_cut_on_a_character),
        cmocka_unit_test(test_forwarded_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
