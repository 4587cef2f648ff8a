/* test_params_analytics.c -- unit tests for the parameters the analytics
 * features added to params.c: country (a filter, normalised like
 * country_code), from/to dates, interval, unique_sessions (normalised to
 * 1/0), dimension and metric (which must match dimension.c's names),
 * limit, event_id; params_integer, params_flag and params_any; and that
 * the Flask-era messages did not change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dimension.h"
#include "params.h"

struct parsed {
    char query[512];
    struct params p;
};

static void parse(struct parsed *r, const char *query) {
    memset(r, 0, sizeof(*r));
    strcpy(r->query, query);
    assert_int_equal(form_parse(r->query, strlen(r->query), &r->p), FORM_OK);
}

/* Validates `query` with everything permitted; NULL `want` means valid. */
static void validate_is(const char *query, const char *want) {
    struct parsed r;
    parse(&r, query);
    struct buf msg;
    buf_init(&msg);
    bool ok = params_validate(&r.p, (1u << PARAM__COUNT) - 1, &msg);
    if (want == NULL) {
        if (!ok) fail_msg("%s: unexpected \"%s\"", query, msg.data);
    } else {
        assert_false(ok);
        assert_string_equal(msg.data, want);
    }
    buf_free(&msg);
}

static void test_names(void **state) {
    (void)state;
    assert_string_equal(param_name(PARAM_COUNTRY), "country");
    assert_string_equal(param_name(PARAM_FROM), "from");
    assert_string_equal(param_name(PARAM_TO), "to");
    assert_string_equal(param_name(PARAM_INTERVAL), "interval");
    assert_string_equal(param_name(PARAM_UNIQUE_SESSIONS), "unique_sessions");
    assert_string_equal(param_name(PARAM_DIMENSION), "dimension");
    assert_string_equal(param_name(PARAM_METRIC), "metric");
    assert_string_equal(param_name(PARAM_LIMIT), "limit");
    assert_string_equal(param_name(PARAM_EVENT_ID), "event_id");
    assert_string_equal(param_name(PARAM_NO_FILLS), "no_fills");
}

static void test_flask_messages_unchanged(void **state) {
    (void)state;
    struct buf msg;
    buf_init(&msg);
    params_missing_message(PARAM_BIT(PARAM_USERNAME) | PARAM_BIT(PARAM_SDK), &msg);
    assert_string_equal(msg.data, "following params are required ['username', 'sdk']");
    buf_reset(&msg);
    params_missing_message(PARAM_BIT(PARAM_SDK_VERSION) | PARAM_BIT(PARAM_SESSION_ID)
                               | PARAM_BIT(PARAM_PLATFORM) | PARAM_BIT(PARAM_USERNAME)
                               | PARAM_BIT(PARAM_COUNTRY_CODE),
                           &msg);
    assert_string_equal(msg.data, "following params are required ['sdk_version', 'session_id', "
                                  "'platform', 'username', 'country_code']");
    buf_free(&msg);
}

static void test_country_filter_normalised(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "country=de");
    struct buf msg;
    buf_init(&msg);
    assert_true(params_validate(&r.p, PARAM_BIT(PARAM_COUNTRY), &msg));
    assert_string_equal(r.p.v[PARAM_COUNTRY].data, "DE");
    buf_free(&msg);
    validate_is("country=XX",
                "invalid parameters: country must be a two-letter ISO 3166-1 alpha-2 country code");
    validate_is("country=USA",
                "invalid parameters: country must be a two-letter ISO 3166-1 alpha-2 country code");
}

static void test_dates(void **state) {
    (void)state;
    validate_is("from=2025-01-01&to=2025-12-31", NULL);
    validate_is("from=2025-02-29",
                "invalid parameters: from must be a UTC date as YYYY-MM-DD, from 1970-01-01 to "
                "9999-12-31");
    validate_is("to=yesterday",
                "invalid parameters: to must be a UTC date as YYYY-MM-DD, from 1970-01-01 to "
                "9999-12-31");
    validate_is("to=2025-01-01T00:00:00Z",
                "invalid parameters: to must be a UTC date as YYYY-MM-DD, from 1970-01-01 to "
                "9999-12-31");
}

static void test_choices(void **state) {
    (void)state;
    validate_is("interval=day&dimension=sdk&metric=ad_requests", NULL);
    validate_is("interval=week", "invalid parameters: interval must be day");
    validate_is("interval=Day", "invalid parameters: interval must be day");
    validate_is("dimension=sdk_version",
                "invalid parameters: dimension must be one of username, sdk, country, platform");
    validate_is("metric=fill_rate",
                "invalid parameters: metric must be impressions, ad_requests, completes or clicks");
    validate_is("metric=impressions-and-more-and-more",
                "invalid parameters: metric must be impressions, ad_requests, completes or clicks");
}

static void test_dimension_choices_match_the_table(void **state) {
    (void)state;
    for (int d = 0; d < DIM__COUNT; d++) {
        char q[64];
        strcpy(q, "dimension=");
        strcat(q, dimension_spec((enum dimension)d)->name);
        validate_is(q, NULL);
    }
    for (int m = 0; m < METRIC_RANKED__COUNT; m++) {
        char q[64];
        strcpy(q, "metric=");
        strcat(q, metric_name((enum metric)m));
        validate_is(q, NULL);
    }
}

static void test_flags(void **state) {
    (void)state;
    const char *yes[] = {"unique_sessions=1", "unique_sessions=true"};
    const char *no[] = {"unique_sessions=0", "unique_sessions=false", "x=1"};
    for (size_t i = 0; i < 2; i++) {
        struct parsed r;
        parse(&r, yes[i]);
        struct buf msg;
        buf_init(&msg);
        assert_true(params_validate(&r.p, PARAM_BIT(PARAM_UNIQUE_SESSIONS), &msg));
        assert_true(params_flag(&r.p, PARAM_UNIQUE_SESSIONS));
        buf_free(&msg);
    }
    for (size_t i = 0; i < 3; i++) {
        struct parsed r;
        parse(&r, no[i]);
        struct buf msg;
        buf_init(&msg);
        assert_true(params_validate(&r.p, PARAM_BIT(PARAM_UNIQUE_SESSIONS), &msg));
        assert_false(params_flag(&r.p, PARAM_UNIQUE_SESSIONS));
        buf_free(&msg);
    }
    validate_is("unique_sessions=yes", "invalid parameters: unique_sessions must be 1, 0, true or false");
    validate_is("unique_sessions=TRUE", "invalid parameters: unique_sessions must be 1, 0, true or false");
    validate_is("unique_sessions=1111111", "invalid parameters: unique_sessions must be 1, 0, true or false");
    /* no_fills is the same kind of flag */
    struct parsed r;
    parse(&r, "no_fills=true");
    struct buf msg;
    buf_init(&msg);
    assert_true(params_validate(&r.p, PARAM_BIT(PARAM_NO_FILLS), &msg));
    assert_true(params_flag(&r.p, PARAM_NO_FILLS));
    assert_false(params_flag(&r.p, PARAM_UNIQUE_SESSIONS));
    buf_free(&msg);
    validate_is("no_fills=yes", "invalid parameters: no_fills must be 1, 0, true or false");
}

static void test_limit(void **state) {
    (void)state;
    const char *msg = "invalid parameters: limit must be a whole number from 1 to 100";
    validate_is("limit=1", NULL);
    validate_is("limit=100", NULL);
    validate_is("limit=0", msg);
    validate_is("limit=101", msg);
    validate_is("limit=-1", msg);
    validate_is("limit=01", msg);
    validate_is("limit=1e2", msg);
    validate_is("limit=1000", msg);
    struct parsed r;
    parse(&r, "limit=42");
    assert_int_equal(params_integer(&r.p, PARAM_LIMIT, 10), 42);
    parse(&r, "x=1");
    assert_int_equal(params_integer(&r.p, PARAM_LIMIT, 10), 10);
}

static void test_event_id(void **state) {
    (void)state;
    char q[128];
    validate_is("event_id=abc-123_X.y%3A%7E%20z", NULL);
    strcpy(q, "event_id=");
    for (int i = 0; i < 64; i++) strcat(q, "e");
    validate_is(q, NULL);
    strcat(q, "e");
    validate_is(q, "invalid parameters: event_id is too long (at most 64 bytes)");
    validate_is("event_id=a%0Ab", "invalid parameters: event_id must be printable ASCII");
    validate_is("event_id=%C3%A9", "invalid parameters: event_id must be printable ASCII");
    validate_is("event_id=a%7Fb", "invalid parameters: event_id must be printable ASCII");
}

static void test_params_any(void **state) {
    (void)state;
    struct parsed r;
    parse(&r, "to=2025-01-01&username=a");
    assert_true(params_any(&r.p, PARAM_BIT(PARAM_FROM) | PARAM_BIT(PARAM_TO)));
    assert_false(params_any(&r.p, PARAM_BIT(PARAM_FROM) | PARAM_BIT(PARAM_INTERVAL)));
    assert_false(params_any(&r.p, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_flask_messages_unchanged),
        cmocka_unit_test(test_country_filter_normalised),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_choices),
        cmocka_unit_test(test_dimension_choices_match_the_table),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_event_id),
        cmocka_unit_test(test_params_any),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
