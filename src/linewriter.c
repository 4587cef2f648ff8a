/* linewriter.c -- queued line appender; see linewriter.h.
 *
 * Writers push onto a singly linked queue under a mutex and signal a
 * condition variable; the thread takes the whole queue at once, releases
 * the lock, and writes every line of it, so the lock is never held across
 * a write(2). Each line is one allocation (header and text together).
 * The thread packs the lines it took into a buffer of up to COALESCE bytes
 * and writes each buffer with one write(2): whole lines only, so O_APPEND
 * still keeps them from interleaving, at one system call per batch rather
 * than per line when traffic is heavy. After each write the thread naps
 * LINGER_MS before it looks again, so that under load it wakes (and is
 * signalled: only a sleeping thread is) a few hundred times a second
 * rather than once per line; a line waits at most that long. A writer
 * opened with a tick also runs it on this thread every period, idle or
 * busy (its waits are timed then, on the monotonic clock). */
#include "linewriter.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define COALESCE 65536
#define LINGER_MS 2

struct line {
    struct line *next;
    size_t len;
    char text[];
};

struct linewriter {
    char name[32];
    int fd;
    bool own_fd;
    int queue_max;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct line *head, *tail;
    int queued;
    bool waiting; /* the thread sleeps on `wake`: a new line must signal it */
    bool stopping;
    atomic_long dropped;
    bool write_failed; /* thread only: report a failing disk once */
    void (*tick)(void *arg); /* optional, set before the thread starts */
    void *tick_arg;
    int tick_ms;
    long long next_tick_ms;
};

/* Writes data[0..len) whole; on failure counts the `lines` in it dropped. */
static void write_out(struct linewriter *w, const char *data, size_t len, long lines) {
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(w->fd, data + off, len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (!w->write_failed) log_error("%s: write failed: %s", w->name, strerror(errno));
            w->write_failed = true;
            atomic_fetch_add_explicit(&w->dropped, lines, memory_order_relaxed);
            return;
        }
        off += (size_t)n;
    }
    w->write_failed = false;
}

/* Writes a batch of lines, packed into as few write(2) calls as fit. */
static void write_batch(struct linewriter *w, struct line *batch, char *pack) {
    size_t used = 0;
    long packed = 0;
    while (batch != NULL) {
        struct line *next = batch->next;
        if (used > 0 && used + batch->len > COALESCE) {
            write_out(w, pack, used, packed);
            used = 0;
            packed = 0;
        }
        if (batch->len > COALESCE) {
            write_out(w, batch->text, batch->len, 1);
        } else {
            memcpy(pack + used, batch->text, batch->len);
            used += batch->len;
            packed++;
        }
        free(batch);
        batch = next;
    }
    if (used > 0) write_out(w, pack, used, packed);
}

/* Under the lock: sleeps until there are lines, the writer stops, or (with
 * a tick) the tick is due. */
static void wait_for_work(struct linewriter *w) {
    while (w->head == NULL && !w->stopping) {
        if (w->tick != NULL && clock_monotonic_ms() >= w->next_tick_ms) return;
        w->waiting = true;
        if (w->tick == NULL) {
            pthread_cond_wait(&w->wake, &w->lock);
        } else {
            struct timespec until = {(time_t)(w->next_tick_ms / 1000),
                                     (long)(w->next_tick_ms % 1000) * 1000000L};
            pthread_cond_timedwait(&w->wake, &w->lock, &until);
        }
        w->waiting = false;
    }
}

/* Outside the lock: runs the tick if it is due. */
static void tick_if_due(struct linewriter *w) {
    if (w->tick == NULL) return;
    long long now = clock_monotonic_ms();
    if (now < w->next_tick_ms) return;
    w->next_tick_ms = now + w->tick_ms;
    w->tick(w->tick_arg);
}

static void *writer_main(void *arg) {
    struct linewriter *w = arg;
    char pack[COALESCE]; /* on this thread's own stack */
    pthread_mutex_lock(&w->lock);
    for (;;) {
        wait_for_work(w);
        struct line *batch = w->head;
        w->head = w->tail = NULL;
        w->queued = 0;
        bool stopping = w->stopping;
        pthread_mutex_unlock(&w->lock);
        write_batch(w, batch, pack);
        if (stopping) return NULL;
        tick_if_due(w);
        struct timespec linger = {0, LINGER_MS * 1000000L};
        nanosleep(&linger, NULL);
        pthread_mutex_lock(&w->lock);
    }
}

static int open_target(const char *name, const char *path, bool *own) {
    *own = strcmp(path, "-") != 0;
    if (!*own) return STDOUT_FILENO;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) log_error("%s: cannot open %s: %s", name, path, strerror(errno));
    return fd;
}

/* The condition variable times its waits on CLOCK_MONOTONIC (ticks). */
static void init_sync(struct linewriter *w) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, &attr);
    pthread_condattr_destroy(&attr);
}

struct linewriter *linewriter_open_ticking(const char *name, const char *path, int queue_max,
                                           const struct linewriter_tick *tick) {
    struct linewriter *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        log_error("%s: out of memory", name);
        return NULL;
    }
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->queue_max = queue_max;
    if (tick != NULL) {
        w->tick = tick->run;
        w->tick_arg = tick->arg;
        w->tick_ms = tick->period_ms;
        w->next_tick_ms = clock_monotonic_ms() + tick->period_ms;
    }
    w->fd = open_target(name, path, &w->own_fd);
    if (w->fd < 0) {
        free(w);
        return NULL;
    }
    init_sync(w);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        log_error("%s: cannot start the writer thread", name);
        if (w->own_fd) close(w->fd);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        free(w);
        return NULL;
    }
    return w;
}

struct linewriter *linewriter_open(const char *name, const char *path, int queue_max) {
    return linewriter_open_ticking(name, path, queue_max, NULL);
}

bool linewriter_write(struct linewriter *w, const char *text, size_t len) {
    struct line *l = malloc(sizeof(*l) + len);
    if (l != NULL) {
        l->next = NULL;
        l->len = len;
        memcpy(l->text, text, len);
    }
    pthread_mutex_lock(&w->lock);
    bool accepted = l != NULL && w->queued < w->queue_max && !w->stopping;
    if (accepted) {
        if (w->tail) w->tail->next = l;
        else w->head = l;
        w->tail = l;
        w->queued++;
        if (w->waiting) pthread_cond_signal(&w->wake); /* else it will look again */
    }
    pthread_mutex_unlock(&w->lock);
    if (!accepted) {
        free(l);
        atomic_fetch_add_explicit(&w->dropped, 1, memory_order_relaxed);
    }
    return accepted;
}

long linewriter_dropped(const struct linewriter *w) {
    return atomic_load_explicit(&w->dropped, memory_order_relaxed);
}

void linewriter_close(struct linewriter *w) {
    if (w == NULL) return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    long dropped = linewriter_dropped(w);
    if (dropped > 0) log_warn("%s: %ld lines dropped", w->name, dropped);
    if (w->own_fd) close(w->fd);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w);
}
