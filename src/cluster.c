/* cluster.c -- hash slots, CLUSTER SLOTS replies, redirections and seed
 * lists; see cluster.h. Nothing here does I/O. */
#include "cluster.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "netaddr.h"

/* ---- hash slots -------------------------------------------------------- */

/* CRC-16/XMODEM (polynomial 0x1021), the hash Redis Cluster uses: the
 * table is crc_table[i] = CRC of the byte i, precomputed so the per-command
 * hash path has no initialisation check. */
static const uint16_t crc_table[256] = {
    0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50a5, 0x60c6, 0x70e7,
    0x8108, 0x9129, 0xa14a, 0xb16b, 0xc18c, 0xd1ad, 0xe1ce, 0xf1ef,
    0x1231, 0x0210, 0x3273, 0x2252, 0x52b5, 0x4294, 0x72f7, 0x62d6,
    0x9339, 0x8318, 0xb37b, 0xa35a, 0xd3bd, 0xc39c, 0xf3ff, 0xe3de,
    0x2462, 0x3443, 0x0420, 0x1401, 0x64e6, 0x74c7, 0x44a4, 0x5485,
    0xa56a, 0xb54b, 0x8528, 0x9509, 0xe5ee, 0xf5cf, 0xc5ac, 0xd58d,
    0x3653, 0x2672, 0x1611, 0x0630, 0x76d7, 0x66f6, 0x5695, 0x46b4,
    0xb75b, 0xa77a, 0x9719, 0x8738, 0xf7df, 0xe7fe, 0xd79d, 0xc7bc,
    0x48c4, 0x58e5, 0x6886, 0x78a7, 0x0840, 0x1861, 0x2802, 0x3823,
    0xc9cc, 0xd9ed, 0xe98e, 0xf9af, 0x8948, 0x9969, 0xa90a, 0xb92b,
    0x5af5, 0x4ad4, 0x7ab7, 0x6a96, 0x1a71, 0x0a50, 0x3a33, 0x2a12,
    0xdbfd, 0xcbdc, 0xfbbf, 0xeb9e, 0x9b79, 0x8b58, 0xbb3b, 0xab1a,
    0x6ca6, 0x7c87, 0x4ce4, 0x5cc5, 0x2c22, 0x3c03, 0x0c60, 0x1c41,
    0xedae, 0xfd8f, 0xcdec, 0xddcd, 0xad2a, 0xbd0b, 0x8d68, 0x9d49,
    0x7e97, 0x6eb6, 0x5ed5, 0x4ef4, 0x3e13, 0x2e32, 0x1e51, 0x0e70,
    0xff9f, 0xefbe, 0xdfdd, 0xcffc, 0xbf1b, 0xaf3a, 0x9f59, 0x8f78,
    0x9188, 0x81a9, 0xb1ca, 0xa1eb, 0xd10c, 0xc12d, 0xf14e, 0xe16f,
    0x1080, 0x00a1, 0x30c2, 0x20e3, 0x5004, 0x4025, 0x7046, 0x6067,
    0x83b9, 0x9398, 0xa3fb, 0xb3da, 0xc33d, 0xd31c, 0xe37f, 0xf35e,
    0x02b1, 0x1290, 0x22f3, 0x32d2, 0x4235, 0x5214, 0x6277, 0x7256,
    0xb5ea, 0xa5cb, 0x95a8, 0x8589, 0xf56e, 0xe54f, 0xd52c, 0xc50d,
    0x34e2, 0x24c3, 0x14a0, 0x0481, 0x7466, 0x6447, 0x5424, 0x4405,
    0xa7db, 0xb7fa, 0x8799, 0x97b8, 0xe75f, 0xf77e, 0xc71d, 0xd73c,
    0x26d3, 0x36f2, 0x0691, 0x16b0, 0x6657, 0x7676, 0x4615, 0x5634,
    0xd94c, 0xc96d, 0xf90e, 0xe92f, 0x99c8, 0x89e9, 0xb98a, 0xa9ab,
    0x5844, 0x4865, 0x7806, 0x6827, 0x18c0, 0x08e1, 0x3882, 0x28a3,
    0xcb7d, 0xdb5c, 0xeb3f, 0xfb1e, 0x8bf9, 0x9bd8, 0xabbb, 0xbb9a,
    0x4a75, 0x5a54, 0x6a37, 0x7a16, 0x0af1, 0x1ad0, 0x2ab3, 0x3a92,
    0xfd2e, 0xed0f, 0xdd6c, 0xcd4d, 0xbdaa, 0xad8b, 0x9de8, 0x8dc9,
    0x7c26, 0x6c07, 0x5c64, 0x4c45, 0x3ca2, 0x2c83, 0x1ce0, 0x0cc1,
    0xef1f, 0xff3e, 0xcf5d, 0xdf7c, 0xaf9b, 0xbfba, 0x8fd9, 0x9ff8,
    0x6e17, 0x7e36, 0x4e55, 0x5e74, 0x2e93, 0x3eb2, 0x0ed1, 0x1ef0,
};

uint16_t cluster_crc16(const char *s, size_t len) {
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
