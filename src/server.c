/* server.c -- libmicrohttpd set-up, routing and request accounting.
 *
 * The daemon runs a pool of worker threads, each with its own epoll set
 * (MHD_USE_EPOLL_INTERNAL_THREAD with a thread pool), and allows
 * suspend/resume so that requests waiting on the I/O thread hold no worker.
 * The bare responder in bench/ starts through http_start() too, so the
 * benchmark's HTTP ceiling is measured with these very settings. */
#include "server.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "log.h"
#include "metrics.h"

static atomic_int in_flight;

/* Counts client connections for /metrics. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    (void)cls;
    (void)conn;
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) metrics_connection_opened();
    else if (code == MHD_CONNECTION_NOTIFY_CLOSED) metrics_connection_closed();
}

struct MHD_Daemon *http_start(const struct http_settings *s, MHD_AccessHandlerCallback access,
                              http_uri_fn *uri_cb, MHD_RequestCompletedCallback completed_cb) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    if (inet_pton(AF_INET, s->bind, &addr.sin_addr) != 1) {
        log_error("http: bind address \"%s\" is not an IPv4 address", s->bind);
        return NULL;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = s->threads > 0 ? (unsigned)s->threads : (unsigned)(cores > 0 ? cores : 1);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem options[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &addr},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, s->max_connections, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, s->idle_timeout_s, NULL},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096, NULL},
        {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
        {uri_cb ? MHD_OPTION_URI_LOG_CALLBACK : MHD_OPTION_END, (intptr_t)uri_cb, NULL},
        {completed_cb ? MHD_OPTION_NOTIFY_COMPLETED : MHD_OPTION_END, (intptr_t)completed_cb,
         NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    return MHD_start_daemon(flags, (uint16_t)s->port, NULL, NULL, access, NULL,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

/* ---- routing ----------------------------------------------------------- */

static const struct {
    const char *name;
    enum http_method method;
} methods[] = {
    {"GET", METHOD_GET},       {"HEAD", METHOD_HEAD},     {"POST", METHOD_POST},
    {"PUT", METHOD_PUT},       {"DELETE", METHOD_DELETE}, {"PATCH", METHOD_PATCH},
    {"OPTIONS", METHOD_OPTIONS},
};

enum http_method server_method(const char *method) {
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strcmp(methods[i].name, method) == 0) return methods[i].method;
    }
    return METHOD_OTHER;
}

const struct endpoint *server_find_endpoint(const char *path) {
    for (const struct endpoint *const *ep = endpoints; *ep != NULL; ep++) {
        if (strcmp((*ep)->path, path) == 0) return *ep;
    }
    return NULL;
}

const char *server_allow_header(const struct endpoint *ep) {
    static _Thread_local char allow[64];
    size_t len = 0;
    allow[0] = '\0';
    for (size_t i = 0; ep != NULL && i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (!(ep->methods & methods[i].method)) continue;
        len += (size_t)snprintf(allow + len, sizeof(allow) - len, "%s%s", len ? ", " : "",
                                methods[i].name);
    }
    return allow;
}

/* ---- accounting -------------------------------------------------------- */

void server_request_started(void) {
    atomic_fetch_add_explicit(&in_flight, 1, memory_order_relaxed);
}

void server_request_finished(void) {
    atomic_fetch_sub_explicit(&in_flight, 1, memory_order_relaxed);
}

int server_requests_in_flight(void) {
    return atomic_load(&in_flight);
}

void server_count_response(const struct endpoint *ep, unsigned status, long long latency_us) {
    metrics_http_response(ep, status, latency_us);
}
