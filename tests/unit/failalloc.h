/* failalloc.h -- allocation-failure injection for unit tests.
 *
 * A test binary linked with tests/unit/failalloc.c and
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup (the
 * Makefile does this for tests/unit/test_oom_*.c) sends every allocation
 * that adstats' code makes through a counter, which can fail the Nth one.
 * Only calls from the test's and libadstats' objects are wrapped: libc,
 * libevent, hiredis and cmocka allocate normally.
 *
 * failalloc_each runs the code under test with the 1st allocation failing,
 * then the 2nd, and so on, until a run completes without reaching the
 * failure. Not thread-safe: arm it while one thread allocates. */
#ifndef ADSTATS_TEST_FAILALLOC_H
#define ADSTATS_TEST_FAILALLOC_H

#include <stdbool.h>

/* Fails the nth allocation from now (1 is the next one) and no other;
 * 0 disarms. */
void failalloc_arm(unsigned long nth);
/* Whether the armed failure happened since failalloc_arm. */
bool failalloc_fired(void);
/* Allocations made since failalloc_arm. */
unsigned long failalloc_count(void);

/* Runs body(ctx) with the 1st allocation failing, then the 2nd, and so
 * on, until a run completes without reaching the failure; body reads
 * failalloc_fired() to know which result to expect. Returns how many
 * allocations the successful run made (each was made to fail once). */
unsigned long failalloc_each(void (*body)(void *ctx), void *ctx);

#endif
