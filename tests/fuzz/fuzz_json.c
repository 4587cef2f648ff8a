/* fuzz_json.c -- libFuzzer target: JSON string escaping and number
 * formatting (json.c).
 *
 * Any bytes must come out as one well-formed JSON string literal that is
 * also safe inside HTML: valid UTF-8, no raw control character, no raw
 * '<', '>' or '&', no raw U+2028/U+2029, and every backslash escape one of
 * JSON's. The first 8 bytes, read as a double, must print as a number that
 * reads back as the same double. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static int is_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Checks that s[0..len) is exactly one JSON string literal. */
static void check_literal(const unsigned char *s, size_t len) {
    CHECK(len >= 2 && s[0] == '"' && s[len - 1] == '"');
    for (size_t i = 1; i < len - 1;) {
        unsigned char c = s[i];
        CHECK(c >= 0x20 && c != '"' && c != '<' && c != '>' && c != '&' && c != 0x7F);
        if (c == '\\') {
            CHECK(i + 1 < len - 1);
            unsigned char e = s[i + 1];
            if (e == 'u') {
                CHECK(i + 5 < len - 1);
                for (int k = 2; k < 6; k++) CHECK(is_hex(s[i + k]));
                i += 6;
            } else {
                CHECK(strchr("\"\\/bfnrt", e) != NULL);
                i += 2;
            }
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - 1 - i, &cp);
        CHECK(n > 0 && cp != 0x2028 && cp != 0x2029);
        i += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct buf b;
    buf_init(&b);
    json_append_string(&b, (const char *)data, size);
    CHECK(!b.failed);
    check_literal((const unsigned char *)b.data, b.len);
    buf_free(&b);

    if (size >= sizeof(double)) {
        double v;
        memcpy(&v, data, sizeof(v));
        buf_init(&b);
        json_append_double(&b, v);
        buf_append_char(&b, '\0');
        CHECK(!b.failed);
        double back = strtod(b.data, NULL);
        CHECK(!isfinite(v) ? back == 0 : back == v);
        buf_free(&b);
    }

    buf_init(&b);
    json_append_error(&b, (const char *)data, size);
    CHECK(!b.failed && b.len > 0 && b.data[b.len - 1] == '}');
    buf_free(&b);
    return 0;
}
