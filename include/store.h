/* store.h -- adstats' Redis client, running on the I/O thread.
 *
 * Work is sent as a batch: a few commands that travel together and finish
 * together. Batches sent in the same turn of the event loop share one write
 * to Redis, which is what makes many concurrent requests cheap. A batch
 * finishes exactly once, with STORE_OK when every command got a reply that
 * is not an error, STORE_ERROR when Redis answered with an error, or
 * STORE_UNAVAILABLE when there is no connection, the connection dropped, or
 * the round trip took longer than the timeout. The client reconnects by
 * itself, with a short backoff, and authenticates and selects the database
 * on every connection. */
#ifndef ADSTATS_STORE_H
#define ADSTATS_STORE_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct event_base;
struct store;

#define STORE_BATCH_CMDS 8
#define STORE_CMD_ARGS 6
#define STORE_ARENA 512

enum store_status { STORE_OK, STORE_ERROR, STORE_UNAVAILABLE };

struct store_batch;
typedef void store_reply_fn(struct store_batch *batch, size_t index, const redisReply *reply);
typedef void store_done_fn(struct store_batch *batch, enum store_status status);

struct store_cmd {
    int argc;
    const char *argv[STORE_CMD_ARGS];
    size_t argvlen[STORE_CMD_ARGS];
};

struct store_batch {
    struct store_cmd cmds[STORE_BATCH_CMDS];
    size_t n_cmds;
    char arena[STORE_ARENA]; /* backing store for arguments built by store_arg_* */
    size_t arena_used;
    bool overflow;           /* an argument did not fit: the batch fails */

    store_reply_fn *on_reply; /* optional: sees each successful reply */
    store_done_fn *on_done;

    /* owned by the store while the batch is in flight */
    struct store *store;
    size_t replied;
    enum store_status status;
    long long sent_ms;
    struct store_batch *next;
    struct store_batch *prev;
};

/* Building (any thread). */
void store_batch_init(struct store_batch *b, store_reply_fn *on_reply, store_done_fn *on_done);
struct store_cmd *store_cmd_add(struct store_batch *b);
void store_arg_static(struct store_cmd *c, const char *s);
void store_arg_copy(struct store_batch *b, struct store_cmd *c, const char *s, size_t len);

/* I/O thread only. */
struct store *store_new(struct event_base *base, const struct redis_endpoint *ep, int timeout_ms);
void store_free(struct store *s);
void store_send(struct store *s, struct store_batch *b);
void store_disconnect(struct store *s);
bool store_connected(const struct store *s);

#endif
