/* cluster.c -- hash slots, CLUSTER SLOTS replies, redirections and seed
 * lists; see cluster.h. Nothing here does I/O. */
#include "cluster.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "netaddr.h"

/* ---- hash slots -------------------------------------------------------- */

static uint16_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void build_crc_table(void) {
    for (unsigned i = 0; i < 256; i++) {
        uint16_t crc = (uint16_t)(i << 8);
        for (int bit = 0; bit < 8; bit++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
        crc_table[i] = crc;
    }
}

uint16_t cluster_crc16(const char *s, size_t len) {
    pthread_once(&crc_once, build_crc_table);
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++)
        crc = (uint16_t)((crc << 8) ^ crc_table[((crc >> 8) ^ (unsigned char)s[i]) & 0xFF]);
    return crc;
}

unsigned cluster_keyslot(const char *key, size_t len) {
    const char *open = memchr(key, '{', len);
    if (open != NULL) {
        size_t after = (size_t)(open - key) + 1;
        const char *close = memchr(open + 1, '}', len - after);
        if (close != NULL && close > open + 1) key = open + 1, len = (size_t)(close - open - 1);
    }
    return cluster_crc16(key, len) & (CLUSTER_SLOTS - 1);
}

/* ---- addresses --------------------------------------------------------- */

/* host:port, the port after the last ':'; an empty host is allowed only
 * when `empty_host` (a redirection to the answering node). */
static bool parse_addr(const char *s, size_t len, bool empty_host, struct cluster_addr *out) {
    const char *colon = NULL;
    for (size_t i = len; i-- > 0;) {
        if (s[i] == ':') {
            colon = s + i;
            break;
        }
    }
    if (colon == NULL) return false;
    size_t host_len = (size_t)(colon - s);
    if ((host_len == 0 && !empty_host) || host_len >= sizeof(out->host)) return false;
    for (size_t i = 0; i < host_len; i++) {
        if ((unsigned char)s[i] <= ' ' || s[i] == ',') return false;
    }
    if (!netaddr_port_parse(colon + 1, len - host_len - 1, &out->port)) return false;
    memcpy(out->host, s, host_len);
    out->host[host_len] = '\0';
    return true;
}

bool cluster_seeds_parse(const char *list, struct cluster_addr *out, size_t cap, size_t *n) {
    *n = 0;
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (*n == cap || !parse_addr(p, len, false, &out[*n])) return false;
        (*n)++;
        if (p[len] == '\0') return true;
        p += len + 1;
    }
}

/* ---- CLUSTER SLOTS ----------------------------------------------------- */

static bool is_slot(const redisReply *r) {
    return r->type == REDIS_REPLY_INTEGER && r->integer >= 0 && r->integer < CLUSTER_SLOTS;
}

static bool parse_node(const redisReply *r, struct cluster_addr *out) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) return false;
    const redisReply *host = r->element[0], *port = r->element[1];
    if (host->type != REDIS_REPLY_STRING || port->type != REDIS_REPLY_INTEGER
        || port->integer < 1 || port->integer > 65535 || host->len >= sizeof(out->host))
        return false;
    bool unknown = host->len == 0 || (host->len == 1 && host->str[0] == '?');
    memcpy(out->host, host->str, unknown ? 0 : host->len);
    out->host[unknown ? 0 : host->len] = '\0';
    out->port = (int)port->integer;
    return true;
}

bool cluster_slots_parse(const redisReply *reply, struct cluster_range *out, size_t cap,
                         size_t *n) {
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements > cap) return false;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || !is_slot(e->element[0])
            || !is_slot(e->element[1]) || e->element[0]->integer > e->element[1]->integer
            || !parse_node(e->element[2], &out[i].master))
            return false;
        out[i].first = (unsigned)e->element[0]->integer;
        out[i].last = (unsigned)e->element[1]->integer;
    }
    *n = reply->elements;
    return true;
}

/* ---- redirections ------------------------------------------------------ */

bool cluster_redirect_parse(const char *err, size_t len, struct cluster_redirect *out) {
    size_t skip;
    if (len > 6 && memcmp(err, "MOVED ", 6) == 0) out->ask = false, skip = 6;
    else if (len > 4 && memcmp(err, "ASK ", 4) == 0) out->ask = true, skip = 4;
    else return false;
    const char *p = err + skip, *end = err + len;
    unsigned slot = 0;
    size_t digits = 0;
    for (; p < end && isdigit((unsigned char)*p) && digits < 6; p++, digits++)
        slot = slot * 10 + (unsigned)(*p - '0');
    if (digits == 0 || slot >= CLUSTER_SLOTS || p == end || *p != ' ') return false;
    out->slot = slot;
    p++;
    return parse_addr(p, (size_t)(end - p), true, &out->to);
}
