/* ceiling.c -- the HTTP ceiling for `make bench`: a bare libmicrohttpd
 * responder started through adstats' own http_start(), one daemon per
 * worker thread on its own libevent loop with SO_REUSEPORT, exactly as
 * adstats runs them. It answers every request with a fixed JSON body on
 * the second call of the access handler, as adstats does. Whatever adstats
 * achieves is measured against this.
 *
 * With `hold` it also does what every adstats request that waits on Redis
 * does: the second call holds the connection (http_hold) and answers
 * nothing, the loop's next turn ends the hold and kicks the daemon, and
 * the call after that answers. With `suspend` it suspends the connection
 * instead (MHD_suspend_connection), as adstats does for a wait on the
 * upstream: in epoll mode an epoll_ctl to take the connection out of the
 * daemon's set, one to put it back, and a recv that finds nothing. Those
 * rows show what waiting one loop turn costs by itself, apart from
 * adstats' work.
 *
 * Usage: ceiling PORT [THREADS [hold|suspend]] */
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "responder.h"
#include "server.h"

static const char usage[] = "PORT [THREADS [hold|suspend]]";

/* More connections waiting on one worker than this are answered at once. */
#define WAITING_MAX 4096

struct worker {
    struct event_base *base;
    struct http_server *http;
    bool suspend;          /* suspend the waiting connections, rather than hold them */
    struct event *resume;  /* ends the waits on the loop's next turn */
    bool resume_pending;
    uintptr_t turns;       /* how many times on_resume has ended the waits */
    struct MHD_Connection *waiting[WAITING_MAX];
    size_t n_waiting;
};

static __thread struct worker *self; /* the worker whose loop runs here */

static void on_resume(evutil_socket_t fd, short what, void *arg) {
    (void)fd, (void)what;
    struct worker *w = arg;
    for (size_t i = 0; i < w->n_waiting; i++) {
        if (w->suspend) MHD_resume_connection(w->waiting[i]);
        else http_unhold(w->http);
    }
    w->n_waiting = 0;
    w->turns++;
    w->resume_pending = false;
    http_kick(w->http);
}

/* A connection's *con_cls is a number, not a pointer (nothing is allocated
 * per request): 0 before the first call, FIRST_CALLED after it, and once
 * it waits, FIRST_CALLED + the value `turns` will have when its wait ends. */
#define FIRST_CALLED 1

static enum MHD_Result answer_after_wait(void *cls, struct MHD_Connection *conn,
                                         const char *url, const char *method,
                                         const char *version, const char *upload_data,
                                         size_t *upload_data_size, void **con_cls) {
    (void)cls, (void)url, (void)method, (void)version, (void)upload_data;
    uintptr_t state = (uintptr_t)*con_cls;
    if (state == 0) {
        *con_cls = (void *)(uintptr_t)FIRST_CALLED;
        return MHD_YES;
    }
    if (state == FIRST_CALLED && self->n_waiting < WAITING_MAX) {
        *con_cls = (void *)(uintptr_t)(FIRST_CALLED + self->turns + 1);
        if (self->suspend) MHD_suspend_connection(conn);
        else http_hold(self->http);
        self->waiting[self->n_waiting++] = conn;
        if (!self->resume_pending) {
            self->resume_pending = true;
            event_active(self->resume, EV_TIMEOUT, 0);
        }
        return MHD_YES;
    }
    if (state > FIRST_CALLED && self->turns < state - FIRST_CALLED) return MHD_YES; /* held */
    *upload_data_size = 0;
    return MHD_queue_response(conn, MHD_HTTP_OK, response);
}

static void *run_loop(void *arg) {
    struct worker *w = arg;
    self = w;
    event_base_dispatch(w->base);
    return NULL;
}

int main(int argc, char **argv) {
    sigset_t stop;
    if (!responder_start(argc, "ceiling", usage, &stop)) return 2;
    bool suspend = argc > 3 && strcmp(argv[3], "suspend") == 0;
    bool wait = suspend || (argc > 3 && strcmp(argv[3], "hold") == 0);
    if (argc > 4 || (argc > 3 && !wait)) { /* a mistyped mode would measure another one */
        fprintf(stderr, "usage: ceiling %s\n", usage);
        return 2;
    }

    response = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (response == NULL) return 1;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    struct http_settings s = {"127.0.0.1", atoi(argv[1]), argc > 2 ? atoi(argv[2]) : 0, 10000, 30};
    unsigned n = http_thread_count(&s);
    if (!http_port_free(&s)) {
        fprintf(stderr, "ceiling: port %s is in use\n", argv[1]);
        return 1;
    }
    pthread_t threads[n];
    for (unsigned i = 0; i < n; i++) {
        struct worker *w = calloc(1, sizeof(*w));
        if (w != NULL) w->base = event_base_new();
        if (w != NULL) w->suspend = suspend;
        if (w != NULL && w->base != NULL) w->resume = event_new(w->base, -1, 0, on_resume, w);
        if (w != NULL && w->resume != NULL)
            w->http = http_start(&s, w->base, wait ? answer_after_wait : answer, NULL, NULL);
        if (w == NULL || w->http == NULL || pthread_create(&threads[i], NULL, run_loop, w) != 0) {
            fprintf(stderr, "ceiling: cannot start worker %u on port %s\n", i, argv[1]);
            return 1;
        }
    }
    int sig;
    sigwait(&stop, &sig);
    return 0; /* the process ends; the daemons and workers go with it */
}
