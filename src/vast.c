/* vast.c -- VAST document check with libxml2; see vast.h.
 *
 * An upstream body is hostile until checked, so the parser runs with every
 * door that could make a document expensive or dangerous shut:
 *
 *  - Document type declarations are refused as the parser meets them: the
 *    SAX internalSubset hook stops the parse before the first declaration
 *    of the internal subset is read. VAST never carries a DTD, and without
 *    one there are no entity declarations, so billion-laughs (entity
 *    expansion) and XXE (external entities) documents end there, whatever
 *    their character encoding. (A text search for "<!DOCTYPE" would miss
 *    UTF-16 documents and wrongly refuse the "<!DOCTYPE html>" that HTML
 *    companion ads carry inside CDATA.)
 *  - No entity substitution, no DTD loading or validation, no network
 *    (XML_PARSE_NONET), and an external entity loader that refuses every
 *    URL, file or network: nothing outside the body is ever read.
 *  - libxml2's hard limits stay on (no XML_PARSE_HUGE): at most 256 levels
 *    of nesting, and bounded names and text nodes. The body itself is
 *    capped by --vast-max-bytes before it gets here.
 *
 * The check only needs well-formedness, the root element's name and whether
 * the root has an <Ad> child, so it parses with SAX and builds no tree: two
 * callbacks keep the element depth, note the root's name and look for an
 * <Ad> one level below it. (With a DOM, allocating and freeing the tree was
 * most of the cost of an /ad.) The parse runs to the end even after an <Ad>
 * is seen: a document is only passed on whole and well-formed.
 *
 * vast_sax_parse() is that hardened parse with the caller's element
 * callbacks; vast_inject.c uses it too.
 *
 * Roots: <VAST> (VAST 2.0 to 4.x) and <VideoAdServingTemplate> (VAST 1.0),
 * whose ads are <Ad> children of the root too. Names are compared without
 * their namespace prefix, as VAST 4 documents declare a default namespace. */
#include "vast.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdbool.h>
#include <stdint.h>

static xmlParserInputPtr refuse_external(const char *url, const char *id,
                                         xmlParserCtxtPtr ctxt) {
    (void)url;
    (void)id;
    (void)ctxt;
    return NULL;
}

void vast_init(void) {
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_external);
}

struct check {
    unsigned depth;    /* elements open now; the root is depth 1 */
    bool seen_root;
    bool root_is_vast;
    bool has_ad;       /* an <Ad> child of the root */
};

static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id) {
    xmlParserCtxtPtr ctxt = ctx;
    (void)name;
    (void)external_id;
    (void)system_id;
    ctxt->wellFormed = 0;
    xmlStopParser(ctxt);
}

static bool is_vast_root(const xmlChar *name) {
    return xmlStrcmp(name, BAD_CAST "VAST") == 0
        || xmlStrcmp(name, BAD_CAST "VideoAdServingTemplate") == 0;
}

static void open_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                         const xmlChar *uri, int n_namespaces, const xmlChar **namespaces,
                         int n_attributes, int n_defaulted, const xmlChar **attributes) {
    struct check *check = ((xmlParserCtxtPtr)ctx)->_private;
    (void)prefix, (void)uri, (void)n_namespaces, (void)namespaces;
    (void)n_attributes, (void)n_defaulted, (void)attributes;
    check->depth++;
    if (check->depth == 2 && !check->has_ad)
        check->has_ad = xmlStrcmp(localname, BAD_CAST "Ad") == 0;
    if (check->seen_root) return;
    check->seen_root = true;
    check->root_is_vast = is_vast_root(localname);
}

static void close_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                          const xmlChar *uri) {
    struct check *check = ((xmlParserCtxtPtr)ctx)->_private;
    (void)localname, (void)prefix, (void)uri;
    if (check->depth > 0) check->depth--;
}

/* A failed check is an outcome, not news: nothing goes to stderr. */
static void ignore_error(void *ctx, xmlErrorPtr error) {
    (void)ctx;
    (void)error;
}

bool vast_sax_parse(const char *body, size_t len, const xmlSAXHandler *callbacks,
                    void *state) {
    if (len > INT32_MAX) return false;
    /* The caller's callbacks, with the doors this file's comment describes
     * shut whatever the caller set: a copy on the stack, a few words. */
    xmlSAXHandler sax = *callbacks;
    sax.internalSubset = refuse_doctype;
    sax.externalSubset = NULL;
    sax.entityDecl = NULL;
    sax.getEntity = NULL;
    sax.resolveEntity = NULL;
    sax.serror = ignore_error;
    sax.initialized = XML_SAX2_MAGIC;

    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(body, (int)len);
    if (ctxt == NULL) return false;
    /* Options first: they edit the context's own handler, never ours. */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlSAXHandlerPtr own_sax = ctxt->sax;
    ctxt->sax = &sax; /* libxml2 only reads it from here on */
    ctxt->userData = ctxt; /* SAX callbacks get the context, as with SAX2 */
    ctxt->_private = state;

    int failed = xmlParseDocument(ctxt);
    bool well_formed = failed == 0 && ctxt->wellFormed;
    ctxt->sax = own_sax; /* freed with the context, ours is on the stack */
    xmlFreeParserCtxt(ctxt);
    return well_formed;
}

/* Element starts and ends keep the depth, to find the root and its <Ad>
 * children; everything else (text, comments...) is checked by the parser
 * and dropped: no callback, no tree. Shared by all threads, read-only. */
static const xmlSAXHandler vast_sax = {
    .startElementNs = open_element,
    .endElementNs = close_element,
};

enum vast_status vast_check(const char *body, size_t len) {
    if (body == NULL || len == 0) return VAST_EMPTY;
    struct check check = {0, false, false, false};
    if (!vast_sax_parse(body, len, &vast_sax, &check) || !check.seen_root)
        return VAST_MALFORMED;
    if (!check.root_is_vast) return VAST_WRONG_ROOT;
    return check.has_ad ? VAST_OK : VAST_NO_AD;
}

const char *vast_status_text(enum vast_status status) {
    switch (status) {
    case VAST_OK: return "valid VAST";
    case VAST_NO_AD: return "valid VAST without an ad";
    case VAST_EMPTY: return "empty body";
    case VAST_MALFORMED: return "malformed XML";
    case VAST_WRONG_ROOT: return "root element is not VAST";
    }
    return "unknown";
}
