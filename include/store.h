/* store.h -- adstats' Redis client, one per worker loop (ioloop.h).
 *
 * Work is sent as a batch (built with batch.h): a few commands that travel together and finish
 * together. Batches sent in the same turn of the event loop share one write
 * to Redis, which is what makes many concurrent requests cheap. A batch
 * finishes exactly once, with STORE_OK when every command got a reply that
 * is not an error, STORE_ERROR when Redis answered with an error, or
 * STORE_UNAVAILABLE when there is no connection, the connection dropped, or
 * the round trip took longer than the timeout. The client reconnects by
 * itself, with a short backoff, and authenticates and selects the database
 * on every connection.
 *
 * Write-only batches (store_batch_combinable) are not sent at once but at
 * the end of the loop's turn, all together, merged by combine.h: counting
 * 64 concurrent events then costs Redis a few dozen commands, not 64
 * times 28. */
#ifndef ADSTATS_STORE_H
#define ADSTATS_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "batch.h"
#include "config.h"

struct event_base;
struct store;

/* On the store's worker loop only. */
struct store *store_new(struct event_base *base, const struct redis_endpoint *ep, int timeout_ms);
void store_free(struct store *s);
void store_send(struct store *s, struct store_batch *b);
void store_disconnect(struct store *s);

#endif
