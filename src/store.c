/* store.c -- asynchronous Redis client with automatic pipelining; see
 * store.h.
 *
 * hiredis' async API queues every command into one output buffer that the
 * libevent adapter flushes when the socket is writable, so commands sent in
 * the same turn of the loop go out in one write: batching needs no code of
 * its own here. What this file adds is the life of the connection:
 *
 *  - Batches in flight sit in a FIFO. Redis answers in order, so the head
 *    is always the oldest unanswered batch, and a watchdog timer only has
 *    to look at the head to enforce the round-trip timeout.
 *  - When the timeout passes, or the connection fails, the context is
 *    freed; hiredis then calls every pending callback with a NULL reply, and
 *    each batch finishes as STORE_UNAVAILABLE. A command that was already
 *    applied may thus be reported as failed (the client sees a 503 and may
 *    retry), but a success is only ever reported for a reply Redis sent.
 *  - Reconnection runs on a backoff timer, 25 ms doubling to 200 ms, so
 *    service resumes well within a second of Redis coming back. Redis being
 *    down (at start-up too) is never fatal: the first failed attempt is
 *    logged, then one line every REPORT_EVERY attempts, so an outage is
 *    reported without flooding the log.
 *  - Errors, timeouts and reconnects are counted for /metrics. */
#include "store.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "combine.h"
#include "log.h"
#include "metrics.h"

#define BACKOFF_MIN_MS 25
#define BACKOFF_MAX_MS 200
#define REPORT_EVERY 50 /* failed attempts between reports, about 10 s */

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_UP };

struct store {
    struct event_base *base;
    struct redis_endpoint ep;
    int timeout_ms;

    redisAsyncContext *ac;
    enum conn_state state;
    long long connect_started_ms;
    int backoff_ms;
    bool closing;
    bool ever_up;        /* a connection was made once: later ones are reconnects */
    long failed_attempts; /* since the last successful connection */

    struct event *retry_timer;
    struct event *watchdog;
    struct store_batch *head, *tail; /* in flight, oldest first */

    /* write-only batches waiting for the end of the loop's turn */
    struct store_batch **pending, **spare;
    size_t n_pending, pending_cap, spare_cap;
    struct event *flush;
    struct combiner *combiner;
};

/* ---- in-flight FIFO ---------------------------------------------------- */

static void fifo_push(struct store *s, struct store_batch *b) {
    b->next = NULL;
    b->prev = s->tail;
    if (s->tail) s->tail->next = b;
    else s->head = b;
    s->tail = b;
}

static void fifo_remove(struct store *s, struct store_batch *b) {
    if (b->prev) b->prev->next = b->next;
    else s->head = b->next;
    if (b->next) b->next->prev = b->prev;
    else s->tail = b->prev;
}

/* ---- connection -------------------------------------------------------- */

static void schedule_reconnect(struct store *s) {
    if (s->state == CONN_UP) metrics_redis_connected(false, false);
    s->ac = NULL;
    s->state = CONN_DOWN;
    if (s->closing) return;
    struct timeval tv = {s->backoff_ms / 1000, (s->backoff_ms % 1000) * 1000};
    evtimer_add(s->retry_timer, &tv);
    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* Logs the first failure of an outage and then every REPORT_EVERY-th. */
static void connect_failed(struct store *s, const char *why) {
    metrics_redis_error(REDIS_ERR_CONNECT);
    if (s->failed_attempts++ % REPORT_EVERY == 0)
        log_warn("redis: cannot connect to %s:%d: %s (%ld failed attempts; retrying every %d ms)",
                 s->ep.host, s->ep.port, why, s->failed_attempts, BACKOFF_MAX_MS);
}

static void on_connect(const redisAsyncContext *ac, int status) {
    struct store *s = ac->data;
    if (status != REDIS_OK) {
        connect_failed(s, ac->errstr);
        schedule_reconnect(s); /* hiredis frees the context after this */
        return;
    }
    log_info("redis: connected to %s:%d", s->ep.host, s->ep.port);
    s->state = CONN_UP;
    s->backoff_ms = BACKOFF_MIN_MS;
    s->failed_attempts = 0;
    metrics_redis_connected(true, s->ever_up);
    s->ever_up = true;
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
    struct store *s = ac->data;
    if (status != REDIS_OK)
        log_warn("redis: connection to %s:%d lost: %s", s->ep.host, s->ep.port, ac->errstr);
    if (s->ac == ac) schedule_reconnect(s);
}

/* AUTH and SELECT failures leave the connection useless: drop it. */
static void on_handshake_reply(redisAsyncContext *ac, void *r, void *privdata) {
    const redisReply *reply = r;
    (void)privdata;
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
        struct store *s = ac->data;
        log_error("redis: %s:%d refused the handshake: %s", s->ep.host, s->ep.port, reply->str);
        redisAsyncDisconnect(ac);
    }
}

static void send_handshake(struct store *s) {
    if (s->ep.password[0] != '\0') {
        if (s->ep.username[0] != '\0')
            redisAsyncCommand(s->ac, on_handshake_reply, NULL, "AUTH %s %s", s->ep.username,
                              s->ep.password);
        else
            redisAsyncCommand(s->ac, on_handshake_reply, NULL, "AUTH %s", s->ep.password);
    }
    if (s->ep.db != 0) redisAsyncCommand(s->ac, on_handshake_reply, NULL, "SELECT %d", s->ep.db);
}

static void connect_now(struct store *s) {
    redisAsyncContext *ac = redisAsyncConnect(s->ep.host, s->ep.port);
    if (ac == NULL || ac->err) {
        connect_failed(s, ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        schedule_reconnect(s);
        return;
    }
    ac->data = s;
    if (redisLibeventAttach(ac, s->base) != REDIS_OK) {
        redisAsyncFree(ac);
        schedule_reconnect(s);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    s->ac = ac;
    s->state = CONN_CONNECTING;
    s->connect_started_ms = (clock_monotonic_us() / 1000);
    send_handshake(s);
}

static void on_retry(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    connect_now(arg);
}

/* Drops the connection; every batch in flight finishes as unavailable. */
static void drop_connection(struct store *s) {
    redisAsyncContext *ac = s->ac;
    if (ac == NULL) return;
    s->ac = NULL;
    redisAsyncFree(ac);
    schedule_reconnect(s);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg) {
    struct store *s = arg;
    (void)fd;
    (void)what;
    long long now = (clock_monotonic_us() / 1000);
    bool stuck_batch = s->head != NULL && now - s->head->sent_ms > s->timeout_ms;
    bool stuck_connect = s->state == CONN_CONNECTING
                      && now - s->connect_started_ms > s->timeout_ms;
    if (stuck_batch || stuck_connect) {
        metrics_redis_error(REDIS_ERR_TIMEOUT);
        log_warn("redis: no answer from %s:%d within %d ms, reconnecting", s->ep.host,
                 s->ep.port, s->timeout_ms);
        drop_connection(s);
    }
}

/* ---- sending ----------------------------------------------------------- */

static void finish_batch(struct store_batch *b) {
    fifo_remove(b->store, b);
    b->on_done(b, b->status);
}

/* One reply (NULL: the connection is gone) to one of b's commands. */
static void account(struct store_batch *b, const redisReply *reply) {
    size_t index = b->replied++;
    if (reply == NULL) {
        if (b->status != STORE_UNAVAILABLE) metrics_redis_error(REDIS_ERR_UNAVAILABLE);
        b->status = STORE_UNAVAILABLE;
    } else if (reply->type == REDIS_REPLY_ERROR) {
        if (b->status == STORE_OK)
            snprintf(b->error_code, sizeof(b->error_code), "%.*s", (int)strcspn(reply->str, " "),
                     reply->str);
        if (b->status == STORE_OK) b->status = STORE_ERROR;
    } else if (b->on_reply != NULL && b->status == STORE_OK) {
        b->on_reply(b, index, reply);
    }
    if (b->replied == b->n_cmds) finish_batch(b);
}

/* Once per error reply Redis sent (a merged command's error fails several
 * batches, but it is one error). */
static void note_error_reply(const redisReply *reply) {
    if (reply == NULL || reply->type != REDIS_REPLY_ERROR) return;
    metrics_redis_error(REDIS_ERR_REPLY);
    log_error("redis: command failed: %s", reply->str);
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata) {
    (void)ac;
    note_error_reply(r);
    account(privdata, r);
}

static void start_batch(struct store *s, struct store_batch *b) {
    b->sent_ms = (clock_monotonic_us() / 1000);
    fifo_push(s, b);
}

static void send_now(struct store *s, struct store_batch *b) {
    start_batch(s, b);
    for (size_t i = 0; i < b->n_cmds; i++) {
        struct store_cmd *c = &b->cmds[i];
        if (redisAsyncCommandArgv(s->ac, on_reply, b, c->argc, &b->argv[c->first],
                                  &b->argvlen[c->first]) != REDIS_OK) {
            /* Only fails while the context is being torn down; account for
             * the commands that will never get a callback. */
            while (i++ < b->n_cmds) account(b, NULL);
            return;
        }
    }
}

/* ---- write combining --------------------------------------------------- */

/* A merged command's reply counts once for every original command in it. */
static void deliver(struct combine_slot *slot, const redisReply *reply) {
    struct combine_plan *plan = slot->plan;
    for (size_t i = 0; i < slot->n_deps; i++) account(plan->deps[slot->first_dep + i], reply);
    if (--plan->pending == 0) free(plan);
}

static void on_combined_reply(redisAsyncContext *ac, void *r, void *privdata) {
    (void)ac;
    note_error_reply(r);
    deliver(privdata, r);
}

static void send_plan(struct store *s, struct combine_plan *plan, struct store_batch **batches,
                      size_t n) {
    for (size_t i = 0; i < n; i++) start_batch(s, batches[i]);
    size_t slots = plan->n_slots;
    for (size_t i = 0; i < slots; i++) {
        int argc;
        const char *const *argv;
        const size_t *argvlen;
        combine_command(s->combiner, i, &argc, &argv, &argvlen);
        if (redisAsyncCommandArgv(s->ac, on_combined_reply, &plan->slots[i], argc,
                                  (const char **)argv, argvlen) != REDIS_OK) {
            while (i < slots) deliver(&plan->slots[i++], NULL); /* frees the plan */
            return;
        }
    }
}

static void fail_batch(struct store_batch *b) {
    metrics_redis_error(REDIS_ERR_UNAVAILABLE);
    b->on_done(b, STORE_UNAVAILABLE);
}

static void fail_pending(struct store *s) {
    size_t n = s->n_pending;
    s->n_pending = 0;
    for (size_t i = 0; i < n; i++) fail_batch(s->pending[i]);
}

/* End of the loop's turn: send every write-only batch that came in. The
 * list is swapped out first, so that batches queued by callbacks while
 * sending wait for the next turn. */
static void on_flush(evutil_socket_t fd, short what, void *arg) {
    struct store *s = arg;
    (void)fd;
    (void)what;
    struct store_batch **list = s->pending;
    size_t n = s->n_pending, cap = s->pending_cap;
    s->pending = s->spare;
    s->pending_cap = s->spare_cap;
    s->n_pending = 0;
    s->spare = list;
    s->spare_cap = cap;

    struct combine_plan *plan = NULL;
    if (s->ac != NULL && n > 1) plan = combine_plan(s->combiner, list, n);
    if (plan != NULL) {
        send_plan(s, plan, list, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (s->ac != NULL) send_now(s, list[i]);
        else fail_batch(list[i]);
    }
}

static bool queue_pending(struct store *s, struct store_batch *b) {
    if (s->n_pending == s->pending_cap) {
        size_t cap = s->pending_cap ? s->pending_cap * 2 : 64;
        struct store_batch **p = realloc(s->pending, cap * sizeof(*p));
        if (p == NULL) return false;
        s->pending = p;
        s->pending_cap = cap;
    }
    if (s->n_pending == 0) event_active(s->flush, EV_TIMEOUT, 0);
    s->pending[s->n_pending++] = b;
    return true;
}

void store_send(struct store *s, struct store_batch *b) {
    b->store = s;
    b->replied = 0;
    b->status = STORE_OK;
    b->error_code[0] = '\0';
    if (b->overflow || b->n_cmds == 0) {
        log_error("redis: batch too large for its buffers");
        b->on_done(b, STORE_ERROR);
        return;
    }
    if (s->ac == NULL) {
        metrics_redis_error(REDIS_ERR_UNAVAILABLE);
        b->on_done(b, STORE_UNAVAILABLE);
        return;
    }
    if (b->combinable && b->on_reply == NULL && queue_pending(s, b)) return;
    send_now(s, b);
}

void store_disconnect(struct store *s) {
    s->closing = true;
    evtimer_del(s->retry_timer);
    drop_connection(s);
    fail_pending(s);
}

struct store *store_new(struct event_base *base, const struct redis_endpoint *ep, int timeout_ms) {
    struct store *s = calloc(1, sizeof(*s));
    if (s == NULL) return NULL;
    s->base = base;
    s->ep = *ep;
    s->timeout_ms = timeout_ms;
    s->backoff_ms = BACKOFF_MIN_MS;
    s->retry_timer = evtimer_new(base, on_retry, s);
    s->watchdog = event_new(base, -1, EV_PERSIST, on_watchdog, s);
    s->flush = event_new(base, -1, 0, on_flush, s);
    s->combiner = combiner_new();
    /* A stuck round trip is failed within 1.1 times the timeout. */
    int tick_ms = timeout_ms / 10 > 0 ? timeout_ms / 10 : 1;
    struct timeval tick = {tick_ms / 1000, (tick_ms % 1000) * 1000};
    if (s->retry_timer == NULL || s->watchdog == NULL || s->flush == NULL || s->combiner == NULL
        || event_add(s->watchdog, &tick) != 0) {
        store_free(s);
        return NULL;
    }
    connect_now(s);
    return s;
}

void store_free(struct store *s) {
    store_disconnect(s);
    if (s->retry_timer) event_free(s->retry_timer);
    if (s->watchdog) event_free(s->watchdog);
    if (s->flush) event_free(s->flush);
    combiner_free(s->combiner);
    free(s->pending);
    free(s->spare);
    free(s);
}
