/* vast.c -- VAST document check with libxml2; see vast.h.
 *
 * The parser is run with every option that could make a hostile document
 * expensive or dangerous turned off: no network (XML_PARSE_NONET), no DTD
 * loading or validation, no entity substitution, and libxml2's own hard
 * limits left on (no XML_PARSE_HUGE), which caps depth and entity growth.
 * A document that has a document type declaration is refused before it is
 * parsed, which stops billion-laughs and XXE documents before they cost
 * anything. */
#include "vast.h"

#include <libxml/parser.h>
#include <stdbool.h>
#include <stdint.h>
#include <libxml/tree.h>
#include <string.h>

void vast_init(void) {
    xmlInitParser();
}

/* VAST documents never carry a document type declaration; refusing one
 * before parsing means no DTD, internal or external, is ever read. */
static bool has_doctype(const char *body, size_t len) {
    static const char needle[] = "<!DOCTYPE";
    return memmem(body, len, needle, sizeof(needle) - 1) != NULL;
}

enum vast_status vast_check(const char *body, size_t len) {
    if (body == NULL || len == 0) return VAST_EMPTY;
    if (len > INT32_MAX || has_doctype(body, len)) return VAST_MALFORMED;

    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) return VAST_MALFORMED;
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
