/* linewriter.c -- queued line appender; see linewriter.h.
 *
 * Writers push onto a singly linked queue under a mutex and signal a
 * condition variable; the thread takes the whole queue at once, releases
 * the lock, and writes every line of it, so the lock is never held across
 * a write(2). Each line is one allocation (header and text together). */
#include "linewriter.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

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
    bool stopping;
    atomic_long dropped;
    bool write_failed; /* thread only: report a failing disk once */
};

static void write_line(struct linewriter *w, const struct line *l) {
    size_t off = 0;
    while (off < l->len) {
        ssize_t n = write(w->fd, l->text + off, l->len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (!w->write_failed) log_error("%s: write failed: %s", w->name, strerror(errno));
            w->write_failed = true;
            atomic_fetch_add_explicit(&w->dropped, 1, memory_order_relaxed);
            return;
        }
        off += (size_t)n;
    }
    w->write_failed = false;
}

static void *writer_main(void *arg) {
    struct linewriter *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->head == NULL && !w->stopping) pthread_cond_wait(&w->wake, &w->lock);
        struct line *batch = w->head;
        w->head = w->tail = NULL;
        w->queued = 0;
        bool stopping = w->stopping;
        pthread_mutex_unlock(&w->lock);
        while (batch != NULL) {
            struct line *next = batch->next;
            write_line(w, batch);
            free(batch);
            batch = next;
        }
        if (stopping) return NULL;
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

struct linewriter *linewriter_open(const char *name, const char *path, int queue_max) {
    struct linewriter *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        log_error("%s: out of memory", name);
        return NULL;
    }
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->queue_max = queue_max;
    w->fd = open_target(name, path, &w->own_fd);
    if (w->fd < 0) {
        free(w);
        return NULL;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
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
        pthread_cond_signal(&w->wake);
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
