/* lifecycle.c -- the process phase; see lifecycle.h. One atomic. */
#include "lifecycle.h"

#include <stdatomic.h>

static atomic_int phase = LIFECYCLE_STARTING;

void lifecycle_set(enum lifecycle_phase p) {
    atomic_store(&phase, (int)p);
}

enum lifecycle_phase lifecycle_get(void) {
    return (enum lifecycle_phase)atomic_load(&phase);
}
