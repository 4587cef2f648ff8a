/* cluster.h -- the pieces of the Redis Cluster protocol that are plain
 * computation, apart from any connection (store.c uses them):
 *
 *  - which hash slot a key belongs to: CRC16 (XMODEM) of the key, or of its
 *    hash tag, modulo 16384, as the cluster specification defines it;
 *  - the slot map, read from a CLUSTER SLOTS reply: ranges of slots and
 *    the address of the master that serves each;
 *  - MOVED and ASK redirections, read from an error reply;
 *  - a list of seed addresses, host:port[,host:port...]. */
#ifndef ADSTATS_CLUSTER_H
#define ADSTATS_CLUSTER_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLUSTER_SLOTS 16384
#define CLUSTER_HOST_MAX 256
#define CLUSTER_MAX_SEEDS 16

struct cluster_addr {
    char host[CLUSTER_HOST_MAX]; /* empty: the node that answered */
    int port;
};

/* CRC16-XMODEM (polynomial 0x1021, initial value 0) of `len` bytes. */
uint16_t cluster_crc16(const char *s, size_t len);

/* The hash slot of a key: if it holds a '{' followed later by a '}' with at
 * least one byte between them, only the bytes between the first '{' and
 * the first '}' after it are hashed; otherwise the whole key. */
unsigned cluster_keyslot(const char *key, size_t len);

/* One range of a CLUSTER SLOTS reply: slots first..last, served by master. */
struct cluster_range {
    unsigned first, last;
    struct cluster_addr master;
};

/* Reads a CLUSTER SLOTS reply into at most `cap` ranges. Returns false
 * (and leaves *n unspecified) if the reply is not an array of
 * [first, last, [host, port, ...], replicas...] entries with
 * 0 <= first <= last < 16384, or if there are more than `cap` ranges. A
 * master whose host is "" or "?" (unknown to the node that answered) gets
 * an empty host: the caller uses the answering node's. */
bool cluster_slots_parse(const redisReply *reply, struct cluster_range *out, size_t cap,
                         size_t *n);

/* A redirection: "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>"
 * (the host may be empty: the node that answered; the port is after the
 * last ':', so IPv6 addresses work). */
struct cluster_redirect {
    bool ask;
    unsigned slot;
    struct cluster_addr to;
};

/* Returns false if `err` (an error reply's text) is not a well-formed
 * redirection. */
bool cluster_redirect_parse(const char *err, size_t len, struct cluster_redirect *out);

/* Parses host:port[,host:port...] (at least one, at most `cap`). */
bool cluster_seeds_parse(const char *list, struct cluster_addr *out, size_t cap, size_t *n);

#endif
