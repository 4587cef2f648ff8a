/* ioloop.h -- the I/O thread: one libevent loop that owns every socket
 * adstats talks to besides its clients (Redis and the upstream ad server).
 *
 * HTTP worker threads never wait on the network. A request that needs
 * Redis or the upstream suspends its connection and posts a job here; the
 * job runs on the I/O thread, which resumes the connection when the answer
 * is in. Jobs posted while the loop is busy are sent together, so the Redis
 * commands of many concurrent requests share one write and one read
 * (automatic pipelining). */
#ifndef ADSTATS_IOLOOP_H
#define ADSTATS_IOLOOP_H

#include <stdbool.h>

struct config;
struct event_base;
struct store;
struct upstream;

struct io_job {
    struct io_job *next;
    void (*run)(struct io_job *job);
};

struct ioloop;

/* Starts the I/O thread with its Redis connection and upstream client. */
struct ioloop *ioloop_start(const struct config *cfg);

/* Stops the thread: pending Redis commands and upstream fetches fail (their
 * callbacks run), queued jobs still run, then everything is freed. */
void ioloop_stop(struct ioloop *loop);

/* Thread-safe: from now on every Redis command and upstream fetch fails at
 * once, and those in flight fail now; the thread keeps running so that
 * their callbacks can resume the requests. */
void ioloop_abort(struct ioloop *loop);

/* Thread-safe: queues `job` to run on the I/O thread. */
void ioloop_post(struct ioloop *loop, struct io_job *job);

/* For code running on the I/O thread. */
struct store *ioloop_store(struct ioloop *loop);
struct upstream *ioloop_upstream(struct ioloop *loop);

#endif
