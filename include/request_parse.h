/* request_parse.h -- what a request's line and headers say, judged without
 * a connection: the pure checks of the request pipeline (request.c).
 *
 * Internal to the pipeline: endpoints use request.h, and nothing here is
 * part of it. These live apart so that tests/unit/test_request.c can check
 * them directly, with plain strings for what libmicrohttpd would hand over. */
#ifndef ADSTATS_REQUEST_PARSE_H
#define ADSTATS_REQUEST_PARSE_H

#include <stdbool.h>

#define REQUEST_BODY_MAX 16384 /* bytes; a larger body is refused unread */

enum request_body_type { REQUEST_BODY_FORM, REQUEST_BODY_JSON, REQUEST_BODY_OTHER };

/* What a Content-Type header (NULL: none) says the body is. A form is
 * application/x-www-form-urlencoded or text/plain (what
 * navigator.sendBeacon sends for a string); parameters such as charset
 * are ignored, and the media type's case too. */
enum request_body_type request_body_type(const char *content_type);

/* `s` itself if it is short and plain enough to echo in a message, else a
 * fixed placeholder saying why not. */
const char *request_printable(const char *s);

/* True if the raw path of `uri` (before any '?') holds a control
 * character, raw or percent-encoded. */
bool request_path_has_control(const char *uri);

/* True if a request of this HTTP version must carry a Host header
 * (HTTP/1.1 and later 1.x: RFC 9112, 3.2). */
bool request_needs_host(const char *version);

/* How a request's body is framed, from its Content-Length (NULL: none),
 * its Transfer-Encoding (NULL: none) and how many Content-Length fields it
 * has; everything but REQUEST_NO_BODY means a body follows. */
enum request_framing {
    REQUEST_NO_BODY,
    REQUEST_BODY,                  /* a Content-Length within REQUEST_BODY_MAX */
    REQUEST_CONFLICTING_LENGTHS,   /* more than one Content-Length: refuse, close */
    REQUEST_CHUNKED,               /* refused: a form post has no need to stream */
    REQUEST_TOO_LARGE,             /* a Content-Length above REQUEST_BODY_MAX */
};
enum request_framing request_framing(const char *content_length, const char *transfer_encoding,
                                     int content_lengths);

#endif
