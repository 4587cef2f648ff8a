/* ceiling.c -- the HTTP ceiling for `make bench`: a bare libmicrohttpd
 * responder started through adstats' own http_start(), one daemon per
 * worker thread on its own libevent loop with SO_REUSEPORT, exactly as
 * adstats runs them. It answers every request with a fixed JSON body on
 * the second call of the access handler, as adstats does. Whatever adstats
 * achieves is measured against this. Usage: ceiling PORT [THREADS] */
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "responder.h"
#include "server.h"


static void *run_loop(void *base) {
    event_base_dispatch(base);
    return NULL;
}

int main(int argc, char **argv) {
    sigset_t stop;
    if (!responder_start(argc, "ceiling", &stop)) return 2;

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
        struct event_base *base = event_base_new();
        if (base == NULL || http_start(&s, base, answer, NULL, NULL) == NULL
            || pthread_create(&threads[i], NULL, run_loop, base) != 0) {
            fprintf(stderr, "ceiling: cannot start worker %u on port %s\n", i, argv[1]);
            return 1;
        }
    }
    int sig;
    sigwait(&stop, &sig);
    return 0; /* the process ends; the daemons go with it */
}
