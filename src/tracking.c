/* tracking.c -- the tracking settings and their three uses; see tracking.h.
 *
 * Everything here is set once by tracking_configure, before any worker
 * runs, and only read after. An injection signs its seven tokens up front
 * (one per event, the same for every <Ad> of the document) into one
 * buffer, so that the injector's callback, called once per element it
 * inserts, only copies. */
#include "tracking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

_Static_assert(VAST_EVENT_COUNT == TRACK_EVENT__COUNT, "one token per injected event");
_Static_assert((int)VAST_EVENT_CLICK == (int)TRACK_CLICK, "vast_inject.h and track_token.h "
                                                          "number the events alike");

static struct {
    bool enabled;
    char base[sizeof(((struct config *)0)->tracking_url)]; /* no trailing '/' */
    size_t base_len;
    struct track_keys keys;
    long long ttl_s;
    struct ivt *ivt; /* NULL: --ivt-filter is off */
    struct netaddr_list trusted; /* --trusted-proxies, for the client's address */
} t;

/* A copy of the secret, prepared (track_token.h; unprepared if libcrypto
 * cannot: slower, as correct). */
static struct track_key key_of(const char *secret) {
    struct track_key k = {NULL, 0, NULL, 0};
    if (secret[0] == '\0') return k;
    k.data = (const unsigned char *)strdup(secret);
    k.len = strlen(secret);
    if (k.data != NULL && !track_key_prepare(&k))
        log_warn("tracking: libcrypto could not prepare the key; signing unprepared");
    return k;
}

static bool configure_ivt(const struct config *cfg, struct buf *err) {
    if (!cfg->ivt_filter) return true;
    t.ivt = ivt_new();
    if (t.ivt == NULL) {
        buf_append_str(err, "--ivt-filter: out of memory");
        return false;
    }
    buf_append_str(err, "--ivt-user-agents: ");
    if (!ivt_load_user_agents(t.ivt, cfg->ivt_user_agents, err)) return false;
    buf_reset(err);
    buf_append_str(err, "--ivt-deny: ");
    if (!ivt_set_deny_list(t.ivt, cfg->ivt_deny, err)) return false;
    buf_reset(err);
    char why[160];
    if (!netaddr_list_parse(cfg->trusted_proxies, &t.trusted, why, sizeof(why))) {
        buf_printf(err, "--trusted-proxies: %s", why);
        return false;
    }
    log_info("ivt: filtering %zu User-Agent patterns and %zu denied address blocks",
             ivt_user_agent_count(t.ivt), ivt_deny_count(t.ivt));
    return true;
}

bool tracking_configure(const struct config *cfg, struct buf *err) {
    memset(&t, 0, sizeof(t));
    t.ttl_s = cfg->tracking_ttl_s;
    if (cfg->tracking_url[0] != '\0') {
        t.enabled = true;
        t.base_len = strlen(cfg->tracking_url);
        while (t.base_len > 0 && cfg->tracking_url[t.base_len - 1] == '/') t.base_len--;
        memcpy(t.base, cfg->tracking_url, t.base_len);
    }
    t.keys.current = key_of(cfg->tracking_secret);
    t.keys.previous = key_of(cfg->tracking_secret_previous);
    if ((cfg->tracking_secret[0] && t.keys.current.data == NULL)
        || (cfg->tracking_secret_previous[0] && t.keys.previous.data == NULL)) {
        buf_append_str(err, "--tracking-secret: out of memory");
        return false;
    }
    return configure_ivt(cfg, err);
}

void tracking_free(void) {
    track_key_release(&t.keys.current);
    track_key_release(&t.keys.previous);
    free((void *)t.keys.current.data);
    free((void *)t.keys.previous.data);
    ivt_free(t.ivt);
    netaddr_list_free(&t.trusted);
    memset(&t, 0, sizeof(t));
}

bool tracking_enabled(void) {
    return t.enabled;
}

/* ---- injection ----------------------------------------------------------- */

/* Room for the elements around an ad's seven URLs: the longest is
 * `<Tracking event="thirdQuartile"><![CDATA[...]]></Tracking>` (52 bytes
 * and two namespace prefixes), plus a <TrackingEvents> and a <VideoClicks>. */
#define INJECT_MARKUP_RESERVE 1024

/* The seven URLs of one served ad, one after another in `text`. */
struct ad_urls {
    struct buf text;
    size_t start[VAST_EVENT_COUNT + 1];
};

static bool url_of(void *ctx, const struct vast_ad_ref *ad, enum vast_event event,
                   struct buf *out) {
    (void)ad;
    const struct ad_urls *u = ctx;
    buf_append(out, u->text.data + u->start[event], u->start[event + 1] - u->start[event]);
    return !out->failed;
}

static bool sign_urls(struct ad_urls *u, const struct track_claims *c) {
    char prefix[sizeof(t.base) + sizeof("/t?k=")];
    memcpy(prefix, t.base, t.base_len);
    memcpy(prefix + t.base_len, "/t?k=", 5);
    return track_token_encode_events(c, &t.keys, prefix, t.base_len + 5, &u->text, u->start)
        && !u->text.failed;
}

enum vast_inject_status tracking_inject(const char *doc, size_t len, const struct params *p,
                                        struct buf *out, char ad_id[TRACKING_AD_ID_HEX + 1]) {
    struct track_claims c;
    if (!track_claims_set_fields(&c, p) || !track_ad_id_new(c.ad_id))
        return VAST_INJECT_URL_FAILED;
    c.served_at = clock_now_ms() / 1000;
    track_ad_id_hex(c.ad_id, ad_id);
    char storage[4096];
    struct ad_urls u;
    buf_init_static(&u.text, storage, sizeof(storage));
    enum vast_inject_status st = VAST_INJECT_URL_FAILED;
    if (sign_urls(&u, &c)) {
        /* The document, each URL once and its element's markup: an ad's
         * worth in one allocation (several ads grow the buffer as they need). */
        struct vast_inject_urls urls = {url_of, &u};
        st = buf_reserve(out, len + u.text.len + INJECT_MARKUP_RESERVE)
                 ? vast_inject(doc, len, &urls, out, NULL)
                 : VAST_INJECT_NO_MEMORY;
    }
    buf_free(&u.text);
    return st;
}

/* ---- pixels --------------------------------------------------------------- */

enum track_token_status tracking_verify(const char *token, size_t len, struct track_claims *out) {
    return track_token_decode(token, len, &t.keys, clock_now_ms() / 1000, t.ttl_s, out);
}

enum event_type tracking_event_type(enum track_event e) {
    static const enum event_type types[TRACK_EVENT__COUNT] = {
        [TRACK_IMPRESSION] = EVENT_IMPRESSION,         [TRACK_START] = EVENT_START,
        [TRACK_FIRST_QUARTILE] = EVENT_FIRST_QUARTILE, [TRACK_MIDPOINT] = EVENT_MIDPOINT,
        [TRACK_THIRD_QUARTILE] = EVENT_THIRD_QUARTILE, [TRACK_COMPLETE] = EVENT_COMPLETE,
        [TRACK_CLICK] = EVENT_CLICK,
    };
    return types[e];
}

size_t tracking_dedupe_id(const struct track_claims *c, char out[TRACKING_DEDUPE_MAX + 1]) {
    track_ad_id_hex(c->ad_id, out);
    if (c->event == TRACK_IMPRESSION) return TRACKING_AD_ID_HEX;
    int n = snprintf(out + TRACKING_AD_ID_HEX, TRACKING_DEDUPE_MAX + 1 - TRACKING_AD_ID_HEX, ":%s",
                     track_event_name(c->event));
    return TRACKING_AD_ID_HEX + (size_t)(n > 0 ? n : 0);
}

/* ---- invalid traffic ------------------------------------------------------ */

bool tracking_ivt_enabled(void) {
    return t.ivt != NULL;
}

bool tracking_invalid(const char *user_agent, const struct sockaddr *peer,
                      const char *forwarded_for) {
    if (t.ivt == NULL) return false;
    size_t ua_len = user_agent != NULL ? strlen(user_agent) : 0;
    struct netaddr peer_addr, client;
    bool known = netaddr_from_sockaddr(peer, &peer_addr)
              && forwarded_client(&t.trusted, &peer_addr, forwarded_for, &client);
    return ivt_classify(t.ivt, user_agent, ua_len, known ? &client : NULL) != IVT_VALID;
}
