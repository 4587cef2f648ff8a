/* fuzz_ivt.c -- libFuzzer target: the invalid-traffic classifier's parsers
 * (ivt.c): a User-Agent pattern file, a CIDR deny list, and matching.
 *
 * The input is split at its first NUL: what comes before is a pattern file,
 * what comes after is both a deny list and a User-Agent (and, if it parses
 * as one, a client address). Besides memory errors (ASan, UBSan), it checks
 * that a parse succeeds exactly when it writes no error, that a refused
 * file or list adds nothing, that the caps hold, and that a pattern file of
 * one plain line (no '*', no '#') matches that line as a User-Agent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ivt.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static bool plain_single_line(const char *s, size_t len) {
    if (len == 0 || len > IVT_PATTERN_MAX_LEN || s[0] == '#' || s[0] == ' ' || s[len - 1] == ' ')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x21 || s[i] > 0x7E || s[i] == '*') return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t text_len = nul ? (size_t)(nul - text) : size;
    size_t rest_len = nul ? size - text_len - 1 : 0;
    char *rest = malloc(rest_len + 1);
    struct ivt *v = ivt_new();
    if (rest == NULL || v == NULL) {
        free(rest);
        ivt_free(v);
        return 0;
    }
    memcpy(rest, nul ? nul + 1 : "", rest_len);
    rest[rest_len] = '\0';

    struct buf err;
    buf_init(&err);
    bool ok = ivt_add_user_agents(v, text, text_len, &err);
    CHECK(ok == (err.len == 0));
    CHECK(ok || ivt_user_agent_count(v) == 0);
    CHECK(ivt_user_agent_count(v) <= IVT_PATTERNS_MAX);
    if (ok && plain_single_line(text, text_len)) CHECK(ivt_user_agent_matches(v, text, text_len));

    buf_reset(&err);
    ok = ivt_set_deny_list(v, rest, &err);
    CHECK(ok == (err.len == 0));
    CHECK(ok || ivt_deny_count(v) == 0);
    CHECK(ivt_deny_count(v) <= IVT_CIDRS_MAX);

    struct netaddr a;
    bool have_addr = netaddr_parse(rest, rest_len, &a);
    enum ivt_verdict verdict = ivt_classify(v, rest, rest_len, have_addr ? &a : NULL);
    CHECK(verdict == IVT_VALID || verdict == IVT_USER_AGENT || verdict == IVT_ADDRESS);
    if (have_addr && ok && ivt_deny_count(v) == 1) CHECK(ivt_address_denied(v, &a));

    buf_free(&err);
    ivt_free(v);
    free(rest);
    return 0;
}
