/* ad.c -- GET|POST /ad: count one ad request, fetch a VAST ad from the
 * upstream ad server, check it and return it unchanged.
 *
 * The request is counted first (count.h), and if it cannot be counted no ad
 * is fetched (a 503: fill rate must never see an ad it did not count). Once
 * counted it stays counted whatever the upstream does. A request whose
 * event_id was counted before is a client's retry: it is not counted again,
 * but the ad is still fetched and returned (the client still needs one),
 * marked with the header `Adstats-Duplicate: true`. Each step waits with
 * the connection held or suspended (request.c), so a slow upstream holds
 * no thread. Every
 * upstream failure is written to the backend error log.
 *
 * A no-fill -- the upstream has no ad for this request: it answers 204, or
 * a VAST document (any version, 1.0 included) without an <Ad> -- is no
 * failure: real ad servers answer so to a good share of requests. It is
 * counted (a `nof` in the ad request's counters, events.h; a retry's was
 * counted with the first) and answered 200 with a VAST document for the
 * player: the upstream's own, byte for byte (its <Error> URLs must reach the
 * player), or, for a 204, an empty VAST 3.0 document. Nothing is logged.
 *
 * The fetch carries the device's context (upstream.h): the request's
 * parameters for the URL's placeholders, its User-Agent, X-Forwarded-For
 * and address. The upstream believes an incoming X-Forwarded-For only from
 * a --trusted-proxies peer (forwarded.h), so without trusted proxies the
 * headers are not even joined: the peer's address alone goes out.
 *
 * With --tracking-url (tracking.h), an ad goes out with adstats' own
 * trackers added (an <Impression>, the video events' <Tracking> and a
 * <ClickTracking>, with signed GET /t URLs) and its served-ad id in the
 * header `Adstats-Ad-Id`. The injector's single pass also checks what
 * vast_check would (well-formed, VAST, an ad), so a document is parsed
 * once; only a document it refuses (VAST 1.0, not UTF-8 ...) is checked
 * by vast_check, and goes out unchanged (counted in /metrics). With
 * --ivt-filter, invalid traffic gets its ad as usual but is counted as
 * `invalid` (no ad request, no no-fill). */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "backend_log.h"
#include "count.h"
#include "endpoint.h"
#include "metrics.h"
#include "request.h"
#include "tracking.h"
#include "vast.h"

static unsigned failure_status(enum upstream_outcome outcome) {
    switch (outcome) {
    case UPSTREAM_BUSY: return MHD_HTTP_SERVICE_UNAVAILABLE;
    case UPSTREAM_TIMEOUT: return MHD_HTTP_GATEWAY_TIMEOUT;
    default: return MHD_HTTP_BAD_GATEWAY;
    }
}

static void describe_failure(const struct upstream_fetch *f, char *out, size_t cap) {
    switch (f->outcome) {
    case UPSTREAM_BUSY:
        snprintf(out, cap, "too many ad fetches in flight, retry later");
        break;
    case UPSTREAM_TIMEOUT:
        snprintf(out, cap, "upstream ad server timed out after %ld ms", f->latency_ms);
        break;
    case UPSTREAM_HTTP_STATUS:
        snprintf(out, cap, "upstream ad server answered HTTP %ld", f->http_status);
        break;
    case UPSTREAM_TOO_LARGE:
        snprintf(out, cap, "upstream ad is larger than the size cap");
        break;
    default:
        snprintf(out, cap, "upstream ad server unreachable: %s", f->error);
        break;
    }
}

static void reply_failure(struct request *req, unsigned status, const char *outcome,
                          const char *message) {
    const struct upstream_fetch *f = &req->fetch;
    if (f->outcome != UPSTREAM_BUSY)
        backend_log_failure(outcome, f->http_status, f->latency_ms, message);
    request_reply_error(req, status, message);
}

/* What a 204 from the upstream is answered with: VAST's own no-fill. */
static const char empty_vast[] = "<VAST version=\"3.0\"/>";

static void mark_duplicate(struct request *req) {
    if (count_state(req)->duplicate) request_add_header(req, "Adstats-Duplicate", "true");
}

static void reply_no_fill(struct request *req) {
    struct upstream_fetch *f = &req->fetch;
    if (f->http_status == MHD_HTTP_NO_CONTENT)
        request_reply_static(req, MHD_HTTP_OK, "application/xml", empty_vast,
                             sizeof(empty_vast) - 1);
    else
        request_reply_body(req, MHD_HTTP_OK, "application/xml", &f->body);
    mark_duplicate(req);
}

/* If the no-fill could not be counted (Redis failed meanwhile), the player
 * still gets its answer: the ad request itself was counted, and a 503 would
 * make the client retry it, counting it twice (or, with an event_id,
 * getting a duplicate whose no-fill is not counted either). The loss is
 * counted in /metrics
 * (adstats_events_lost_total), not logged: one line per event would let an
 * outage flood the log, and the store already reports the outage itself. */
static void no_fill_counted(struct request *req) {
    if (!count_state(req)->duplicate) metrics_no_fill(req->store_status == STORE_OK);
    reply_no_fill(req);
}

enum tracked { TRACKED_ANSWERED, TRACKED_NO_AD, TRACKED_REFUSED };

/* Answers the fetched ad with trackers added; or a no-fill; or leaves the
 * document to vast_check (refused by the injector, or not valid VAST:
 * vast_check says why in its own words). */
static enum tracked answer_tracked(struct request *req) {
    struct upstream_fetch *f = &req->fetch;
    struct buf out;
    char ad_id[TRACKING_AD_ID_HEX + 1];
    buf_init(&out);
    enum vast_inject_status st = tracking_inject(f->body.data, f->body.len, &req->params, &out,
                                                 ad_id);
    if (st != VAST_INJECT_OK) {
        buf_free(&out);
        return st == VAST_INJECT_NO_AD ? TRACKED_NO_AD : TRACKED_REFUSED;
    }
    metrics_injection(true);
    request_reply_body(req, MHD_HTTP_OK, "application/xml", &out);
    request_add_header(req, "Adstats-Ad-Id", ad_id);
    return TRACKED_ANSWERED;
}

/* Answers the fetch, or returns false for a no-fill (a 204, or VAST
 * without an ad), which the caller counts first. */
static bool answer_fetched(struct request *req) {
    struct upstream_fetch *f = &req->fetch;
    char message[512];
    if (f->outcome != UPSTREAM_OK) {
        describe_failure(f, message, sizeof(message));
        reply_failure(req, failure_status(f->outcome), upstream_outcome_name(f->outcome), message);
        return true;
    }
    if (f->http_status == MHD_HTTP_NO_CONTENT) return false;
    if (tracking_enabled()) {
        enum tracked t = answer_tracked(req);
        if (t != TRACKED_REFUSED) return t == TRACKED_ANSWERED;
    }
    enum vast_status vast = vast_check(f->body.data, f->body.len);
    if (vast == VAST_NO_AD) return false;
    if (vast != VAST_OK) {
        snprintf(message, sizeof(message), "upstream ad is not valid VAST: %s",
                 vast_status_text(vast));
        reply_failure(req, MHD_HTTP_BAD_GATEWAY, vast == VAST_WRONG_ROOT ? "not_vast" : "malformed_xml",
                      message);
        return true;
    }
    if (tracking_enabled()) metrics_injection(false);
    request_reply_body(req, MHD_HTTP_OK, "application/xml", &f->body);
    return true;
}

static void ad_fetched(struct request *req) {
    if (answer_fetched(req)) mark_duplicate(req);
    else event_count_no_fill(req, no_fill_counted);
}

/* The parameters that fill the URL's placeholders of the same names. */
static const struct {
    enum urlvar var;
    enum param_id param;
} url_params[] = {
    {URLVAR_SDK_VERSION, PARAM_SDK_VERSION}, {URLVAR_SESSION_ID, PARAM_SESSION_ID},
    {URLVAR_PLATFORM, PARAM_PLATFORM},       {URLVAR_USERNAME, PARAM_USERNAME},
    {URLVAR_COUNTRY_CODE, PARAM_COUNTRY_CODE},
};

/* Whether --trusted-proxies names any: set once by ad_init. */
static bool forwarding_trusted;

static bool ad_init(const struct config *cfg) {
    const char *p = cfg->trusted_proxies;
    p += strspn(p, " \t"); /* blanks only: no proxy (netaddr_list_parse) */
    forwarding_trusted = *p != '\0';
    return true;
}

/* Tells the fetch who it is for; `forwarded_for` holds the joined header
 * until the fetch has started. */
static void describe_client(struct request *req, struct buf *forwarded_for) {
    struct upstream_client *c = &req->fetch.client;
    for (size_t i = 0; i < sizeof(url_params) / sizeof(url_params[0]); i++) {
        const struct param_value *v = &req->params.v[url_params[i].param];
        c->vars[url_params[i].var] = (struct urlvalue){v->data, v->len};
    }
    c->user_agent = request_header(req, MHD_HTTP_HEADER_USER_AGENT);
    c->forwarded_for = NULL;
    if (forwarding_trusted && request_header_all(req, "X-Forwarded-For", forwarded_for)
        && !forwarded_for->failed)
        c->forwarded_for = forwarded_for->data;
    c->peer = request_client_address(req);
}

static void ad_counted(struct request *req) {
    if (req->store_status != STORE_OK) {
        request_reply_store_failure(req, "ad request not counted");
        return;
    }
    if (!count_state(req)->duplicate) metrics_event(event_counted_type(req));
    char storage[512];
    struct buf forwarded_for;
    buf_init_static(&forwarded_for, storage, sizeof(storage));
    describe_client(req, &forwarded_for);
    request_await_fetch(req, ad_fetched);
    buf_free(&forwarded_for);
}

static void handle_ad(struct request *req) {
    event_count_chained(req, EVENT_AD_REQUEST, event_counted_as(req, EVENT_AD_REQUEST),
                        ad_counted);
}

const struct endpoint endpoint_ad = {
    .path = "/ad",
    EVENT_ENDPOINT,
    .init = ad_init,
    .handle = handle_ad,
};
