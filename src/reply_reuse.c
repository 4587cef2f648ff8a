/* reply_reuse.c -- one reusable reply object per thread; see
 * reply_reuse.h. */
#include "reply_reuse.h"

#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

/* Strings up to this long (errors such as "MOVED 3999 10.0.0.1:7001",
 * integers' and scores' digits, stream IDs) fit the object. */
#define REUSE_STR_MAX 127

struct reusable {
    redisReply reply;
    bool taken;
    char str[REUSE_STR_MAX + 1];
};

static _Thread_local struct reusable reusable;
/* hiredis' own functions (a reader's before attach: the same table for
 * every reader, whichever thread attached it), for the rest. */
static _Atomic(redisReplyObjectFunctions *) heap_functions;
#define heap atomic_load_explicit(&heap_functions, memory_order_relaxed)

/* The object for a top-level reply of `type`, or NULL (build it on the
 * heap) if the reply is an element of an array or the object is in use. */
static redisReply *take(const redisReadTask *task, int type) {
    if (task->parent != NULL || reusable.taken) return NULL;
    reusable.taken = true;
    reusable.reply = (redisReply){.type = type};
    return &reusable.reply;
}

static void *create_string(const redisReadTask *task, char *str, size_t len) {
    redisReply *r = len <= REUSE_STR_MAX ? take(task, task->type) : NULL;
    if (r == NULL) return heap->createString(task, str, len);
    memcpy(reusable.str, str, len);
    reusable.str[len] = '\0';
    r->str = reusable.str;
    r->len = len;
    return r;
}

static void *create_array(const redisReadTask *task, int elements) {
    return heap->createArray(task, elements);
}

static void *create_integer(const redisReadTask *task, long long value) {
    redisReply *r = take(task, REDIS_REPLY_INTEGER);
    if (r == NULL) return heap->createInteger(task, value);
    r->integer = value;
    return r;
}

static void *create_nil(const redisReadTask *task) {
    redisReply *r = take(task, REDIS_REPLY_NIL);
    return r != NULL ? r : heap->createNil(task);
}

static void free_object(void *obj) {
    if (obj == &reusable.reply) reusable.taken = false;
    else heap->freeObject(obj);
}

static redisReplyObjectFunctions reuse_functions = {
    create_string, create_array, create_integer, create_nil, free_object,
};

void reply_reuse_attach(redisReader *r) {
    if (r->fn == &reuse_functions) return;
    atomic_store_explicit(&heap_functions, r->fn, memory_order_relaxed);
    r->fn = &reuse_functions;
}
