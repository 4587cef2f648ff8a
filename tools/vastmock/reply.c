/* reply.c -- sending the mock's replies, now or after a delay.
 *
 * A delayed reply is not a thread or a sleep: the reply is fully prepared
 * when the request arrives and parked in a "pending reply" holding a
 * one-shot evtimer, so thousands of delayed replies cost a few hundred
 * bytes each. When the timer fires the reply is sent and the pending reply
 * freed.
 *
 * The only subtle part is lifetime. evhttp owns the request and frees it
 * together with its connection (connection error, server shutdown). To
 * never touch a freed request, every pending reply registers itself as the
 * close callback of its connection (evhttp serves one request per
 * connection at a time, so there is at most one pending reply per
 * connection) and unregisters just before it sends. If the connection goes
 * away first, the close callback cancels the timer and drops the pending
 * reply; if libevent had detached the request from the dying connection
 * (its EOF/timeout path), the request is ours and is freed there too.
 * libevent 2.1 does not read from a connection while its reply is pending,
 * so a client that gives up early is usually noticed only when the late
 * reply is written; libevent then fails the write and frees everything. */
#include "vastmock.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

/* A fully prepared reply waiting for its timer. */
struct pending_reply {
    struct mock *mock;
    struct evhttp_request *req;
    struct evbuffer *body;
    struct event *timer;
    int status;
    struct pending_reply *prev;
    struct pending_reply *next;
};

/* ---- replies sent now ---- */

void reply_send(struct evhttp_request *req, int status, const char *content_type,
                struct evbuffer *body) {
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    if (evhttp_add_header(headers, "Content-Type", content_type) != 0) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    evhttp_send_reply(req, status, NULL, body);
}

static int dump_to_evbuffer(const char *data, size_t len, void *buf) {
    return evbuffer_add(buf, data, len);
}

void reply_json(struct evhttp_request *req, int status, json_t *doc) {
    if (doc == NULL) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    struct evbuffer *body = evbuffer_new();
    if (body != NULL && json_dump_callback(doc, dump_to_evbuffer, body, 0) == 0)
        reply_send(req, status, "application/json", body);
    else
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
    if (body != NULL) evbuffer_free(body);
    json_decref(doc);
}

void reply_failure(struct evhttp_request *req, int status, const char *message) {
    reply_json(req, status, json_pack("{s:b, s:s}", "success", 0, "message", message));
}

bool reply_method_allowed(struct evhttp_request *req, unsigned allowed, const char *allow_header) {
    if ((unsigned)evhttp_request_get_command(req) & allowed) return true;
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    if (evhttp_add_header(headers, "Allow", allow_header) != 0) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return false;
    }
    reply_failure(req, HTTP_BADMETHOD, "method not allowed");
    return false;
}

json_t *reply_read_json_body(struct evhttp_request *req, char *message, size_t message_size) {
    struct evbuffer *input = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(input);
    if (len == 0) {
        snprintf(message, message_size, "empty body: expected JSON");
        return NULL;
    }
    const char *text = (const char *)evbuffer_pullup(input, -1);
    if (text == NULL) {
        snprintf(message, message_size, "out of memory reading body");
        return NULL;
    }
    json_error_t error;
    json_t *doc = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    if (doc == NULL)
        snprintf(message, message_size, "invalid JSON: %s (line %d, column %d)", error.text,
                 error.line, error.column);
    return doc;
}

/* ---- replies sent later ---- */

static void pending_link(struct pending_reply *p) {
    struct mock *mock = p->mock;
    p->prev = NULL;
    p->next = mock->pending;
    if (mock->pending != NULL) mock->pending->prev = p;
    mock->pending = p;
}

static void pending_unlink(struct pending_reply *p) {
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        p->mock->pending = p->next;
    if (p->next != NULL) p->next->prev = p->prev;
}

/* Releases a pending reply; never touches its request. */
static void pending_free(struct pending_reply *p) {
    pending_unlink(p);
    event_free(p->timer);
    evbuffer_free(p->body);
    free(p);
}

/* Timer callback: the delay is over, send the prepared reply. */
static void on_pending_timer(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    struct pending_reply *p = arg;
    struct evhttp_connection *conn = evhttp_request_get_connection(p->req);
    /* A detached request (conn == NULL) is freed by evhttp_send_reply. */
    if (conn != NULL) evhttp_connection_set_closecb(conn, NULL, NULL);
    reply_send(p->req, p->status, "application/xml", p->body);
    pending_free(p);
}

/* Close callback: the connection dies before the reply was sent. */
static void on_connection_close(struct evhttp_connection *conn, void *arg) {
    (void)conn;
    struct pending_reply *p = arg;
    /* A request libevent detached from its connection is no longer freed
     * by libevent; one still attached is freed with the connection. */
    if (evhttp_request_get_connection(p->req) == NULL) evhttp_request_free(p->req);
    pending_free(p);
}

static struct timeval ms_to_timeval(unsigned long ms) {
    return (struct timeval){.tv_sec = (time_t)(ms / 1000),
                            .tv_usec = (suseconds_t)((ms % 1000) * 1000)};
}

bool reply_defer(struct mock *mock, struct evhttp_request *req, const struct planned_reply *plan) {
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    if (conn == NULL) return false;
    struct pending_reply *p = calloc(1, sizeof(*p));
    if (p == NULL) return false;
    p->timer = evtimer_new(mock->base, on_pending_timer, p);
    struct timeval delay = ms_to_timeval(plan->delay_ms);
    if (p->timer == NULL || evtimer_add(p->timer, &delay) != 0) {
        if (p->timer != NULL) event_free(p->timer);
        free(p);
        return false;
    }
    p->mock = mock;
    p->req = req;
    p->body = plan->body;
    p->status = plan->status;
    pending_link(p);
    evhttp_connection_set_closecb(conn, on_connection_close, p);
    return true;
}

void reply_drop_pending(struct mock *mock) {
    while (mock->pending != NULL) pending_free(mock->pending);
}
