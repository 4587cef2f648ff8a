/* acceptor.c -- accepting connections and screening their first request
 * head; see acceptor.h.
 *
 * A waiting connection is a `struct held` in the acceptor's list, with two
 * libevent events: its readiness, and its deadline (an absolute one: a
 * client dribbling a byte at a time does not push it back). Readiness is
 * edge-triggered and stays registered: the bytes stay in the socket
 * (MSG_PEEK), so a level-triggered event would fire again at once for a
 * head that is still incomplete; an edge fires only when more arrive. Each
 * look peeks everything there is into one per-thread buffer, so a slow
 * client's head is re-read on every segment it sends, which is bounded by
 * HEADCHECK_HEAD_MAX and cheaper than giving every connection a buffer.
 *
 * A connection answered here stays in the list, lingering, until the
 * client closes or LINGER_MS pass. At most LINGER_MAX linger at once; past
 * that an answered connection is closed at once. */
#include "acceptor.h"

#include <errno.h>
#include <event2/event.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "connections.h"
#include "headcheck.h"
#include "json.h"
#include "log.h"
#include "metrics.h"

#define ACCEPT_BURST 64    /* accepts per wake-up, so one port cannot starve the loop */
#define PAUSE_MS 100       /* out of descriptors: stop accepting this long */
#define LINGER_MS 1000
#define LINGER_MAX 1024
#define DRAIN_MAX (64 * 1024)
#define PEEK_MAX (2 * HEADCHECK_HEAD_MAX) /* a head and what is pipelined behind it */
#define ANSWER_STACK 256   /* an answer's JSON body fits here: no allocation */

struct held {
    struct held *prev, *next;
    struct acceptor *acceptor;
    int fd;
    bool counted;   /* holds one of --max-connections (connections.h) */
    bool lingering; /* answered; waiting for the client to close */
    struct event *readable;
    struct event *deadline;
    long long accepted_us;
    struct sockaddr_storage addr;
    socklen_t addrlen;
};

struct acceptor {
    struct event_base *base;
    int fd; /* the listening socket; -1 once quiesced */
    struct event *listening;
    struct event *pause;
    struct held *held;
    unsigned lingering;
    long long head_timeout_us;
    acceptor_handoff_fn *handoff;
    void *cls;
};

static _Thread_local char peeked[PEEK_MAX];

/* ---- the held list ----------------------------------------------------- */

static void unlink_held(struct held *h) {
    struct acceptor *a = h->acceptor;
    if (h->prev) h->prev->next = h->next;
    else a->held = h->next;
    if (h->next) h->next->prev = h->prev;
    if (h->lingering) a->lingering--;
    if (h->counted) connections_release_pending();
    event_free(h->readable);
    event_free(h->deadline);
    free(h);
}

static void close_held(struct held *h) {
    close(h->fd);
    unlink_held(h);
}

static bool set_deadline(struct held *h, long long us) {
    struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
    return evtimer_add(h->deadline, &tv) == 0;
}

/* ---- answering --------------------------------------------------------- */

bool acceptor_format_answer(struct buf *out, unsigned status, const char *message) {
    char storage[ANSWER_STACK];
    struct buf body;
    buf_init_static(&body, storage, sizeof(storage));
    json_append_error(&body, message, strlen(message));
    buf_printf(out,
               "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
               "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
               status, MHD_get_reason_phrase_for(status), body.len,
               status == MHD_HTTP_SERVICE_UNAVAILABLE ? "Retry-After: 1\r\n" : "");
    buf_append(out, body.data, body.len);
    if (body.failed) out->failed = true; /* not the answer asked for */
    buf_free(&body);
    return !out->failed;
}

/* Writes the whole answer; it is a few hundred bytes into an empty socket,
 * so one send does it or the client is gone. */
static void send_answer(int fd, unsigned status, const char *message) {
    char storage[2 * ANSWER_STACK];
    struct buf answer;
    buf_init_static(&answer, storage, sizeof(storage));
    if (acceptor_format_answer(&answer, status, message)
        && send(fd, answer.data, answer.len, MSG_NOSIGNAL) < 0 && errno != EPIPE
        && errno != ECONNRESET)
        log_debug("acceptor: cannot send a %u: %s", status, strerror(errno));
    buf_free(&answer);
}

/* Reads and drops what the client has sent, at most DRAIN_MAX bytes a
 * time so that a client streaming at full speed cannot hold the loop (its
 * next segment brings the next edge, and the deadline ends it anyway);
 * true once it has closed (or reset) its side. */
static bool client_gone(int fd) {
    char sink[4096];
    for (size_t drained = 0; drained < DRAIN_MAX;) {
        ssize_t n = recv(fd, sink, sizeof(sink), 0);
        if (n > 0) drained += (size_t)n;
        else if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
        else if (errno != EINTR) return false;
    }
    return false;
}

static void linger(struct held *h) {
    struct acceptor *a = h->acceptor;
    shutdown(h->fd, SHUT_WR);
    if (a->lingering >= LINGER_MAX || client_gone(h->fd)) {
        close_held(h);
        return;
    }
    if (h->counted) connections_release_pending();
    h->counted = false;
    h->lingering = true;
    a->lingering++;
    if (!set_deadline(h, LINGER_MS * 1000LL)) close_held(h);
}

static void answer(struct held *h, unsigned status, const char *message) {
    send_answer(h->fd, status, message);
    metrics_http_response(METRICS_NO_ROUTE, status, clock_monotonic_us() - h->accepted_us);
    log_debug("acceptor: answered %u: %s", status, message);
    linger(h);
}

/* ---- screening --------------------------------------------------------- */

static void hand_over(struct held *h) {
    struct acceptor *a = h->acceptor;
    int fd = h->fd;
    struct sockaddr_storage addr = h->addr;
    socklen_t addrlen = h->addrlen;
    unlink_held(h);
    a->handoff(a->cls, fd, (const struct sockaddr *)&addr, addrlen);
}

enum look { LOOK, DEADLINE, LAST_LOOK };

/* Looks at what the connection has sent, and hands it over, answers it or
 * waits; at the DEADLINE a partial head gets 408, at the LAST_LOOK (the
 * server is stopping) it is just closed, as an empty one always is. */
static void screen(struct held *h, enum look look) {
    ssize_t n = recv(h->fd, peeked, sizeof(peeked), MSG_PEEK);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) n = 0;
    else if (n <= 0) { /* closed or reset before a whole head */
        close_held(h);
        return;
    }
    struct headcheck verdict;
    enum headcheck_verdict v = headcheck_scan(peeked, (size_t)n, &verdict);
    if (v == HEAD_ACCEPT) hand_over(h);
    else if (v == HEAD_REJECT) answer(h, verdict.status, verdict.message);
    else if (look == LOOK) return; /* wait for the next edge, or the deadline */
    else if (look == DEADLINE && n > 0)
        answer(h, MHD_HTTP_REQUEST_TIMEOUT, "request head not received in time");
    else close_held(h);
}

static void on_readable(evutil_socket_t fd, short what, void *arg) {
    struct held *h = arg;
    (void)fd;
    (void)what;
    if (!h->lingering) screen(h, LOOK);
    else if (client_gone(h->fd)) close_held(h);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg) {
    struct held *h = arg;
    (void)fd;
    (void)what;
    if (!h->lingering) screen(h, DEADLINE);
    else close_held(h);
}

/* ---- accepting --------------------------------------------------------- */

static struct held *new_held(struct acceptor *a, int fd) {
    struct held *h = calloc(1, sizeof(*h));
    if (h == NULL) return NULL;
    h->readable = event_new(a->base, fd, EV_READ | EV_ET | EV_PERSIST, on_readable, h);
    h->deadline = evtimer_new(a->base, on_deadline, h);
    if (h->readable != NULL && h->deadline != NULL) return h;
    if (h->readable) event_free(h->readable);
    if (h->deadline) event_free(h->deadline);
    free(h);
    return NULL;
}

static void hold(struct acceptor *a, int fd, const struct sockaddr_storage *addr,
                 socklen_t addrlen) {
    struct held *h = new_held(a, fd);
    if (h == NULL) {
        log_repeated(LOG_ERROR, "acceptor: connections refused for want of memory",
                     "acceptor: out of memory for a new connection");
        close(fd);
        return;
    }
    h->acceptor = a;
    h->fd = fd;
    h->addr = *addr;
    h->addrlen = addrlen;
    h->accepted_us = clock_monotonic_us();
    h->next = a->held;
    if (a->held) a->held->prev = h;
    a->held = h;
    if (event_add(h->readable, NULL) != 0) {
        close_held(h);
        return;
    }
    h->counted = connections_admit_pending();
    if (!h->counted) {
        answer(h, MHD_HTTP_SERVICE_UNAVAILABLE, "too many open connections, retry later");
        return;
    }
    if (!set_deadline(h, a->head_timeout_us)) close_held(h);
    /* No look yet: adding `readable` reports the bytes already there. */
}

static void pause_accepting(struct acceptor *a) {
    static const struct timeval pause = {0, PAUSE_MS * 1000};
    event_del(a->listening);
    evtimer_add(a->pause, &pause);
}

static void on_resume(evutil_socket_t fd, short what, void *arg) {
    struct acceptor *a = arg;
    (void)fd;
    (void)what;
    if (a->fd >= 0) event_add(a->listening, NULL);
}

static void on_listening(evutil_socket_t listen_fd, short what, void *arg) {
    struct acceptor *a = arg;
    (void)what;
    for (int i = 0; i < ACCEPT_BURST; i++) {
        struct sockaddr_storage addr;
        socklen_t addrlen = sizeof(addr);
        int fd = accept4(listen_fd, (struct sockaddr *)&addr, &addrlen,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            hold(a, fd, &addr, addrlen);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            log_repeated(LOG_WARN, "acceptor: accept pauses",
                         "acceptor: cannot accept (%s); pausing %d ms", strerror(errno), PAUSE_MS);
            pause_accepting(a);
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            log_repeated(LOG_ERROR, "acceptor: accept failures", "acceptor: accept failed: %s",
                         strerror(errno));
        }
        return;
    }
}

static int listen_on(const struct sockaddr_in *addr) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0
        && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0
        && bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 && listen(fd, 4096) == 0)
        return fd;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

struct acceptor *acceptor_start(struct event_base *base, const struct sockaddr_in *addr,
                                int head_timeout_s, acceptor_handoff_fn *handoff, void *cls) {
    struct acceptor *a = calloc(1, sizeof(*a));
    if (a == NULL) return NULL;
    a->base = base;
    a->handoff = handoff;
    a->cls = cls;
    a->head_timeout_us = (long long)head_timeout_s * 1000000;
    a->fd = listen_on(addr);
    if (a->fd < 0) {
        log_error("http: cannot listen on port %u: %s", ntohs(addr->sin_port), strerror(errno));
        free(a);
        return NULL;
    }
    a->listening = event_new(base, a->fd, EV_READ | EV_PERSIST, on_listening, a);
    a->pause = evtimer_new(base, on_resume, a);
    if (a->listening == NULL || a->pause == NULL || event_add(a->listening, NULL) != 0) {
        log_error("http: cannot watch the listening socket");
        acceptor_free(a);
        return NULL;
    }
    return a;
}

void acceptor_quiesce(struct acceptor *a) {
    if (a->fd >= 0) {
        event_del(a->listening);
        evtimer_del(a->pause);
        close(a->fd);
        a->fd = -1;
    }
    struct held *next;
    for (struct held *h = a->held; h != NULL; h = next) {
        next = h->next;
        if (!h->lingering) screen(h, LAST_LOOK);
    }
}

void acceptor_free(struct acceptor *a) {
    if (a == NULL) return;
    while (a->held != NULL) close_held(a->held);
    if (a->listening) event_free(a->listening);
    if (a->pause) event_free(a->pause);
    if (a->fd >= 0) close(a->fd);
    free(a);
}
