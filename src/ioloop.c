/* ioloop.c -- the I/O thread; see ioloop.h.
 *
 * Other threads hand over work through a mutex-protected singly linked
 * queue and an eventfd. Only the post that finds the queue empty writes the
 * eventfd, so a burst of posts costs one wake-up; the loop then takes the
 * whole queue at once and runs it in order. */
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
#include "log.h"
#include "store.h"
#include "upstream.h"

struct ioloop {
    pthread_t thread;
    struct event_base *base;
    struct event *wakeup;
    int wakeup_fd;

    pthread_mutex_t lock;
    struct io_job *head, *tail;
    bool stopping;

    struct store *store;
    struct upstream *upstream;
    struct io_job abort_job;
};

static struct io_job *take_all(struct ioloop *loop, bool *stopping) {
    pthread_mutex_lock(&loop->lock);
    struct io_job *jobs = loop->head;
    loop->head = loop->tail = NULL;
    *stopping = loop->stopping;
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
    bool stopping;
    (void)what;
    if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        log_error("ioloop: eventfd read failed: %s", strerror(errno));
    run_jobs(take_all(loop, &stopping));
    if (stopping) event_base_loopbreak(loop->base);
}

static void *loop_main(void *arg) {
    struct ioloop *loop = arg;
    event_base_dispatch(loop->base);
    return NULL;
}

static void signal_wakeup(struct ioloop *loop) {
    uint64_t one = 1;
    while (write(loop->wakeup_fd, &one, sizeof(one)) < 0 && errno == EINTR) continue;
}

void ioloop_post(struct ioloop *loop, struct io_job *job) {
    job->next = NULL;
    pthread_mutex_lock(&loop->lock);
    bool was_empty = loop->head == NULL;
    if (was_empty) loop->head = job;
    else loop->tail->next = job;
    loop->tail = job;
    pthread_mutex_unlock(&loop->lock);
    if (was_empty) signal_wakeup(loop);
}

static void ioloop_free(struct ioloop *loop) {
    if (loop->upstream) upstream_free(loop->upstream);
    if (loop->store) store_free(loop->store);
    if (loop->wakeup) event_free(loop->wakeup);
    if (loop->wakeup_fd >= 0) close(loop->wakeup_fd);
    if (loop->base) event_base_free(loop->base);
    pthread_mutex_destroy(&loop->lock);
    free(loop);
}

struct ioloop *ioloop_start(const struct config *cfg) {
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
    loop->store = store_new(loop->base, &cfg->redis, cfg->redis_timeout_ms);
    if (loop->store == NULL) goto fail;
    loop->upstream = upstream_new(loop->base, cfg);
    if (loop->upstream == NULL) goto fail;
    if (pthread_create(&loop->thread, NULL, loop_main, loop) != 0) goto fail;
    return loop;
fail:
    log_error("ioloop: cannot start the I/O thread");
    ioloop_free(loop);
    return NULL;
}

static void abort_all(struct io_job *job) {
    struct ioloop *loop = (struct ioloop *)((char *)job - offsetof(struct ioloop, abort_job));
    store_disconnect(loop->store);
    upstream_abort_all(loop->upstream);
}

void ioloop_abort(struct ioloop *loop) {
    loop->abort_job.run = abort_all;
    ioloop_post(loop, &loop->abort_job);
}

void ioloop_stop(struct ioloop *loop) {
    pthread_mutex_lock(&loop->lock);
    loop->stopping = true;
    pthread_mutex_unlock(&loop->lock);
    signal_wakeup(loop);
    pthread_join(loop->thread, NULL);

    /* Back on one thread: fail what is still in flight, then run the jobs
     * that those failures (or late posts) queued. */
    bool stopping;
    upstream_abort_all(loop->upstream);
    store_disconnect(loop->store);
    run_jobs(take_all(loop, &stopping));
    ioloop_free(loop);
}

struct store *ioloop_store(struct ioloop *loop) {
    return loop->store;
}

struct upstream *ioloop_upstream(struct ioloop *loop) {
    return loop->upstream;
}
