/* test_cluster.c -- unit tests for cluster.c: CRC16 against the cluster
 * specification's test vector, hash tags (the spec's examples and its
 * edge cases), CLUSTER SLOTS replies (a fake redisReply tree: well formed,
 * Redis 7's extra fields, an unknown endpoint, malformed ones), MOVED and
 * ASK redirections (IPv6, empty host, malformed), and seed lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cluster.h"

static unsigned slot(const char *key) {
    return cluster_keyslot(key, strlen(key));
}

static void test_crc16_vector(void **state) {
    (void)state;
    assert_int_equal(cluster_crc16("123456789", 9), 0x31C3);
    assert_int_equal(cluster_crc16("", 0), 0);
}

static void test_keyslot(void **state) {
    (void)state;
    assert_int_equal(slot("123456789"), 0x31C3 & 16383);
    assert_int_equal(slot("foo"), 12182); /* CLUSTER KEYSLOT foo */
    assert_int_equal(slot("bar"), 5061);
}

static void test_hash_tags(void **state) {
    (void)state;
    /* The spec's examples. */
    assert_int_equal(slot("{user1000}.following"), slot("user1000"));
    assert_int_equal(slot("{user1000}.followers"), slot("user1000"));
    assert_int_equal(slot("foo{}{bar}"), slot("foo{}{bar}")); /* whole key */
    assert_int_not_equal(slot("foo{}{bar}"), slot("bar"));
    assert_int_equal(slot("foo{{bar}}zap"), slot("{bar"));
    assert_int_equal(slot("foo{bar}{zap}"), slot("bar"));
    /* No closing brace, or an empty tag: the whole key. */
    assert_int_equal(cluster_keyslot("a{b", 3), cluster_crc16("a{b", 3) & 16383);
    assert_int_equal(cluster_keyslot("a{}b", 4), cluster_crc16("a{}b", 4) & 16383);
    /* Length-bounded: a brace past `len` does not count. */
    assert_int_equal(cluster_keyslot("x{ab}", 4), cluster_crc16("x{ab", 4) & 16383);
}

/* ---- fake replies ------------------------------------------------------ */

static redisReply *r_int(long long v) {
    redisReply *r = calloc(1, sizeof(*r));
    r->type = REDIS_REPLY_INTEGER;
    r->integer = v;
    return r;
}

static redisReply *r_str(const char *s) {
    redisReply *r = calloc(1, sizeof(*r));
    r->type = REDIS_REPLY_STRING;
    r->str = strdup(s);
    r->len = strlen(s);
    return r;
}

static redisReply *r_arr(size_t n, ...) {
    redisReply *r = calloc(1, sizeof(*r));
    r->type = REDIS_REPLY_ARRAY;
    r->elements = n;
    r->element = calloc(n ? n : 1, sizeof(*r->element));
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) r->element[i] = va_arg(ap, redisReply *);
    va_end(ap);
    return r;
}

static redisReply *node(const char *host, long long port) {
    return r_arr(3, r_str(host), r_int(port), r_str("07c37dfeb235213a872192d90877d0cd55635b91"));
}

static void test_slots_parse(void **state) {
    (void)state;
    redisReply *r = r_arr(3,
        r_arr(4, r_int(0), r_int(5460), node("127.0.0.1", 30001), node("127.0.0.1", 30004)),
        r_arr(3, r_int(5461), r_int(10922), node("10.0.0.2", 30002)),
        /* Redis 7: a fourth field (hostname map) in the node entry; "?" ip */
        r_arr(3, r_int(10923), r_int(16383),
              r_arr(4, r_str("?"), r_int(30003), r_str("id"), r_arr(0))));
    struct cluster_range out[8];
    size_t n = 0;
    assert_true(cluster_slots_parse(r, out, 8, &n));
    assert_int_equal(n, 3);
    assert_int_equal(out[0].first, 0);
    assert_int_equal(out[0].last, 5460);
    assert_string_equal(out[0].master.host, "127.0.0.1");
    assert_int_equal(out[0].master.port, 30001);
    assert_string_equal(out[1].master.host, "10.0.0.2");
    assert_int_equal(out[2].last, 16383);
    assert_string_equal(out[2].master.host, "");
    assert_int_equal(out[2].master.port, 30003);
    assert_false(cluster_slots_parse(r, out, 2, &n)); /* more ranges than room */
    freeReplyObject(r);
}

static void test_slots_parse_malformed(void **state) {
    (void)state;
    struct cluster_range out[4];
    size_t n;
    redisReply *bad[] = {
        r_str("ERR This instance has cluster support disabled"),
        r_arr(1, r_int(3)),
        r_arr(1, r_arr(2, r_int(0), r_int(10))),                          /* no master */
        r_arr(1, r_arr(3, r_int(10), r_int(5), node("h", 1))),            /* first > last */
        r_arr(1, r_arr(3, r_int(0), r_int(16384), node("h", 1))),         /* past the end */
        r_arr(1, r_arr(3, r_int(-1), r_int(5), node("h", 1))),
        r_arr(1, r_arr(3, r_int(0), r_int(5), node("h", 0))),             /* bad port */
        r_arr(1, r_arr(3, r_int(0), r_int(5), r_arr(1, r_str("h")))),     /* no port */
        r_arr(1, r_arr(3, r_str("0"), r_int(5), node("h", 1))),
    };
    assert_false(cluster_slots_parse(NULL, out, 4, &n));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(cluster_slots_parse(bad[i], out, 4, &n));
        freeReplyObject(bad[i]);
    }
    redisReply *empty = r_arr(0);
    assert_true(cluster_slots_parse(empty, out, 4, &n)); /* no slots assigned yet */
    assert_int_equal(n, 0);
    freeReplyObject(empty);
}

static bool redirect(const char *s, struct cluster_redirect *r) {
    return cluster_redirect_parse(s, strlen(s), r);
}

static void test_redirects(void **state) {
    (void)state;
    struct cluster_redirect r;
    assert_true(redirect("MOVED 3999 127.0.0.1:6381", &r));
    assert_false(r.ask);
    assert_int_equal(r.slot, 3999);
    assert_string_equal(r.to.host, "127.0.0.1");
    assert_int_equal(r.to.port, 6381);
    assert_true(redirect("ASK 16383 10.1.2.3:7000", &r));
    assert_true(r.ask);
    assert_int_equal(r.slot, 16383);
    assert_int_equal(r.to.port, 7000);
    assert_true(redirect("MOVED 0 ::1:30001", &r)); /* IPv6: the port after the last ':' */
    assert_string_equal(r.to.host, "::1");
    assert_int_equal(r.to.port, 30001);
    assert_true(redirect("MOVED 12 :30002", &r)); /* unknown endpoint: same host */
    assert_string_equal(r.to.host, "");
    assert_int_equal(r.to.port, 30002);
}

static void test_redirects_malformed(void **state) {
    (void)state;
    struct cluster_redirect r;
    const char *bad[] = {
        "MOVED", "MOVED ", "MOVED 3999", "MOVED 3999 ", "MOVED 3999 host", "MOVED 3999 host:",
        "MOVED 16384 h:1", "MOVED -1 h:1", "MOVED x h:1", "MOVED 12 h:0", "MOVED 12 h:65536",
        "MOVED 12 h:1x", "MOVED  12 h:1", "ASK 1234567 h:1", "moved 1 h:1", "ASKING", "ERR x",
        "OOM command not allowed when used memory > 'maxmemory'.", "TRYAGAIN", "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(redirect(bad[i], &r));
    /* Length-bounded: text past len is not read. */
    assert_false(cluster_redirect_parse("MOVED 1 h:1", 8, &r));
}

static void test_seeds(void **state) {
    (void)state;
    struct cluster_addr a[CLUSTER_MAX_SEEDS];
    size_t n;
    assert_true(cluster_seeds_parse("127.0.0.1:30001", a, CLUSTER_MAX_SEEDS, &n));
    assert_int_equal(n, 1);
    assert_true(cluster_seeds_parse("a:1,b.example:65535,10.0.0.1:7000", a, 16, &n));
    assert_int_equal(n, 3);
    assert_string_equal(a[1].host, "b.example");
    assert_int_equal(a[1].port, 65535);
    const char *bad[] = {"", "a", "a:", ":1", "a:1,", ",a:1", "a:1,,b:2", "a:0", "a b:1", "a:99999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(cluster_seeds_parse(bad[i], a, CLUSTER_MAX_SEEDS, &n));
    assert_false(cluster_seeds_parse("a:1,b:2,c:3", a, 2, &n)); /* too many */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc16_vector),        cmocka_unit_test(test_keyslot),
        cmocka_unit_test(test_hash_tags),           cmocka_unit_test(test_slots_parse),
        cmocka_unit_test(test_slots_parse_malformed), cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_redirects_malformed), cmocka_unit_test(test_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
