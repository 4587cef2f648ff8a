/* acceptor.h -- a worker's listening socket, and the screening of each new
 * connection's first request head before libmicrohttpd gets it.
 *
 * Each worker accepts its own connections (SO_REUSEPORT spreads them over
 * the workers). A new connection waits here, costing a small struct and no
 * buffer, until the bytes it has sent hold a whole request head; the bytes
 * are only peeked at (MSG_PEEK), so libmicrohttpd later reads them as if
 * nothing had looked. headcheck.h judges them:
 *
 *   accept   the connection goes to libmicrohttpd (the `handoff` callback);
 *   reject   it gets adstats' JSON 4xx and Connection: close;
 *   wait     until more bytes arrive, or until --idle-timeout-s after the
 *            accept, when a partial head gets 408 and an empty one is
 *            closed without a word (as libmicrohttpd closes idle ones).
 *
 * Past --max-connections (connections.h) a connection gets a JSON 503 with
 * Retry-After at once. Every answer given here is followed by a lingering
 * close (shutdown, then reading until the client closes, for at most a
 * moment), so that unread request bytes cannot turn the close into a reset
 * that destroys the answer before the client reads it.
 *
 * Only a connection's first head (and whatever was pipelined behind it in
 * the same bytes) is screened: once libmicrohttpd has the socket, it reads
 * the rest itself. tests/hostile/README.md says what that leaves. */
#ifndef ADSTATS_ACCEPTOR_H
#define ADSTATS_ACCEPTOR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "buf.h"

struct event_base;
struct acceptor;

/* Appends the whole HTTP/1.1 answer the acceptor sends a refused
 * connection: `status`, a JSON error body with `message`, Connection:
 * close, and Retry-After for a 503. False (and `out` failed) when out of
 * memory. */
bool acceptor_format_answer(struct buf *out, unsigned status, const char *message);

/* Takes over `fd`, whose first request head has passed: it owns it from
 * now on, and closes it even if it fails. */
typedef void acceptor_handoff_fn(void *cls, int fd, const struct sockaddr *addr,
                                 socklen_t addrlen);

/* Listens on `addr` (SO_REUSEPORT, so each worker can) and accepts on
 * `base`'s loop. NULL if the socket cannot be set up (logged). */
struct acceptor *acceptor_start(struct event_base *base, const struct sockaddr_in *addr,
                                int head_timeout_s, acceptor_handoff_fn *handoff, void *cls);

/* Stops listening. Connections waiting for their head get one last look:
 * a whole head is still handed over, anything less is closed. */
void acceptor_quiesce(struct acceptor *a);

/* Closes the listener and every connection still held here. */
void acceptor_free(struct acceptor *a);

#endif
