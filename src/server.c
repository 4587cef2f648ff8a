/* server.c -- the HTTP daemon: libmicrohttpd set up and driven by a
 * worker's event loop.
 *
 * Each worker thread runs its own daemon in libmicrohttpd's external-loop
 * mode (MHD_USE_EPOLL, no internal thread): the daemon's epoll descriptor is
 * one more event in the worker's libevent loop, next to its Redis and
 * upstream sockets. The daemon has no listening socket of its own: the
 * worker's acceptor (acceptor.h) accepts, screens each new connection's
 * request head so that malformed ones get adstats' JSON answer rather than
 * libmicrohttpd's, and hands the rest over with MHD_add_connection. All
 * workers listen on the same port with SO_REUSEPORT, so the kernel spreads
 * new connections over them by hash, instead of whichever thread wakes
 * first taking a whole burst. Requests that wait on Redis or the upstream
 * hold no stack: those on Redis keep their connection held (http_hold),
 * those on the upstream, which may wait long, suspend it.
 *
 * The bare responder in bench/ starts through http_start() too, so the
 * benchmark's HTTP ceiling is measured with these very settings. */
#include "server.h"

#include <event2/event.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "acceptor.h"
#include "connections.h"
#include "log.h"

/* libmicrohttpd's per-connection memory pool, which headcheck.h's limits
 * are sized for: stated here so that a new default cannot move it. */
#define MHD_POOL_BYTES (32 * 1024)

struct http_server {
    struct MHD_Daemon *daemon;
    struct acceptor *acceptor;
    struct event *ready; /* the daemon's epoll set has something to do */
    struct event *timer; /* the daemon's next timeout */
    bool kicked;         /* a connection was resumed since the last run */
    unsigned held;       /* connections held (http_hold) */
};

unsigned http_thread_count(const struct http_settings *s) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return s->threads > 0 ? (unsigned)s->threads : (unsigned)(cores > 0 ? cores : 1);
}

/* libmicrohttpd's external-loop contract: run it when its epoll set is
 * ready, then again after the timeout it asks for (0 when it has buffered
 * work left, such as a resumed connection or pipelined requests, but also
 * whenever a connection is held: then HTTP_HOLD_POLL_MS, see server.h). */
static void run_daemon(struct http_server *h) {
    MHD_UNSIGNED_LONG_LONG timeout;
    h->kicked = false;
    MHD_run(h->daemon);
    if (h->kicked) {
        timeout = 0; /* resumed during this run: libmicrohttpd does not know yet */
    } else if (MHD_get_timeout(h->daemon, &timeout) != MHD_YES) {
        evtimer_del(h->timer);
        return;
    } else if (timeout == 0 && h->held > 0) {
        timeout = HTTP_HOLD_POLL_MS;
    }
    struct timeval tv = {(time_t)(timeout / 1000), (suseconds_t)((timeout % 1000) * 1000)};
    evtimer_add(h->timer, &tv);
}

static void on_daemon_event(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    run_daemon(arg);
}

static struct MHD_Daemon *start_daemon(const struct http_settings *s,
                                       MHD_AccessHandlerCallback access, http_uri_fn *uri_cb,
                                       MHD_RequestCompletedCallback completed_cb) {
    unsigned flags = MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME
                     | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem options[8];
    size_t n = 0;
#define OPTION(opt, value, ptr) options[n++] = (struct MHD_OptionItem){opt, (intptr_t)(value), ptr}
    OPTION(MHD_OPTION_CONNECTION_LIMIT, connections_mhd_limit(s->max_connections), NULL);
    OPTION(MHD_OPTION_CONNECTION_MEMORY_LIMIT, MHD_POOL_BYTES, NULL);
    OPTION(MHD_OPTION_NOTIFY_CONNECTION, connections_notify, NULL);
    OPTION(MHD_OPTION_CONNECTION_TIMEOUT, s->idle_timeout_s, NULL);
    if (uri_cb) OPTION(MHD_OPTION_URI_LOG_CALLBACK, uri_cb, NULL);
    if (completed_cb) OPTION(MHD_OPTION_NOTIFY_COMPLETED, completed_cb, NULL);
    OPTION(MHD_OPTION_END, 0, NULL);
#undef OPTION
    return MHD_start_daemon(flags, 0, NULL, NULL, access, NULL, MHD_OPTION_ARRAY, options,
                            MHD_OPTION_END);
}

/* acceptor_handoff_fn: the head passed; libmicrohttpd reads it from here. */
static void hand_over(void *cls, int fd, const struct sockaddr *addr, socklen_t addrlen) {
    struct http_server *h = cls;
    if (MHD_add_connection(h->daemon, fd, addr, addrlen) != MHD_YES)
        log_repeated(LOG_WARN, "http: connections libmicrohttpd refused",
                     "http: libmicrohttpd refused a connection: %s", strerror(errno));
}

bool http_port_free(const struct http_settings *s) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    if (inet_pton(AF_INET, s->bind, &addr.sin_addr) != 1) return false;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    bool free_now = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    close(fd);
    return free_now;
}

struct http_server *http_start(const struct http_settings *s, struct event_base *base,
                               MHD_AccessHandlerCallback access, http_uri_fn *uri_cb,
                               MHD_RequestCompletedCallback completed_cb) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    if (inet_pton(AF_INET, s->bind, &addr.sin_addr) != 1) {
        log_error("http: bind address \"%s\" is not an IPv4 address", s->bind);
        return NULL;
    }
    struct http_server *h = calloc(1, sizeof(*h));
    if (h == NULL) return NULL;
    connections_set_max(s->max_connections);
    h->daemon = start_daemon(s, access, uri_cb, completed_cb);
    if (h->daemon == NULL) goto fail;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (info == NULL) goto fail;
    h->ready = event_new(base, info->epoll_fd, EV_READ | EV_PERSIST, on_daemon_event, h);
    h->timer = evtimer_new(base, on_daemon_event, h);
    if (h->ready == NULL || h->timer == NULL || event_add(h->ready, NULL) != 0) goto fail;
    h->acceptor = acceptor_start(base, &addr, s->idle_timeout_s, hand_over, h);
    if (h->acceptor == NULL) goto fail;
    struct timeval now = {0, 0};
    evtimer_add(h->timer, &now);
    return h;
fail:
    http_stop(h);
    return NULL;
}

void http_kick(struct http_server *h) {
    static const struct timeval now = {0, 0};
    h->kicked = true;
    evtimer_add(h->timer, &now);
}

void http_hold(struct http_server *h) {
    h->held++;
}

void http_unhold(struct http_server *h) {
    h->held--;
}

unsigned http_held(const struct http_server *h) {
    return h->held;
}

void http_quiesce(struct http_server *h) {
    acceptor_quiesce(h->acceptor);
    run_daemon(h);
}

void http_stop(struct http_server *h) {
    acceptor_free(h->acceptor);
    if (h->ready) event_free(h->ready);
    if (h->timer) event_free(h->timer);
    if (h->daemon) MHD_stop_daemon(h->daemon);
    free(h);
}
