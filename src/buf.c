/* buf.c -- growable byte buffer; see buf.h. The buffer always keeps one spare
 * byte so that its contents can be NUL-terminated for free. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b) {
    memset(b, 0, sizeof(*b));
}

void buf_init_static(struct buf *b, char *storage, size_t cap) {
    buf_init(b);
    b->data = storage;
    b->cap = cap;
    if (cap > 0) storage[0] = '\0';
}

void buf_free(struct buf *b) {
    if (b->on_heap) free(b->data);
    buf_init(b);
}

void buf_reset(struct buf *b) {
    b->len = 0;
    b->failed = false;
    if (b->cap > 0) b->data[0] = '\0';
}

bool buf_reserve(struct buf *b, size_t extra) {
    if (b->failed) return false;
    if (extra >= (size_t)-1 / 2 - b->len) goto fail;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return true;

    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    char *data = b->on_heap ? realloc(b->data, cap) : malloc(cap);
    if (data == NULL) goto fail;
    if (!b->on_heap && b->len > 0) memcpy(data, b->data, b->len);
    b->data = data;
    b->cap = cap;
    b->on_heap = true;
    return true;
fail:
    b->failed = true;
    return false;
}

void buf_append_grow(struct buf *b, const void *data, size_t len) {
    if (!buf_reserve(b, len)) return;
    if (len > 0) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_append_str(struct buf *b, const char *s) {
    buf_append(b, s, strlen(s));
}

void buf_append_char(struct buf *b, char c) {
    buf_append(b, &c, 1);
}

void buf_append_ll(struct buf *b, long long v) {
    char digits[24];
    int n = snprintf(digits, sizeof(digits), "%lld", v);
    buf_append(b, digits, (size_t)n);
}

void buf_printf(struct buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_reserve(b, (size_t)n)) {
        b->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *buf_steal(struct buf *b) {
    if (b->failed) {
        buf_free(b);
        return NULL;
    }
    char *out;
    if (b->on_heap) {
        out = b->data;
    } else {
        out = malloc(b->len + 1);
        if (out == NULL) return NULL;
        if (b->len > 0) memcpy(out, b->data, b->len);
        out[b->len] = '\0';
    }
    buf_init(b);
    return out;
}

bool buf_grow_array(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return true;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    if (n > SIZE_MAX / size) return false;
    void *q = realloc(*p, n * size);
    if (q == NULL) return false;
    *p = q;
    *cap = n;
    return true;
}
