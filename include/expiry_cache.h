/* expiry_cache.h -- has this worker set this key's expiry already?
 *
 * A day key (a day bucket, a day's session HyperLogLog: keys.h) expires at
 * a fixed instant, the end of its day plus --retention-days, so its
 * EXPIREAT is idempotent and needs sending once, not with every event. The
 * event path asks expiry_cache_claim before adding one: true means "send
 * it", and the cache remembers the key; later claims of the same key and
 * instant answer false -- for EXPIRY_CACHE_RESEND_MS, after which one more
 * EXPIREAT goes (so an EXPIREAT lost with a failed batch is repaired while
 * the key is still being written to, and a key never lacks its TTL for
 * long). Per day and worker that is about one EXPIREAT per key and 10
 * minutes, however many events.
 *
 * The cache is per thread (each worker builds its own events: no locks),
 * bounded (EXPIRY_CACHE_SLOTS entries; a key is kept in one of
 * EXPIRY_CACHE_PROBES neighbouring slots chosen by a hash of its name, so a
 * day's 16,384 bucket keys all fit; when a key finds no room, the entry sent
 * longest ago goes, which only costs a repeated, harmless EXPIREAT) and
 * static: it allocates nothing. */
#ifndef ADSTATS_EXPIRY_CACHE_H
#define ADSTATS_EXPIRY_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#define EXPIRY_CACHE_SLOTS 32768 /* 4 dimensions x DAY_BUCKETS, twice over */
#define EXPIRY_CACHE_PROBES 64  /* slots a key may take, from its hash's on */
#define EXPIRY_CACHE_RESEND_MS (10 * 60 * 1000LL)

bool expiry_cache_claim(const char *key, size_t len, long long at_s, long long now_ms);

/* Forgets everything this thread's cache holds (tests). */
void expiry_cache_clear(void);

#endif
