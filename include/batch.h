/* batch.h -- a batch of Redis commands being built: what store.h sends.
 *
 * A batch holds its commands' arguments as pointers and lengths (argv
 * style, as hiredis takes them), pointing at memory the caller keeps
 * (store_arg_static, store_arg_ref) or at copies in the batch's own arena
 * (store_arg_copy, store_arg_ll). Nothing here does I/O or needs a
 * connection: building is plain memory, on any thread. A batch that runs
 * out of room is marked `overflow`, and the store fails it instead of
 * sending a part of it. */
#ifndef ADSTATS_BATCH_H
#define ADSTATS_BATCH_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

/* Inline capacity of a batch: enough for every command of one event
 * (events.h), so the event path allocates nothing. A batch that needs more
 * -- a read over hundreds of days -- takes its storage from the heap
 * instead (store_batch_init_large). */
#define STORE_BATCH_CMDS 32
#define STORE_BATCH_ARGS 128
#define STORE_ARENA 1024

enum store_status { STORE_OK, STORE_ERROR, STORE_UNAVAILABLE };

struct store_batch;
typedef void store_reply_fn(struct store_batch *batch, size_t index, const redisReply *reply);
typedef void store_done_fn(struct store_batch *batch, enum store_status status);

/* One command: `argc` arguments from argv[first] of its batch. Arguments
 * can only be added to the batch's last command. `tag` is the caller's:
 * 0 (store_cmd_add's) for a command whose reply nobody reads; in a
 * combinable batch, only the commands with a tag other than 0 are shown
 * to on_reply (which reads the tag back from b->cmds[index]). */
struct store_cmd {
    struct store_batch *batch;
    size_t first;
    int argc;
    unsigned char tag;
};

struct store_batch {
    /* storage: the inline arrays below, or one heap block */
    struct store_cmd *cmds;
    const char **argv;
    size_t *argvlen;
    char *arena;             /* backing store for arguments built by store_arg_copy/_ll */
    size_t cmd_cap, arg_cap, arena_cap;
    void *heap;

    size_t n_cmds, n_args, arena_used;
    bool overflow;           /* something did not fit: the batch fails */
    bool combinable;         /* write-only: may be merged (store_batch_combinable) */

    store_reply_fn *on_reply; /* optional: sees each successful reply (of a
                               * combinable batch: of its tagged commands) */
    store_done_fn *on_done;

    /* owned by the store while the batch is in flight */
    size_t awaiting;         /* replies still expected (store.c) */
    enum store_status status;
    long long sent_ms;

    /* After STORE_ERROR: the first word of the first error reply (OOM,
     * READONLY, WRONGTYPE, CLUSTERDOWN, ERR, ...), or "WAIT" when fewer
     * replicas than --redis-wait-replicas confirmed the writes. */
    char error_code[16];

    struct store_cmd inline_cmds[STORE_BATCH_CMDS];
    const char *inline_argv[STORE_BATCH_ARGS];
    size_t inline_argvlen[STORE_BATCH_ARGS];
    char inline_arena[STORE_ARENA];
};

/* Building (any thread). A batch must not be copied or moved once
 * initialised (it points into itself). */
void store_batch_init(struct store_batch *b, store_reply_fn *on_reply, store_done_fn *on_done);

/* Like store_batch_init, with room on the heap for `cmds` commands, `args`
 * arguments and `arena` bytes of copied arguments. Returns false if that
 * cannot be allocated (the batch is then empty and marked as overflowed, so
 * sending it fails). The owner frees the storage with store_batch_release
 * once the batch is done, and before initialising it again. */
bool store_batch_init_large(struct store_batch *b, size_t cmds, size_t args, size_t arena,
                            store_reply_fn *on_reply, store_done_fn *on_done);
void store_batch_release(struct store_batch *b);

/* Declares a batch write-only: nobody reads its replies, only whether all
 * succeeded -- except those of its tagged commands (struct store_cmd),
 * which on_reply sees. Such batches sent in the same turn of the worker's
 * loop are merged into fewer commands (combine.h); a tagged command merged
 * with others sees the merged command's reply (a merged HINCRBY: the
 * field's value after all of them). */
void store_batch_combinable(struct store_batch *b);

struct store_cmd *store_cmd_add(struct store_batch *b);
/* `s` must outlive the batch: a literal, or memory the owner keeps. */
void store_arg_static(struct store_cmd *c, const char *s);
void store_arg_ref(struct store_cmd *c, const char *s, size_t len);
/* Copies into the batch's arena; returns the copy (NULL if it did not fit),
 * which later commands of the batch may reference with store_arg_ref. */
const char *store_arg_copy(struct store_batch *b, struct store_cmd *c, const char *s, size_t len);
void store_arg_ll(struct store_cmd *c, long long v);

#endif
