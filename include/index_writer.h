/* index_writer.h -- the per-worker deferred writer of the derived indexes:
 * top lists and unique-session HyperLogLogs (issue "cost per event").
 *
 * Counting an event sends only its counters (events.h), in the
 * acknowledged path: the event is answered once Redis has replied. What
 * the counters imply for the top lists and the HyperLogLogs is handed to
 * this writer instead -- a ranked metric's all-time total, as the HINCRBY
 * replied it, and the session id -- which buffers it (index_buffer.h) and
 * writes it every --index-flush-ms (0: at the end of every loop turn), in
 * one batch: a PFADD per HyperLogLog with every session id since the last
 * flush, a `ZADD <list> GT` per top list with the largest totals seen, and
 * the trimming of every list to --top-size members. A flush is also sent
 * early when a buffer is half full, and one last time on a graceful
 * shutdown (index_writer_drain). A failed flush is retried (PFADD and
 * ZADD GT are idempotent) within the buffers' bounds; what does not fit
 * is dropped and counted (adstats_index_dropped_total). So a crash loses
 * at most one flush interval of index updates, never a counter, and a top
 * list heals on its value's next event (docs/RELIABILITY.md).
 *
 * One writer per worker loop (ioloop.h), used on that loop's thread only,
 * except index_writer_draining. Needs Redis >= 6.2 (ZADD GT). */
#ifndef ADSTATS_INDEX_WRITER_H
#define ADSTATS_INDEX_WRITER_H

#include <stddef.h>

#include "config.h"
#include "dimension.h"
#include "store.h"

struct event_base;
struct index_writer;

struct index_writer *index_writer_new(struct event_base *base, struct store *store,
                                      const struct config *cfg);
void index_writer_free(struct index_writer *w);

/* A ranked metric's all-time total of a dimension value (a reply). */
void index_writer_total(struct index_writer *w, enum dimension dim, enum metric m,
                        const char *value, size_t len, long long total);
/* A session id for the HyperLogLog `key` (expire_at_s: its EXPIREAT
 * instant, 0 for an all-time key). */
void index_writer_session(struct index_writer *w, const char *key, size_t klen,
                          long long expire_at_s, const char *session, size_t slen);
/* DELETE /statistics: pending top-list updates of the value are dropped. */
void index_writer_forget(struct index_writer *w, enum dimension dim, const char *value,
                         size_t len);

/* Graceful shutdown. Any thread: index_writer_drain_announce, once per
 * writer, before index_writer_drain is posted to its loop, so that
 * index_writer_draining counts it at once. On the writer's loop:
 * index_writer_drain flushes what is buffered (after the flush in flight,
 * if any), once more if that fails, then stops. */
void index_writer_drain_announce(void);
void index_writer_drain(struct index_writer *w);
/* Any thread: writers announced whose drain has not finished. */
int index_writer_draining(void);

#endif
