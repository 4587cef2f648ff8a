/* fuzz_vast.c -- libFuzzer target: the VAST check (vast.c) on any bytes.
 *
 * It must never crash, leak or run away (libFuzzer's -timeout and
 * -rss_limit_mb catch entity expansion and deep recursion), and it must
 * never accept a document that has a document type declaration, in
 * whatever encoding: when vast_check accepts (VAST_OK or VAST_NO_AD), a
 * plain libxml2 parse of the same bytes (no network, no entity
 * substitution, and vast_init's loader refusing every external entity)
 * must find no DTD. That tree also checks the SAX check's "has an ad":
 * VAST_OK exactly when the root has an <Ad> element child. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "vast.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    vast_init();
    return 0;
}

static bool root_has_ad(xmlDocPtr doc) {
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (root == NULL) return false;
    for (xmlNodePtr n = root->children; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST "Ad") == 0) return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    enum vast_status status = vast_check((const char *)data, size);
    if (status != VAST_OK && status != VAST_NO_AD) return 0;
    xmlDocPtr doc = xmlReadMemory((const char *)data, (int)size, "fuzz.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL || doc->intSubset != NULL || doc->extSubset != NULL) abort();
    if (root_has_ad(doc) != (status == VAST_OK)) abort();
    xmlFreeDoc(doc);
    return 0;
}
