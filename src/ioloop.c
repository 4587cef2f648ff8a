/* ioloop.c -- worker threads and their event loops; see ioloop.h.
 *
 * The only cross-thread traffic is control (shutdown): other threads hand
 * over jobs through a mutex-protected queue and an eventfd. Only the post
 * that finds the queue empty writes the eventfd, and the loop takes the
 * whole queue at once. */
#include "ioloop.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "config.h"
#include "index_writer.h"
#include "log.h"
#include "store.h"
#include "upstream.h"

struct ioloop {
    pthread_t thread;
    bool running;
    struct event_base *base;
    struct event *wakeup;
    int wakeup_fd;

    pthread_mutex_t lock;
    struct io_job *head, *tail;

    struct store *store;
    struct index_writer *index;
    struct upstream *upstream;
    struct http_server *http;
    struct io_job abort_job;
    struct io_job drain_job;
    struct io_job stop_job;
    struct io_job *last_job;
};

static _Thread_local struct ioloop *current;

static struct io_job *take_all(struct ioloop *loop) {
    pthread_mutex_lock(&loop->lock);
    struct io_job *jobs = loop->head;
    loop->head = loop->tail = NULL;
    pthread_mutex_unlock(&loop->lock);
    return jobs;
}

static void run_jobs(struct io_job *job) {
    while (job != NULL) {
        struct io_job *next = job->next;
        job->run(job);
        job = next;
    }
}

static void on_wakeup(evutil_socket_t fd, short what, void *arg) {
    struct ioloop *loop = arg;
    uint64_t count;
    (void)what;
    if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        log_repeated(LOG_ERROR, "ioloop: eventfd read failures", "ioloop: eventfd read failed: %s",
                     strerror(errno));
    run_jobs(take_all(loop));
}

static void *loop_main(void *arg) {
    struct ioloop *loop = arg;
    current = loop;
    event_base_dispatch(loop->base);
    return NULL;
}

void ioloop_call(struct ioloop *loop, struct io_job *job) {
    job->next = NULL;
    pthread_mutex_lock(&loop->lock);
    bool was_empty = loop->head == NULL;
    if (was_empty) loop->head = job;
    else loop->tail->next = job;
    loop->tail = job;
    pthread_mutex_unlock(&loop->lock);
    if (!was_empty) return;
    uint64_t one = 1;
    while (write(loop->wakeup_fd, &one, sizeof(one)) < 0 && errno == EINTR) continue;
}

#define LOOP_OF(job, member) ((struct ioloop *)((char *)(job) - offsetof(struct ioloop, member)))

static void abort_all(struct io_job *job) {
    struct ioloop *loop = LOOP_OF(job, abort_job);
    store_disconnect(loop->store);
    upstream_abort_all(loop->upstream);
}

static void stop(struct io_job *job) {
    struct ioloop *loop = LOOP_OF(job, stop_job);
    if (loop->last_job) loop->last_job->run(loop->last_job);
    event_base_loopbreak(loop->base);
}

static void drain_index(struct io_job *job) {
    index_writer_drain(LOOP_OF(job, drain_job)->index);
}

void ioloop_drain_index(struct ioloop *loop) {
    index_writer_drain_announce();
    loop->drain_job.run = drain_index;
    ioloop_call(loop, &loop->drain_job);
}

void ioloop_abort(struct ioloop *loop) {
    loop->abort_job.run = abort_all;
    ioloop_call(loop, &loop->abort_job);
}

static void ioloop_free(struct ioloop *loop) {
    if (loop->upstream) upstream_free(loop->upstream);
    if (loop->store) store_disconnect(loop->store); /* fails the writer's flush in flight */
    index_writer_free(loop->index);
    if (loop->store) store_free(loop->store);
    if (loop->wakeup) event_free(loop->wakeup);
    if (loop->wakeup_fd >= 0) close(loop->wakeup_fd);
    if (loop->base) event_base_free(loop->base);
    pthread_mutex_destroy(&loop->lock);
    free(loop);
}

struct ioloop *ioloop_new(const struct config *cfg) {
    struct ioloop *loop = calloc(1, sizeof(*loop));
    if (loop == NULL) return NULL;
    loop->wakeup_fd = -1;
    pthread_mutex_init(&loop->lock, NULL);

    loop->base = event_base_new();
    if (loop->base == NULL) goto fail;
    loop->wakeup_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->wakeup_fd < 0) goto fail;
    loop->wakeup = event_new(loop->base, loop->wakeup_fd, EV_READ | EV_PERSIST, on_wakeup, loop);
    if (loop->wakeup == NULL || event_add(loop->wakeup, NULL) != 0) goto fail;
    loop->store = store_new(loop->base, cfg);
    if (loop->store == NULL) goto fail;
    loop->index = index_writer_new(loop->base, loop->store, cfg);
    if (loop->index == NULL) goto fail;
    loop->upstream = upstream_new(loop->base, cfg);
    if (loop->upstream == NULL) goto fail;
    return loop;
fail:
    log_error("ioloop: cannot set up a worker loop");
    ioloop_free(loop);
    return NULL;
}

bool ioloop_start(struct ioloop *loop) {
    loop->running = pthread_create(&loop->thread, NULL, loop_main, loop) == 0;
    if (!loop->running) log_error("ioloop: cannot start a worker thread");
    return loop->running;
}

void ioloop_stop(struct ioloop *loop, struct io_job *last) {
    if (loop->running) {
        loop->last_job = last;
        loop->stop_job.run = stop;
        ioloop_call(loop, &loop->stop_job);
        pthread_join(loop->thread, NULL);
    } else if (last != NULL) {
        last->run(last);
    }
    /* Back on one thread: anything still queued fails at once. */
    store_disconnect(loop->store);
    upstream_abort_all(loop->upstream);
    run_jobs(take_all(loop));
    ioloop_free(loop);
}

struct event_base *ioloop_base(struct ioloop *loop) {
    return loop->base;
}

void ioloop_set_http(struct ioloop *loop, struct http_server *http) {
    loop->http = http;
}

struct http_server *ioloop_http(struct ioloop *loop) {
    return loop->http;
}

struct ioloop *ioloop_current(void) {
    return current;
}

struct store *ioloop_store(struct ioloop *loop) {
    return loop->store;
}

struct index_writer *ioloop_index(struct ioloop *loop) {
    return loop->index;
}

struct upstream *ioloop_upstream(struct ioloop *loop) {
    return loop->upstream;
}
