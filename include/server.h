/* server.h -- the HTTP server: libmicrohttpd's daemon as adstats
 * configures it, routing, and the request pipeline's entry points. */
#ifndef ADSTATS_SERVER_H
#define ADSTATS_SERVER_H

#include <microhttpd.h>
#include <stdbool.h>

#include "endpoint.h"


struct event_base;

/* libmicrohttpd's settings, shared with the benchmark's bare responder so
 * that the two are configured exactly alike. */
struct http_settings {
    const char *bind;
    int port;
    int threads;          /* 0: one per core */
    int max_connections;  /* over all threads */
    int idle_timeout_s;
};

/* One libmicrohttpd daemon driven by a libevent loop. */
struct http_server;

typedef void *http_uri_fn(void *cls, const char *uri, struct MHD_Connection *conn);

/* How many worker threads the settings ask for. */
unsigned http_thread_count(const struct http_settings *s);

/* SO_REUSEPORT would let a second server share a port that is taken, so
 * check first, with a plain bind, that nothing listens there. */
bool http_port_free(const struct http_settings *s);

/* Starts one of the `http_thread_count` daemons, listening with
 * SO_REUSEPORT on the shared address, and attaches it to `base`; it runs
 * when that loop runs. `uri_cb` and `completed_cb` may be NULL (as in the
 * bare responder). */
struct http_server *http_start(const struct http_settings *s, struct event_base *base,
                               MHD_AccessHandlerCallback access, http_uri_fn *uri_cb,
                               MHD_RequestCompletedCallback completed_cb);

/* On the loop's thread: run the daemon again soon. libmicrohttpd has no
 * wake-up of its own in external-loop mode, so a connection resumed by
 * MHD_resume_connection waits for this. */
void http_kick(struct http_server *h);

/* On the loop's thread: stop accepting; stop and free. */
void http_quiesce(struct http_server *h);
void http_stop(struct http_server *h);

enum http_method server_method(const char *method);
const struct endpoint *server_find_endpoint(const char *path);
const char *server_allow_header(const struct endpoint *ep);

/* The request pipeline (request.c). */
void *request_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);
enum MHD_Result request_on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls);
void request_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                          enum MHD_RequestTerminationCode toe);
bool request_pipeline_init(void);
void request_pipeline_drain(void);
int request_pipeline_awaiting(void);
void request_pipeline_free(void);

#endif
