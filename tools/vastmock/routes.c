/* routes.c -- the mock's HTTP handlers.
 *
 * Any request to a non-control path, whatever its method, is an ad request:
 * it is logged and answered with the scenario's next reply (scenario.c),
 * now or after its delay (reply.c). The control paths answer at once, are
 * never logged and never delayed; each checks its method and answers 405
 * with an Allow header otherwise. */
#include "vastmock.h"

#include <stdio.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define GET_OR_HEAD (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)

/* evhttp may write a reply's headers and body in two segments; with Nagle
 * on, the second waits for the client's delayed ACK (40 ms), which would
 * show up as fake upstream latency in every benchmark. */
static void disable_nagle(struct evhttp_request *req) {
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct bufferevent *bev = conn != NULL ? evhttp_connection_get_bufferevent(conn) : NULL;
    evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0) (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Any non-control path: log it and answer (possibly later). */
static void handle_ad_request(struct evhttp_request *req, void *arg) {
    struct mock *mock = arg;
    disable_nagle(req);
    struct planned_reply plan;
    if (!scenario_log_request(mock, req) || !scenario_next_reply(mock, &plan)) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    if (plan.delay_ms == 0) {
        reply_send(req, plan.status, "application/xml", plan.body);
        evbuffer_free(plan.body);
        return;
    }
    if (reply_defer(mock, req, &plan)) return;
    evbuffer_free(plan.body);
    evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
}

/* POST /setscenario [["BODY", STATUS, DELAY_MS], ...] */
static void handle_setscenario(struct evhttp_request *req, void *arg) {
    struct mock *mock = arg;
    if (!reply_method_allowed(req, EVHTTP_REQ_POST, "POST")) return;
    char message[256];
    json_t *doc = reply_read_json_body(req, message, sizeof(message));
    if (doc == NULL || !scenario_valid(doc, message, sizeof(message))) {
        json_decref(doc);
        reply_failure(req, HTTP_BADREQUEST, message);
        return;
    }
    size_t entries = json_array_size(doc);
    if (!scenario_install(mock, doc)) {
        json_decref(doc);
        reply_failure(req, HTTP_INTERNAL, "out of memory");
        return;
    }
    reply_json(req, HTTP_OK,
               json_pack("{s:b, s:I}", "success", 1, "entries", (json_int_t)entries));
}

/* The delay_ms of a {"delay_ms": N} body, if N is an integer in range. */
static bool delay_of(const json_t *doc, unsigned long *delay_ms) {
    const json_t *delay = json_object_get(doc, "delay_ms");
    if (!json_is_integer(delay) || json_integer_value(delay) < 0
        || json_integer_value(delay) > (json_int_t)VASTMOCK_MAX_DELAY_MS)
        return false;
    *delay_ms = (unsigned long)json_integer_value(delay);
    return true;
}

/* POST /setdelay {"delay_ms": N} */
static void handle_setdelay(struct evhttp_request *req, void *arg) {
    struct mock *mock = arg;
    if (!reply_method_allowed(req, EVHTTP_REQ_POST, "POST")) return;
    char message[256];
    json_t *doc = reply_read_json_body(req, message, sizeof(message));
    if (doc == NULL) {
        reply_failure(req, HTTP_BADREQUEST, message);
        return;
    }
    bool valid = delay_of(doc, &mock->default_delay_ms);
    json_decref(doc);
    if (!valid) {
        snprintf(message, sizeof(message),
                 "body must be {\"delay_ms\": N} with N an integer in 0..%lu",
                 VASTMOCK_MAX_DELAY_MS);
        reply_failure(req, HTTP_BADREQUEST, message);
        return;
    }
    reply_json(req, HTTP_OK, json_pack("{s:b, s:I}", "success", 1, "delay_ms",
                                       (json_int_t)mock->default_delay_ms));
}

/* GET /requests */
static void handle_requests(struct evhttp_request *req, void *arg) {
    struct mock *mock = arg;
    if (!reply_method_allowed(req, GET_OR_HEAD, "GET, HEAD")) return;
    reply_json(req, HTTP_OK, json_incref(mock->request_log));
}

/* GET /requests/detail */
static void handle_request_details(struct evhttp_request *req, void *arg) {
    struct mock *mock = arg;
    if (!reply_method_allowed(req, GET_OR_HEAD, "GET, HEAD")) return;
    reply_json(req, HTTP_OK, json_incref(mock->request_details));
}

/* GET /healthz */
static void handle_healthz(struct evhttp_request *req, void *arg) {
    (void)arg;
    if (!reply_method_allowed(req, GET_OR_HEAD, "GET, HEAD")) return;
    reply_json(req, HTTP_OK, json_pack("{s:s}", "status", "ok"));
}

bool routes_register(struct mock *mock) {
    static const struct {
        const char *path;
        void (*handler)(struct evhttp_request *, void *);
    } routes[] = {
        {"/setscenario", handle_setscenario},
        {"/setdelay", handle_setdelay},
        {"/requests", handle_requests},
        {"/requests/detail", handle_request_details},
        {"/healthz", handle_healthz},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (evhttp_set_cb(mock->http, routes[i].path, routes[i].handler, mock) != 0) return false;
    }
    evhttp_set_gencb(mock->http, handle_ad_request, mock);
    return true;
}
