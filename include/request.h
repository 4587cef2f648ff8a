/* request.h -- one HTTP request on its way through adstats, and what an
 * endpoint handler may do with it.
 *
 * A handler either answers at once (request_reply_*) or awaits Redis or
 * the upstream (request_await_store / request_await_fetch): the connection
 * waits (held or suspended, request.c), its worker's event loop does the
 * work, and `finish` then runs with the results in the request, where it
 * must answer.
 * Answering hands the response to the pipeline, which sends it. */
#ifndef ADSTATS_REQUEST_H
#define ADSTATS_REQUEST_H

#include <assert.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "cors.h"
#include "endpoint.h"
#include "ioloop.h"
#include "params.h"
#include "store.h"
#include "upstream.h"

struct MHD_Connection;
struct MHD_Response;
struct sockaddr;

typedef void request_fn(struct request *req);

/* Bytes of per-request state for whoever handles the request: an endpoint,
 * or a helper such as count.h. The pipeline only zeroes them; their owner
 * declares their type in its own module, and a typed accessor with
 *
 *     REQUEST_STATE(struct count_state, count_state)
 *
 * which defines `struct count_state *count_state(struct request *req)` and
 * fails to compile if the type does not fit. Living inside the request,
 * the state costs no allocation; a larger one belongs in req->scratch. */
#define REQUEST_STATE_SIZE 64

#define REQUEST_STATE(type, accessor)                                                \
    static_assert(sizeof(type) <= REQUEST_STATE_SIZE, #type " outgrows REQUEST_STATE_SIZE"); \
    static inline type *accessor(struct request *req) {                              \
        return (type *)(void *)req->state;                                           \
    }

struct request {
    /* -- read by handlers -- */
    struct params params;
    enum http_method method;

    /* -- handlers' working space -- */
    struct store_batch batch;       /* for request_await_store */
    enum store_status store_status; /* its outcome, valid in finish */
    struct upstream_fetch fetch;    /* for request_await_fetch */
    void *scratch;                  /* a handler's heap state, freed with the request */
    void (*scratch_free)(void *);   /* how (NULL: free) */
    /* the handler's own small state, typed by its owner (REQUEST_STATE) */
    _Alignas(max_align_t) unsigned char state[REQUEST_STATE_SIZE];

    /* -- private to the pipeline (request.c) -- */
    struct MHD_Connection *conn;
    const struct endpoint *ep;
    size_t route;                   /* ep's number for metrics (routing.h) */
    const char *path;               /* libmicrohttpd's, valid until completion */
    int phase;                      /* where libmicrohttpd's calls have got to */
    unsigned status;
    struct MHD_Response *response;
    size_t response_bytes;
    bool response_shared;
    bool preflight;
    size_t cors_variant;            /* cors.h; 0: none */
    long long started_us;
    bool replied;
    bool close_after;               /* answer with Connection: close */
    unsigned reject_status;
    char reject_message[192];
    struct buf body;
    request_fn *finish;
    request_fn *chained;            /* request_await_store_chained's `then` */
    int wait_mode;                  /* how the connection waits (request.c) */
    bool orphaned;                  /* its connection closed while it waited */
    char *query;
    size_t query_len;
    char query_storage[];
};

/* Answers with a JSON body; takes the buffer's contents. */
void request_reply_json(struct request *req, unsigned status, struct buf *body);

/* Answers {"success": false, "message": message}; a 503 gets Retry-After. */
void request_reply_error(struct request *req, unsigned status, const char *message);

/* Answers the 503 of a batch that failed (req->store_status is not
 * STORE_OK), saying `what` it cost, e.g. "impression not counted": an
 * outage (STORE_UNAVAILABLE) reads "statistics store unavailable: <what>,
 * retry later"; an error reply (STORE_ERROR) names Redis's error code when
 * it sent one: "statistics store refused the command (OOM): <what>". Both
 * carry Retry-After: 1. */
void request_reply_store_failure(struct request *req, const char *what);

/* Answers with a body of the given type; takes the buffer's contents. */
void request_reply_body(struct request *req, unsigned status, const char *content_type,
                        struct buf *body);

/* Answers with `len` bytes at `data` that outlive every request (such as
 * a document compiled into the binary); nothing is copied. */
void request_reply_static(struct request *req, unsigned status, const char *content_type,
                          const void *data, size_t len);

/* Answers with a response built once at start-up and shared by all
 * requests (see responses_* in request.c). */
void request_reply_shared(struct request *req, unsigned status, struct MHD_Response *response);

/* Adds a header to the response already answered. */
void request_add_header(struct request *req, const char *name, const char *value);

/* The request's path, without the query string (for `subtree` endpoints). */
const char *request_path(const struct request *req);

/* The value of a request header (case-insensitive name), or NULL. */
const char *request_header(const struct request *req, const char *name);

/* Every value of a request header (case-insensitive name), joined with
 * ", " as RFC 9110 5.3 allows for list-valued fields, appended to `out`;
 * false when there is none. */
bool request_header_all(const struct request *req, const char *name, struct buf *out);

/* The address the client connected from, or NULL. */
const struct sockaddr *request_client_address(const struct request *req);

/* A response over `len` bytes of static data (never copied or freed), of
 * the given type (NULL: no Content-Type), with `headers` (may be NULL), for
 * request_reply_shared. NULL when out of memory. */
struct MHD_Response *response_new_static(const void *data, size_t len, const char *content_type,
                                         const struct http_header *headers);

/* A static answer prebuilt once per CORS variant (cors.h), with its
 * endpoint's headers: the hot answers that carry no per-request byte. */
struct shared_response {
    struct MHD_Response *variant[1 + CORS_ORIGINS_MAX]; /* [0]: no variant */
    size_t len;
};

/* Builds `s` over `len` bytes of static data; false when out of memory (a
 * partly built `s` is still freed by shared_response_free). For an
 * endpoint's init, after cors_configure. */
bool shared_response_init(struct shared_response *s, const void *data, size_t len,
                          const char *content_type, const struct http_header *headers);
void shared_response_free(struct shared_response *s);

/* Answers with the variant of `s` for the request's Origin. */
void request_reply_shared_variant(struct request *req, unsigned status,
                                  const struct shared_response *s);

/* Adds `headers` (may be NULL) to a response; false when out of memory. */
bool response_add_headers(struct MHD_Response *r, const struct http_header *headers);

/* Sends req->batch to Redis; `finish` runs with req->store_status set. */
void request_await_store(struct request *req, request_fn *finish);

/* As request_await_store, but `then` runs as soon as the batch is done: in
 * the store's callback if the connection is suspended, which spares a
 * resume and a suspend between the two steps, or else in the handler's
 * next call, as a `finish` would. It either awaits again
 * (request_await_store, request_await_fetch) or answers
 * (request_reply_*). It must do one of the two. */
void request_await_store_chained(struct request *req, request_fn *then);

/* The request whose req->batch `b` is (for store_reply_fn callbacks). */
struct request *request_of_batch(struct store_batch *b);

/* Fetches from the upstream ad server into req->fetch; `finish` runs when
 * it is done or failed. */
void request_await_fetch(struct request *req, request_fn *finish);

/* The members of the Flask service's answer to a counted event, for
 * answers that add to it. */
#define REQUEST_SUCCESS_FETCHED_MEMBERS "\"success\": true, \"message\": \"Successfully fetched\""

/* Answers the shared {"success": true, "message": "Successfully fetched"}
 * (with Cache-Control: no-store, as the event endpoints send). */
void request_reply_success_fetched(struct request *req);

/* Cache-Control: no-store, for endpoints whose answers must never be
 * cached (counting and statistics); a `headers` array (endpoint.h). */
extern const struct http_header response_no_store[];

/* ---- the request pipeline: libmicrohttpd's callbacks (server.h's
 * http_start takes them) and its start-up and shutdown, for main.c ---- */

void *request_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);
enum MHD_Result request_on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls);
void request_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                          enum MHD_RequestTerminationCode toe);
bool request_pipeline_init(const struct config *cfg);
void request_pipeline_drain(void);
int request_pipeline_awaiting(void);
void request_pipeline_free(void);

#endif
