/* vastmock.h -- the mock upstream's parts, shared by its files.
 *
 *   main.c      command line, signals, listening socket, the event loop
 *   routes.c    the HTTP handlers: ad requests and the control paths
 *   scenario.c  the scripted replies and the log of ad requests
 *   reply.c     sending replies now (JSON, XML) or later (a parked reply)
 *
 * All mutable state lives in one struct mock owned by main(); there are no
 * mutable globals. Functions that can fail return false, having sent
 * nothing (the caller answers) unless they say otherwise. */
#ifndef VASTMOCK_H
#define VASTMOCK_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#define VASTMOCK_MAX_DELAY_MS 3600000UL /* one hour */

struct pending_reply;

/* The whole mutable state of the mock. */
struct mock {
    struct event_base *base;
    struct evhttp *http;
    struct event *sigint_event;
    struct event *sigterm_event;
    unsigned long default_delay_ms;
    json_t *scenario;              /* validated [[body, status, delay], ...] or NULL */
    size_t scenario_next;          /* index of the next entry to serve */
    json_t *request_log;           /* array of receive timestamps in ms */
    json_t *request_details;       /* array of {uri, user_agent, ...} objects */
    struct pending_reply *pending; /* doubly linked list of parked replies */
};

/* What an ad request is answered with, and when; the plan owns `body`. */
struct planned_reply {
    int status;
    unsigned long delay_ms;
    struct evbuffer *body;
};

/* ---- routes.c ---- */

/* Registers the control paths and the catch-all ad request handler. */
bool routes_register(struct mock *mock);

/* ---- scenario.c ---- */

/* Empty request logs and no scenario: the state before any /setscenario. */
bool scenario_init(struct mock *mock);
void scenario_free(struct mock *mock);

/* Checks that `doc` is an array of [string, 100..599, 0..max delay]
 * entries; if not, says why in `message`. */
bool scenario_valid(const json_t *doc, char *message, size_t message_size);

/* Installs a validated scenario, taking the reference, and clears the logs. */
bool scenario_install(struct mock *mock, json_t *scenario);

/* Logs an ad request: its receive time, and (for the first
 * VASTMOCK_MAX_DETAILS of a scenario) what it said about the device. */
bool scenario_log_request(struct mock *mock, struct evhttp_request *req);

/* Fills `plan` with the next scenario entry, or the default VAST. */
bool scenario_next_reply(struct mock *mock, struct planned_reply *plan);

/* ---- reply.c ---- */

/* Sends `body` (may be NULL) with the given status and content type. */
void reply_send(struct evhttp_request *req, int status, const char *content_type,
                struct evbuffer *body);

/* Sends `doc` (NULL: a 500) as the JSON body of the reply, and releases it. */
void reply_json(struct evhttp_request *req, int status, json_t *doc);

/* Sends {"success": false, "message": message}. */
void reply_failure(struct evhttp_request *req, int status, const char *message);

/* True if the request method is in `allowed` (a mask); if not, has answered 405. */
bool reply_method_allowed(struct evhttp_request *req, unsigned allowed, const char *allow_header);

/* The request body as JSON; NULL with the reason in `message` if it is not. */
json_t *reply_read_json_body(struct evhttp_request *req, char *message, size_t message_size);

/* Parks `plan` until its delay is over, taking `plan->body` on success. */
bool reply_defer(struct mock *mock, struct evhttp_request *req, const struct planned_reply *plan);

/* Releases the replies still parked (their requests are evhttp's). */
void reply_drop_pending(struct mock *mock);

#endif
