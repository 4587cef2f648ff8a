/* forwarded.h -- what the upstream ad server is told about the device: its
 * User-Agent and the chain of addresses it came through (X-Forwarded-For).
 *
 * Both come from the client, so both are cleaned before they go out: no
 * control characters (CR and LF above all: a header must not be able to
 * start another) and a bounded length. An incoming X-Forwarded-For is
 * believed only from a peer in --trusted-proxies (a load balancer that
 * writes it); from anyone else it is dropped, since a client can send any
 * chain it likes, and only the peer's own address is sent. */
#ifndef ADSTATS_FORWARDED_H
#define ADSTATS_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "netaddr.h"

#define FORWARDED_UA_MAX 1024  /* bytes of User-Agent passed on */
#define FORWARDED_FOR_MAX 512  /* bytes of X-Forwarded-For sent */

/* Appends `value` without its control characters (bytes below 0x20, and
 * 0x7F), and without blanks at either end, cut to at most `max` bytes on
 * a UTF-8 character boundary. */
void forwarded_append_clean(struct buf *out, const char *value, size_t max);

/* Appends the X-Forwarded-For to send for a request from `peer` (NULL:
 * unknown, nothing is appended) that came with the header `incoming`
 * (NULL: none; several headers joined with ", "). From a peer in
 * `trusted`: "<incoming>, <peer>", printable ASCII only; when that would
 * pass FORWARDED_FOR_MAX the oldest (leftmost) entries are dropped whole,
 * since the rightmost, written by the proxies closest to us, are the ones
 * worth keeping. From any other peer: "<peer>". */
void forwarded_for(struct buf *out, const struct netaddr_list *trusted,
                   const struct netaddr *peer, const char *incoming);

/* The client's address, as far as it can be told: `peer` itself, unless
 * `peer` is in `trusted`; then, walking `incoming` (X-Forwarded-For, NULL:
 * none) from the right, the first address that is no trusted proxy (the
 * first hop the proxies do not vouch for), or the last if every entry is
 * one (then the leftmost). An entry that is no address stops the walk at the last hop known.
 * False when `peer` is NULL. */
bool forwarded_client(const struct netaddr_list *trusted, const struct netaddr *peer,
                      const char *incoming, struct netaddr *out);

#endif
