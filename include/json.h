/* json.h -- the little JSON that adstats writes.
 *
 * adstats only ever emits JSON (it never parses any on the request path), so
 * instead of a general library it has two primitives: a string escaper that is
 * safe for any bytes and for embedding in HTML (`<`, `>`, `&` and U+2028/9 are
 * escaped too), and a number formatter that prints the shortest decimal that
 * reads back as the same double, the way Python's json module does. */
#ifndef ADSTATS_JSON_H
#define ADSTATS_JSON_H

#include <stddef.h>

#include "buf.h"

/* Appends `s` (len bytes, may hold any bytes) as a quoted JSON string.
 * Bytes that are not valid UTF-8 are written as U+FFFD. */
void json_append_string(struct buf *b, const char *s, size_t len);

/* Appends a finite double as the shortest round-tripping decimal; integral
 * values keep a ".0" as Python prints them (1.0, not 1). */
void json_append_double(struct buf *b, double v);

/* Builds the error body every failure answers with:
 * {"success": false, "message": "<message>"}. */
void json_append_error(struct buf *b, const char *message, size_t len);

#endif
