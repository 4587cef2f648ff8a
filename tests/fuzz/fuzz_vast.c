/* fuzz_vast.c -- libFuzzer target: the VAST check (vast.c) on any bytes.
 *
 * It must never crash, leak or run away (libFuzzer's -timeout and
 * -rss_limit_mb catch entity expansion and deep recursion), and it must
 * never accept a document that has a document type declaration, in
 * whatever encoding: when vast_check says OK, a plain libxml2 parse of the
 * same bytes (no network, no entity substitution, and vast_init's loader
 * refusing every external entity) must find no DTD. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdlib.h>

#include "vast.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    vast_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (vast_check((const char *)data, size) != VAST_OK) return 0;
    xmlDocPtr doc = xmlReadMemory((const char *)data, (int)size, "fuzz.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL || doc->intSubset != NULL || doc->extSubset != NULL) abort();
    xmlFreeDoc(doc);
    return 0;
}
