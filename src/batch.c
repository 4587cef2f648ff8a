/* batch.c -- building batches of Redis commands; see batch.h.
 *
 * A batch's storage is its inline arrays (enough for one event, so the
 * event path allocates nothing) or one heap block cut into the same four
 * arrays (store_batch_init_large). */
#include "batch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void use_storage(struct store_batch *b, struct store_cmd *cmds, size_t cmd_cap,
                        const char **argv, size_t *argvlen, size_t arg_cap, char *arena,
                        size_t arena_cap) {
    b->cmds = cmds;
    b->cmd_cap = cmd_cap;
    b->argv = argv;
    b->argvlen = argvlen;
    b->arg_cap = arg_cap;
    b->arena = arena;
    b->arena_cap = arena_cap;
}

void store_batch_init(struct store_batch *b, store_reply_fn *on_reply, store_done_fn *on_done) {
    use_storage(b, b->inline_cmds, STORE_BATCH_CMDS, b->inline_argv, b->inline_argvlen,
                STORE_BATCH_ARGS, b->inline_arena, STORE_ARENA);
    b->heap = NULL;
    b->n_cmds = 0;
    b->n_args = 0;
    b->arena_used = 0;
    b->overflow = false;
    b->combinable = false;
    b->on_reply = on_reply;
    b->on_done = on_done;
}

bool store_batch_init_large(struct store_batch *b, size_t cmds, size_t args, size_t arena,
                            store_reply_fn *on_reply, store_done_fn *on_done) {
    store_batch_init(b, on_reply, on_done);
    size_t cmd_bytes = cmds * sizeof(struct store_cmd);
    size_t argv_bytes = args * sizeof(const char *);
    size_t len_bytes = args * sizeof(size_t);
    if (cmds > SIZE_MAX / 4 / sizeof(struct store_cmd) || args > SIZE_MAX / 4 / sizeof(size_t)
        || arena > SIZE_MAX / 4) {
        b->overflow = true;
        return false;
    }
    char *block = malloc(cmd_bytes + argv_bytes + len_bytes + arena);
    if (block == NULL) {
        b->overflow = true;
        return false;
    }
    /* struct store_cmd, pointers and size_t share the strictest alignment
     * here, and the arena (chars) goes last. */
    use_storage(b, (struct store_cmd *)block, cmds, (const char **)(block + cmd_bytes),
                (size_t *)(block + cmd_bytes + argv_bytes), args,
                block + cmd_bytes + argv_bytes + len_bytes, arena);
    b->heap = block;
    return true;
}

void store_batch_release(struct store_batch *b) {
    free(b->heap);
    b->heap = NULL;
    use_storage(b, b->inline_cmds, STORE_BATCH_CMDS, b->inline_argv, b->inline_argvlen,
                STORE_BATCH_ARGS, b->inline_arena, STORE_ARENA);
    b->n_cmds = 0;
    b->n_args = 0;
    b->arena_used = 0;
}

void store_batch_combinable(struct store_batch *b) {
    b->combinable = true;
}

struct store_cmd *store_cmd_add(struct store_batch *b) {
    if (b->n_cmds == b->cmd_cap) {
        /* Hand out a command that accepts no arguments. */
        static _Thread_local struct store_cmd spill;
        b->overflow = true;
        spill.batch = b;
        spill.first = SIZE_MAX;
        spill.argc = 0;
        spill.tag = 0;
        return &spill;
    }
    struct store_cmd *c = &b->cmds[b->n_cmds++];
    c->batch = b;
    c->first = b->n_args;
    c->argc = 0;
    c->tag = 0;
    return c;
}

void store_arg_ref(struct store_cmd *c, const char *s, size_t len) {
    struct store_batch *b = c->batch;
    /* Arguments are contiguous: only the last command can take more. */
    if (s == NULL || c->first + (size_t)c->argc != b->n_args || b->n_args == b->arg_cap) {
        b->overflow = true;
        return;
    }
    b->argv[b->n_args] = s;
    b->argvlen[b->n_args] = len;
    b->n_args++;
    c->argc++;
}

void store_arg_static(struct store_cmd *c, const char *s) {
    store_arg_ref(c, s, strlen(s));
}

const char *store_arg_copy(struct store_batch *b, struct store_cmd *c, const char *s, size_t len) {
    if (len > b->arena_cap - b->arena_used) {
        b->overflow = true;
        return NULL;
    }
    char *dst = b->arena + b->arena_used;
    memcpy(dst, s, len);
    b->arena_used += len;
    store_arg_ref(c, dst, len);
    return dst;
}

void store_arg_ll(struct store_cmd *c, long long v) {
    char digits[24];
    int n = snprintf(digits, sizeof(digits), "%lld", v);
    store_arg_copy(c->batch, c, digits, (size_t)n);
}
