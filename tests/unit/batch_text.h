/* batch_text.h -- the unit tests' view of a built batch: one command as
 * the words a person would type into redis-cli, for assertions that read
 * like the protocol. Header-only: each test program that includes it gets
 * its own copy of the (static) buffer. */
#ifndef ADSTATS_TEST_BATCH_TEXT_H
#define ADSTATS_TEST_BATCH_TEXT_H

#include <stdio.h>

#include "batch.h"

/* Command i of `b` as space-separated words, in a buffer the next call
 * overwrites. */
static inline const char *batch_command_text(const struct store_batch *b, size_t i) {
    static char out[2048];
    const struct store_cmd *c = &b->cmds[i];
    size_t at = 0;
    for (int a = 0; a < c->argc && at < sizeof(out); a++)
        at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%.*s", a ? " " : "",
                               (int)b->argvlen[c->first + a], b->argv[c->first + a]);
    return out;
}

#endif
