/* linewriter.h -- append lines to a file from any thread without waiting
 * on the disk.
 *
 * A line writer owns one file descriptor and one thread. Callers hand it
 * complete lines (linewriter_write copies them onto a queue and returns at
 * once); the thread writes them in order, whole lines per write(2) (as
 * many as fit in 64 KiB), so lines from different threads never interleave,
 * even with other processes appending to the same file. When the disk cannot keep up the queue is
 * capped: further lines are dropped and counted, never held. Used by the
 * backend error log and the access log. */
#ifndef ADSTATS_LINEWRITER_H
#define ADSTATS_LINEWRITER_H

#include <stdbool.h>
#include <stddef.h>

struct linewriter;

/* Opens `path` for appending (created 0644 if absent); "-" means standard
 * output. `name` labels diagnostics. `queue_max` caps the lines waiting.
 * Returns NULL, with a diagnostic logged, if the file cannot be opened or
 * the thread cannot start. */
struct linewriter *linewriter_open(const char *name, const char *path, int queue_max);

/* The same, and the writer's thread calls tick->run(tick->arg) every
 * tick->period_ms or so (later when a write is slow), until close: for
 * periodic work of the log's owner, such as summaries that are due. The
 * tick may call linewriter_write. */
struct linewriter_tick {
    void (*run)(void *arg);
    void *arg;
    int period_ms;
};
struct linewriter *linewriter_open_ticking(const char *name, const char *path, int queue_max,
                                           const struct linewriter_tick *tick);

/* Thread-safe. Queues a copy of line[0..len) (which should end in '\n').
 * Returns false if the line was dropped (queue full, out of memory, or the
 * writer is closing). */
bool linewriter_write(struct linewriter *w, const char *line, size_t len);

/* Thread-safe: lines dropped so far. */
long linewriter_dropped(const struct linewriter *w);

/* Writes what is queued, stops the thread, closes the file and frees `w`.
 * NULL is allowed. */
void linewriter_close(struct linewriter *w);

#endif
