/* failalloc.c -- the wrapped allocators; see failalloc.h. */
#include "failalloc.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

/* Tests are single-threaded where armed; plain variables suffice. */
static unsigned long armed, counted;
static bool fired;

void failalloc_arm(unsigned long nth) {
    armed = nth;
    counted = 0;
    fired = false;
}

bool failalloc_fired(void) {
    return fired;
}

unsigned long failalloc_count(void) {
    return counted;
}

unsigned long failalloc_each(void (*body)(void *ctx), void *ctx) {
    for (unsigned long n = 1;; n++) {
        failalloc_arm(n);
        body(ctx);
        bool hit = fired;
        unsigned long made = counted;
        failalloc_arm(0);
        if (!hit) return made;
    }
}

static bool fail_now(void) {
    if (armed == 0) return false;
    if (++counted != armed) return false;
    fired = true;
    errno = ENOMEM;
    return true;
}

void *__wrap_malloc(size_t n) {
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size) {
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n) {
    return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s) {
    return fail_now() ? NULL : __real_strdup(s);
}
