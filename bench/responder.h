/* responder.h -- the access handler both HTTP ceilings of `make bench`
 * run (bare.c, ceiling.c): every request answered with the same fixed JSON
 * body, on the second call of the handler (as adstats answers, so that
 * libmicrohttpd keeps the connection alive). Bench code only: nothing of
 * adstats is in here. Each includer creates `response` from `body`. */
#ifndef ADSTATS_BENCH_RESPONDER_H
#define ADSTATS_BENCH_RESPONDER_H

#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

static const char body[] = "{\"success\": true, \"message\": \"Successfully fetched\"}";
static struct MHD_Response *response;

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls) {
    static int first_call_marker;
    (void)cls, (void)url, (void)method, (void)version, (void)upload_data;
    if (*con_cls == NULL) {
        *con_cls = &first_call_marker;
        return MHD_YES;
    }
    *upload_data_size = 0;
    return MHD_queue_response(conn, MHD_HTTP_OK, response);
}

/* Checks the command line (PORT first, then what `usage` says) and blocks
 * SIGTERM and SIGINT in every thread to come, so that main can sigwait for
 * them in `stop`. */
static bool responder_start(int argc, const char *name, const char *usage, sigset_t *stop) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s %s\n", name, usage);
        return false;
    }
    sigemptyset(stop);
    sigaddset(stop, SIGTERM);
    sigaddset(stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, stop, NULL);
    return true;
}

#endif
