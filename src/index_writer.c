/* index_writer.c -- the deferred index writer; see index_writer.h.
 *
 * Two buffers (index_buffer.h): one collects while the other is in flight.
 * At most one flush is in flight per writer; when it is done, what failed
 * is merged back into the collecting buffer and the next flush is
 * scheduled: after --index-flush-ms (0: at once, at the end of the loop's
 * turn), at once when the buffer is half full, and never sooner than
 * RETRY_MS after a failure (so a Redis that is down costs one attempt per
 * RETRY_MS, not a busy loop). The timer is armed only while something
 * waits, so an idle worker does not wake up. */
#include "index_writer.h"

#include <event2/event.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "clock.h"
#include "index_buffer.h"
#include "log.h"
#include "metrics.h"

#define RETRY_MS 200
#define DRAIN_ATTEMPTS 2

struct index_writer {
    struct store *store;
    struct event *timer;
    int flush_ms;
    struct index_lists lists;
    struct index_buffer buf[2];
    struct index_buffer *collecting, *flying;
    struct index_flush flush;
    struct store_batch batch;
    bool in_flight;
    bool failed;          /* the last flush failed: wait RETRY_MS */
    bool draining;        /* index_writer_drain: counted in `draining` */
    int drain_attempts;
};

static atomic_int draining;

int index_writer_draining(void) {
    return atomic_load(&draining);
}

static void drop(size_t top, size_t sessions) {
    if (top == 0 && sessions == 0) return;
    metrics_index_dropped(top, sessions);
    log_repeated(LOG_WARN, "index: dropped updates",
                 "index: buffer full: %zu top-list and %zu session updates dropped (Redis slow "
                 "or down?)",
                 top, sessions);
}

static bool has_work(const struct index_writer *w) {
    if (!index_buffer_empty(w->collecting)) return true;
    for (unsigned i = 0; i < INDEX_TOP_LISTS; i++) {
        if (w->lists.trim_more[i]) return true;
    }
    return false;
}

static void arm(struct index_writer *w, int ms) {
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (ms == 0) event_active(w->timer, EV_TIMEOUT, 0);
    else if (!evtimer_pending(w->timer, NULL)) evtimer_add(w->timer, &tv);
}

static void schedule(struct index_writer *w) {
    if (w->in_flight || w->draining || !has_work(w)) return;
    if (w->failed) arm(w, w->flush_ms > RETRY_MS ? w->flush_ms : RETRY_MS);
    else if (index_buffer_high(w->collecting)) arm(w, 0);
    else arm(w, w->flush_ms);
}

static void finish_drain(struct index_writer *w) {
    w->draining = false;
    atomic_fetch_sub(&draining, 1);
}

static void start_flush(struct index_writer *w);

static struct index_writer *writer_of(struct store_batch *b) {
    return (struct index_writer *)((char *)b - offsetof(struct index_writer, batch));
}

static void on_flush_reply(struct store_batch *b, size_t index, const redisReply *reply) {
    struct index_writer *w = writer_of(b);
    index_flush_reply(&w->flush, w->flying, &w->lists, index, reply);
}

/* Also runs inside store_send (Redis down): nothing follows start_flush's
 * call of store_send. */
static void on_flush_done(struct store_batch *b, enum store_status status) {
    struct index_writer *w = writer_of(b);
    size_t sessions = 0;
    size_t top = index_flush_restore(&w->flush, w->flying, w->collecting, &w->lists, &sessions);
    store_batch_release(b);
    w->in_flight = false;
    w->failed = status != STORE_OK;
    if (w->failed)
        log_repeated(LOG_WARN, "index: failed flushes",
                     "index: writing top lists and session counts failed (%s): retrying",
                     status == STORE_ERROR ? b->error_code : "Redis unavailable");
    drop(top, sessions);
    if (!w->draining) {
        schedule(w);
    } else if (!index_buffer_empty(w->collecting) && w->drain_attempts < DRAIN_ATTEMPTS) {
        start_flush(w);
    } else {
        finish_drain(w);
    }
}

static void start_flush(struct index_writer *w) {
    struct index_buffer *b = w->collecting;
    w->collecting = w->flying;
    w->flying = b;
    w->in_flight = true;
    if (w->draining) w->drain_attempts++;
    if (!index_flush_build(&w->flush, b, &w->lists, clock_now_ms(), &w->batch, on_flush_reply,
                           on_flush_done)) {
        if (w->batch.overflow) log_error("index: out of memory for a flush");
        on_flush_done(&w->batch, w->batch.overflow ? STORE_ERROR : STORE_OK);
        return;
    }
    store_send(w->store, &w->batch);
}

static void on_timer(evutil_socket_t fd, short what, void *arg) {
    struct index_writer *w = arg;
    (void)fd;
    (void)what;
    if (w->in_flight || w->draining || !has_work(w)) return;
    start_flush(w);
}

/* ---- the event path ---------------------------------------------------- */

void index_writer_total(struct index_writer *w, enum dimension dim, enum metric m,
                        const char *value, size_t len, long long total) {
    if (m >= METRIC_RANKED__COUNT) return;
    enum index_put r = index_top_offer(w->collecting, &w->lists, index_list_of(dim, m), value,
                                       len, total);
    if (r == INDEX_PUT_FULL) drop(1, 0);
    if (r == INDEX_PUT_NEW) schedule(w);
}

void index_writer_session(struct index_writer *w, const char *key, size_t klen,
                          long long expire_at_s, const char *session, size_t slen) {
    enum index_put r = index_session_add(w->collecting, key, klen, expire_at_s, session, slen);
    if (r == INDEX_PUT_FULL) drop(0, 1);
    if (r == INDEX_PUT_NEW) schedule(w);
}

void index_writer_forget(struct index_writer *w, enum dimension dim, const char *value,
                         size_t len) {
    index_top_forget(w->collecting, dim, value, len);
}

void index_writer_drain_announce(void) {
    atomic_fetch_add(&draining, 1);
}

void index_writer_drain(struct index_writer *w) {
    if (w->draining) {
        atomic_fetch_sub(&draining, 1); /* announced twice */
        return;
    }
    evtimer_del(w->timer);
    w->draining = true;
    w->drain_attempts = 0;
    if (w->in_flight) return; /* on_flush_done goes on */
    if (index_buffer_empty(w->collecting)) finish_drain(w);
    else start_flush(w);
}

/* ---- life -------------------------------------------------------------- */

struct index_writer *index_writer_new(struct event_base *base, struct store *store,
                                      const struct config *cfg) {
    struct index_writer *w = calloc(1, sizeof(*w));
    if (w == NULL) return NULL;
    w->store = store;
    w->flush_ms = cfg->index_flush_ms;
    index_lists_init(&w->lists, cfg->top_size);
    index_flush_init(&w->flush, cfg->top_size);
    w->timer = evtimer_new(base, on_timer, w);
    if (w->timer == NULL || !index_buffer_init(&w->buf[0], &index_caps_default)
        || !index_buffer_init(&w->buf[1], &index_caps_default)) {
        index_writer_free(w);
        return NULL;
    }
    w->collecting = &w->buf[0];
    w->flying = &w->buf[1];
    return w;
}

/* After store_disconnect: no flush is in flight any more. */
void index_writer_free(struct index_writer *w) {
    if (w == NULL) return;
    if (w->draining) finish_drain(w);
    if (w->timer) event_free(w->timer);
    index_flush_free(&w->flush);
    index_buffer_free(&w->buf[0]);
    index_buffer_free(&w->buf[1]);
    free(w);
}
