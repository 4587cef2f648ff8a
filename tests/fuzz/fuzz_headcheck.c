/* fuzz_headcheck.c -- libFuzzer target: request-head screening
 * (headcheck.c).
 *
 * Any bytes get a verdict without reading outside them. A rejection names
 * a 4xx that adstats documents and a non-empty message. And a rejection
 * is final: the first byte of the input picks a prefix, and if that prefix
 * is already rejected, the whole input must be rejected with the same
 * status -- a head does not become acceptable by sending more of it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "headcheck.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static enum headcheck_verdict judge(const uint8_t *data, size_t size, struct headcheck *out) {
    /* An exact-size copy, so that AddressSanitizer catches a read past it. */
    char *copy = malloc(size ? size : 1);
    CHECK(copy != NULL);
    memcpy(copy, data, size);
    enum headcheck_verdict v = headcheck_scan(copy, size, out);
    free(copy);
    if (v == HEAD_REJECT) {
        unsigned s = out->status;
        CHECK(s == 400 || s == 413 || s == 414 || s == 431);
        CHECK(out->message[0] != '\0');
        CHECK(memchr(out->message, '\0', sizeof(out->message)) != NULL);
    } else {
        CHECK(v == HEAD_ACCEPT || v == HEAD_INCOMPLETE);
    }
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t split = size > 1 ? 1 + data[0] * (size - 1) / 256 : 0;
    struct headcheck whole, prefix;
    enum headcheck_verdict v = judge(data + 1, size - 1, &whole);
    if (judge(data + 1, split, &prefix) == HEAD_REJECT) {
        CHECK(v == HEAD_REJECT);
        CHECK(whole.status == prefix.status);
    }
    return 0;
}
