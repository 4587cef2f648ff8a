/* test_vast.c -- unit tests for vast_check: a valid VAST 3.0 document (the
 * mock upstream's own) is accepted, and so is VAST 1.0's
 * <VideoAdServingTemplate>; a VAST document is told apart by whether its root has an <Ad> child (an ad) or not (a
 * no-fill, <Error> children or not, <Ad> deeper down or not); empty, malformed, truncated and wrong-root bodies are told
 * apart; hostile documents (billion laughs, XXE, a DOCTYPE hidden in UTF-16,
 * 10,000-deep nesting) are refused quickly without touching the file system
 * or crashing; only body[0..len) is read; concurrent checks agree; every
 * status has a non-empty text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vast.h"

/* vastmock_default_vast: the document the mock upstream serves, what adstats
 * meets in every integration test. */
#include "../../tools/vastmock/default_vast.h"

#define CHECK(literal) vast_check(literal, sizeof(literal) - 1)

static int group_setup(void **state) {
    (void)state;
    vast_init();
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns <VAST> wrapping `depth` nested <a> elements; sets *len. */
static char *nested_doc(int depth, size_t *len) {
    char *doc = malloc((size_t)depth * 7 + 16);
    assert_non_null(doc);
    size_t n = (size_t)sprintf(doc, "<VAST>");
    for (int i = 0; i < depth; i++) n += (size_t)sprintf(doc + n, "<a>");
    for (int i = 0; i < depth; i++) n += (size_t)sprintf(doc + n, "</a>");
    n += (size_t)sprintf(doc + n, "</VAST>");
    *len = n;
    return doc;
}

/* ---- accepted ------------------------------------------------------------ */

static void test_valid_vast3_document_is_ok(void **state) {
    (void)state;
    assert_int_equal(CHECK(vastmock_default_vast), VAST_OK);
}

static void test_minimal_vast_with_an_ad_is_ok(void **state) {
    (void)state;
    assert_int_equal(CHECK("<VAST version=\"3.0\"><Ad/></VAST>"), VAST_OK);
    assert_int_equal(CHECK("<VAST><Ad id=\"1\"></Ad><Ad id=\"2\"/></VAST>"), VAST_OK);
    /* VAST 4: a default namespace, or a prefix, changes no local name */
    assert_int_equal(CHECK("<VAST version=\"4.2\" xmlns=\"http://www.iab.com/VAST\"><Ad/></VAST>"),
                     VAST_OK);
    assert_int_equal(CHECK("<v:VAST xmlns:v=\"http://www.iab.com/VAST\"><v:Ad/></v:VAST>"),
                     VAST_OK);
}

static void test_vast1_document_is_ok(void **state) {
    (void)state;
    assert_int_equal(CHECK("<?xml version=\"1.0\"?>\n"
                           "<VideoAdServingTemplate xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
                           "  <Ad id=\"v1\"><InLine><AdSystem>s</AdSystem><AdTitle>t</AdTitle>\n"
                           "    <Video><Duration>00:00:15</Duration></Video></InLine></Ad>\n"
                           "</VideoAdServingTemplate>\n"),
                     VAST_OK);
}

/* ---- no ad: a no-fill ---------------------------------------------------- */

static void test_vast_without_ad_is_no_ad(void **state) {
    (void)state;
    assert_int_equal(CHECK("<VAST version=\"3.0\"/>"), VAST_NO_AD);
    assert_int_equal(CHECK("<VAST></VAST>"), VAST_NO_AD);
    assert_int_equal(CHECK("<?xml version=\"1.0\"?>\n<VAST version=\"3.0\">\n"
                           "  <Error><![CDATA[https://example.com/error?code=303]]></Error>\n"
                           "  <Error>https://example.com/e2</Error>\n</VAST>\n"),
                     VAST_NO_AD);
    assert_int_equal(CHECK("<VideoAdServingTemplate/>"), VAST_NO_AD);
}

static void test_only_an_ad_child_of_the_root_counts(void **state) {
    (void)state;
    /* deeper down, or with another name, it is not an ad */
    assert_int_equal(CHECK("<VAST><Extensions><Ad/></Extensions></VAST>"), VAST_NO_AD);
    assert_int_equal(CHECK("<VAST><Ads/><AD/><ad/></VAST>"), VAST_NO_AD);
    assert_int_equal(CHECK("<VAST><Error>x</Error><Ad/></VAST>"), VAST_OK);
    /* after a closed sibling the depth is 2 again */
    assert_int_equal(CHECK("<VAST><Error><x/></Error><Ad/></VAST>"), VAST_OK);
    /* the root itself is not its own child */
    assert_int_equal(CHECK("<Ad/>"), VAST_WRONG_ROOT);
}

static void test_only_len_bytes_are_checked(void **state) {
    (void)state;
    static const char body[] = "<VAST/>this tail is not part of the body";
    assert_int_equal(vast_check(body, strlen("<VAST/>")), VAST_NO_AD);
    assert_int_equal(vast_check(body, sizeof(body) - 1), VAST_MALFORMED);
}

static void test_moderate_nesting_is_accepted(void **state) {
    (void)state;
    size_t n;
    char *doc = nested_doc(100, &n);
    assert_int_equal(vast_check(doc, n), VAST_NO_AD);
    free(doc);
}

/* An <Ad> does not make a broken document acceptable. */
static void test_ad_in_a_malformed_document_is_malformed(void **state) {
    (void)state;
    assert_int_equal(CHECK("<VAST><Ad/></VAST>junk"), VAST_MALFORMED);
    assert_int_equal(CHECK("<VAST><Ad/>"), VAST_MALFORMED);
    assert_int_equal(CHECK("<!DOCTYPE VAST><VAST><Ad/></VAST>"), VAST_MALFORMED);
}

/* An undeclared prefix: well-formed XML, not namespace-well-formed
 * (libxml2 only warns; a browser's DOMParser refuses it). Found by
 * fuzz_vast: the check counted <wo:Ad/> as an ad where a tree does not.
 * The thread's reused parser context then checks a good document as new. */
static void test_undeclared_prefix_is_malformed(void **state) {
    (void)state;
    assert_int_equal(CHECK("<VAST version=\"2.0\"><wo:Ad/></VAST>"), VAST_MALFORMED);
    assert_int_equal(CHECK("<x:VAST><Ad/></x:VAST>"), VAST_MALFORMED);
    assert_int_equal(CHECK("<VAST><Ad x:id=\"1\"/></VAST>"), VAST_MALFORMED);
    assert_int_equal(CHECK("<VAST xmlns:wo=\"urn:x\"><wo:Ad/></VAST>"), VAST_OK);
    assert_int_equal(CHECK("<VAST><Ad/></VAST>"), VAST_OK);
}

/* ---- empty --------------------------------------------------------------- */

static void test_null_body_is_empty(void **state) {
    (void)state;
    assert_int_equal(vast_check(NULL, 0), VAST_EMPTY);
    assert_int_equal(vast_check(NULL, 10), VAST_EMPTY);
}

static void test_zero_length_body_is_empty(void **state) {
    (void)state;
    assert_int_equal(vast_check("", 0), VAST_EMPTY);
    assert_int_equal(vast_check("<VAST/>", 0), VAST_EMPTY);
}

/* ---- malformed ----------------------------------------------------------- */

static void test_unclosed_tag_is_malformed(void **state) {
    (void)state;
    assert_int_equal(CHECK("<VAST version=\"3.0\"><Ad>"), VAST_MALFORMED);
    assert_int_equal(CHECK("<VAST><Ad></VAST>"), VAST_MALFORMED);
}

static void test_garbage_is_malformed(void **state) {
    (void)state;
    assert_int_equal(CHECK("this is not xml"), VAST_MALFORMED);
    assert_int_equal(CHECK("{\"vast\": true}"), VAST_MALFORMED);
    assert_int_equal(CHECK("\x00\x01\x02\xff\xfe"), VAST_MALFORMED);
    assert_int_equal(CHECK("   \n"), VAST_MALFORMED);
}

static void test_truncated_document_is_malformed(void **state) {
    (void)state;
    for (size_t len = 1; len < sizeof(vastmock_default_vast) - 2; len += 37)
        assert_int_equal(vast_check(vastmock_default_vast, len), VAST_MALFORMED);
    /* cut right before the final '>' */
    assert_int_equal(vast_check(vastmock_default_vast, sizeof(vastmock_default_vast) - 3), VAST_MALFORMED);
}

static void test_content_after_root_is_malformed(void **state) {
    (void)state;
    assert_int_equal(CHECK("<VAST/><VAST/>"), VAST_MALFORMED);
    assert_int_equal(CHECK("<VAST/>junk"), VAST_MALFORMED);
}

static void test_undefined_entity_is_malformed(void **state) {
    (void)state;
    assert_int_equal(CHECK("<VAST>&undefined;</VAST>"), VAST_MALFORMED);
}

static void test_nul_byte_inside_body_is_malformed(void **state) {
    (void)state;
    assert_int_equal(CHECK("<VAST>\0</VAST>"), VAST_MALFORMED);
}

/* ---- wrong root ---------------------------------------------------------- */

static void test_html_root_is_wrong_root(void **state) {
    (void)state;
    assert_int_equal(CHECK("<html><body>no ad</body></html>"), VAST_WRONG_ROOT);
    assert_int_equal(CHECK("<html><Ad/></html>"), VAST_WRONG_ROOT);
}

static void test_lower_case_vast_root_is_wrong_root(void **state) {
    (void)state;
    assert_int_equal(CHECK("<vast version=\"3.0\"></vast>"), VAST_WRONG_ROOT);
    assert_int_equal(CHECK("<VASTX/>"), VAST_WRONG_ROOT);
}

/* ---- hostile documents --------------------------------------------------- */

static const char billion_laughs[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE VAST [\n"
    " <!ENTITY lol \"lol\">\n"
    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
    "]>\n"
    "<VAST version=\"3.0\">&lol9;</VAST>\n";

static void test_billion_laughs_is_malformed_quickly(void **state) {
    (void)state;
    double start = now_s();
    assert_int_equal(CHECK(billion_laughs), VAST_MALFORMED);
    assert_true(now_s() - start < 1.0);
}

static void test_xxe_document_is_malformed(void **state) {
    (void)state;
    double start = now_s();
    assert_int_equal(CHECK("<?xml version=\"1.0\"?>\n"
                           "<!DOCTYPE VAST [\n"
                           " <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
                           "]>\n"
                           "<VAST version=\"3.0\">&xxe;</VAST>\n"),
                     VAST_MALFORMED);
    assert_int_equal(CHECK("<?xml version=\"1.0\"?>\n"
                           "<!DOCTYPE VAST SYSTEM \"file:///etc/passwd\">\n"
                           "<VAST version=\"3.0\"/>\n"),
                     VAST_MALFORMED);
    assert_true(now_s() - start < 1.0);
}

static void test_empty_internal_doctype_is_refused(void **state) {
    (void)state;
    assert_int_equal(CHECK("<!DOCTYPE VAST><VAST/>"), VAST_MALFORMED);
}

/* The DOCTYPE pre-check looks for ASCII bytes; a UTF-16 document hides them,
 * so the intSubset check after parsing must still refuse it. */
static void test_utf16_billion_laughs_is_malformed_quickly(void **state) {
    (void)state;
    size_t n = sizeof(billion_laughs) - 1;
    /* drop the ASCII XML declaration: a UTF-16 body carries a BOM instead */
    const char *src = strstr(billion_laughs, "<!DOCTYPE");
    n -= (size_t)(src - billion_laughs);
    char *doc = malloc(2 + 2 * n);
    assert_non_null(doc);
    doc[0] = '\xFF', doc[1] = '\xFE'; /* UTF-16LE BOM */
    for (size_t i = 0; i < n; i++) {
        doc[2 + 2 * i] = src[i];
        doc[3 + 2 * i] = '\0';
    }
    double start = now_s();
    assert_int_equal(vast_check(doc, 2 + 2 * n), VAST_MALFORMED);
    assert_true(now_s() - start < 2.0);
    free(doc);
}

static void test_utf16_vast_without_doctype_is_accepted(void **state) {
    (void)state;
    static const char ascii[] = "<VAST version=\"3.0\"></VAST>"; /* no <Ad>: a no-fill */
    char doc[2 + 2 * sizeof(ascii)];
    doc[0] = '\xFF', doc[1] = '\xFE';
    for (size_t i = 0; i < sizeof(ascii) - 1; i++) {
        doc[2 + 2 * i] = ascii[i];
        doc[3 + 2 * i] = '\0';
    }
    assert_int_equal(vast_check(doc, 2 + 2 * (sizeof(ascii) - 1)), VAST_NO_AD);
}

static void test_ten_thousand_deep_nesting_is_malformed(void **state) {
    (void)state;
    size_t n;
    char *doc = nested_doc(10000, &n);
    double start = now_s();
    assert_int_equal(vast_check(doc, n), VAST_MALFORMED);
    assert_true(now_s() - start < 2.0);
    free(doc);
}

/* ---- threads ------------------------------------------------------------- */

static void *check_many(void *arg) {
    int *bad = arg;
    for (int i = 0; i < 200; i++) {
        if (CHECK(vastmock_default_vast) != VAST_OK) ++*bad;
        if (CHECK("<html/>") != VAST_WRONG_ROOT) ++*bad;
        if (CHECK("<VAST><Error>e</Error></VAST>") != VAST_NO_AD) ++*bad;
        if (CHECK("<VAST>") != VAST_MALFORMED) ++*bad;
    }
    return NULL;
}

static void test_concurrent_checks_agree(void **state) {
    (void)state;
    enum { THREADS = 4 };
    pthread_t threads[THREADS];
    int bad[THREADS] = {0};
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, check_many, &bad[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(bad[i], 0);
    }
}

/* ---- status text --------------------------------------------------------- */

static void test_every_status_has_distinct_nonempty_text(void **state) {
    (void)state;
    const enum vast_status all[] = {VAST_OK, VAST_NO_AD, VAST_EMPTY, VAST_MALFORMED,
                                    VAST_WRONG_ROOT};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const char *text = vast_status_text(all[i]);
        assert_non_null(text);
        assert_true(strlen(text) > 0);
        for (size_t j = 0; j < i; j++) assert_string_not_equal(text, vast_status_text(all[j]));
    }
    assert_string_equal(vast_status_text(VAST_OK), "valid VAST");
    assert_string_equal(vast_status_text(VAST_NO_AD), "valid VAST without an ad");
    assert_string_equal(vast_status_text(VAST_EMPTY), "empty body");
    assert_string_equal(vast_status_text(VAST_MALFORMED), "malformed XML");
    assert_string_equal(vast_status_text(VAST_WRONG_ROOT), "root element is not VAST");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_vast3_document_is_ok),
        cmocka_unit_test(test_minimal_vast_with_an_ad_is_ok),
        cmocka_unit_test(test_vast1_document_is_ok),
        cmocka_unit_test(test_undeclared_prefix_is_malformed),
        cmocka_unit_test(test_vast_without_ad_is_no_ad),
        cmocka_unit_test(test_only_an_ad_child_of_the_root_counts),
        cmocka_unit_test(test_only_len_bytes_are_checked),
        cmocka_unit_test(test_moderate_nesting_is_accepted),
        cmocka_unit_test(test_ad_in_a_malformed_document_is_malformed),
        cmocka_unit_test(test_null_body_is_empty),
        cmocka_unit_test(test_zero_length_body_is_empty),
        cmocka_unit_test(test_unclosed_tag_is_malformed),
        cmocka_unit_test(test_garbage_is_malformed),
        cmocka_unit_test(test_truncated_document_is_malformed),
        cmocka_unit_test(test_content_after_root_is_malformed),
        cmocka_unit_test(test_undefined_entity_is_malformed),
        cmocka_unit_test(test_nul_byte_inside_body_is_malformed),
        cmocka_unit_test(test_html_root_is_wrong_root),
        cmocka_unit_test(test_lower_case_vast_root_is_wrong_root),
        cmocka_unit_test(test_billion_laughs_is_malformed_quickly),
        cmocka_unit_test(test_xxe_document_is_malformed),
        cmocka_unit_test(test_empty_internal_doctype_is_refused),
        cmocka_unit_test(test_utf16_billion_laughs_is_malformed_quickly),
        cmocka_unit_test(test_utf16_vast_without_doctype_is_accepted),
        cmocka_unit_test(test_ten_thousand_deep_nesting_is_malformed),
        cmocka_unit_test(test_concurrent_checks_agree),
        cmocka_unit_test(test_every_status_has_distinct_nonempty_text),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
