/* connections.c -- counting open client connections; see connections.h.
 *
 * Two atomics shared by the worker threads: admission adds to `pending`
 * only while pending + served is under the limit, so a burst on several
 * workers can overshoot by at most one connection per worker. */
#include "connections.h"

#include <stdatomic.h>
#include <stddef.h>

static atomic_int pending;
static atomic_int served;
static int max_open = 1;

unsigned connections_mhd_limit(int max) {
    return (unsigned)max + (unsigned)max / 8 + 16;
}

void connections_set_max(int max) {
    max_open = max;
}

bool connections_admit_pending(void) {
    if (atomic_load(&pending) + atomic_load(&served) >= max_open) return false;
    atomic_fetch_add(&pending, 1);
    return true;
}

void connections_release_pending(void) {
    atomic_fetch_sub(&pending, 1);
}

void connections_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code) {
    (void)cls;
    (void)conn;
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) atomic_fetch_add(&served, 1);
    else if (code == MHD_CONNECTION_NOTIFY_CLOSED) atomic_fetch_sub(&served, 1);
}

int connections_open(void) {
    return atomic_load(&pending) + atomic_load(&served);
}
