/* ratelimit.c -- windows of repeated events; see ratelimit.h. */
#include "ratelimit.h"

#include <stdio.h>

void ratelimit_init(struct ratelimit *r) {
    *r = (struct ratelimit){0};
}

unsigned long long ratelimit_due(struct ratelimit *r, const struct ratelimit_policy *p,
                                 long long now_ms, bool force, long long *span_ms) {
    if (!r->active) return 0;
    if (!force && now_ms - r->start_ms < p->window_ms) return 0;
    unsigned long long held = r->held;
    *span_ms = now_ms - r->start_ms;
    if (held == 0) {
        r->active = false;
        return 0;
    }
    r->again = true;
    r->start_ms = now_ms;
    r->passed = 0;
    r->held = 0;
    return held;
}

bool ratelimit_pass(struct ratelimit *r, const struct ratelimit_policy *p, long long now_ms) {
    if (!r->active) {
        *r = (struct ratelimit){.active = true, .start_ms = now_ms};
    }
    unsigned allowance = r->again ? p->again : p->first;
    if (r->passed < allowance) {
        r->passed++;
        return true;
    }
    r->held++;
    return false;
}

void ratelimit_commas(unsigned long long n, char *out, size_t cap) {
    char digits[32];
    int len = snprintf(digits, sizeof(digits), "%llu", n);
    size_t at = 0;
    for (int i = 0; i < len && at + 2 < cap; i++) {
        if (i > 0 && (len - i) % 3 == 0) out[at++] = ',';
        out[at++] = digits[i];
    }
    out[at] = '\0';
}
