/* redis_libevent.h -- hiredis' async API on a libevent loop, without an
 * epoll_ctl per round trip.
 *
 * hiredis ships an adapter (adapters/libevent.h) that registers a one-shot
 * read event and asks for the socket's writability before every write. On
 * epoll that costs four epoll_ctl calls for each round trip of a batch
 * (the read event removed when it fires and added back, write interest
 * added and removed), and the write waits for the next turn of the loop:
 * 0.43 of adstats' 3.1 system calls per /impression.
 *
 * This adapter keeps the read event registered as long as hiredis wants
 * reads, and writes without asking: once the connection is up, a write
 * hiredis asks for runs later in the same turn of the loop (a deferred
 * callback, never from inside hiredis), straight into the socket. Only if
 * the socket takes less than all of it (its buffer full: Redis slow or
 * stopped) does it wait for writability, as hiredis' adapter always does.
 * While connecting, it waits for writability too: that is how a
 * non-blocking connect reports that it is done. */
#ifndef ADSTATS_REDIS_LIBEVENT_H
#define ADSTATS_REDIS_LIBEVENT_H

#include <event2/event.h>
#include <hiredis/async.h>

/* Attaches `ac` to `base`; REDIS_OK, or REDIS_ERR (attached already, out
 * of memory, or libevent refused the socket). hiredis frees the adapter's
 * state with the context (redisAsyncFree), which the caller does on
 * REDIS_ERR too. */
int redis_libevent_attach(redisAsyncContext *ac, struct event_base *base);

#endif
