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
 * times 8 to 17 (events.h). While Redis still owes replies to the previous
 * such send, they wait for those replies (group commit), so that a send
 * under load merges a whole round trip's worth of events. Such a batch may
 * still read the replies of the commands it tags (batch.h): each gets its
 * merged command's reply, once, also after a cluster redirection.
 *
 * With --redis-cluster, the store speaks the Redis Cluster protocol: it
 * reads the slot map, sends each command to the master of its key's slot,
 * and follows MOVED, ASK, TRYAGAIN and CLUSTERDOWN within the timeout
 * (store.c). With --redis-wait-replicas N, a write-only batch succeeds only
 * once WAIT confirms N replicas on every node it wrote to.
 *
 * A batch that fails on an error reply carries the reply's first word (OOM,
 * READONLY, ..., or "WAIT" when replicas did not confirm) in error_code. */
#ifndef ADSTATS_STORE_H
#define ADSTATS_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "batch.h"
#include "config.h"

struct event_base;
struct store;

/* On the store's worker loop only. Uses cfg's redis (credentials, and the
 * address and db of a single Redis), redis_cluster, redis_timeout_ms and
 * redis_wait_replicas. */
struct store *store_new(struct event_base *base, const struct config *cfg);
void store_free(struct store *s);
void store_send(struct store *s, struct store_batch *b);
void store_disconnect(struct store *s);

/* Start-up, before any loop: can the configured Redis (or the first seed
 * that answers) run WAIT? twemproxy cannot: it answers an error or closes
 * the connection. Blocking, bounded by redis_timeout_ms per seed; `why`
 * says what was found when the answer is not STORE_PROBE_OK. */
enum store_probe { STORE_PROBE_OK, STORE_PROBE_UNSUPPORTED, STORE_PROBE_UNREACHABLE };
enum store_probe store_probe_wait(const struct config *cfg, char *why, size_t cap);

#endif
