/* upstream.h -- fetching VAST documents from the upstream ad server, on
 * the I/O thread, with libcurl's multi interface.
 *
 * A fetch never blocks a thread: transfers are driven by the I/O thread's
 * event loop, connections to the upstream are kept alive and reused, each
 * fetch is bounded end to end by the timeout and its body by a size cap,
 * and at most `limit` fetches are in flight; past that a fetch is refused
 * at once (UPSTREAM_BUSY).
 *
 * Each fetch tells the ad server about the device it is for (struct
 * upstream_client): its values fill the URL's placeholders (urltemplate.h),
 * and its User-Agent and address go out as headers (forwarded.h): the
 * User-Agent as User-Agent and X-Device-User-Agent (without one, adstats'
 * own "User-Agent: adstats" and no X-Device-User-Agent), the address as
 * X-Forwarded-For. */
#ifndef ADSTATS_UPSTREAM_H
#define ADSTATS_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "urltemplate.h"

struct config;
struct event_base;
struct sockaddr;
struct upstream;

enum upstream_outcome {
    UPSTREAM_OK,          /* 2xx with a body (not yet checked as VAST) */
    UPSTREAM_BUSY,        /* refused: the in-flight limit was reached */
    UPSTREAM_CONNECT,     /* could not connect or the transfer failed */
    UPSTREAM_TIMEOUT,     /* no complete answer within the timeout */
    UPSTREAM_HTTP_STATUS, /* answered with a status other than 2xx */
    UPSTREAM_TOO_LARGE,   /* body above the size cap */
    UPSTREAM__COUNT
};

struct upstream_fetch;
typedef void upstream_done_fn(struct upstream_fetch *fetch);

/* Who a fetch is for. Read only while upstream_start runs: nothing here
 * needs to outlive that call. */
struct upstream_client {
    const char *user_agent;       /* the client's User-Agent; NULL: none */
    const char *forwarded_for;    /* its X-Forwarded-For header(s); NULL: none */
    const struct sockaddr *peer;  /* the address it connected from; NULL: unknown */
    struct urlvalue vars[URLVAR__COUNT]; /* placeholder values; upstream_start
                                            fills cachebuster and timestamp */
};

struct upstream_fetch {
    upstream_done_fn *on_done;
    struct upstream_client client;
    /* results, valid in on_done */
    enum upstream_outcome outcome;
    long http_status;
    long latency_ms;
    struct buf body;        /* owned by the fetch's owner: buf_free it */
    char error[256];        /* curl's explanation when there is one */
    /* private */
    struct upstream *up;
    void *easy;
    void *headers;          /* the fetch's curl_slist, freed when it ends */
    long long started_us;
    struct upstream_fetch *next, *prev;
};

struct upstream *upstream_new(struct event_base *base, const struct config *cfg);
void upstream_free(struct upstream *up);

/* Starts a fetch; on_done runs exactly once, possibly before this returns
 * (for UPSTREAM_BUSY). I/O thread only. */
void upstream_start(struct upstream *up, struct upstream_fetch *fetch);

/* Fails every fetch in flight (at shutdown). */
void upstream_abort_all(struct upstream *up);

const char *upstream_url(const struct upstream *up);
/* The outcome of a finished transfer: curl's result code (a CURLcode),
 * the HTTP status, the body's length (past the cap when the body callback
 * refused it) and --vast-max-bytes. Pure; exposed for the unit tests. */
enum upstream_outcome upstream_classify(int curl_code, long http_status, size_t body_len,
                                        long max_bytes);

/* The outcome's name, in /metrics, the JSON error and the backend log. */
const char *upstream_outcome_name(enum upstream_outcome outcome);

#endif
