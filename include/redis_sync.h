/* redis_sync.h -- one blocking connection to a Redis node, for the work
 * done outside the event loops: the start-up WAIT probe (store.h) and
 * import-flask. It connects within a timeout, bounds every later command
 * by the same timeout, and sends AUTH and SELECT as the --redis-url asks,
 * the same handshake store.c's asynchronous connections send. */
#ifndef ADSTATS_REDIS_SYNC_H
#define ADSTATS_REDIS_SYNC_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "config.h"

/* A ready connection to host:port with ep's credentials and database, or
 * NULL with the reason in `why` ("cannot connect to Redis at host:port:
 * ...", "Redis at host:port refused AUTH: ..."). The caller redisFree's
 * it. */
redisContext *redis_sync_connect(const char *host, int port, const struct redis_endpoint *ep,
                                 int timeout_ms, char *why, size_t cap);

#endif
