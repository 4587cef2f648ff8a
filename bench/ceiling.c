/* ceiling.c -- the HTTP ceiling for `make bench`: a bare libmicrohttpd
 * responder started through adstats' own http_start(), one daemon per
 * worker thread on its own libevent loop with SO_REUSEPORT, exactly as
 * adstats runs them. It answers every request with a fixed JSON body on
 * the second call of the access handler, as adstats does. Whatever adstats
 * achieves is measured against this.
 *
 * With `suspend` it also does what every adstats request that waits on
 * Redis does: the second call suspends the connection, the loop's next
 * turn resumes it and kicks the daemon (http_kick), and the call after
 * the resume answers. That row shows what libmicrohttpd's suspend/resume
 * costs by itself (in epoll mode, an epoll_ctl to take the connection out
 * of the daemon's set and one to put it back), apart from adstats' work.
 *
 * Usage: ceiling PORT [THREADS [suspend]] */
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "responder.h"
#include "server.h"

static const char usage[] = "PORT [THREADS [suspend]]";

/* More connections waiting on one worker than this are answered at once. */
#define WAITING_MAX 4096

struct worker {
    struct event_base *base;
    struct http_server *http;
    struct event *resume; /* resumes `waiting` on the loop's next turn */
    bool resume_pending;
    struct MHD_Connection *waiting[WAITING_MAX];
    size_t n_waiting;
};

static __thread struct worker *self; /* the worker whose loop runs here */

static void on_resume(evutil_socket_t fd, short what, void *arg) {
    (void)fd, (void)what;
    struct worker *w = arg;
    for (size_t i = 0; i < w->n_waiting; i++) MHD_resume_connection(w->waiting[i]);
    w->n_waiting = 0;
    w->resume_pending = false;
    http_kick(w->http);
}

static enum MHD_Result answer_after_resume(void *cls, struct MHD_Connection *conn,
                                           const char *url, const char *method,
                                           const char *version, const char *upload_data,
                                           size_t *upload_data_size, void **con_cls) {
    static int resumed_marker;
    if (*con_cls == NULL || *con_cls == &resumed_marker || self->n_waiting == WAITING_MAX)
        return answer(cls, conn, url, method, version, upload_data, upload_data_size, con_cls);
    *con_cls = &resumed_marker;
    MHD_suspend_connection(conn);
    self->waiting[self->n_waiting++] = conn;
    if (!self->resume_pending) {
        self->resume_pending = true;
        event_active(self->resume, EV_TIMEOUT, 0);
    }
    return MHD_YES;
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
    if (argc > 4 || (argc > 3 && !suspend)) { /* a mistyped mode would measure the other one */
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
        if (w != NULL && w->base != NULL) w->resume = event_new(w->base, -1, 0, on_resume, w);
        if (w != NULL && w->resume != NULL)
            w->http = http_start(&s, w->base, suspend ? answer_after_resume : answer, NULL, NULL);
        if (w == NULL || w->http == NULL || pthread_create(&threads[i], NULL, run_loop, w) != 0) {
            fprintf(stderr, "ceiling: cannot start worker %u on port %s\n", i, argv[1]);
            return 1;
        }
    }
    int sig;
    sigwait(&stop, &sig);
    return 0; /* the process ends; the daemons and workers go with it */
}
