/* server.h -- the HTTP daemon: libmicrohttpd as adstats configures it,
 * one per worker, driven by the worker's event loop. It knows nothing of
 * endpoints: its caller passes the callbacks (request.h's pipeline entry
 * points, or the benchmark's bare responder). */
#ifndef ADSTATS_SERVER_H
#define ADSTATS_SERVER_H

#include <microhttpd.h>
#include <stdbool.h>

struct event_base;

/* libmicrohttpd's settings, shared with the benchmark's bare responder so
 * that the two are configured exactly alike. */
struct http_settings {
    const char *bind;
    int port;
    int threads;          /* 0: one per core */
    int max_connections;  /* over all threads */
    int idle_timeout_s;
};

/* One libmicrohttpd daemon driven by a libevent loop. */
struct http_server;

typedef void *http_uri_fn(void *cls, const char *uri, struct MHD_Connection *conn);

/* How many worker threads the settings ask for. */
unsigned http_thread_count(const struct http_settings *s);

/* SO_REUSEPORT would let a second server share a port that is taken, so
 * check first, with a plain bind, that nothing listens there. */
bool http_port_free(const struct http_settings *s);

/* Starts one of the `http_thread_count` daemons, listening with
 * SO_REUSEPORT on the shared address, and attaches it to `base`; it runs
 * when that loop runs. `uri_cb` and `completed_cb` may be NULL (as in the
 * bare responder). */
struct http_server *http_start(const struct http_settings *s, struct event_base *base,
                               MHD_AccessHandlerCallback access, http_uri_fn *uri_cb,
                               MHD_RequestCompletedCallback completed_cb);

/* On the loop's thread: run the daemon again soon. libmicrohttpd has no
 * wake-up of its own in external-loop mode, so a connection resumed by
 * MHD_resume_connection waits for this. */
void http_kick(struct http_server *h);

/* On the loop's thread: a request holds its connection while it waits,
 * without suspending it (request.c holds those that wait on Redis). The
 * access handler returns without an answer, and libmicrohttpd, which
 * keeps such a connection in its ready list, calls it again on each run
 * until it answers; meanwhile it asks to be run at once, so while any
 * connection is held the daemon runs on socket activity, on kicks and at
 * least every HTTP_HOLD_POLL_MS, not in a busy loop. Suspending instead
 * costs two epoll_ctl calls and a recv that finds nothing, per request.
 * http_unhold ends one hold; a kick then has the handler called again on
 * the loop's next turn. */
#define HTTP_HOLD_POLL_MS 1
void http_hold(struct http_server *h);
void http_unhold(struct http_server *h);
unsigned http_held(const struct http_server *h);

/* On the loop's thread: stop accepting; stop and free. */
void http_quiesce(struct http_server *h);
void http_stop(struct http_server *h);

#endif
