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
 * Each thread keeps one parser context and reuses it (xmlCtxtReset between
 * documents): making and freeing a context, its dictionary and its stacks
 * per document cost more than many a parse. The body is copied into an
 * input buffer as xmlCreateMemoryParserCtxt does, so the parse sees exactly
 * what it saw with a context of its own; a context whose dictionary has
 * grown past a few hundred names is freed instead of kept.
 *
 * Well-formed means namespace-well-formed as well: a prefix must be
 * declared, as it must for a browser's XML parser.
 *
 * Roots: <VAST> (VAST 2.0 to 4.x) and <VideoAdServingTemplate> (VAST 1.0),
 * whose ads are <Ad> children of the root too. Names are compared without
 * their namespace prefix, as VAST 4 documents declare a default namespace. */
#include "vast.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>

static xmlParserInputPtr refuse_external(const char *url, const char *id,
                                         xmlParserCtxtPtr ctxt) {
    (void)url;
    (void)id;
    (void)ctxt;
    return NULL;
}

static void free_idle_ctxt(void *ctxt);
static pthread_key_t ctxt_key;
static bool ctxt_key_ok;

void vast_init(void) {
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_external);
    /* Without the key a thread's context could not be freed when the
     * thread ends: each parse then makes and frees its own. */
    if (!ctxt_key_ok) ctxt_key_ok = pthread_key_create(&ctxt_key, free_idle_ctxt) == 0;
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

/* ---- one parser context per thread -------------------------------------- */

/* A context that has interned more names than this is dropped after its
 * parse rather than kept: the dictionary only grows while a context lives,
 * and a hostile upstream must not make it grow without end (nor up to
 * libxml2's own limit, past which every parse would fail). A VAST document
 * uses a few dozen names. */
#define CTXT_MAX_NAMES 1024

/* The thread's idle context (NULL while a parse uses it, or before the
 * first); the key frees it when the thread ends. */
static _Thread_local xmlParserCtxtPtr idle_ctxt;
static void free_idle_ctxt(void *ctxt) {
    xmlFreeParserCtxt(ctxt);
}

static xmlParserCtxtPtr new_ctxt(void) {
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) return NULL;
    /* Once: a reset keeps the options. They edit the context's own
     * handler, never the caller's. */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    return ctxt;
}

static xmlParserCtxtPtr take_ctxt(void) {
    xmlParserCtxtPtr ctxt = idle_ctxt;
    idle_ctxt = NULL;
    if (ctxt == NULL) return new_ctxt();
    xmlCtxtReset(ctxt);
    ctxt->nsNr = 0; /* xmlCtxtReset leaves a stopped parse's namespaces */
    return ctxt;
}

/* Keeps the context for the thread's next parse, or frees it. */
static void give_back(xmlParserCtxtPtr ctxt) {
    bool keep = ctxt_key_ok && idle_ctxt == NULL && xmlDictSize(ctxt->dict) <= CTXT_MAX_NAMES
             && pthread_setspecific(ctxt_key, ctxt) == 0;
    if (!keep) {
        if (ctxt_key_ok && idle_ctxt == NULL) pthread_setspecific(ctxt_key, NULL);
        xmlFreeParserCtxt(ctxt);
        return;
    }
    xmlCtxtReset(ctxt); /* frees the input (its copy of the body) now */
    idle_ctxt = ctxt;
}

/* Makes body[0..len) the context's input, as xmlCreateMemoryParserCtxt
 * does: a copy in an input buffer. */
static bool push_body(xmlParserCtxtPtr ctxt, const char *body, size_t len) {
    xmlParserInputBufferPtr buf =
        xmlParserInputBufferCreateMem(body, (int)len, XML_CHAR_ENCODING_NONE);
    if (buf == NULL) return false;
    xmlParserInputPtr input = xmlNewIOInputStream(ctxt, buf, XML_CHAR_ENCODING_NONE);
    if (input == NULL) {
        xmlFreeParserInputBuffer(buf);
        return false;
    }
    return inputPush(ctxt, input) >= 0; /* frees the input if it fails */
}

/* startDocument: the encoding is settled (detected from the first bytes,
 * then declared). A document read as it is, without an encoder (UTF-8),
 * is all in the input buffer already, so the buffer is marked as having
 * nothing more to read: the parser's refills near the end of the input
 * (dozens per document) then return at once instead of asking a no-op
 * read callback for more. A document with an encoder keeps them: they
 * convert it as the parse goes. Past XML_MAX_LOOKUP_LIMIT bytes libxml2
 * tells a memory buffer by its no-op callback (its "huge input" check),
 * so a body that large keeps it too. */
static void settle_input(void *ctx) {
    xmlParserCtxtPtr ctxt = ctx;
    xmlParserInputPtr input = ctxt->input;
    if (ctxt->inputNr != 1 || input == NULL || input->buf == NULL || input->buf->encoder != NULL
        || input->end - input->cur > XML_MAX_LOOKUP_LIMIT)
        return;
    input->buf->readcallback = NULL; /* the refills: nothing to do */
    input->buf->error = XML_IO_NO_INPUT; /* the shrinks' reads: the same, silently */
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
    sax.startDocument = settle_input;
    sax.initialized = XML_SAX2_MAGIC;

    xmlParserCtxtPtr ctxt = take_ctxt();
    if (ctxt == NULL) return false;
    if (!push_body(ctxt, body, len)) {
        xmlFreeParserCtxt(ctxt);
        return false;
    }
    xmlSAXHandlerPtr own_sax = ctxt->sax;
    ctxt->sax = &sax; /* libxml2 only reads it from here on */
    ctxt->userData = ctxt; /* SAX callbacks get the context, as with SAX2 */
    ctxt->_private = state;

    int failed = xmlParseDocument(ctxt);
    /* Namespace well-formedness too: an undeclared prefix (<x:Ad/>) is
     * only a warning to libxml2, but a browser's DOMParser refuses the
     * document, so a player would, and a tree would not call it "Ad". */
    bool well_formed = failed == 0 && ctxt->wellFormed && ctxt->nsWellFormed;
    ctxt->sax = own_sax; /* kept with the context, ours is on the stack */
    ctxt->_private = NULL;
    give_back(ctxt);
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
