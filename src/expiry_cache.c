/* expiry_cache.c -- per-worker memory of EXPIREATs sent; see expiry_cache.h.
 *
 * Open addressing with linear probing, bounded: a key lives in one of the
 * EXPIRY_CACHE_PROBES slots from its home slot on. A claim looks at all of
 * them up to the first empty one, which a key not found takes; with none,
 * it takes the one whose EXPIREAT went longest ago (the least worth
 * remembering). */
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

/* Whether `s` remembers the EXPIREAT of key `h` at `at_s` as still fresh. */
static bool remembers(const struct slot *s, uint64_t h, long long at_s, long long now_ms) {
    return s->hash == h && s->at_s == at_s && now_ms - s->sent_ms < EXPIRY_CACHE_RESEND_MS
        && now_ms >= s->sent_ms;
}

/* The slot for key `h` from `home` on: its own if it has one, else the
 * one to take. Slots are never emptied (only taken over), so the key is
 * not beyond an empty slot: a search stops there, after about two slots
 * while the cache is at most half full. */
static struct slot *find(uint64_t h, size_t home) {
    struct slot *victim = NULL;
    for (size_t i = 0; i < EXPIRY_CACHE_PROBES; i++) {
        struct slot *s = &slots[(home + i) % EXPIRY_CACHE_SLOTS];
        if (s->hash == h || s->hash == 0) return s;
        if (victim == NULL || s->sent_ms < victim->sent_ms) victim = s;
    }
    return victim;
}

bool expiry_cache_claim(const char *key, size_t len, long long at_s, long long now_ms) {
    uint64_t h = key_hash64(key, len);
    size_t home = (size_t)((h ^ h >> 32) % EXPIRY_CACHE_SLOTS); /* all bits count */
    h |= 1; /* never 0 (empty); after the slot is chosen, or only odd slots would be */
    struct slot *s = find(h, home);
    if (remembers(s, h, at_s, now_ms)) return false;
    s->hash = h;
    s->at_s = at_s;
    s->sent_ms = now_ms;
    return true;
}

void expiry_cache_clear(void) {
    memset(slots, 0, sizeof(slots));
}
