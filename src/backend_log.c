/* backend_log.c -- upstream failure log; see backend_log.h.
 *
 * Request threads format a line and push it on a queue under a mutex; the
 * writer thread takes the whole queue and writes each line with one
 * write(2) on an O_APPEND descriptor, so lines never interleave, even with
 * other processes appending to the same file. If the disk stalls, the queue
 * is capped and further lines are dropped and counted rather than held. */
#include "backend_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "log.h"

#define QUEUE_MAX 10000

struct line {
    struct line *next;
    size_t len;
    char text[];
};

static struct {
    int fd;
    char url[1024];
    pthread_t writer;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct line *head, *tail;
    int queued;
    long dropped;
    bool stopping;
} blog = {.fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void write_all(const struct line *l) {
    size_t off = 0;
    while (off < l->len) {
        ssize_t n = write(blog.fd, l->text + off, l->len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            log_error("backend log: write failed: %s", strerror(errno));
            return;
        }
        off += (size_t)n;
    }
}

static void *writer_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&blog.lock);
    for (;;) {
        while (blog.head == NULL && !blog.stopping) pthread_cond_wait(&blog.wake, &blog.lock);
        struct line *batch = blog.head;
        blog.head = blog.tail = NULL;
        blog.queued = 0;
        bool stopping = blog.stopping;
        pthread_mutex_unlock(&blog.lock);
        while (batch != NULL) {
            struct line *next = batch->next;
            write_all(batch);
            free(batch);
            batch = next;
        }
        if (stopping) return NULL;
        pthread_mutex_lock(&blog.lock);
    }
}

bool backend_log_open(const char *path, const char *upstream_url) {
    blog.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (blog.fd < 0) {
        log_error("backend log: cannot open %s: %s", path, strerror(errno));
        return false;
    }
    snprintf(blog.url, sizeof(blog.url), "%s", upstream_url);
    if (pthread_create(&blog.writer, NULL, writer_main, NULL) != 0) {
        close(blog.fd);
        blog.fd = -1;
        return false;
    }
    return true;
}

static void append_time(struct buf *b) {
    struct timespec now;
    struct tm tm;
    char text[40];
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(text + n, sizeof(text) - n, ".%03ldZ", now.tv_nsec / 1000000);
    json_append_string(b, text, strlen(text));
}

static struct line *format_line(const char *outcome, long http_status, long latency_ms,
                                const char *message) {
    struct buf b;
    buf_init(&b);
    buf_append_str(&b, "{\"time\": ");
    append_time(&b);
    buf_append_str(&b, ", \"url\": ");
    json_append_string(&b, blog.url, strlen(blog.url));
    buf_append_str(&b, ", \"outcome\": ");
    json_append_string(&b, outcome, strlen(outcome));
    buf_printf(&b, ", \"http_status\": %ld, \"latency_ms\": %ld, \"message\": ", http_status,
               latency_ms);
    json_append_string(&b, message, strlen(message));
    buf_append_str(&b, "}\n");

    struct line *l = b.failed ? NULL : malloc(sizeof(*l) + b.len);
    if (l != NULL) {
        l->next = NULL;
        l->len = b.len;
        memcpy(l->text, b.data, b.len);
    }
    buf_free(&b);
    return l;
}

void backend_log_failure(const char *outcome, long http_status, long latency_ms,
                         const char *message) {
    if (blog.fd < 0) return;
    struct line *l = format_line(outcome, http_status, latency_ms, message);
    pthread_mutex_lock(&blog.lock);
    if (l == NULL || blog.queued >= QUEUE_MAX || blog.stopping) {
        blog.dropped++;
        free(l);
    } else {
        if (blog.tail) blog.tail->next = l;
        else blog.head = l;
        blog.tail = l;
        blog.queued++;
        pthread_cond_signal(&blog.wake);
    }
    pthread_mutex_unlock(&blog.lock);
}

void backend_log_close(void) {
    if (blog.fd < 0) return;
    pthread_mutex_lock(&blog.lock);
    blog.stopping = true;
    pthread_cond_signal(&blog.wake);
    pthread_mutex_unlock(&blog.lock);
    pthread_join(blog.writer, NULL);
    if (blog.dropped > 0) log_warn("backend log: %ld lines dropped", blog.dropped);
    close(blog.fd);
    blog.fd = -1;
}
