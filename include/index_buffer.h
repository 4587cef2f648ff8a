/* index_buffer.h -- what the deferred index writer (index_writer.h) holds
 * between two flushes, and the commands a flush sends: no I/O here, so
 * that unit tests can drive every decision.
 *
 * Two derived indexes are buffered per worker:
 *
 *  - top lists: (list, value) -> the largest all-time total the counters'
 *    HINCRBY replies have shown for it (a list is a dimension and a ranked
 *    metric, keys.h's key_top). A value is only admitted when its total
 *    beats the list's threshold: the score of the list's K-th member
 *    (K = --top-size) as last read, 0 while the list is shorter.
 *  - session HyperLogLogs: key -> the session ids to PFADD, with the
 *    key's EXPIREAT instant for day keys.
 *
 * Both are bounded (struct index_caps): a put that does not fit answers
 * INDEX_PUT_FULL, and the caller counts it as dropped.
 *
 * A flush (index_flush_build) turns a buffer into one batch:
 *
 *   PFADD <key> s1 s2 ...                 one per session key
 *   EXPIREAT <day key> <instant>          when this worker has not sent it
 *                                         (expiry_cache.h)
 *   ZADD <top key> GT n1 v1 n2 v2 ...     one per list with entries
 *   ZREMRANGEBYRANK <top key> -(K+C) -(K+1)   trims at most C = INDEX_TRIM_CHUNK
 *                                         members below the K-th
 *   ZRANGE <top key> -K -K WITHSCORES     the new threshold
 *
 * (a list still longer than K after a trim gets the trim alone in the next
 * flushes until it is K long). Negative ranks count from the top, so a trim
 * can never remove one of the K highest, whatever other workers did since.
 * The replies update the thresholds and the trims to come
 * (index_flush_reply); what failed is merged back into the buffer that
 * collects meanwhile (index_flush_restore): max for totals, the elements
 * again for sessions (PFADD and ZADD GT are idempotent). */
#ifndef ADSTATS_INDEX_BUFFER_H
#define ADSTATS_INDEX_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "dimension.h"

#define INDEX_TOP_LISTS (DIM__COUNT * METRIC_RANKED__COUNT)
#define INDEX_VALUE_MAX 64     /* longest dimension value */
#define INDEX_TRIM_CHUNK 10000 /* most members one trim removes */

enum index_put { INDEX_PUT_NEW, INDEX_PUT_MERGED, INDEX_PUT_BELOW, INDEX_PUT_FULL };

struct index_caps {
    size_t top_entries;      /* (list, value) pairs */
    size_t session_keys;
    size_t session_elements;
    size_t session_bytes;    /* keys and elements, copied */
};

/* The defaults: about 3.5 MB per buffer, two buffers per worker. */
extern const struct index_caps index_caps_default;

struct top_entry {
    long long total;
    uint64_t hash;
    uint32_t slot;           /* its place in the hash table */
    uint16_t list;
    uint8_t len;
    char value[INDEX_VALUE_MAX];
};

struct session_key {
    uint64_t hash;
    long long expire_at_s;   /* 0: an all-time key */
    uint32_t off, len;       /* the key's bytes */
    uint32_t head, tail, n;  /* its elements */
    uint32_t slot;
    bool expire;             /* this flush sends its EXPIREAT */
    bool ok;                 /* its PFADD succeeded */
};

struct session_ele {
    uint32_t off, len, next;
};

struct index_buffer {
    struct index_caps caps;
    struct top_entry *top;   /* caps.top_entries, in arrival order */
    size_t n_top;
    size_t per_list[INDEX_TOP_LISTS];
    struct session_key *keys;
    size_t n_keys;
    struct session_ele *eles;
    size_t n_eles;
    char *bytes;
    size_t n_bytes;
    uint32_t *table;         /* open addressing for both: 0 empty, else
                              * 1 + top entry, or 1 + caps.top_entries + key */
    size_t table_cap;
};

bool index_buffer_init(struct index_buffer *b, const struct index_caps *caps);
void index_buffer_free(struct index_buffer *b);
void index_buffer_clear(struct index_buffer *b);
bool index_buffer_empty(const struct index_buffer *b);
/* More than half of some cap used: time to flush without waiting. */
bool index_buffer_high(const struct index_buffer *b);

/* The per-worker knowledge of the lists: thresholds and trims to come. */
struct index_lists {
    long long top_size;                  /* K */
    long long threshold[INDEX_TOP_LISTS];
    bool trim_more[INDEX_TOP_LISTS];
};

void index_lists_init(struct index_lists *l, long long top_size);
unsigned index_list_of(enum dimension dim, enum metric m); /* m ranked */

/* Offers a value's all-time total: INDEX_PUT_BELOW when it does not beat
 * the list's threshold. */
enum index_put index_top_offer(struct index_buffer *b, const struct index_lists *l,
                               unsigned list, const char *value, size_t len, long long total);
/* Adds a session id to the HyperLogLog `key` (expire_at_s: its EXPIREAT,
 * 0 for none). */
enum index_put index_session_add(struct index_buffer *b, const char *key, size_t klen,
                                 long long expire_at_s, const char *ele, size_t elen);
/* Drops a forgotten value's top entries (DELETE /statistics). */
void index_top_forget(struct index_buffer *b, enum dimension dim, const char *value,
                      size_t len);

/* What each command of a flush batch is, for its reply. */
enum index_cmd_kind { INDEX_CMD_PFADD, INDEX_CMD_EXPIREAT, INDEX_CMD_ZADD, INDEX_CMD_TRIM,
                      INDEX_CMD_RANGE };
struct index_cmd {
    uint8_t kind;
    uint32_t ref;            /* session key, or list */
};

/* The arguments of the flush of `b` (numbers are the list's K). */
struct index_flush {
    struct index_cmd *cmds;  /* one per command, grown as needed */
    size_t cmds_cap, n_cmds;
    uint32_t *order;         /* top entries grouped by list */
    size_t order_cap;
    bool list_ok[INDEX_TOP_LISTS];
    char range_rank[24], trim_from[24], trim_to[24];
};

void index_flush_init(struct index_flush *f, long long top_size);
void index_flush_free(struct index_flush *f);
/* False when there is nothing to send. Else `out` holds the commands
 * (store_batch_init_large: the caller releases it), arguments pointing
 * into `b`, which must stay until the flush is done. `now_ms` is the wall
 * clock, for the expiry cache. Returns false with out->overflow set when
 * memory ran out. */
bool index_flush_build(struct index_flush *f, struct index_buffer *b,
                       const struct index_lists *l, long long now_ms, struct store_batch *out,
                       store_reply_fn *on_reply, store_done_fn *on_done);
/* A successful reply to command `index`. */
void index_flush_reply(struct index_flush *f, struct index_buffer *b, struct index_lists *l,
                       size_t index, const redisReply *reply);
/* The flush is done: what did not succeed goes back into `into` (within
 * its caps); returns how many top entries and session ids did not fit.
 * `from` is cleared. */
size_t index_flush_restore(struct index_flush *f, struct index_buffer *from,
                           struct index_buffer *into, const struct index_lists *l,
                           size_t *dropped_sessions);

#endif
