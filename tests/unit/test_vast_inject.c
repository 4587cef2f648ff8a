/* test_vast_inject.c -- unit tests for vast_inject: the exact output for
 * each structure variant (no Impression, no TrackingEvents, no VideoClicks,
 * several ads, a wrapper, non-linear and companion creatives only,
 * self-closing parents, namespace prefixes, comments, CDATA, '>' inside
 * attribute values, an XML declaration, a BOM), the places per VAST version,
 * refusals (UTF-16, ISO-8859-1, VAST 1.0, not VAST, malformed, no ad, a URL
 * that cannot go into CDATA) leaving `out` as it was, and a timing loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "vast.h"
#include "vast_inject.h"

static bool short_url(void *ctx, const struct vast_ad_ref *ad, enum vast_event event,
                      struct buf *out) {
    const char *bad = ctx;
    if (bad != NULL) {
        buf_append_str(out, bad);
        return strcmp(bad, "fail") != 0;
    }
    buf_printf(out, "%s%u", vast_event_name(event), ad->index);
    if (ad->id != NULL) {
        buf_append_char(out, '#');
        buf_append(out, ad->id, ad->id_len);
    }
    return true;
}

static const struct vast_inject_urls urls = {short_url, NULL};

/* The injected document (a static buffer), or NULL with *status set. */
static const char *inject(const char *doc, enum vast_inject_status *status,
                          struct vast_inject_stats *st) {
    static char result[16384];
    struct buf out;
    buf_init(&out);
    *status = vast_inject(doc, strlen(doc), &urls, &out, st);
    if (*status != VAST_INJECT_OK) {
        assert_int_equal(out.len, 0);
        buf_free(&out);
        return NULL;
    }
    assert_true(out.len < sizeof result);
    memcpy(result, out.data, out.len);
    result[out.len] = '\0';
    assert_int_equal(vast_check(result, out.len), VAST_OK);
    buf_free(&out);
    return result;
}

static void expect(const char *doc, const char *want) {
    enum vast_inject_status status;
    struct vast_inject_stats st;
    const char *got = inject(doc, &status, &st);
    assert_int_equal(status, VAST_INJECT_OK);
    assert_string_equal(got, want);
}

static void expect_status(const char *doc, size_t len, enum vast_inject_status want) {
    struct buf out;
    buf_init(&out);
    buf_append_str(&out, "kept");
    assert_int_equal(vast_inject(doc, len, &urls, &out, NULL), want);
    assert_int_equal(out.len, 4); /* as it was */
    buf_free(&out);
}

#define TE(p, n) "<" p "TrackingEvents>" TR(p, n) "</" p "TrackingEvents>"
#define TR(p, n) \
    "<" p "Tracking event=\"start\"><![CDATA[start" n "]]></" p "Tracking>" \
    "<" p "Tracking event=\"firstQuartile\"><![CDATA[firstQuartile" n "]]></" p "Tracking>" \
    "<" p "Tracking event=\"midpoint\"><![CDATA[midpoint" n "]]></" p "Tracking>" \
    "<" p "Tracking event=\"thirdQuartile\"><![CDATA[thirdQuartile" n "]]></" p "Tracking>" \
    "<" p "Tracking event=\"complete\"><![CDATA[complete" n "]]></" p "Tracking>"
#define CT(p, n) "<" p "ClickTracking><![CDATA[click" n "]]></" p "ClickTracking>"
#define VC(p, n) "<" p "VideoClicks>" CT(p, n) "</" p "VideoClicks>"
#define IMP(p, n) "<" p "Impression><![CDATA[impression" n "]]></" p "Impression>"

static void test_v3_inline_with_everything(void **state) {
    (void)state;
    expect("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VAST version=\"3.0\"><Ad id=\"a\"><InLine>"
           "<AdSystem>s</AdSystem><AdTitle>t</AdTitle><Impression>i</Impression>"
           "<Creatives><Creative><Linear><Duration>00:00:01</Duration>"
           "<TrackingEvents><Tracking event=\"start\">x</Tracking></TrackingEvents>"
           "<VideoClicks><ClickThrough>c</ClickThrough><CustomClick>y</CustomClick></VideoClicks>"
           "<MediaFiles/></Linear></Creative></Creatives></InLine></Ad></VAST>\n",
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VAST version=\"3.0\"><Ad id=\"a\"><InLine>"
           "<AdSystem>s</AdSystem><AdTitle>t</AdTitle><Impression>i</Impression>" IMP("", "0#a")
           "<Creatives><Creative><Linear><Duration>00:00:01</Duration>"
           "<TrackingEvents><Tracking event=\"start\">x</Tracking>" TR("", "0#a") "</TrackingEvents>"
           "<VideoClicks><ClickThrough>c</ClickThrough>" CT("", "0#a") "<CustomClick>y</CustomClick></VideoClicks>"
           "<MediaFiles/></Linear></Creative></Creatives></InLine></Ad></VAST>\n");
}

static void test_v3_creates_what_is_missing(void **state) {
    (void)state;
    /* No Impression: before Creatives; no TrackingEvents: after Duration;
     * no VideoClicks: before MediaFiles. */
    expect("<VAST version=\"2.0\"><Ad><InLine><AdSystem>s</AdSystem><AdTitle>t</AdTitle>\n"
           "<Creatives><Creative><Linear><Duration>1</Duration><AdParameters>p</AdParameters>"
           "<MediaFiles/></Linear></Creative></Creatives></InLine></Ad></VAST>",
           "<VAST version=\"2.0\"><Ad><InLine><AdSystem>s</AdSystem><AdTitle>t</AdTitle>\n" IMP("", "0")
           "<Creatives><Creative><Linear><Duration>1</Duration>" TE("", "0") "<AdParameters>p</AdParameters>"
           VC("", "0") "<MediaFiles/></Linear></Creative></Creatives></InLine></Ad></VAST>");
}

static void test_v4_places(void **state) {
    (void)state;
    /* No Impression: after Extensions; TrackingEvents: after Icons, before
     * Duration; VideoClicks last; ClickTracking first in VideoClicks. */
    expect("<VAST version=\"4.1\" xmlns=\"http://www.iab.com/VAST\"><Ad><InLine><AdSystem>s</AdSystem>"
           "<Error>e</Error><Extensions/><AdTitle>t</AdTitle><Creatives><Creative><Linear>"
           "<Icons/><Duration>1</Duration><MediaFiles/></Linear></Creative><Creative><Linear>"
           "<VideoClicks><ClickThrough>c</ClickThrough></VideoClicks></Linear></Creative>"
           "</Creatives></InLine></Ad></VAST>",
           "<VAST version=\"4.1\" xmlns=\"http://www.iab.com/VAST\"><Ad><InLine><AdSystem>s</AdSystem>"
           "<Error>e</Error><Extensions/>" IMP("", "0") "<AdTitle>t</AdTitle><Creatives><Creative><Linear>"
           "<Icons/>" TE("", "0") "<Duration>1</Duration><MediaFiles/>" VC("", "0") "</Linear></Creative><Creative><Linear>"
           TE("", "0") "<VideoClicks>" CT("", "0") "<ClickThrough>c</ClickThrough></VideoClicks></Linear></Creative>"
           "</Creatives></InLine></Ad></VAST>");
}

static void test_several_ads_wrapper_and_non_linear(void **state) {
    (void)state;
    enum vast_inject_status status;
    struct vast_inject_stats st;
    expect("<VAST version=\"3.0\"><Ad id=\"x&amp;y\"><Wrapper><AdSystem>s</AdSystem><VASTAdTagURI>u</VASTAdTagURI>"
           "<Impression/></Wrapper></Ad><Ad><InLine><AdSystem>s</AdSystem><AdTitle>t</AdTitle>"
           "<Impression>i</Impression><Creatives><Creative><NonLinearAds/></Creative>"
           "<Creative><CompanionAds/></Creative></Creatives></InLine></Ad></VAST>",
           "<VAST version=\"3.0\"><Ad id=\"x&amp;y\"><Wrapper><AdSystem>s</AdSystem><VASTAdTagURI>u</VASTAdTagURI>"
           "<Impression/>" IMP("", "0#x&y") "</Wrapper></Ad><Ad><InLine><AdSystem>s</AdSystem><AdTitle>t</AdTitle>"
           "<Impression>i</Impression>" IMP("", "1") "<Creatives><Creative><NonLinearAds/></Creative>"
           "<Creative><CompanionAds/></Creative></Creatives></InLine></Ad></VAST>");
    assert_non_null(inject("<VAST><Ad><InLine/></Ad><Ad><Wrapper><Impression/></Wrapper></Ad></VAST>",
                           &status, &st));
    assert_int_equal(st.ads, 2);
    assert_int_equal(st.inserted, 1); /* <InLine/> is no ad to count */
}

static void test_self_closing_and_prefixes(void **state) {
    (void)state;
    expect("<v:VAST xmlns:v=\"http://www.iab.com/VAST\" version=\"4.2\"><v:Ad><v:Wrapper><v:AdSystem/>"
           "<v:Impression/><v:Creatives><v:Creative><v:Linear/></v:Creative><v:Creative><v:Linear>"
           "<v:TrackingEvents /><v:VideoClicks\n/></v:Linear></v:Creative></v:Creatives></v:Wrapper></v:Ad></v:VAST>",
           "<v:VAST xmlns:v=\"http://www.iab.com/VAST\" version=\"4.2\"><v:Ad><v:Wrapper><v:AdSystem/>"
           "<v:Impression/>" IMP("v:", "0") "<v:Creatives><v:Creative><v:Linear>" TE("v:", "0") VC("v:", "0")
           "</v:Linear></v:Creative><v:Creative><v:Linear>"
           "<v:TrackingEvents >" TR("v:", "0") "</v:TrackingEvents><v:VideoClicks\n>" CT("v:", "0")
           "</v:VideoClicks></v:Linear></v:Creative></v:Creatives></v:Wrapper></v:Ad></v:VAST>");
}

static void test_foreign_namespace_and_extensions_ignored(void **state) {
    (void)state;
    /* An <Impression> inside <Extensions>, and one in another namespace,
     * are not the ad's: a new one still goes in, once. */
    expect("<VAST version=\"3.0\" xmlns:o=\"urn:other\"><Ad><InLine><AdSystem>s</AdSystem><AdTitle>t</AdTitle>"
           "<o:Impression/><Impression>i</Impression><Creatives/>"
           "<Extensions><Impression>z</Impression></Extensions></InLine></Ad></VAST>",
           "<VAST version=\"3.0\" xmlns:o=\"urn:other\"><Ad><InLine><AdSystem>s</AdSystem><AdTitle>t</AdTitle>"
           "<o:Impression/><Impression>i</Impression>" IMP("", "0") "<Creatives/>"
           "<Extensions><Impression>z</Impression></Extensions></InLine></Ad></VAST>");
}

static void test_odd_bytes_stay(void **state) {
    (void)state;
    /* '>' inside attribute values, comments, CDATA with markup, CRLF,
     * tabs inside tags, a BOM, an end tag with blanks. */
    expect("\xEF\xBB\xBF<?xml version=\"1.0\"?>\r\n<!-- <Ad> -->\r\n<VAST version=\"3.0\" a='>'>"
           "<Ad id=\"1>2\"\t><InLine\r\n><AdSystem>s</AdSystem><AdTitle><![CDATA[<Impression>]]></AdTitle>"
           "<Impression a=\"/Impression>\">i</Impression\t><Creatives><Creative><Linear a=\"/>\">"
           "<Duration>1</Duration><!-- c --><TrackingEvents b=\">\"></TrackingEvents  >"
           "</Linear></Creative></Creatives></InLine></Ad></VAST>\r\n<!-- end -->",
           "\xEF\xBB\xBF<?xml version=\"1.0\"?>\r\n<!-- <Ad> -->\r\n<VAST version=\"3.0\" a='>'>"
           "<Ad id=\"1>2\"\t><InLine\r\n><AdSystem>s</AdSystem><AdTitle><![CDATA[<Impression>]]></AdTitle>"
           "<Impression a=\"/Impression>\">i</Impression\t>" IMP("", "0#1>2") "<Creatives><Creative><Linear a=\"/>\">"
           "<Duration>1</Duration><!-- c --><TrackingEvents b=\">\">" TR("", "0#1>2") "</TrackingEvents  >"
           VC("", "0#1>2") "</Linear></Creative></Creatives></InLine></Ad></VAST>\r\n<!-- end -->");
}

static void test_multibyte_utf8_before_insertion_points(void **state) {
    (void)state;
    expect("<VAST version=\"3.0\"><Ad id=\"é€😀\"><InLine><AdSystem>ß€😀</AdSystem><AdTitle>&#233;&lt;</AdTitle>"
           "<Impression>ü</Impression></InLine></Ad></VAST>",
           "<VAST version=\"3.0\"><Ad id=\"é€😀\"><InLine><AdSystem>ß€😀</AdSystem><AdTitle>&#233;&lt;</AdTitle>"
           "<Impression>ü</Impression>" IMP("", "0#é€😀") "</InLine></Ad></VAST>");
}

static void test_refusals_leave_out_alone(void **state) {
    (void)state;
    static const char utf16[] = "\xFF\xFE<\0V\0A\0S\0T\0>\0<\0A\0d\0>\0<\0W\0r\0a\0p\0p\0e\0r\0/\0>\0"
                                "<\0/\0A\0d\0>\0<\0/\0V\0A\0S\0T\0>\0";
    expect_status(utf16, sizeof utf16 - 1, VAST_INJECT_UNSUPPORTED);
    const char *latin1 = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><VAST><Ad><InLine/></Ad></VAST>";
    expect_status(latin1, strlen(latin1), VAST_INJECT_UNSUPPORTED);
    const char *v1 = "<VideoAdServingTemplate><Ad><InLine/></Ad></VideoAdServingTemplate>";
    expect_status(v1, strlen(v1), VAST_INJECT_UNSUPPORTED);
    expect_status("<html/>", 7, VAST_INJECT_NOT_VAST);
    const char *no_ad = "<VAST version=\"3.0\"><Error>e</Error></VAST>";
    expect_status(no_ad, strlen(no_ad), VAST_INJECT_NO_AD);
    const char *cut = "<VAST><Ad><InLine><Impression>i</Impression></InLine></Ad>";
    expect_status(cut, strlen(cut), VAST_INJECT_MALFORMED);
    const char *dtd = "<!DOCTYPE VAST [<!ENTITY a \"b\">]><VAST><Ad><InLine/></Ad></VAST>";
    expect_status(dtd, strlen(dtd), VAST_INJECT_MALFORMED);
    expect_status("", 0, VAST_INJECT_MALFORMED);
    /* Only doc[0..len) is read: the valid tail after len is not seen. */
    const char *ad = "<VAST><Ad><Wrapper><Impression/></Wrapper></Ad></VAST>";
    expect_status(ad, strlen(ad) - 3, VAST_INJECT_MALFORMED);
}

static void test_bad_urls_are_refused(void **state) {
    (void)state;
    const char *doc = "<VAST><Ad><Wrapper><Impression/></Wrapper></Ad></VAST>";
    const char *bad[] = {"fail", "", "a]]>b", "]]>", "x]]]>", "a]b]]>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct vast_inject_urls u = {short_url, (void *)bad[i]};
        struct buf out;
        buf_init(&out);
        assert_int_equal(vast_inject(doc, strlen(doc), &u, &out, NULL), VAST_INJECT_URL_FAILED);
        assert_int_equal(out.len, 0);
        buf_free(&out);
    }
    /* A ']' that does not end the section is only a character. */
    const char *fine[] = {"a]b", "a]]", "x]>y", "]", "]]"};
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        struct vast_inject_urls u = {short_url, (void *)fine[i]};
        struct buf out;
        buf_init(&out);
        assert_int_equal(vast_inject(doc, strlen(doc), &u, &out, NULL), VAST_INJECT_OK);
        buf_free(&out);
    }
}

static void test_every_status_and_event_has_text(void **state) {
    (void)state;
    for (int s = VAST_INJECT_OK; s <= VAST_INJECT_NO_MEMORY; s++)
        assert_true(strlen(vast_inject_status_text((enum vast_inject_status)s)) > 0);
    for (int e = 0; e < VAST_EVENT_COUNT; e++)
        assert_string_not_equal(vast_event_name((enum vast_event)e), "unknown");
}

/* A rough figure for the report, not a pass/fail: us per document. */
static void test_timing(void **state) {
    (void)state;
    const char *doc = "<VAST version=\"4.2\" xmlns=\"http://www.iab.com/VAST\"><Ad id=\"1\"><InLine>"
                      "<AdSystem>s</AdSystem><Impression>i</Impression><AdTitle>t</AdTitle><Creatives>"
                      "<Creative><Linear><TrackingEvents/><Duration>00:00:10</Duration><MediaFiles>"
                      "<MediaFile delivery=\"progressive\" type=\"video/mp4\" width=\"1\" height=\"1\">u"
                      "</MediaFile></MediaFiles></Linear></Creative></Creatives></InLine></Ad></VAST>";
    size_t len = strlen(doc);
    char storage[4096];
    struct buf out;
    buf_init_static(&out, storage, sizeof storage);
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 2000; i++) assert_int_equal(vast_check(doc, len), VAST_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (int i = 0; i < 2000; i++) {
        buf_reset(&out);
        assert_int_equal(vast_inject(doc, len, &urls, &out, NULL), VAST_INJECT_OK);
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double check = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 2000e3;
    double inj = ((t2.tv_sec - t1.tv_sec) * 1e9 + (t2.tv_nsec - t1.tv_nsec)) / 2000e3;
    print_message("vast_check %.1f us, vast_inject %.1f us per document\n", check, inj);
    assert_false(out.on_heap); /* no allocation beyond the caller's buffer */
}

int main(void) {
    vast_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v3_inline_with_everything),
        cmocka_unit_test(test_v3_creates_what_is_missing),
        cmocka_unit_test(test_v4_places),
        cmocka_unit_test(test_several_ads_wrapper_and_non_linear),
        cmocka_unit_test(test_self_closing_and_prefixes),
        cmocka_unit_test(test_foreign_namespace_and_extensions_ignored),
        cmocka_unit_test(test_odd_bytes_stay),
        cmocka_unit_test(test_multibyte_utf8_before_insertion_points),
        cmocka_unit_test(test_refusals_leave_out_alone),
        cmocka_unit_test(test_bad_urls_are_refused),
        cmocka_unit_test(test_every_status_and_event_has_text),
        cmocka_unit_test(test_timing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
