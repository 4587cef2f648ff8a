/* connections.h -- open client connections, counted against
 * --max-connections.
 *
 * A connection is counted from the moment it is accepted: first as pending,
 * while the acceptor (acceptor.h) waits for its request head, then as
 * served, from when libmicrohttpd takes it over (MHD_OPTION_NOTIFY_CONNECTION)
 * until it closes. A connection accepted while --max-connections are
 * already open is not admitted: the acceptor answers it with a JSON 503
 * and closes it, and the connections already open keep being served. */
#ifndef ADSTATS_CONNECTIONS_H
#define ADSTATS_CONNECTIONS_H

#include <microhttpd.h>
#include <stdbool.h>

/* The limit to give libmicrohttpd for --max-connections `max`: a backstop
 * with headroom, since every connection it gets was admitted here. */
unsigned connections_mhd_limit(int max);

/* Sets --max-connections; call before the first connection. */
void connections_set_max(int max);

/* Counts a new connection as pending, unless --max-connections are open:
 * then it returns false and counts nothing. */
bool connections_admit_pending(void);
void connections_release_pending(void);

/* MHD_OPTION_NOTIFY_CONNECTION callback: counts served connections. */
void connections_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);

/* Client connections open now, pending and served. */
int connections_open(void);

#endif
