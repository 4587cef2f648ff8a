/* fuzz_jsonbody.c -- libFuzzer target: JSON body parameters (jsonbody_parse
 * + params_validate), as the request pipeline uses them.
 *
 * Besides memory errors (the build has ASan and UBSan), it checks what the
 * pipeline relies on: decoded values lie inside the input, are
 * NUL-terminated and not empty; a failure's offset lies within the input
 * and its message is not empty; at most PARAMS_MAX_PAIRS pairs are taken;
 * and validation (fuzz_params' subject) fails exactly when it says why. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonbody.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Exactly `size` bytes, so that ASan sees any write past the body. */
    char *in = malloc(size ? size : 1);
    if (in == NULL) return 0;
    memcpy(in, data, size);

    struct params p;
    memset(&p, 0, sizeof(p));
    size_t at = (size_t)-1;
    enum jsonbody_status st = jsonbody_parse(in, size, &p, &at);
    struct buf msg;
    buf_init(&msg);
    if (st == JSONBODY_OK) {
        CHECK(p.pairs <= PARAMS_MAX_PAIRS);
        for (int id = 0; id < PARAM__COUNT; id++) {
            const struct param_value *v = &p.v[id];
            if (v->data == NULL) continue;
            CHECK(v->data >= in && v->data + v->len < in + size && v->data[v->len] == '\0');
            CHECK(v->len > 0);
        }
        bool valid = params_validate(&p, (1u << PARAM__COUNT) - 1, &msg);
        CHECK(valid == (msg.len == 0));
    } else {
        CHECK(at <= size);
        jsonbody_message(st, at, &msg);
        CHECK(!msg.failed && msg.len > 0);
    }
    buf_free(&msg);
    free(in);
    return 0;
}
