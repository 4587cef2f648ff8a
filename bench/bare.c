/* bare.c -- the second HTTP ceiling of `make bench`: libmicrohttpd alone,
 * sharing no code with adstats (no http_start(), no acceptor, no libevent).
 * libmicrohttpd runs its own pool of epoll threads, one per core (or
 * THREADS), on 127.0.0.1:PORT and answers every request with the same
 * fixed JSON body as ceiling.c, on the second call of the access handler.
 * ceiling.c shows what adstats' HTTP layer allows; the two side by side
 * show what that layer costs against libmicrohttpd's own threading.
 * Usage: bare PORT [THREADS] */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "responder.h"


int main(int argc, char **argv) {
    sigset_t stop;
    if (!responder_start(argc, "bare", "PORT [THREADS]", &stop)) return 2;

    long threads = argc > 2 ? atol(argv[2]) : 0;
    if (threads <= 0) threads = sysconf(_SC_NPROCESSORS_ONLN);
    if (threads <= 0) threads = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    response = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (response == NULL) return 1;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, answer, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT, 10000u, MHD_OPTION_CONNECTION_TIMEOUT,
        30u, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "bare: cannot start libmicrohttpd on port %s\n", argv[1]);
        return 1;
    }
    int sig;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(response);
    return 0;
}
