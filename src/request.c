/* request.c -- the request pipeline shared by every endpoint.
 *
 * libmicrohttpd calls us in this order for each request:
 *
 *   on_uri        the request line is in: allocate the request, keep a copy
 *                 of the raw query string (we decode it ourselves, so that
 *                 bad escapes and encoded NULs are seen, not smoothed over);
 *                 refuse control characters in the raw path
 *   on_access #1  headers are in: check Host, route, check the method and
 *                 body framing and size; answer nothing yet (answering on
 *                 the first call would cost keep-alive, as libmicrohttpd's
 *                 examples warn) unless it is to refuse a body unread, and
 *                 then close the connection after the answer
 *   on_access #n  body data, if any: collect it, up to a cap
 *   on_access     body done: parse, check required and valid parameters,
 *                 call the endpoint's handler; it answers, or awaits Redis
 *                 or the upstream, in which case the connection waits,
 *                 held or suspended (wait_for), while its worker's event
 *                 loop does the work
 *   on_access     while held: nothing yet
 *   on_access     once the work is done: call the handler's `finish`,
 *                 which answers or awaits again (a step chained with
 *                 request_await_store_chained runs in the store's
 *                 callback instead when the connection is suspended, and
 *                 resumes it only to answer)
 *   on_completed  free the request (once its work is done, if it waits)
 *
 * The only allocation per request is the request itself (with its query
 * string inline); responses for the common answers are built once.
 *
 * Parameters come from the query string, then, except on GET and HEAD,
 * from the body: a form (application/x-www-form-urlencoded, or text/plain
 * holding one, as navigator.sendBeacon sends it) or a flat JSON object
 * (jsonbody.h). The body of a GET or HEAD is read (within the size cap)
 * and ignored, as the Flask service ignored it: Postman users leave a raw
 * body behind on their GETs.
 *
 * Every response is counted (accounting_count_response) and, with --access-log,
 * logged when it is queued; CORS headers (cors.h) are added to every
 * response here, and preflights answered here, so no endpoint sees either.
 * In CORS's echo mode the request's variant (its listed Origin) is found
 * once, with the headers; responses built for the request get the
 * variant's headers when sent, and shared ones are prebuilt per variant
 * (struct shared_response: the JSON success answer, /t's pixel): a shared response is never changed
 * once built, since every thread sends it. Per-origin copies cost memory
 * only for those few static answers, and keep the hot path free of any
 * per-request allocation.
 *
 * Everything about one request happens on one worker thread (ioloop.h).
 * Shutdown uses two atomics: `awaiting` counts waiting requests, and
 * `draining` stops new ones from waiting. */
#include "request.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access_log.h"
#include "accounting.h"
#include "admin.h"
#include "clock.h"
#include "cors.h"
#include "headcheck.h"
#include "json.h"
#include "jsonbody.h"
#include "log.h"
#include "request_parse.h"
#include "routing.h"
#include "server.h"

enum request_phase { REQ_HEADERS, REQ_BODY, REQ_AWAITING, REQ_RESUMED, REQ_ANSWERED };

static atomic_int awaiting;
static atomic_bool draining;

#define SUCCESS_FETCHED "{" REQUEST_SUCCESS_FETCHED_MEMBERS "}"
static struct shared_response success_fetched;

const struct http_header response_no_store[] = {
    {MHD_HTTP_HEADER_CACHE_CONTROL, "no-store"},
    {NULL, NULL},
};

/* ---- responses --------------------------------------------------------- */

static struct MHD_Response *new_response(const char *content_type, struct buf *body) {
    size_t len = body->len;
    char *data = buf_steal(body);
    if (data == NULL) return NULL;
    struct MHD_Response *r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(data);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    cors_add_headers(r);
    return r;
}

static void set_response(struct request *req, unsigned status, struct MHD_Response *r,
                         bool shared, size_t bytes) {
    if (req->response != NULL && !req->response_shared) MHD_destroy_response(req->response);
    req->status = status;
    req->response = r;
    req->response_bytes = bytes;
    req->response_shared = shared;
    req->replied = true;
}

void request_reply_body(struct request *req, unsigned status, const char *content_type,
                        struct buf *body) {
    size_t len = body->len;
    set_response(req, status, new_response(content_type, body), false, len);
}

void request_reply_static(struct request *req, unsigned status, const char *content_type,
                          const void *data, size_t len) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data,
                                                             MHD_RESPMEM_PERSISTENT);
    if (r != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        cors_add_headers(r);
    }
    set_response(req, status, r, false, len);
}

void request_reply_json(struct request *req, unsigned status, struct buf *body) {
    request_reply_body(req, status, "application/json", body);
}

void request_reply_shared(struct request *req, unsigned status, struct MHD_Response *r) {
    set_response(req, status, r, true, 0);
}

void request_reply_shared_variant(struct request *req, unsigned status,
                                  const struct shared_response *s) {
    set_response(req, status, s->variant[req->cors_variant], true, s->len);
}

void request_reply_success_fetched(struct request *req) {
    request_reply_shared_variant(req, MHD_HTTP_OK, &success_fetched);
}

void request_reply_error(struct request *req, unsigned status, const char *message) {
    struct buf body;
    buf_init(&body);
    json_append_error(&body, message, strlen(message));
    request_reply_json(req, status, &body);
    if (req->response == NULL) return;
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(req->response, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(req->response, MHD_HTTP_HEADER_ALLOW,
                                routing_allow_header(req->ep));
}

void request_reply_store_failure(struct request *req, const char *what) {
    char message[192];
    const char *code = req->batch.error_code;
    if (req->store_status != STORE_ERROR)
        snprintf(message, sizeof(message), "statistics store unavailable: %s, retry later", what);
    else if (code[0] != '\0')
        snprintf(message, sizeof(message), "statistics store refused the command (%s): %s", code,
                 what);
    else
        snprintf(message, sizeof(message), "statistics store refused the command: %s", what);
    request_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, message);
}

void request_add_header(struct request *req, const char *name, const char *value) {
    if (req->response != NULL) MHD_add_response_header(req->response, name, value);
}

const char *request_path(const struct request *req) {
    return req->path;
}

const char *request_header(const struct request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct header_join {
    const char *name;
    struct buf *out;
    bool found;
};

static enum MHD_Result join_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    struct header_join *j = cls;
    (void)kind;
    if (strcasecmp(key, j->name) != 0 || value == NULL) return MHD_YES;
    if (j->found) buf_append(j->out, ", ", 2);
    buf_append_str(j->out, value);
    j->found = true;
    return MHD_YES;
}

bool request_header_all(const struct request *req, const char *name, struct buf *out) {
    struct header_join j = {name, out, false};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, join_header, &j);
    return j.found;
}

const struct sockaddr *request_client_address(const struct request *req) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info ? info->client_addr : NULL;
}

bool response_add_headers(struct MHD_Response *r, const struct http_header *headers) {
    for (const struct http_header *h = headers; h != NULL && h->name != NULL; h++) {
        if (MHD_add_response_header(r, h->name, h->value) != MHD_YES) return false;
    }
    return true;
}

struct MHD_Response *response_new_static(const void *data, size_t len, const char *content_type,
                                         const struct http_header *headers) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data,
                                                             MHD_RESPMEM_PERSISTENT);
    if (r == NULL) return NULL;
    bool ok = content_type == NULL
              || MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) == MHD_YES;
    if (ok && response_add_headers(r, headers)) return r;
    MHD_destroy_response(r);
    return NULL;
}

bool shared_response_init(struct shared_response *s, const void *data, size_t len,
                          const char *content_type, const struct http_header *headers) {
    memset(s, 0, sizeof(*s));
    s->len = len;
    for (size_t v = 0; v <= cors_variants(); v++) {
        struct MHD_Response *r = response_new_static(data, len, content_type, headers);
        s->variant[v] = r;
        if (r == NULL || !cors_add_headers(r) || !cors_add_variant_headers(r, v)) return false;
    }
    return true;
}

void shared_response_free(struct shared_response *s) {
    for (size_t v = 0; v <= CORS_ORIGINS_MAX; v++) {
        if (s->variant[v] != NULL) MHD_destroy_response(s->variant[v]);
        s->variant[v] = NULL;
    }
}

/* ---- awaiting Redis or the upstream ----------------------------------- */

static struct request *from_batch(struct store_batch *b) {
    return (struct request *)((char *)b - offsetof(struct request, batch));
}

struct request *request_of_batch(struct store_batch *b) {
    return from_batch(b);
}

static struct request *from_fetch(struct upstream_fetch *f) {
    return (struct request *)((char *)f - offsetof(struct request, fetch));
}

/* How a request's connection waits while Redis or the upstream works.
 * Held (http_hold): libmicrohttpd keeps calling the handler, which
 * answers nothing until the work is done; that costs no system call. Each
 * run of the daemon calls every held request's handler, so a worker holds
 * at most HOLD_MAX at a time, and only requests that wait on Redis (a
 * round trip, bounded by --redis-timeout-ms); those that wait on the
 * upstream, and any beyond HOLD_MAX, are suspended (MHD_suspend_connection:
 * two epoll_ctl calls and a recv that finds nothing, per request). */
enum wait_mode { WAIT_NONE, WAIT_HELD, WAIT_SUSPENDED };

#define HOLD_MAX 128

/* libmicrohttpd closes a held connection that stays idle past
 * --idle-timeout-s, as it would not a suspended one: holding is for
 * settings where no Redis wait comes near that. */
static bool hold_allowed;

static struct http_server *this_http(void) {
    return ioloop_http(ioloop_current());
}

static void request_free(struct request *req) {
    if (req->response != NULL && !req->response_shared) MHD_destroy_response(req->response);
    buf_free(&req->body);
    buf_free(&req->fetch.body);
    store_batch_release(&req->batch);
    if (req->scratch_free != NULL) req->scratch_free(req->scratch);
    else free(req->scratch);
    free(req);
    accounting_request_finished();
}

/* The work is done: hand the request back to libmicrohttpd, which calls
 * on_access again on its next run (this same thread), which the kick
 * schedules for the next turn of the loop. The callback may even come
 * before the handler that started the work has returned (when Redis is
 * down): that is fine, since the handler is only called again in a later
 * run. */
static void resume(struct request *req) {
    struct http_server *h = this_http();
    if (req->wait_mode == WAIT_SUSPENDED) MHD_resume_connection(req->conn);
    else if (req->wait_mode == WAIT_HELD) http_unhold(h);
    http_kick(h);
    req->wait_mode = WAIT_NONE;
    req->phase = REQ_RESUMED;
    atomic_fetch_sub(&awaiting, 1);
}

/* The work of a request whose client hung up meanwhile (on_completed) is
 * done: nothing is answered, and the request ends here. */
static void end_orphaned(struct request *req) {
    atomic_fetch_sub(&awaiting, 1);
    request_free(req);
}

/* Has the connection wait until `finish`; false (and a 503 answered) if
 * adstats is shutting down. A request still waiting (a chained step of a
 * suspended request, request_await_store_chained) stays so: it is already
 * counted in `awaiting`, and the shutdown waits for it. `on_redis`: the
 * wait is a Redis round trip, which may be held. */
static bool wait_for(struct request *req, request_fn *finish, bool on_redis) {
    if (req->wait_mode == WAIT_NONE) {
        atomic_fetch_add(&awaiting, 1);
        if (atomic_load(&draining)) {
            atomic_fetch_sub(&awaiting, 1);
            request_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "adstats is shutting down");
            return false;
        }
        struct http_server *h = this_http();
        if (on_redis && hold_allowed && http_held(h) < HOLD_MAX) {
            http_hold(h);
            req->wait_mode = WAIT_HELD;
        } else {
            MHD_suspend_connection(req->conn);
            req->wait_mode = WAIT_SUSPENDED;
        }
    }
    req->finish = finish;
    req->phase = REQ_AWAITING;
    return true;
}

/* What runs after a chained step that answered: nothing, the answer is
 * sent as it stands. */
static void answered(struct request *req) {
    (void)req;
}

/* Runs a chained step while the connection is suspended. If it awaits
 * again, that await resumes the request in its time (perhaps already,
 * when it failed at once); if it answered instead, the request is resumed
 * now to send the answer. */
static void run_chained(struct request *req) {
    request_fn *then = req->chained;
    req->chained = NULL;
    req->finish = answered;
    req->phase = REQ_RESUMED; /* no await pending: until `then` starts one */
    then(req);
    if (req->wait_mode == WAIT_SUSPENDED && req->phase != REQ_AWAITING) resume(req);
}

static void on_batch_done(struct store_batch *b, enum store_status status) {
    struct request *req = from_batch(b);
    req->store_status = status;
    if (req->orphaned) {
        end_orphaned(req);
    } else if (req->chained != NULL && req->wait_mode == WAIT_SUSPENDED) {
        run_chained(req);
    } else {
        if (req->chained != NULL) { /* held: the step runs in the handler's next call */
            req->finish = req->chained;
            req->chained = NULL;
        }
        resume(req);
    }
}

void request_await_store(struct request *req, request_fn *finish) {
    req->batch.on_done = on_batch_done;
    if (wait_for(req, finish, true)) store_send(ioloop_store(ioloop_current()), &req->batch);
}

void request_await_store_chained(struct request *req, request_fn *then) {
    req->batch.on_done = on_batch_done;
    if (!wait_for(req, answered, true)) return;
    req->chained = then;
    store_send(ioloop_store(ioloop_current()), &req->batch);
}

static void on_fetch_done(struct upstream_fetch *f) {
    struct request *req = from_fetch(f);
    if (req->orphaned) end_orphaned(req);
    else resume(req);
}

void request_await_fetch(struct request *req, request_fn *finish) {
    req->fetch.on_done = on_fetch_done;
    if (wait_for(req, finish, false)) upstream_start(ioloop_upstream(ioloop_current()), &req->fetch);
}

/* ---- parsing and checking ---------------------------------------------- */

static enum request_body_type body_type(struct MHD_Connection *conn) {
    return request_body_type(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_TYPE));
}

static bool form_parsed(struct request *req, enum form_status st) {
    if (st == FORM_BAD_ESCAPE) {
        request_reply_error(req, MHD_HTTP_BAD_REQUEST,
                            "malformed percent-encoding: '%' must be followed by two hex digits");
        return false;
    }
    if (st == FORM_TOO_MANY) {
        request_reply_error(req, MHD_HTTP_BAD_REQUEST, PARAMS_TOO_MANY_MESSAGE);
        return false;
    }
    return true;
}

static bool parse_json_body(struct request *req) {
    size_t at;
    enum jsonbody_status st = jsonbody_parse(req->body.data, req->body.len, &req->params, &at);
    if (st == JSONBODY_OK) return true;
    struct buf msg;
    char storage[192];
    buf_init_static(&msg, storage, sizeof(storage));
    jsonbody_message(st, at, &msg);
    request_reply_error(req, MHD_HTTP_BAD_REQUEST, msg.failed ? "bad JSON body" : msg.data);
    buf_free(&msg);
    return false;
}

static bool parse_body(struct request *req) {
    switch (body_type(req->conn)) {
    case REQUEST_BODY_FORM: return form_parsed(req, form_parse(req->body.data, req->body.len, &req->params));
    case REQUEST_BODY_JSON: return parse_json_body(req);
    case REQUEST_BODY_OTHER: break;
    }
    request_reply_error(req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                        "a request body must be application/x-www-form-urlencoded, "
                        "application/json or text/plain");
    return false;
}

static bool parse_params(struct request *req) {
    enum form_status st = form_parse(req->query, req->query_len, &req->params);
    bool body_read = req->body.len > 0 && !(req->method & (METHOD_GET | METHOD_HEAD));
    if (st == FORM_OK && body_read) return parse_body(req);
    return form_parsed(req, st);
}

static uint32_t present_params(const struct params *p) {
    uint32_t present = 0;
    for (int id = 0; id < PARAM__COUNT; id++) {
        if (p->v[id].data != NULL) present |= PARAM_BIT(id);
    }
    return present;
}

static bool check_params(struct request *req) {
    const struct endpoint *ep = req->ep;
    uint32_t present = present_params(&req->params);
    uint32_t missing = ep->required & ~present;
    if (ep->required_one && !(present & ep->required_one))
        missing |= ep->required_one_shown ? ep->required_one_shown : ep->required_one;

    struct buf msg;
    char storage[512];
    buf_init_static(&msg, storage, sizeof(storage));
    if (missing) params_missing_message(missing, &msg);
    bool ok = missing == 0 && params_validate(&req->params, ep->permitted, &msg);
    if (!ok) request_reply_error(req, MHD_HTTP_BAD_REQUEST, msg.failed ? "bad request" : msg.data);
    buf_free(&msg);
    return ok;
}

/* Admin methods need the admin token before anything else is looked at. */
static bool authorize(struct request *req) {
    if (!(req->ep->admin_methods & req->method)) return true;
    const char *header = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_AUTHORIZATION);
    switch (admin_check(header)) {
    case ADMIN_ALLOWED: return true;
    case ADMIN_DISABLED:
        request_reply_error(req, MHD_HTTP_FORBIDDEN,
                            "admin requests are disabled: no ADMIN_TOKEN is configured");
        return false;
    case ADMIN_UNAUTHORIZED: break;
    }
    request_reply_error(req, MHD_HTTP_UNAUTHORIZED,
                        "missing or wrong admin token: send Authorization: Bearer followed by ADMIN_TOKEN");
    request_add_header(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"adstats\"");
    return false;
}

static void reply_preflight(struct request *req) {
    set_response(req, MHD_HTTP_NO_CONTENT, cors_preflight_response(routing_allow_header(req->ep)),
                 false, 0);
}

static void dispatch(struct request *req) {
    if (req->reject_status != 0) {
        request_reply_error(req, req->reject_status, req->reject_message);
        return;
    }
    if (req->preflight) {
        reply_preflight(req);
        return;
    }
    if (authorize(req) && parse_params(req) && check_params(req)) req->ep->handle(req);
}

/* ---- the first call: routing and limits -------------------------------- */

static void reject(struct request *req, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Remembers the first reason to refuse the request; it is answered once the
 * request is complete (or at once, to refuse a body unread). */
static void reject(struct request *req, unsigned status, const char *fmt, ...) {
    if (req->reject_status != 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req->reject_message, sizeof(req->reject_message), fmt, ap);
    va_end(ap);
    req->reject_status = status;
}

/* HTTP/1.1 makes Host mandatory (RFC 9112, 3.2). */
static bool lacks_host(struct MHD_Connection *conn, const char *version) {
    return request_needs_host(version)
        && MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST) == NULL;
}

static void route(struct request *req, const char *url, const char *method,
                  const char *version) {
    req->path = url;
    if (lacks_host(req->conn, version))
        reject(req, MHD_HTTP_BAD_REQUEST, "an HTTP/1.1 request needs a Host header");
    req->method = routing_method(method);
    if (cors_variants() > 0)
        req->cors_variant = cors_variant_of(MHD_lookup_connection_value(
            req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN));
    req->ep = routing_find_endpoint(url, &req->route);
    if (req->ep == NULL) {
        reject(req, MHD_HTTP_NOT_FOUND, "no such endpoint: %s", request_printable(url));
        return;
    }
    if (req->method == METHOD_OPTIONS && cors_enabled()) {
        req->preflight = true;
        return;
    }
    if (!(req->ep->methods & req->method))
        reject(req, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s is not allowed on %s (allowed: %s)",
               request_printable(method), req->ep->path, routing_allow_header(req->ep));
}

static enum MHD_Result count_lengths(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
    (void)kind;
    (void)value;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) (*(int *)cls)++;
    return MHD_YES;
}

static int content_lengths(struct MHD_Connection *conn) {
    int n = 0;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_lengths, &n);
    return n;
}

/* Rejects a body to be refused before it is read; true if a body follows
 * (or may: conflicting lengths are answered at once, and then closed). */
static bool check_headers(struct request *req) {
    const char *length = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *encoding = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_TRANSFER_ENCODING);
    /* Counting walks every header: only worth it when there is a length. */
    int lengths = length != NULL ? content_lengths(req->conn) : 0;
    enum request_framing framing = request_framing(length, encoding, lengths);
    switch (framing) {
    case REQUEST_CONFLICTING_LENGTHS:
        reject(req, MHD_HTTP_BAD_REQUEST, "more than one Content-Length header");
        break;
    case REQUEST_CHUNKED:
        reject(req, MHD_HTTP_CONTENT_TOO_LARGE,
               "a request body needs a Content-Length of at most 16384 bytes; chunked bodies are refused");
        break;
    case REQUEST_TOO_LARGE:
        reject(req, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large (at most 16384 bytes)");
        break;
    case REQUEST_NO_BODY:
    case REQUEST_BODY:
        break;
    }
    return framing != REQUEST_NO_BODY;
}

static void receive_body(struct request *req, const char *data, size_t len) {
    if (req->reject_status != 0) return; /* discard */
    if (req->body.len + len > REQUEST_BODY_MAX) {
        reject(req, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large (at most 16384 bytes)");
        return;
    }
    buf_append(&req->body, data, len);
}

/* ---- libmicrohttpd callbacks ------------------------------------------- */

void *request_on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
    (void)cls;
    /* The acceptor held a connection's first request to the same limit;
     * later ones on it reach libmicrohttpd unscreened. */
    const char *q = strchr(uri, '?');
    size_t query_len = q ? strlen(q + 1) : 0;
    bool too_long = query_len > HEADCHECK_QUERY_MAX;
    struct request *req = malloc(sizeof(*req) + (too_long ? 0 : query_len) + 1);
    if (req == NULL) return NULL;
    memset(req, 0, sizeof(*req));
    req->conn = conn;
    req->query = req->query_storage;
    req->query_len = too_long ? 0 : query_len;
    if (q && !too_long) memcpy(req->query, q + 1, query_len);
    req->query[req->query_len] = '\0';
    buf_init(&req->body);
    req->started_us = clock_monotonic_us();
    if (too_long) reject(req, MHD_HTTP_URI_TOO_LONG, HEADCHECK_QUERY_TOO_LONG);
    if (request_path_has_control(uri))
        reject(req, MHD_HTTP_BAD_REQUEST, "the request path must not contain control characters");
    accounting_request_started();
    return req;
}

static void log_access(struct request *req, const char *method, const char *url,
                       long long latency_us) {
    struct access_entry e = {
        .method = method, .path = url, .status = req->status, .latency_us = latency_us,
        .bytes = req->response_bytes, .client = request_client_address(req),
        .params = &req->params,
    };
    access_log_write(&e);
}

static enum MHD_Result send_response(struct request *req, const char *method, const char *url) {
    enum MHD_Result ret;
    if (req->response == NULL) return MHD_NO; /* out of memory: drop the connection */
    if (req->close_after && !req->response_shared)
        MHD_add_response_header(req->response, MHD_HTTP_HEADER_CONNECTION, "close");
    /* Shared responses were built with their endpoint's headers, and their
     * CORS variant. */
    bool headers_added = req->response_shared
        || ((req->ep == NULL || response_add_headers(req->response, req->ep->headers))
            && cors_add_variant_headers(req->response, req->cors_variant));
    if (!headers_added) {
        MHD_destroy_response(req->response);
        req->response = NULL;
        return MHD_NO;
    }
    ret = MHD_queue_response(req->conn, req->status, req->response);
    if (!req->response_shared) MHD_destroy_response(req->response);
    req->response = NULL;
    req->phase = REQ_ANSWERED;
    long long latency_us = clock_monotonic_us() - req->started_us;
    accounting_count_response(req->route, req->status, latency_us);
    if (access_log_enabled()) log_access(req, method, url, latency_us);
    return ret;
}

enum MHD_Result request_on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    struct request *req = *con_cls;
    (void)cls;
    (void)conn;
    if (req == NULL) return MHD_NO; /* on_uri could not allocate */

    switch (req->phase) {
    case REQ_HEADERS:
        route(req, url, method, version);
        req->phase = REQ_BODY;
        /* Answer on this first call only to refuse a body unread. */
        if (!check_headers(req) || req->reject_status == 0) return MHD_YES;
        req->close_after = true; /* the body stays unread */
        dispatch(req);
        break;
    case REQ_BODY:
        if (*upload_data_size > 0) {
            receive_body(req, upload_data, *upload_data_size);
            *upload_data_size = 0;
            return MHD_YES;
        }
        dispatch(req);
        break;
    case REQ_RESUMED:
        req->finish(req);
        break;
    default:
        return MHD_YES;
    }
    /* Not req->phase: a request whose work failed at once is already marked
     * resumed here, though libmicrohttpd has yet to resume it. */
    if (!req->replied) return MHD_YES;
    return send_response(req, method, url);
}

/* A request still waiting when its connection closes (a held one whose
 * client hung up or timed out; any, when the daemon stops) is freed once
 * its work is done, for Redis or the upstream still holds its batch or
 * fetch; it no longer holds the connection. */
void request_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                          enum MHD_RequestTerminationCode toe) {
    struct request *req = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (req == NULL) return;
    *con_cls = NULL;
    if (req->phase != REQ_AWAITING) {
        request_free(req);
        return;
    }
    if (req->wait_mode == WAIT_HELD) http_unhold(this_http());
    req->wait_mode = WAIT_NONE;
    req->orphaned = true;
    req->conn = NULL;
}

/* ---- set-up and shutdown ----------------------------------------------- */

bool request_pipeline_init(const struct config *cfg) {
    /* A wait is at most a few round trips, each bounded by the timeout. */
    hold_allowed = (long long)cfg->idle_timeout_s * 1000 > 4LL * cfg->redis_timeout_ms;
    /* Built with the headers of the endpoints that answer it (EVENT_ENDPOINT). */
    if (!shared_response_init(&success_fetched, SUCCESS_FETCHED, sizeof(SUCCESS_FETCHED) - 1,
                              "application/json", endpoint_impression.headers))
        return false;
    for (const struct endpoint *const *ep = endpoints; *ep != NULL; ep++) {
        if ((*ep)->init != NULL && !(*ep)->init(cfg)) {
            log_error("start-up: %s could not be set up", (*ep)->path);
            return false;
        }
    }
    return true;
}

void request_pipeline_drain(void) {
    atomic_store(&draining, true);
}

int request_pipeline_awaiting(void) {
    return atomic_load(&awaiting);
}

/* Safe after a failed or partial request_pipeline_init. */
void request_pipeline_free(void) {
    for (const struct endpoint *const *ep = endpoints; *ep != NULL; ep++) {
        if ((*ep)->cleanup != NULL) (*ep)->cleanup();
    }
    shared_response_free(&success_fetched);
}
