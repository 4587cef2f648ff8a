/* headcheck.h -- screening a new connection's request heads before
 * libmicrohttpd reads them.
 *
 * libmicrohttpd 0.9.75 answers a malformed request head itself (an HTML page,
 * a 505, or a silent close) before adstats sees the request, and it has no
 * hook to change that. So the acceptor (acceptor.h) peeks at the bytes a new
 * connection has sent and hands it to libmicrohttpd only once they are a
 * head that libmicrohttpd will parse without complaint; anything else gets
 * adstats' own JSON 4xx. The rules are HTTP/1.1's request-line and
 * field-line grammar (RFC 9112), plus limits sized so that a head that passes
 * always fits libmicrohttpd's 32 KiB per-connection memory pool: the query
 * arguments and header fields it stores there are capped as well as bytes.
 *
 * headcheck_scan is pure: it reads bytes and says what to do with them. It
 * checks every request that is wholly there (pipelined requests too,
 * skipping declared bodies) and the valid-so-far prefix of the last one, so
 * a TLS handshake or a line of garbage is refused at its first byte. */
#ifndef ADSTATS_HEADCHECK_H
#define ADSTATS_HEADCHECK_H

#include <stddef.h>

#define HEADCHECK_PATH_MAX 1024     /* request-target bytes before any '?'; past it 414 */
#define HEADCHECK_QUERY_MAX 8192    /* bytes after the '?'; past it 414 */
#define HEADCHECK_QUERY_TOO_LONG "request URI too long (at most 8192 bytes of query)"
#define HEADCHECK_FIELDS_MAX 64     /* header fields; past it 431 */
#define HEADCHECK_SECTION_MAX 8192  /* bytes of all header lines; past it 431 */
#define HEADCHECK_ARGS_MAX 128      /* '&'-separated pieces of the query; past it 400 */
/* The longest head that can pass, with room for a line ending or two. */
#define HEADCHECK_HEAD_MAX \
    (HEADCHECK_PATH_MAX + HEADCHECK_QUERY_MAX + HEADCHECK_SECTION_MAX + 64)

enum headcheck_verdict {
    HEAD_INCOMPLETE, /* nothing wrong yet, but no whole head: wait for more */
    HEAD_ACCEPT,     /* at least one whole head, and nothing wrong */
    HEAD_REJECT,     /* answer `status` with `message`, and close */
};

struct headcheck {
    unsigned status;   /* for HEAD_REJECT: 400, 413, 414 or 431 */
    char message[160]; /* for HEAD_REJECT: what is wrong, for a person */
};

/* Judges the `len` bytes a connection has sent so far. */
enum headcheck_verdict headcheck_scan(const char *data, size_t len, struct headcheck *out);

#endif
