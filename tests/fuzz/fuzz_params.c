/* fuzz_params.c -- libFuzzer target: query/body parameter parsing and
 * validation (form_parse + params_validate), as the request pipeline uses
 * them: the input is split at its first newline into a query string and a
 * form body, both parsed into one struct params, then every parameter is
 * validated.
 *
 * Besides memory errors (the build has ASan and UBSan), it checks what the
 * rest of adstats relies on: decoded values lie inside the input and are
 * NUL-terminated, a validation fails exactly when it says why, and a value
 * that passed validation holds no byte that could break a Redis key, a log
 * line or a JSON answer (no control character, printable UTF-8, country
 * codes normalised to upper case, versions of digits and dots only). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "day.h"
#include "params.h"
#include "utf8.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static bool plain_bytes(const char *s, size_t len, const char *allowed) {
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && strchr(allowed, c) == NULL) return false;
    }
    return true;
}

static void check_valid_value(enum param_id id, const struct param_value *v) {
    for (size_t i = 0; i < v->len;) {
        uint32_t cp;
        size_t n = utf8_decode((const unsigned char *)v->data + i, v->len - i, &cp);
        CHECK(n > 0);
        CHECK(cp >= 0x20 && !(cp >= 0x7F && cp <= 0x9F));
        i += n;
    }
    switch (id) {
    case PARAM_FROM:
    case PARAM_TO: {
        long day;
        CHECK(day_parse(v->data, v->len, &day) && day >= DAY_MIN && day <= DAY_MAX);
        break;
    }
    case PARAM_UNIQUE_SESSIONS:
    case PARAM_NO_FILLS:
    case PARAM_VIDEO:
    case PARAM_INVALID:
        CHECK(v->len == 1 && (v->data[0] == '0' || v->data[0] == '1'));
        break;
    case PARAM_K: /* a tracking token: base64url */
        CHECK(v->len <= PARAM_TOKEN_MAX && plain_bytes(v->data, v->len, "-_"));
        break;
    case PARAM_LIMIT: {
        long n = strtol(v->data, NULL, 10);
        CHECK(n >= 1 && n <= 100 && v->data[0] != '0');
        break;
    }
    case PARAM_EVENT_ID:
        CHECK(v->len <= 64);
        for (size_t i = 0; i < v->len; i++) CHECK(v->data[i] >= 0x20 && v->data[i] <= 0x7E);
        break;
    case PARAM_COUNTRY:
    case PARAM_COUNTRY_CODE:
        CHECK(v->len == 2 && v->data[0] >= 'A' && v->data[0] <= 'Z' && v->data[1] >= 'A'
              && v->data[1] <= 'Z' && country_code_known(v->data));
        break;
    case PARAM_SDK_VERSION:
    case PARAM_SDK:
        CHECK(v->len <= 32 && v->data[0] != '.' && v->data[v->len - 1] != '.');
        for (size_t i = 0; i < v->len; i++)
            CHECK((v->data[i] >= '0' && v->data[i] <= '9') || v->data[i] == '.');
        break;
    case PARAM_PLATFORM:
        CHECK(v->len <= 32 && plain_bytes(v->data, v->len, "._-"));
        break;
    default:
        CHECK(v->len <= 128);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *in = malloc(size + 1);
    if (in == NULL) return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    char *nl = memchr(in, '\n', size);
    size_t query_len = nl ? (size_t)(nl - in) : size;

    struct params p;
    memset(&p, 0, sizeof(p));
    enum form_status st = form_parse(in, query_len, &p);
    if (st == FORM_OK && nl != NULL) st = form_parse(nl + 1, size - query_len - 1, &p);

    if (st == FORM_OK) {
        uint32_t all = (1u << PARAM__COUNT) - 1;
        for (int id = 0; id < PARAM__COUNT; id++) {
            const struct param_value *v = &p.v[id];
            if (v->data == NULL) continue;
            CHECK(v->data >= in && v->data + v->len <= in + size && v->data[v->len] == '\0');
            CHECK(v->len > 0);
        }
        struct buf msg;
        buf_init(&msg);
        bool ok = params_validate(&p, all, &msg);
        CHECK(ok == (msg.len == 0));
        if (ok) {
            for (int id = 0; id < PARAM__COUNT; id++)
                if (p.v[id].data != NULL) check_valid_value((enum param_id)id, &p.v[id]);
        }
        buf_reset(&msg);
        params_missing_message(size > 0 ? data[0] & all : all, &msg);
        CHECK(!msg.failed && msg.len > 0);
        buf_free(&msg);
    }
    free(in);
    return 0;
}
