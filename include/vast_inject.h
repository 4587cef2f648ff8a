/* vast_inject.h -- adds adstats' own trackers to an upstream VAST document.
 *
 * vast_inject() copies the document byte for byte and inserts, in every
 * <Ad>'s <InLine> or <Wrapper>: one <Impression>, and in each <Linear>
 * creative one <Tracking> per video event and one <ClickTracking>, where
 * the document's VAST version's schema allows them (vast_inject.c says
 * where). The caller supplies the URLs. */
#ifndef ADSTATS_VAST_INJECT_H
#define ADSTATS_VAST_INJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum vast_event {
    VAST_EVENT_IMPRESSION,
    VAST_EVENT_START,
    VAST_EVENT_FIRST_QUARTILE,
    VAST_EVENT_MIDPOINT,
    VAST_EVENT_THIRD_QUARTILE,
    VAST_EVENT_COMPLETE,
    VAST_EVENT_CLICK,
};
#define VAST_EVENT_COUNT 7

/* The name of an event: the <Tracking event="..."> value for the five video
 * events ("start", "firstQuartile" ...), "impression" and "click". */
const char *vast_event_name(enum vast_event event);

/* The <Ad> a URL is for: its place among the document's ads (0 for the
 * first) and its id attribute, not NUL-terminated (NULL when the ad has
 * none, or one longer than VAST_INJECT_MAX_ID bytes). */
#define VAST_INJECT_MAX_ID 256
struct vast_ad_ref {
    unsigned index;
    const char *id;
    size_t id_len;
};

/* Appends the URL of `event` for `ad` to `out` and returns true, or false to
 * give up the injection. The URL goes into CDATA as it is: it must not be
 * empty nor contain "]]>" (vast_inject refuses it then). Called once per
 * element inserted, in document order. */
typedef bool (*vast_url_fn)(void *ctx, const struct vast_ad_ref *ad,
                            enum vast_event event, struct buf *out);

struct vast_inject_urls {
    vast_url_fn url;
    void *ctx;
};

enum vast_inject_status {
    VAST_INJECT_OK,          /* injected: `out` holds the new document */
    VAST_INJECT_NO_AD,       /* a VAST document without an <InLine> or
                                <Wrapper> ad: nothing to add */
    VAST_INJECT_NOT_VAST,    /* well-formed, but the root is not <VAST> */
    VAST_INJECT_MALFORMED,   /* not well-formed, or refused (DTD, entities,
                                depth): vast.h's rules */
    VAST_INJECT_TOO_LARGE,   /* longer than libxml2 parses (2 GiB) */
    VAST_INJECT_UNSUPPORTED, /* VAST 1.0 (<VideoAdServingTemplate>), or a
                                declared or detected encoding other than
                                UTF-8 (UTF-16, ISO-8859-1, US-ASCII ...) */
    VAST_INJECT_URL_FAILED,  /* the URL callback failed or gave a URL that
                                cannot go into CDATA */
    VAST_INJECT_NO_MEMORY,   /* `out` could not grow */
};

/* What an injection did, for metrics and tests. `created` counts the
 * <TrackingEvents> and <VideoClicks> elements added whole, `expanded` the
 * self-closing ones (<TrackingEvents/>, <Linear/> ...) rewritten as a start
 * and an end tag to hold the new elements. */
struct vast_inject_stats {
    unsigned ads;          /* <InLine> and <Wrapper> elements */
    unsigned linears;      /* <Linear> creatives */
    unsigned inserted;     /* elements carrying a URL */
    unsigned created;
    unsigned expanded;
};

/* Appends to `out` the document doc[0..len) with the trackers added and
 * returns VAST_INJECT_OK. On any other status `out` is as it was (its
 * length restored) and the caller should pass the document on unchanged.
 * One SAX pass with vast.h's hardened parser, no tree; allocates only
 * through `out`. `stats` may be NULL. Deterministic and thread-safe. */
enum vast_inject_status vast_inject(const char *doc, size_t len,
                                    const struct vast_inject_urls *urls,
                                    struct buf *out, struct vast_inject_stats *stats);

/* A short human-readable reason for a status, for logs and errors. */
const char *vast_inject_status_text(enum vast_inject_status status);

#endif
