/* expiry_cache.c -- per-worker memory of EXPIREATs sent; see expiry_cache.h. */
#include "expiry_cache.h"

#include <stdint.h>
#include <string.h>

#include "keys.h"

struct slot {
    uint64_t hash;     /* of the key; 0: empty */
    long long at_s;    /* the expiry instant sent */
    long long sent_ms; /* when */
};

static _Thread_local struct slot slots[EXPIRY_CACHE_SLOTS];

bool expiry_cache_claim(const char *key, size_t len, long long at_s, long long now_ms) {
    uint64_t h = key_hash64(key, len) | 1; /* never 0 */
    struct slot *s = &slots[h % EXPIRY_CACHE_SLOTS];
    if (s->hash == h && s->at_s == at_s && now_ms - s->sent_ms < EXPIRY_CACHE_RESEND_MS
        && now_ms >= s->sent_ms)
        return false;
    s->hash = h;
    s->at_s = at_s;
    s->sent_ms = now_ms;
    return true;
}

void expiry_cache_clear(void) {
    memset(slots, 0, sizeof(slots));
}
