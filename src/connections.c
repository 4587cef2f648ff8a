/* connections.c -- counting open client connections; see connections.h.
 *
 * The count is one atomic shared by libmicrohttpd's worker threads. A
 * connection's verdict is taken once, when it is accepted, and kept in its
 * socket context (a pointer to `over_marker`), so that the connections
 * already open keep being served and only the late ones are refused. */
#include "connections.h"

#include <stdatomic.h>
#include <stddef.h>

static atomic_int open_count;
static int max_open = 1;
static char over_marker;

unsigned connections_mhd_limit(int max) {
    /* Room to answer a burst of late connections; past it they are closed
     * by libmicrohttpd unanswered. */
    return (unsigned)max + (unsigned)max / 8 + 16;
}

void connections_set_max(int max) {
    max_open = max;
}

void connections_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code) {
    (void)cls;
    (void)conn;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        int now_open = atomic_fetch_add(&open_count, 1) + 1;
        *socket_context = now_open > max_open ? &over_marker : NULL;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        atomic_fetch_sub(&open_count, 1);
        *socket_context = NULL;
    }
}

bool connections_over_limit(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info != NULL && info->socket_context == &over_marker;
}

int connections_open(void) {
    return atomic_load(&open_count);
}
