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
 *    capped by --vast-max-bytes before it gets here. */
#include "vast.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
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

static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id) {
    xmlParserCtxtPtr ctxt = ctx;
    (void)name;
    (void)external_id;
    (void)system_id;
    ctxt->wellFormed = 0;
    xmlStopParser(ctxt);
}

enum vast_status vast_check(const char *body, size_t len) {
    if (body == NULL || len == 0) return VAST_EMPTY;
    if (len > INT32_MAX) return VAST_MALFORMED;

    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) return VAST_MALFORMED;
    ctxt->sax->internalSubset = refuse_doctype;
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
                | XML_PARSE_NOBLANKS;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, body, (int)len, "upstream.xml", NULL, options);

    enum vast_status status = VAST_MALFORMED;
    if (doc != NULL && ctxt->wellFormed && doc->intSubset == NULL) {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        status = root != NULL && xmlStrcmp(root->name, BAD_CAST "VAST") == 0
                     ? VAST_OK : VAST_WRONG_ROOT;
    }
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return status;
}

const char *vast_status_text(enum vast_status status) {
    switch (status) {
    case VAST_OK: return "valid VAST";
    case VAST_EMPTY: return "empty body";
    case VAST_MALFORMED: return "malformed XML";
    case VAST_WRONG_ROOT: return "root element is not VAST";
    }
    return "unknown";
}
