/* admin.h -- who may use the admin requests (DELETE /statistics).
 *
 * An admin request carries `Authorization: Bearer <token>` with the token
 * of --admin-token / ADMIN_TOKEN. The comparison takes the same time for
 * every presented token, whatever its length or how much of it matches, so
 * timing tells nothing about the secret. With no token configured the
 * admin requests are disabled altogether. */
#ifndef ADSTATS_ADMIN_H
#define ADSTATS_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

enum admin_verdict {
    ADMIN_ALLOWED,
    ADMIN_DISABLED,      /* no token configured: 403 */
    ADMIN_UNAUTHORIZED,  /* no or wrong credentials: 401 */
};

/* Sets the token (copied); NULL or "" disables admin requests. Call once at
 * start-up. */
void admin_configure(const char *token);

/* Judges an Authorization header value (NULL when absent). */
enum admin_verdict admin_check(const char *authorization);

/* Constant-time comparison of a presented secret with the expected one:
 * the time depends only on the expected length. */
bool admin_secret_equal(const char *given, size_t given_len, const char *expected,
                        size_t expected_len);

#endif
