/* request_parse.c -- the pure checks of the request pipeline; see
 * request_parse.h. Plain string work: no connection, no allocation. */
#include "request_parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* True if the Content-Type `type` is the media type `want`, whatever
 * parameters (such as charset) follow it (strchr finds the terminator
 * too: an exact match). */
static bool media_type_is(const char *type, const char *want) {
    size_t n = strlen(want);
    return strncasecmp(type, want, n) == 0 && strchr(" \t;", type[n]) != NULL;
}

/* text/plain is read as a form: it is what navigator.sendBeacon sends for a
 * string, and the one body type a page may send cross-origin without a
 * preflight besides the form itself. */
enum request_body_type request_body_type(const char *content_type) {
    if (content_type == NULL) return REQUEST_BODY_OTHER;
    if (media_type_is(content_type, "application/x-www-form-urlencoded")
        || media_type_is(content_type, "text/plain"))
        return REQUEST_BODY_FORM;
    return media_type_is(content_type, "application/json") ? REQUEST_BODY_JSON : REQUEST_BODY_OTHER;
}

/* Paths and methods are echoed in messages only when short and plain. */
const char *request_printable(const char *s) {
    size_t n = strlen(s);
    if (n > 64) return "(too long to show)";
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7F) return "(not printable)";
    }
    return s;
}

/* libmicrohttpd hands the pipeline the path percent-decoded, and an encoded
 * NUL cuts it short ("/impression%00junk" would route to /impression). No
 * endpoint path has a control character, encoded or not, so one in the raw
 * path is a bad request. */
bool request_path_has_control(const char *uri) {
    for (const char *p = uri; *p != '\0' && *p != '?'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7F) return true;
        if (*p != '%' || !isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
            continue;
        char hex[3] = {p[1], p[2], '\0'};
        unsigned long byte = strtoul(hex, NULL, 16);
        if (byte < 0x20 || byte == 0x7F) return true;
    }
    return false;
}

/* libmicrohttpd checks Host only in its pedantic mode, and answers HTML
 * there, so the pipeline checks it. */
bool request_needs_host(const char *version) {
    return strncmp(version, "HTTP/1.", 7) == 0 && strcmp(version, "HTTP/1.0") != 0;
}

/* Two Content-Length headers mean two framings of one body (libmicrohttpd
 * takes the first): the stuff request smuggling is made of. A body to be
 * refused is refused before it is read: by its declared length, or at once
 * if it is chunked. */
enum request_framing request_framing(const char *content_length, const char *transfer_encoding,
                                     int content_lengths) {
    if (content_length != NULL && content_lengths > 1) return REQUEST_CONFLICTING_LENGTHS;
    if (transfer_encoding != NULL && strcasecmp(transfer_encoding, "identity") != 0)
        return REQUEST_CHUNKED;
    if (content_length == NULL || strcmp(content_length, "0") == 0) return REQUEST_NO_BODY;
    if (strlen(content_length) > 5 || atol(content_length) > REQUEST_BODY_MAX)
        return REQUEST_TOO_LARGE;
    return REQUEST_BODY;
}
