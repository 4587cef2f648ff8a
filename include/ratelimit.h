/* ratelimit.h -- the window arithmetic of logs that must not flood.
 *
 * A struct ratelimit follows one kind of repeated event (one kind of
 * diagnostic, one upstream outcome). A run of the kind starts with its
 * first event and a window of policy.window_ms: in it, the first
 * policy.first events pass (are written in full); later ones are held (only
 * counted). When a window is over, the held ones are due as one summary,
 * and a new window of the same run starts, in which policy.again events
 * pass; a window that ends with none held ends the run, and the next event
 * starts afresh. So a kind writes at most max(first, again) + 1 lines per
 * window, whatever the rate of its events.
 *
 * The caller asks ratelimit_due first (writing the summary it returns, if
 * any), then ratelimit_pass. Not thread-safe: callers lock. Time is given
 * (monotonic ms), so tests can inject it. Used by log.c (log_repeated) and
 * backend_log.c. */
#ifndef ADSTATS_RATELIMIT_H
#define ADSTATS_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>

struct ratelimit_policy {
    unsigned first;     /* events passed in the first window of a run */
    unsigned again;     /* events passed in each later window */
    long long window_ms;
};

struct ratelimit {
    bool active;             /* a run is on */
    bool again;              /* past the run's first window */
    long long start_ms;      /* of the current window */
    unsigned long long passed, held; /* in the current window */
};

/* Starts every limiter idle; a zeroed struct is idle too. */
void ratelimit_init(struct ratelimit *r);

/* If the window is over at now_ms: the number of events it held (0 if
 * none, which ends the run), with *span_ms set to the window's length; the
 * next window starts at now_ms. 0 while the window lasts. `force` ends the
 * window now, due or not (at exit). */
unsigned long long ratelimit_due(struct ratelimit *r, const struct ratelimit_policy *p,
                                 long long now_ms, bool force, long long *span_ms);

/* One event at now_ms: true if it is to be written in full, false if it is
 * held (counted for the next summary). */
bool ratelimit_pass(struct ratelimit *r, const struct ratelimit_policy *p, long long now_ms);

/* 3045 as "3,045" (summaries' counts). */
void ratelimit_commas(unsigned long long n, char *out, size_t cap);

#endif
