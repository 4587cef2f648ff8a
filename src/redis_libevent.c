/* redis_libevent.c -- hiredis' async hooks on libevent; see
 * redis_libevent.h.
 *
 * hiredis calls four hooks: add/delete read and add/delete write interest.
 * Reads are one persistent event, added at the first addRead and deleted
 * at delRead only. Writes take one of two ways:
 *
 *  - direct: once connected, addWrite activates `soon`, a deferred event
 *    that calls redisAsyncHandleWrite later in the same turn of the loop
 *    (so never from inside a hiredis call or callback). hiredis writes
 *    what it has; if the socket took it all, it calls delWrite, and no
 *    event was ever registered.
 *  - waiting: before the connection is up, and when a direct write left
 *    something unwritten (hiredis then calls addWrite from inside the
 *    write, which `writing` tells apart), addWrite registers the
 *    persistent write event, and delWrite removes it.
 *
 * hiredis may free the context, and with it this state (cleanup), inside
 * any redisAsyncHandle* call: no callback touches `e` after that call.
 * `writing`, which must be read after it, is a thread-local therefore. */
#include "redis_libevent.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdlib.h>

struct redis_events {
    redisAsyncContext *ac;
    struct event *read, *write, *soon;
    bool reading;    /* `read` registered */
    bool waiting;    /* `write` registered */
    bool soon_armed; /* `soon` active */
};

/* The context whose redisAsyncHandleWrite this thread is inside, if any. */
static _Thread_local const redisAsyncContext *writing;

static void on_readable(evutil_socket_t fd, short what, void *arg) {
    struct redis_events *e = arg;
    (void)fd;
    (void)what;
    redisAsyncHandleRead(e->ac);
}

/* `write` (the socket is writable) and `soon` (a direct write). */
static void on_write(evutil_socket_t fd, short what, void *arg) {
    struct redis_events *e = arg;
    redisAsyncContext *ac = e->ac;
    (void)fd;
    (void)what;
    e->soon_armed = false;
    writing = ac;
    redisAsyncHandleWrite(ac);
    writing = NULL;
}

static void add_read(void *arg) {
    struct redis_events *e = arg;
    if (!e->reading) e->reading = event_add(e->read, NULL) == 0;
}

static void del_read(void *arg) {
    struct redis_events *e = arg;
    if (e->reading) event_del(e->read);
    e->reading = false;
}

static void wait_writable(struct redis_events *e) {
    if (!e->waiting) e->waiting = event_add(e->write, NULL) == 0;
}

static void add_write(void *arg) {
    struct redis_events *e = arg;
    if (e->waiting) return; /* the socket's writability will come */
    bool connected = (e->ac->c.flags & REDIS_CONNECTED) != 0;
    if (!connected || writing == e->ac) {
        wait_writable(e);
    } else if (!e->soon_armed) {
        event_active(e->soon, EV_WRITE, 0);
        e->soon_armed = true;
    }
}

static void del_write(void *arg) {
    struct redis_events *e = arg;
    if (e->waiting) event_del(e->write);
    e->waiting = false;
    if (e->soon_armed) event_del(e->soon);
    e->soon_armed = false;
}

static void free_events(struct redis_events *e) {
    if (e->read) event_free(e->read);
    if (e->write) event_free(e->write);
    if (e->soon) event_free(e->soon);
    free(e);
}

static void cleanup(void *arg) {
    free_events(arg);
}

int redis_libevent_attach(redisAsyncContext *ac, struct event_base *base) {
    if (ac->ev.data != NULL) return REDIS_ERR;
    struct redis_events *e = calloc(1, sizeof(*e));
    if (e == NULL) return REDIS_ERR;
    e->ac = ac;
    int fd = ac->c.fd;
    e->read = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, e);
    e->write = event_new(base, fd, EV_WRITE | EV_PERSIST, on_write, e);
    e->soon = event_new(base, -1, 0, on_write, e);
    if (e->read == NULL || e->write == NULL || e->soon == NULL) {
        free_events(e);
        return REDIS_ERR;
    }
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    ac->ev.data = e;
    /* as hiredis' adapter: readable or writable tells that the connect is done */
    add_read(e);
    wait_writable(e);
    return e->reading && e->waiting ? REDIS_OK : REDIS_ERR;
}
