/* vastmock.c -- a small event-driven mock VAST ad server for adstats tests.
 *
 * Build:
 *   cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 \
 *      -o bin/vastmock tools/vastmock.c -levent -ljansson
 *
 * Usage:
 *   vastmock --port N [--bind ADDR] [--delay-ms D] [--help]
 *
 * What it serves
 * --------------
 * Any request to a non-control path (whatever the method) is an "ad request":
 * its receive time is logged and it is answered with the next entry of the
 * current scenario, or, once the scenario is used up, with a canned ~1 KB
 * VAST 3.0 document after the default delay (--delay-ms, or POST /setdelay).
 *
 * The control paths answer at once, are never logged and never delayed:
 *
 *   POST /setscenario  [["BODY", STATUS, DELAY_MS], ...]  replaces the
 *                      remaining scenario and clears the request log.
 *                      BODY is sent as it is, any XML at all (an empty
 *                      <VAST/>, VAST 1.0...); a 204 or 304 goes without
 *                      one, as HTTP wants (evhttp drops it), so
 *                      ["", 204, 0] is an ad server's no-fill.
 *   POST /setdelay     {"delay_ms": N}  changes the default delay.
 *   GET  /requests     receive timestamps (ms since the epoch) of the ad
 *                      requests since the last scenario, in order.
 *   GET  /requests/detail  the same requests, in order, as objects:
 *                      {"uri": path and query as received, "user_agent",
 *                      "device_user_agent" (X-Device-User-Agent),
 *                      "forwarded_for" (X-Forwarded-For)}; a header that
 *                      was absent, or is not UTF-8, is null. Only the first
 *                      10000 requests of a scenario are kept in detail.
 *   GET  /healthz      {"status":"ok"}
 *
 * Design
 * ------
 * Everything runs on one thread inside one libevent loop; evhttp does the
 * HTTP/1.1 parsing and keep-alive. A delayed reply is not a thread or a
 * sleep: the reply is fully prepared when the request arrives and parked in
 * a "pending reply" holding a one-shot evtimer, so thousands of delayed
 * replies cost a few hundred bytes each. When the timer fires the reply is
 * sent and the pending reply freed.
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
 * reply is written; libevent then fails the write and frees everything.
 *
 * All mutable state lives in one struct mock owned by main(); there are no
 * mutable globals. On SIGINT/SIGTERM the loop stops and everything,
 * including in-flight delayed replies, is released before exiting 0.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <jansson.h>

#define VASTMOCK_DEFAULT_BIND "127.0.0.1"
#define VASTMOCK_LISTEN_BACKLOG 4096
#define VASTMOCK_MAX_BODY_SIZE (64 * 1024 * 1024)
#define VASTMOCK_MAX_DELAY_MS 3600000UL /* one hour */
#define VASTMOCK_MIN_STATUS 100
#define VASTMOCK_MAX_STATUS 599
#define VASTMOCK_EXIT_USAGE 2
#define VASTMOCK_MAX_DETAILS 10000 /* detailed request records kept */

/* The canned answer to every ad request once the scenario is exhausted. */
static const char default_vast[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<VAST version=\"3.0\">\n"
    " <Ad id=\"vastmock-0001\">\n"
    "  <InLine>\n"
    "   <AdSystem version=\"1.0\">vastmock</AdSystem>\n"
    "   <AdTitle>vastmock sample pre-roll</AdTitle>\n"
    "   <Impression id=\"vastmock\">"
    "<![CDATA[http://127.0.0.1/impression?ad=vastmock-0001]]></Impression>\n"
    "   <Creatives>\n"
    "    <Creative id=\"vastmock-creative-1\" sequence=\"1\">\n"
    "     <Linear>\n"
    "      <Duration>00:00:15</Duration>\n"
    "      <TrackingEvents>\n"
    "       <Tracking event=\"start\">"
    "<![CDATA[http://127.0.0.1/track?e=start]]></Tracking>\n"
    "       <Tracking event=\"midpoint\">"
    "<![CDATA[http://127.0.0.1/track?e=midpoint]]></Tracking>\n"
    "       <Tracking event=\"complete\">"
    "<![CDATA[http://127.0.0.1/track?e=complete]]></Tracking>\n"
    "      </TrackingEvents>\n"
    "      <VideoClicks>\n"
    "       <ClickThrough><![CDATA[http://127.0.0.1/click]]></ClickThrough>\n"
    "      </VideoClicks>\n"
    "      <MediaFiles>\n"
    "       <MediaFile delivery=\"progressive\" type=\"video/mp4\""
    " width=\"640\" height=\"360\" bitrate=\"800\">"
    "<![CDATA[http://127.0.0.1/ad.mp4]]></MediaFile>\n"
    "      </MediaFiles>\n"
    "     </Linear>\n"
    "    </Creative>\n"
    "   </Creatives>\n"
    "  </InLine>\n"
    " </Ad>\n"
    "</VAST>\n";

/* Command line settings. */
struct config {
    const char *bind_addr;
    unsigned long port;
    unsigned long delay_ms;
};

struct mock;

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

/* What an ad request is answered with, and when. */
struct planned_reply {
    int status;
    unsigned long delay_ms;
    struct evbuffer *body;
};

/* The whole mutable state of the mock. */
struct mock {
    struct event_base *base;
    struct evhttp *http;
    struct event *sigint_event;
    struct event *sigterm_event;
    unsigned long default_delay_ms;
    json_t *scenario;       /* validated [[body, status, delay], ...] or NULL */
    size_t scenario_next;   /* index of the next entry to serve */
    json_t *request_log;    /* array of receive timestamps in ms */
    json_t *request_details; /* array of {uri, user_agent, ...} objects */
    struct pending_reply *pending; /* doubly linked list of parked replies */
};

/* ------------------------------------------------------------------------
 * Small utilities
 * --------------------------------------------------------------------- */

/* Milliseconds since the Unix epoch, or -1 if the clock is unavailable. */
static int64_t now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval ms_to_timeval(unsigned long ms)
{
    struct timeval tv;

    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
    return tv;
}

/* Parses a whole decimal string in 0..max. Returns 0 on success. */
static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long value;

    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    value = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || value > max) return -1;
    *out = value;
    return 0;
}

/* Lets the process hold as many sockets as the hard limit allows. */
static void raise_fd_limit(void)
{
    struct rlimit lim;

    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    if (lim.rlim_cur == lim.rlim_max) return;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
        fprintf(stderr, "vastmock: warning: cannot raise fd limit: %s\n",
                strerror(errno));
}

/* ------------------------------------------------------------------------
 * Sending replies
 * --------------------------------------------------------------------- */

/* Sends `body` (may be NULL) with the given status and content type. */
static void send_reply(struct evhttp_request *req, int status,
                       const char *content_type, struct evbuffer *body)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);

    if (evhttp_add_header(headers, "Content-Type", content_type) != 0) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    evhttp_send_reply(req, status, NULL, body);
}

static int dump_to_evbuffer(const char *data, size_t len, void *buf)
{
    return evbuffer_add(buf, data, len);
}

/* Sends `doc` as the JSON body of the reply, and releases it. */
static void send_json(struct evhttp_request *req, int status, json_t *doc)
{
    struct evbuffer *body;

    if (doc == NULL) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    body = evbuffer_new();
    if (body == NULL ||
        json_dump_callback(doc, dump_to_evbuffer, body, 0) != 0) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
    } else {
        send_reply(req, status, "application/json", body);
    }
    if (body != NULL) evbuffer_free(body);
    json_decref(doc);
}

static void send_failure(struct evhttp_request *req, int status,
                         const char *message)
{
    send_json(req, status,
              json_pack("{s:b, s:s}", "success", 0, "message", message));
}

/* Answers 405 unless the request method is in `allowed` (a mask). */
static int require_method(struct evhttp_request *req, unsigned allowed,
                          const char *allow_header)
{
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    struct evkeyvalq *headers;

    if ((unsigned)method & allowed) return 0;
    headers = evhttp_request_get_output_headers(req);
    if (evhttp_add_header(headers, "Allow", allow_header) != 0) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return -1;
    }
    send_failure(req, HTTP_BADMETHOD, "method not allowed");
    return -1;
}

/* Parses the request body as JSON; on failure fills `message`. */
static json_t *read_json_body(struct evhttp_request *req, char *message,
                              size_t message_size)
{
    struct evbuffer *input = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(input);
    const char *text;
    json_error_t error;
    json_t *doc;

    if (len == 0) {
        snprintf(message, message_size, "empty body: expected JSON");
        return NULL;
    }
    text = (const char *)evbuffer_pullup(input, -1);
    if (text == NULL) {
        snprintf(message, message_size, "out of memory reading body");
        return NULL;
    }
    doc = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    if (doc == NULL)
        snprintf(message, message_size,
                 "invalid JSON: %s (line %d, column %d)", error.text,
                 error.line, error.column);
    return doc;
}

/* ------------------------------------------------------------------------
 * Pending (delayed) replies
 * --------------------------------------------------------------------- */

static void pending_reply_link(struct pending_reply *p)
{
    struct mock *mock = p->mock;

    p->prev = NULL;
    p->next = mock->pending;
    if (mock->pending != NULL) mock->pending->prev = p;
    mock->pending = p;
}

static void pending_reply_unlink(struct pending_reply *p)
{
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        p->mock->pending = p->next;
    if (p->next != NULL) p->next->prev = p->prev;
}

/* Releases a pending reply; never touches its request. */
static void pending_reply_free(struct pending_reply *p)
{
    pending_reply_unlink(p);
    event_free(p->timer);
    evbuffer_free(p->body);
    free(p);
}

/* Timer callback: the delay is over, send the prepared reply. */
static void on_pending_timer(evutil_socket_t fd, short what, void *arg)
{
    struct pending_reply *p = arg;
    struct evhttp_connection *conn = evhttp_request_get_connection(p->req);

    (void)fd;
    (void)what;
    /* A detached request (conn == NULL) is freed by evhttp_send_reply. */
    if (conn != NULL) evhttp_connection_set_closecb(conn, NULL, NULL);
    send_reply(p->req, p->status, "application/xml", p->body);
    pending_reply_free(p);
}

/* Close callback: the connection dies before the reply was sent. */
static void on_connection_close(struct evhttp_connection *conn, void *arg)
{
    struct pending_reply *p = arg;

    (void)conn;
    /* A request libevent detached from its connection is no longer freed
     * by libevent; one still attached is freed with the connection. */
    if (evhttp_request_get_connection(p->req) == NULL)
        evhttp_request_free(p->req);
    pending_reply_free(p);
}

/* Parks `plan` until its delay is over. Takes `plan->body` on success. */
static int defer_reply(struct mock *mock, struct evhttp_request *req,
                       const struct planned_reply *plan)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct timeval delay = ms_to_timeval(plan->delay_ms);
    struct pending_reply *p;

    if (conn == NULL) return -1;
    p = calloc(1, sizeof(*p));
    if (p == NULL) return -1;
    p->timer = evtimer_new(mock->base, on_pending_timer, p);
    if (p->timer == NULL || evtimer_add(p->timer, &delay) != 0) {
        if (p->timer != NULL) event_free(p->timer);
        free(p);
        return -1;
    }
    p->mock = mock;
    p->req = req;
    p->body = plan->body;
    p->status = plan->status;
    pending_reply_link(p);
    evhttp_connection_set_closecb(conn, on_connection_close, p);
    return 0;
}

/* ------------------------------------------------------------------------
 * Scenario and request log
 * --------------------------------------------------------------------- */

/* Checks one [string, 100..599, 0..max delay] scenario entry. */
static int validate_scenario_entry(const json_t *entry, size_t i,
                                   char *message, size_t message_size)
{
    const json_t *status;
    const json_t *delay;

    if (!json_is_array(entry) || json_array_size(entry) != 3) {
        snprintf(message, message_size,
                 "entry %zu: expected [body, status, delay_ms]", i);
        return -1;
    }
    if (!json_is_string(json_array_get(entry, 0))) {
        snprintf(message, message_size, "entry %zu: body must be a string",
                 i);
        return -1;
    }
    status = json_array_get(entry, 1);
    if (!json_is_integer(status) ||
        json_integer_value(status) < VASTMOCK_MIN_STATUS ||
        json_integer_value(status) > VASTMOCK_MAX_STATUS) {
        snprintf(message, message_size,
                 "entry %zu: status must be an integer in %d..%d", i,
                 VASTMOCK_MIN_STATUS, VASTMOCK_MAX_STATUS);
        return -1;
    }
    delay = json_array_get(entry, 2);
    if (!json_is_integer(delay) || json_integer_value(delay) < 0 ||
        json_integer_value(delay) > (json_int_t)VASTMOCK_MAX_DELAY_MS) {
        snprintf(message, message_size,
                 "entry %zu: delay_ms must be an integer in 0..%lu", i,
                 VASTMOCK_MAX_DELAY_MS);
        return -1;
    }
    return 0;
}

/* Checks that `doc` is an array of valid scenario entries. */
static int validate_scenario(const json_t *doc, char *message,
                             size_t message_size)
{
    size_t i;

    if (!json_is_array(doc)) {
        snprintf(message, message_size,
                 "scenario must be a JSON array of "
                 "[body, status, delay_ms] entries");
        return -1;
    }
    for (i = 0; i < json_array_size(doc); i++) {
        if (validate_scenario_entry(json_array_get(doc, i), i, message,
                                    message_size) != 0)
            return -1;
    }
    return 0;
}

/* Installs a validated scenario (taking the reference) and clears the log. */
static int install_scenario(struct mock *mock, json_t *scenario)
{
    json_t *log = json_array();
    json_t *details = json_array();

    if (log == NULL || details == NULL) {
        json_decref(log);
        json_decref(details);
        return -1;
    }
    json_decref(mock->request_log);
    mock->request_log = log;
    json_decref(mock->request_details);
    mock->request_details = details;
    json_decref(mock->scenario);
    mock->scenario = scenario;
    mock->scenario_next = 0;
    return 0;
}

/* A request header as a JSON string, or null if absent or not UTF-8. */
static json_t *header_json(struct evhttp_request *req, const char *name)
{
    const char *value =
        evhttp_find_header(evhttp_request_get_input_headers(req), name);
    json_t *s = value != NULL ? json_string(value) : NULL;

    return s != NULL ? s : json_null();
}

/* Records what adstats told the ad server about the device. */
static int log_request_detail(struct mock *mock, struct evhttp_request *req)
{
    const char *uri = evhttp_request_get_uri(req);
    json_t *detail;

    if (json_array_size(mock->request_details) >= VASTMOCK_MAX_DETAILS)
        return 0;
    detail = json_pack("{s:o, s:o, s:o, s:o}",
                       "uri", uri != NULL ? json_string(uri) : json_null(),
                       "user_agent", header_json(req, "User-Agent"),
                       "device_user_agent",
                       header_json(req, "X-Device-User-Agent"),
                       "forwarded_for", header_json(req, "X-Forwarded-For"));
    return json_array_append_new(mock->request_details, detail);
}

static int log_request(struct mock *mock, struct evhttp_request *req)
{
    int64_t ms = now_ms();

    if (ms < 0) return -1;
    if (json_array_append_new(mock->request_log, json_integer(ms)) != 0)
        return -1;
    return log_request_detail(mock, req);
}

/* Fills `plan` with the next scenario entry, or the default VAST. */
static int plan_next_reply(struct mock *mock, struct planned_reply *plan)
{
    json_t *entry = json_array_get(mock->scenario, mock->scenario_next);
    int rc;

    plan->body = evbuffer_new();
    if (plan->body == NULL) return -1;
    if (entry == NULL) {
        plan->status = HTTP_OK;
        plan->delay_ms = mock->default_delay_ms;
        rc = evbuffer_add_reference(plan->body, default_vast,
                                    sizeof(default_vast) - 1, NULL, NULL);
    } else {
        json_t *body = json_array_get(entry, 0);

        plan->status = (int)json_integer_value(json_array_get(entry, 1));
        plan->delay_ms =
            (unsigned long)json_integer_value(json_array_get(entry, 2));
        rc = evbuffer_add(plan->body, json_string_value(body),
                          json_string_length(body));
        mock->scenario_next++;
    }
    if (rc != 0) {
        evbuffer_free(plan->body);
        plan->body = NULL;
    }
    return rc;
}

/* ------------------------------------------------------------------------
 * HTTP handlers
 * --------------------------------------------------------------------- */

/* Any non-control path: log it and answer (possibly later). */
/* evhttp may write a reply's headers and body in two segments; with Nagle
 * on, the second waits for the client's delayed ACK (40 ms), which would
 * show up as fake upstream latency in every benchmark. */
static void disable_nagle(struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    int one = 1;

    if (fd >= 0)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void handle_ad_request(struct evhttp_request *req, void *arg)
{
    struct mock *mock = arg;
    struct planned_reply plan;

    disable_nagle(req);
    if (log_request(mock, req) != 0 || plan_next_reply(mock, &plan) != 0) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    if (plan.delay_ms == 0) {
        send_reply(req, plan.status, "application/xml", plan.body);
        evbuffer_free(plan.body);
        return;
    }
    if (defer_reply(mock, req, &plan) != 0) {
        evbuffer_free(plan.body);
        evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
    }
}

/* POST /setscenario [["BODY", STATUS, DELAY_MS], ...] */
static void handle_setscenario(struct evhttp_request *req, void *arg)
{
    struct mock *mock = arg;
    char message[256];
    json_t *doc;
    size_t entries;

    if (require_method(req, EVHTTP_REQ_POST, "POST") != 0) return;
    doc = read_json_body(req, message, sizeof(message));
    if (doc == NULL || validate_scenario(doc, message, sizeof(message)) != 0) {
        json_decref(doc);
        send_failure(req, HTTP_BADREQUEST, message);
        return;
    }
    entries = json_array_size(doc);
    if (install_scenario(mock, doc) != 0) {
        json_decref(doc);
        send_failure(req, HTTP_INTERNAL, "out of memory");
        return;
    }
    send_json(req, HTTP_OK,
              json_pack("{s:b, s:I}", "success", 1, "entries",
                        (json_int_t)entries));
}

/* POST /setdelay {"delay_ms": N} */
static void handle_setdelay(struct evhttp_request *req, void *arg)
{
    struct mock *mock = arg;
    char message[256];
    json_t *doc;
    json_t *delay;

    if (require_method(req, EVHTTP_REQ_POST, "POST") != 0) return;
    doc = read_json_body(req, message, sizeof(message));
    if (doc == NULL) {
        send_failure(req, HTTP_BADREQUEST, message);
        return;
    }
    delay = json_object_get(doc, "delay_ms");
    if (!json_is_integer(delay) || json_integer_value(delay) < 0 ||
        json_integer_value(delay) > (json_int_t)VASTMOCK_MAX_DELAY_MS) {
        json_decref(doc);
        snprintf(message, sizeof(message),
                 "body must be {\"delay_ms\": N} with N an integer in 0..%lu",
                 VASTMOCK_MAX_DELAY_MS);
        send_failure(req, HTTP_BADREQUEST, message);
        return;
    }
    mock->default_delay_ms = (unsigned long)json_integer_value(delay);
    json_decref(doc);
    send_json(req, HTTP_OK,
              json_pack("{s:b, s:I}", "success", 1, "delay_ms",
                        (json_int_t)mock->default_delay_ms));
}

/* GET /requests */
static void handle_requests(struct evhttp_request *req, void *arg)
{
    struct mock *mock = arg;

    if (require_method(req, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "GET, HEAD") != 0)
        return;
    send_json(req, HTTP_OK, json_incref(mock->request_log));
}

/* GET /requests/detail */
static void handle_request_details(struct evhttp_request *req, void *arg)
{
    struct mock *mock = arg;

    if (require_method(req, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "GET, HEAD") != 0)
        return;
    send_json(req, HTTP_OK, json_incref(mock->request_details));
}

/* GET /healthz */
static void handle_healthz(struct evhttp_request *req, void *arg)
{
    (void)arg;
    if (require_method(req, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "GET, HEAD") != 0)
        return;
    send_json(req, HTTP_OK, json_pack("{s:s}", "status", "ok"));
}

/* ------------------------------------------------------------------------
 * Setup and teardown
 * --------------------------------------------------------------------- */

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    struct mock *mock = arg;

    (void)sig;
    (void)what;
    if (event_base_loopbreak(mock->base) != 0)
        fprintf(stderr, "vastmock: cannot stop the event loop\n");
}

static int register_routes(struct mock *mock)
{
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
    size_t i;

    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (evhttp_set_cb(mock->http, routes[i].path, routes[i].handler,
                          mock) != 0)
            return -1;
    }
    evhttp_set_gencb(mock->http, handle_ad_request, mock);
    return 0;
}

static void mock_free(struct mock *mock)
{
    /* Freeing the server closes every connection; their close callbacks
     * cancel the delayed replies still in flight. */
    if (mock->http != NULL) evhttp_free(mock->http);
    /* Defensive: nothing should be left once every connection is gone. */
    while (mock->pending != NULL) pending_reply_free(mock->pending);
    if (mock->sigint_event != NULL) event_free(mock->sigint_event);
    if (mock->sigterm_event != NULL) event_free(mock->sigterm_event);
    json_decref(mock->scenario);
    json_decref(mock->request_log);
    json_decref(mock->request_details);
    if (mock->base != NULL) event_base_free(mock->base);
    memset(mock, 0, sizeof(*mock));
}

static int mock_init(struct mock *mock, const struct config *cfg)
{
    memset(mock, 0, sizeof(*mock));
    mock->default_delay_ms = cfg->delay_ms;
    mock->request_log = json_array();
    mock->request_details = json_array();
    mock->base = event_base_new();
    if (mock->request_log == NULL || mock->request_details == NULL ||
        mock->base == NULL)
        return -1;

    mock->sigint_event = evsignal_new(mock->base, SIGINT, on_stop_signal, mock);
    mock->sigterm_event =
        evsignal_new(mock->base, SIGTERM, on_stop_signal, mock);
    if (mock->sigint_event == NULL || mock->sigterm_event == NULL ||
        evsignal_add(mock->sigint_event, NULL) != 0 ||
        evsignal_add(mock->sigterm_event, NULL) != 0)
        return -1;

    mock->http = evhttp_new(mock->base);
    if (mock->http == NULL) return -1;
    evhttp_set_max_body_size(mock->http, VASTMOCK_MAX_BODY_SIZE);
    evhttp_set_allowed_methods(
        mock->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                        EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                        EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    return register_routes(mock);
}

/* Turns a numeric IPv4/IPv6 address and a port into a socket address. */
static int make_sockaddr(const char *addr, unsigned long port,
                         struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (evutil_inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *len = sizeof(*sin);
        return 0;
    }
    if (evutil_inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*sin6);
        return 0;
    }
    return -1;
}

/* Prints "vastmock listening on ADDR:PORT" for the bound socket. */
static int announce_listener(struct evconnlistener *listener)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN];
    const void *addr;
    unsigned port;
    int rc;

    if (getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&ss,
                    &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
        addr = &sin6->sin6_addr;
        port = ntohs(sin6->sin6_port);
    } else {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
        addr = &sin->sin_addr;
        port = ntohs(sin->sin_port);
    }
    if (evutil_inet_ntop(ss.ss_family, addr, host, sizeof(host)) == NULL)
        return -1;
    rc = printf(ss.ss_family == AF_INET6 ? "vastmock listening on [%s]:%u\n"
                                         : "vastmock listening on %s:%u\n",
                host, port);
    if (rc < 0 || fflush(stdout) != 0) return -1;
    return 0;
}

/* Binds with a deep accept backlog and hands the socket to evhttp. */
static int mock_listen(struct mock *mock, const struct config *cfg)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct evconnlistener *listener;

    if (make_sockaddr(cfg->bind_addr, cfg->port, &ss, &len) != 0) return -1;
    listener = evconnlistener_new_bind(
        mock->base, NULL, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
        VASTMOCK_LISTEN_BACKLOG, (struct sockaddr *)&ss, (int)len);
    if (listener == NULL) {
        fprintf(stderr, "vastmock: cannot listen on %s:%lu: %s\n",
                cfg->bind_addr, cfg->port, strerror(errno));
        return -1;
    }
    if (evhttp_bind_listener(mock->http, listener) == NULL) {
        evconnlistener_free(listener);
        fprintf(stderr, "vastmock: cannot attach listener to evhttp\n");
        return -1;
    }
    if (announce_listener(listener) != 0) {
        fprintf(stderr, "vastmock: cannot report the listening address\n");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Command line
 * --------------------------------------------------------------------- */

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: vastmock --port N [--bind ADDR] [--delay-ms D] [--help]\n"
            "  --port N      TCP port to listen on (0 picks a free port)\n"
            "  --bind ADDR   numeric IPv4/IPv6 address (default %s)\n"
            "  --delay-ms D  default reply delay in ms (default 0, max %lu)\n"
            "control: POST /setscenario, POST /setdelay, GET /requests, "
            "GET /requests/detail, GET /healthz\n",
            VASTMOCK_DEFAULT_BIND, VASTMOCK_MAX_DELAY_MS);
}

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "vastmock: %s%s%s (try --help)\n", what,
            arg != NULL ? ": " : "", arg != NULL ? arg : "");
    return -1;
}

/* Returns 0 to run, 1 if --help was printed, -1 on a usage error. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'},
        {"bind", required_argument, NULL, 'b'},
        {"delay-ms", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct sockaddr_storage ss;
    socklen_t len;
    int have_port = 0;
    int opt;

    cfg->bind_addr = VASTMOCK_DEFAULT_BIND;
    cfg->port = 0;
    cfg->delay_ms = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (opt) {
        case 'p':
            if (parse_ulong(optarg, 65535, &cfg->port) != 0)
                return usage_error("--port must be an integer in 0..65535",
                                   optarg);
            have_port = 1;
            break;
        case 'b':
            cfg->bind_addr = optarg;
            break;
        case 'd':
            if (parse_ulong(optarg, VASTMOCK_MAX_DELAY_MS, &cfg->delay_ms) != 0)
                return usage_error("--delay-ms must be an integer in "
                                   "0..3600000", optarg);
            break;
        case 'h':
            print_usage(stdout);
            return 1;
        case ':':
            return usage_error("option requires an argument",
                               argv[optind - 1]);
        default:
            if (optopt != 0) {
                char name[3] = {'-', (char)optopt, '\0'};
                return usage_error("unknown option", name);
            }
            return usage_error("unknown option", argv[optind - 1]);
        }
    }
    if (optind < argc) return usage_error("unexpected argument", argv[optind]);
    if (!have_port) return usage_error("--port is required", NULL);
    if (make_sockaddr(cfg->bind_addr, cfg->port, &ss, &len) != 0)
        return usage_error("--bind must be a numeric IPv4 or IPv6 address",
                           cfg->bind_addr);
    return 0;
}

int main(int argc, char **argv)
{
    struct config cfg;
    struct mock mock;
    int rc;

    rc = parse_args(argc, argv, &cfg);
    if (rc != 0) return rc > 0 ? EXIT_SUCCESS : VASTMOCK_EXIT_USAGE;

    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, "vastmock: cannot ignore SIGPIPE\n");
        return EXIT_FAILURE;
    }
    raise_fd_limit();

    if (mock_init(&mock, &cfg) != 0) {
        fprintf(stderr, "vastmock: initialisation failed\n");
        mock_free(&mock);
        return EXIT_FAILURE;
    }
    if (mock_listen(&mock, &cfg) != 0) {
        mock_free(&mock);
        return EXIT_FAILURE;
    }
    rc = event_base_dispatch(mock.base);
    mock_free(&mock);
    libevent_global_shutdown();
    if (rc == -1) {
        fprintf(stderr, "vastmock: event loop failed\n");
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
