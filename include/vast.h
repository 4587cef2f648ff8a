/* vast.h -- the check an upstream ad must pass before adstats returns it. */
#ifndef ADSTATS_VAST_H
#define ADSTATS_VAST_H

#include <stdbool.h>
#include <stddef.h>

struct _xmlSAXHandler; /* libxml/parser.h's xmlSAXHandler */

enum vast_status {
    VAST_OK,          /* a VAST document with at least one <Ad>: an ad */
    VAST_NO_AD,       /* a VAST document without an <Ad>: a no-fill (it may
                         carry <Error> URLs for the player to call) */
    VAST_EMPTY,       /* no body at all */
    VAST_MALFORMED,   /* not well-formed XML (or refused: DTD, entities, depth) */
    VAST_WRONG_ROOT,  /* well-formed, but the root element is neither <VAST>
                         nor VAST 1.0's <VideoAdServingTemplate> */
};

/* Call once at start-up, before any thread checks a document. */
void vast_init(void);

/* Checks that body[0..len) is well-formed XML whose root element is VAST
 * (any version, 1.0's <VideoAdServingTemplate> included), and whether the
 * root has an <Ad> child (VAST_OK) or not (VAST_NO_AD). Never touches the network or the file system, loads no DTD, expands no
 * entity. Thread-safe. */
enum vast_status vast_check(const char *body, size_t len);

/* The parse vast_check() runs, with the element callbacks (and any others)
 * of `callbacks`: no DTD, no entity, no network, libxml2's limits on. The
 * doctype, entity, error and startDocument hooks are always this module's,
 * whatever `callbacks` sets. Each callback gets the xmlParserCtxtPtr as its ctx, and
 * `state` as ctxt->_private. Returns whether body[0..len) was well-formed
 * (false too when a callback stopped the parser). Thread-safe. */
bool vast_sax_parse(const char *body, size_t len, const struct _xmlSAXHandler *callbacks,
                    void *state);

/* A short human-readable reason for a status, for error messages. */
const char *vast_status_text(enum vast_status status);

#endif
