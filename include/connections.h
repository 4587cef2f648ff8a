/* connections.h -- open client connections, counted so that a connection
 * past --max-connections is answered with a JSON 503 instead of being closed
 * without a word.
 *
 * libmicrohttpd enforces its own connection limit by closing every
 * connection it accepts past that limit, before any byte is read: the client
 * sees a reset, not an HTTP answer. So libmicrohttpd is given a limit a
 * little above --max-connections (connections_mhd_limit), and every
 * connection it accepts is counted here (MHD_OPTION_NOTIFY_CONNECTION). A
 * connection that was accepted while --max-connections were already open is
 * marked; the request pipeline answers each request on it with 503,
 * Retry-After and Connection: close. Only past the headroom does
 * libmicrohttpd's own silent close apply. */
#ifndef ADSTATS_CONNECTIONS_H
#define ADSTATS_CONNECTIONS_H

#include <microhttpd.h>
#include <stdbool.h>

/* The limit to give libmicrohttpd for --max-connections `max`. */
unsigned connections_mhd_limit(int max);

/* Sets --max-connections; call before the daemon starts. */
void connections_set_max(int max);

/* MHD_OPTION_NOTIFY_CONNECTION callback. */
void connections_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);

/* True if `conn` was accepted past --max-connections. */
bool connections_over_limit(struct MHD_Connection *conn);

/* Client connections open now. */
int connections_open(void);

#endif
