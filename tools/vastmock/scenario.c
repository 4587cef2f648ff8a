/* scenario.c -- what the mock answers each ad request, and its log of them.
 *
 * A scenario is the list POST /setscenario installed, [[BODY, STATUS,
 * DELAY_MS], ...], kept as the validated jansson array itself: each ad
 * request takes the next entry, and once they are used up the canned
 * default_vast.h document after the default delay. Installing a scenario
 * also starts a new request log, so a test reads exactly the requests its
 * own scenario saw. */
#include "vastmock.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "default_vast.h"

#define MIN_STATUS 100
#define MAX_STATUS 599
#define MAX_DETAILS 10000 /* detailed request records kept per scenario */

bool scenario_init(struct mock *mock) {
    mock->request_log = json_array();
    mock->request_details = json_array();
    return mock->request_log != NULL && mock->request_details != NULL;
}

void scenario_free(struct mock *mock) {
    json_decref(mock->scenario);
    json_decref(mock->request_log);
    json_decref(mock->request_details);
}

/* ---- validating and installing ---- */

static bool integer_in(const json_t *v, json_int_t min, json_int_t max) {
    return json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max;
}

/* Checks one [string, 100..599, 0..max delay] entry. */
static bool entry_valid(const json_t *entry, size_t i, char *message, size_t message_size) {
    if (!json_is_array(entry) || json_array_size(entry) != 3) {
        snprintf(message, message_size, "entry %zu: expected [body, status, delay_ms]", i);
        return false;
    }
    if (!json_is_string(json_array_get(entry, 0))) {
        snprintf(message, message_size, "entry %zu: body must be a string", i);
        return false;
    }
    if (!integer_in(json_array_get(entry, 1), MIN_STATUS, MAX_STATUS)) {
        snprintf(message, message_size, "entry %zu: status must be an integer in %d..%d", i,
                 MIN_STATUS, MAX_STATUS);
        return false;
    }
    if (!integer_in(json_array_get(entry, 2), 0, (json_int_t)VASTMOCK_MAX_DELAY_MS)) {
        snprintf(message, message_size, "entry %zu: delay_ms must be an integer in 0..%lu", i,
                 VASTMOCK_MAX_DELAY_MS);
        return false;
    }
    return true;
}

bool scenario_valid(const json_t *doc, char *message, size_t message_size) {
    if (!json_is_array(doc)) {
        snprintf(message, message_size,
                 "scenario must be a JSON array of [body, status, delay_ms] entries");
        return false;
    }
    for (size_t i = 0; i < json_array_size(doc); i++) {
        if (!entry_valid(json_array_get(doc, i), i, message, message_size)) return false;
    }
    return true;
}

bool scenario_install(struct mock *mock, json_t *scenario) {
    json_t *log = json_array();
    json_t *details = json_array();
    if (log == NULL || details == NULL) {
        json_decref(log);
        json_decref(details);
        return false;
    }
    scenario_free(mock);
    mock->request_log = log;
    mock->request_details = details;
    mock->scenario = scenario;
    mock->scenario_next = 0;
    return true;
}

/* ---- the request log ---- */

/* Milliseconds since the Unix epoch, or -1 if the clock is unavailable. */
static int64_t now_ms(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A request header as a JSON string, or null if absent or not UTF-8. */
static json_t *header_json(struct evhttp_request *req, const char *name) {
    const char *value = evhttp_find_header(evhttp_request_get_input_headers(req), name);
    json_t *s = value != NULL ? json_string(value) : NULL;
    return s != NULL ? s : json_null();
}

/* Records what adstats told the ad server about the device. */
static bool log_detail(struct mock *mock, struct evhttp_request *req) {
    if (json_array_size(mock->request_details) >= MAX_DETAILS) return true;
    const char *uri = evhttp_request_get_uri(req);
    json_t *detail = json_pack("{s:o, s:o, s:o, s:o}",
                               "uri", uri != NULL ? json_string(uri) : json_null(),
                               "user_agent", header_json(req, "User-Agent"),
                               "device_user_agent", header_json(req, "X-Device-User-Agent"),
                               "forwarded_for", header_json(req, "X-Forwarded-For"));
    return json_array_append_new(mock->request_details, detail) == 0;
}

bool scenario_log_request(struct mock *mock, struct evhttp_request *req) {
    int64_t ms = now_ms();
    if (ms < 0) return false;
    if (json_array_append_new(mock->request_log, json_integer(ms)) != 0) return false;
    return log_detail(mock, req);
}

/* ---- the next reply ---- */

/* The entry's body, status and delay; consumes the entry. */
static bool plan_entry(struct mock *mock, const json_t *entry, struct planned_reply *plan) {
    const json_t *body = json_array_get(entry, 0);
    plan->status = (int)json_integer_value(json_array_get(entry, 1));
    plan->delay_ms = (unsigned long)json_integer_value(json_array_get(entry, 2));
    mock->scenario_next++;
    return evbuffer_add(plan->body, json_string_value(body), json_string_length(body)) == 0;
}

static bool plan_default(const struct mock *mock, struct planned_reply *plan) {
    plan->status = HTTP_OK;
    plan->delay_ms = mock->default_delay_ms;
    return evbuffer_add_reference(plan->body, vastmock_default_vast,
                                  sizeof(vastmock_default_vast) - 1, NULL, NULL) == 0;
}

bool scenario_next_reply(struct mock *mock, struct planned_reply *plan) {
    plan->body = evbuffer_new();
    if (plan->body == NULL) return false;
    const json_t *entry = json_array_get(mock->scenario, mock->scenario_next);
    bool ok = entry != NULL ? plan_entry(mock, entry, plan) : plan_default(mock, plan);
    if (ok) return true;
    evbuffer_free(plan->body);
    plan->body = NULL;
    return false;
}
