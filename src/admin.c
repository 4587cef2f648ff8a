/* admin.c -- bearer-token check for admin requests; see admin.h. */
#include "admin.h"

#include <strings.h>
#include <string.h>

static char token[256];
static size_t token_len;

void admin_configure(const char *t) {
    token_len = 0;
    token[0] = '\0';
    if (t == NULL || strlen(t) >= sizeof(token)) return;
    token_len = strlen(t);
    memcpy(token, t, token_len + 1);
}

bool admin_secret_equal(const char *given, size_t given_len, const char *expected,
                        size_t expected_len) {
    /* Walk the expected secret whatever was given; a shorter presented
     * secret is read cyclically (never past its end) and still fails on
     * the length check, which is folded into the same accumulator. */
    unsigned diff = given_len != expected_len;
    for (size_t i = 0; i < expected_len; i++) {
        unsigned char g = given_len > 0 ? (unsigned char)given[i % given_len] : 0;
        diff |= g ^ (unsigned char)expected[i];
    }
    return diff == 0;
}

enum admin_verdict admin_check(const char *authorization) {
    static const char scheme[] = "Bearer ";
    if (token_len == 0) return ADMIN_DISABLED;
    if (authorization == NULL || strncasecmp(authorization, scheme, sizeof(scheme) - 1) != 0)
        return ADMIN_UNAUTHORIZED;
    const char *given = authorization + sizeof(scheme) - 1;
    while (*given == ' ') given++;
    size_t len = strlen(given);
    while (len > 0 && given[len - 1] == ' ') len--;
    return admin_secret_equal(given, len, token, token_len) ? ADMIN_ALLOWED : ADMIN_UNAUTHORIZED;
}
