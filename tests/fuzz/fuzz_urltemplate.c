/* fuzz_urltemplate.c -- libFuzzer target: the --vast-url template
 * (urltemplate.c) and percent-encoding.
 *
 * The input is split at its first newline into a template and a value.
 * A refused template gets a one-line reason and leaves nothing allocated.
 * An accepted one splits into parts that, put back together, are the
 * template again; its expansion holds no brace (every placeholder was
 * replaced, and an encoded value never carries one); and every value is
 * encoded as unreserved bytes or %XX triplets that decode back to it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "urltemplate.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1; /* lower case is not what url_encode_append writes */
}

static bool unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Decodes `enc` and compares it with the value it came from. */
static void check_encoding(const char *value, size_t len) {
    struct buf enc;
    buf_init(&enc);
    url_encode_append(&enc, value, len);
    CHECK(!enc.failed);
    size_t out = 0;
    for (size_t i = 0; i < enc.len; out++) {
        char c = enc.data[i];
        if (c == '%') {
            CHECK(i + 2 < enc.len);
            int hi = hex(enc.data[i + 1]), lo = hex(enc.data[i + 2]);
            CHECK(hi >= 0 && lo >= 0);
            CHECK(out < len && (unsigned char)value[out] == hi * 16 + lo);
            CHECK(!unreserved(value[out]));
            i += 3;
        } else {
            CHECK(unreserved(c));
            CHECK(out < len && value[out] == c);
            i++;
        }
    }
    CHECK(out == len);
    buf_free(&enc);
}

static void check_template(const struct urltemplate *t, const char *text,
                           const struct urlvalue *value) {
    struct buf joined;
    buf_init(&joined);
    for (size_t i = 0; i < t->n_parts; i++) {
        const struct urltemplate_part *p = &t->parts[i];
        if (p->var < 0) {
            CHECK(memchr(t->text + p->offset, '{', p->len) == NULL);
            CHECK(memchr(t->text + p->offset, '}', p->len) == NULL);
            buf_append(&joined, t->text + p->offset, p->len);
        } else {
            CHECK(p->var < URLVAR__COUNT && (t->uses & URLVAR_BIT(p->var)));
            buf_printf(&joined, "{%s}", urlvar_name((enum urlvar)p->var));
        }
    }
    CHECK(!joined.failed && joined.len == strlen(text));
    CHECK(joined.len == 0 || memcmp(joined.data, text, joined.len) == 0);
    buf_free(&joined);

    struct urlvalue vars[URLVAR__COUNT];
    for (int v = 0; v < URLVAR__COUNT; v++) vars[v] = *value;
    struct buf url;
    buf_init(&url);
    urltemplate_expand(t, vars, &url);
    CHECK(!url.failed);
    CHECK(url.len == 0 || memchr(url.data, '{', url.len) == NULL);
    CHECK(url.len == 0 || memchr(url.data, '}', url.len) == NULL);
    buf_free(&url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nl = memchr(data, '\n', size);
    size_t text_len = nl ? (size_t)(nl - data) : size;
    char *text = malloc(text_len + 1);
    CHECK(text != NULL);
    memcpy(text, data, text_len);
    text[text_len] = '\0';
    /* An exact-size copy of the value, so that ASan sees reads past it. */
    size_t value_len = nl ? size - text_len - 1 : 0;
    char *value = malloc(value_len ? value_len : 1);
    CHECK(value != NULL);
    if (value_len) memcpy(value, nl + 1, value_len);
    check_encoding(value, value_len);

    struct urltemplate t;
    char why[256];
    if (urltemplate_parse(&t, text, why, sizeof(why))) {
        check_template(&t, text, &(struct urlvalue){value, value_len});
    } else {
        CHECK(t.text == NULL && t.parts == NULL);
        CHECK(why[0] != '\0' && memchr(why, '\0', sizeof(why)) != NULL);
    }
    urltemplate_free(&t);
    free(value);
    free(text);
    return 0;
}
