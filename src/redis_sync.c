/* redis_sync.c -- a blocking, authenticated Redis connection; see
 * redis_sync.h. */
#include "redis_sync.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

/* Sends one handshake command; false (with the reason) unless Redis
 * accepted it. */
static bool handshake(redisContext *c, const char *host, int port, int argc,
                      const char **argv, char *why, size_t cap) {
    size_t len[3];
    for (int i = 0; i < argc; i++) len[i] = strlen(argv[i]);
    redisReply *r = redisCommandArgv(c, argc, argv, len);
    bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;
    if (r == NULL)
        snprintf(why, cap, "Redis at %s:%d failed during %s: %s", host, port, argv[0], c->errstr);
    else if (!ok)
        snprintf(why, cap, "Redis at %s:%d refused %s: %s", host, port, argv[0], r->str);
    if (r != NULL) freeReplyObject(r);
    return ok;
}

static bool authenticate(redisContext *c, const char *host, int port,
                         const struct redis_endpoint *ep, char *why, size_t cap) {
    if (ep->password[0] != '\0') {
        bool user = ep->username[0] != '\0';
        const char *argv[] = {"AUTH", user ? ep->username : ep->password, ep->password};
        if (!handshake(c, host, port, user ? 3 : 2, argv, why, cap)) return false;
    }
    if (ep->db != 0) {
        char db[16];
        snprintf(db, sizeof(db), "%d", ep->db);
        if (!handshake(c, host, port, 2, (const char *[]){"SELECT", db}, why, cap)) return false;
    }
    return true;
}

redisContext *redis_sync_connect(const char *host, int port, const struct redis_endpoint *ep,
                                 int timeout_ms, char *why, size_t cap) {
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (c == NULL || c->err) {
        snprintf(why, cap, "cannot connect to Redis at %s:%d: %s", host, port,
                 c ? c->errstr : "out of memory");
        if (c) redisFree(c);
        return NULL;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK) {
        snprintf(why, cap, "Redis at %s:%d: cannot set a timeout: %s", host, port, c->errstr);
        redisFree(c);
        return NULL;
    }
    if (!authenticate(c, host, port, ep, why, cap)) {
        redisFree(c);
        return NULL;
    }
    return c;
}
