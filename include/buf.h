/* buf.h -- a growable byte buffer.
 *
 * Used to build response bodies and Redis keys. A buffer starts either empty
 * on the heap or over caller-provided stack storage (buf_init_static), and
 * moves to the heap only when it outgrows that storage, so the common case
 * allocates nothing. Append functions report allocation failure by setting
 * `failed`; callers check it once at the end instead of after every call. */
#ifndef ADSTATS_BUF_H
#define ADSTATS_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    bool on_heap;
    bool failed;
};

void buf_init(struct buf *b);
void buf_init_static(struct buf *b, char *storage, size_t cap);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);

/* Makes room for `extra` more bytes (and the terminating NUL) at once, for
 * a caller that knows about how much it will append; false, and `failed`
 * set, if out of memory. Appending never needs it. */
bool buf_reserve(struct buf *b, size_t extra);

/* Appends len bytes (NUL-terminated after them): inline while they fit,
 * through buf_append_grow when the buffer must grow (or has failed). */
void buf_append_grow(struct buf *b, const void *data, size_t len);
static inline void buf_append(struct buf *b, const void *data, size_t len) {
    if (b->failed || len >= b->cap - b->len) {
        buf_append_grow(b, data, len);
        return;
    }
    if (len > 0) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}
void buf_append_str(struct buf *b, const char *s);
void buf_append_char(struct buf *b, char c);
void buf_append_ll(struct buf *b, long long v);
/* Grows the heap array *p of *cap elements of `size` bytes to hold at
 * least `need` (doubling, from 64); false if out of memory (*p is kept). */
bool buf_grow_array(void **p, size_t *cap, size_t need, size_t size);

void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Hands the heap copy of the contents to the caller (NUL-terminated) and
 * leaves the buffer empty. Returns NULL on allocation failure. */
char *buf_steal(struct buf *b);

#endif
