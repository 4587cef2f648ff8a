/* ioloop.h -- adstats' worker threads: one event loop per core.
 *
 * Each worker thread runs one libevent loop that owns everything its
 * requests touch: its own libmicrohttpd daemon (driven from the loop, all
 * workers listening on the same port with SO_REUSEPORT, so the kernel
 * spreads connections evenly), its own Redis connection, its own deferred
 * index writer (index_writer.h) and its own libcurl multi handle. A
 * request that needs Redis or the upstream has its connection wait (held
 * or suspended, request.c) and queues the work on its own thread's
 * clients; when the answer comes back, the same thread answers it. No request ever crosses a
 * thread, and the Redis commands of all requests a worker handles in one
 * turn of its loop go out in one write (automatic pipelining).
 *
 * Other threads talk to a loop only through ioloop_call (shutdown). */
#ifndef ADSTATS_IOLOOP_H
#define ADSTATS_IOLOOP_H

#include <stdbool.h>

struct config;
struct event_base;
struct http_server;
struct index_writer;
struct store;
struct upstream;

struct io_job {
    struct io_job *next;
    void (*run)(struct io_job *job);
};

struct ioloop;

/* Creates a loop with its Redis connection and upstream client; the
 * thread starts with ioloop_start, once the loop's HTTP daemon is attached
 * to ioloop_base. */
struct ioloop *ioloop_new(const struct config *cfg);
bool ioloop_start(struct ioloop *loop);

/* Thread-safe: queues `job` to run on the loop's thread. */
void ioloop_call(struct ioloop *loop, struct io_job *job);

/* Thread-safe: from now on every Redis command and upstream fetch of this
 * loop fails at once, and those in flight fail now (their requests are
 * resumed with the failure). */
void ioloop_abort(struct ioloop *loop);

/* Thread-safe: the loop's deferred index writer flushes what it holds
 * (index_writer_drain; index_writer_draining tells when all are done). */
void ioloop_drain_index(struct ioloop *loop);

/* Stops the thread (after running `last` on it, if not NULL), joins it and
 * frees the loop. */
void ioloop_stop(struct ioloop *loop, struct io_job *last);

struct event_base *ioloop_base(struct ioloop *loop);

/* The HTTP daemon this loop drives (server.h), for request.c to kick. */
void ioloop_set_http(struct ioloop *loop, struct http_server *http);
struct http_server *ioloop_http(struct ioloop *loop);

/* On a loop's thread: that loop and its clients. */
struct ioloop *ioloop_current(void);
struct store *ioloop_store(struct ioloop *loop);
struct index_writer *ioloop_index(struct ioloop *loop);
struct upstream *ioloop_upstream(struct ioloop *loop);

#endif
