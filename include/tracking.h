/* tracking.h -- VAST tracking (--tracking-url) and invalid-traffic
 * filtering (--ivt-filter), issue 14: the settings, fixed at start-up, and
 * the three things the endpoints ask of them.
 *
 *   /ad      tracking_inject: a new served-ad id and serve time, one signed
 *            token per event (track_token.h), the URLs
 *            <tracking-url>/t?k=<token> put into the document
 *            (vast_inject.h), all in one SAX pass. A document the injector
 *            refuses goes out unchanged.
 *   /t       tracking_verify: the token's claims, or why it is refused.
 *   events   tracking_invalid: whether an event or pixel is invalid
 *            traffic (ivt.h) -- never, unless --ivt-filter is on.
 *
 * One served ad is one /ad answer: every <Ad> of a document (a pod, or an
 * ad buffet's fallbacks) gets the same id, so a document counts at most one
 * impression and one of each video event, as an ad request has at most one
 * fill. Its pixels' dedupe ids (README.md, keys.h) are event ids:
 * "<ad id hex>" for the impression -- the id an SDK passes as event_id to
 * /impression when it reports the same view (the Adstats-Ad-Id header of
 * /ad) -- and "<ad id hex>:<event>" for the others. */
#ifndef ADSTATS_TRACKING_H
#define ADSTATS_TRACKING_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "events.h"
#include "forwarded.h"
#include "ivt.h"
#include "track_token.h"
#include "vast_inject.h"

#define TRACKING_AD_ID_HEX (2 * TRACK_AD_ID_LEN)
/* Longest pixel dedupe id: the hex id, ':', the longest event name. */
#define TRACKING_DEDUPE_MAX (TRACKING_AD_ID_HEX + 1 + 16)

/* Reads the tracking and --ivt-* settings (loads the pattern file);
 * false, with a one-line reason in `err`, if they cannot be used. */
bool tracking_configure(const struct config *cfg, struct buf *err);
void tracking_free(void);

/* True when --tracking-url is set. */
bool tracking_enabled(void);

/* Adds the trackers of one served ad, for the event fields of `p`, to
 * doc[0..len) into `out`; writes the ad's id as hex (NUL-terminated) to
 * `ad_id`. Any status but VAST_INJECT_OK leaves `out` unchanged: the
 * caller passes the document on as it is. */
enum vast_inject_status tracking_inject(const char *doc, size_t len, const struct params *p,
                                        struct buf *out, char ad_id[TRACKING_AD_ID_HEX + 1]);

/* Verifies a pixel's token against the tracking keys, the clock and
 * --tracking-ttl. */
enum track_token_status tracking_verify(const char *token, size_t len, struct track_claims *out);

/* The event type a pixel counts, and its dedupe id (an event id, above;
 * NUL-terminated, returns its length). */
enum event_type tracking_event_type(enum track_event e);
size_t tracking_dedupe_id(const struct track_claims *c, char out[TRACKING_DEDUPE_MAX + 1]);

/* True when --ivt-filter is on. */
bool tracking_ivt_enabled(void);

/* Whether an event is to be counted as invalid: false unless --ivt-filter
 * is on. Its User-Agent may be NULL (none); its client address is the
 * peer's (NULL: unknown) or, from a --trusted-proxies peer, the one its
 * X-Forwarded-For (NULL: none) names (forwarded.h). */
bool tracking_invalid(const char *user_agent, const struct sockaddr *peer,
                      const char *forwarded_for);

#endif
