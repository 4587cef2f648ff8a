/* track.c -- GET /t?k=<token>[&e=<event>]: a tracking pixel of an ad that
 * /ad served with --tracking-url (tracking.h).
 *
 * The token says everything: the event, the five fields of the ad request
 * it was served for, the served ad's id and its serve time, signed. A
 * token that does not verify -- forged, altered, cut short, signed with a
 * key this server does not hold, expired (--tracking-ttl) or from the
 * future, of an unknown version -- is a 403 with the reason, and nothing
 * is counted; so is one whose `e` (optional, for logs and people reading
 * URLs) names another event than the token. A valid pixel counts its event
 * as an event of those five fields would be counted (count.h, events.h):
 * the impression in the impressions of all four dimensions, the video
 * events and clicks in their own counters. Its dedupe id is its event id
 * (tracking.h): the first firing counts, later ones are answered the same
 * and not counted. The answer is a 1x1 transparent GIF, never cached,
 * prebuilt once (per CORS variant) and shared by every pixel.
 * With --ivt-filter, invalid traffic is answered the same and counted as
 * `invalid`. Redis down: 503, as for /impression. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "count.h"
#include "endpoint.h"
#include "metrics.h"
#include "request.h"
#include "tracking.h"

/* The smallest transparent 1x1 GIF (GIF89a, one-colour palette). */
static const unsigned char pixel_gif[] = {
    'G', 'I', 'F', '8', '9', 'a', 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
};

static struct shared_response pixel_response;

static bool track_init(const struct config *cfg) {
    (void)cfg;
    return shared_response_init(&pixel_response, pixel_gif, sizeof(pixel_gif), "image/gif",
                                response_no_store);
}

static void track_cleanup(void) {
    shared_response_free(&pixel_response);
}

/* The verified claims, and the pixel's dedupe id, which the request's
 * event parameters point into while it is counted. */
struct pixel {
    struct track_claims claims;
    char dedupe_id[TRACKING_DEDUPE_MAX + 1];
};

static void reply_forbidden(struct request *req, const char *message) {
    metrics_pixel_forbidden();
    request_reply_error(req, MHD_HTTP_FORBIDDEN, message);
}

static void pixel_counted(struct request *req) {
    const struct pixel *px = req->scratch;
    if (req->store_status != STORE_OK) {
        request_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "statistics store unavailable: pixel not counted, retry later");
        return;
    }
    enum event_type type = tracking_event_type(px->claims.event);
    metrics_pixel(type, count_state(req)->duplicate ? METRICS_PIXEL_DUPLICATE : METRICS_PIXEL_COUNTED);
    if (!count_state(req)->duplicate) metrics_event(event_counted_type(req));
    request_reply_shared_variant(req, MHD_HTTP_OK, &pixel_response);
}

/* The pixel is counted as an event of the ad request's fields: they, and
 * its dedupe id as event_id, take the place of the request's (absent)
 * event parameters. */
static void set_event_params(struct request *req, struct pixel *px) {
    for (int f = 0; f < TRACK_FIELDS; f++) {
        req->params.v[f] = (struct param_value){px->claims.field[f], px->claims.field_len[f],
                                                req->params.v[f].order};
    }
    size_t n = tracking_dedupe_id(&px->claims, px->dedupe_id);
    req->params.v[PARAM_EVENT_ID] = (struct param_value){px->dedupe_id, n, 0};
}

static void handle_track(struct request *req) {
    const struct param_value *k = &req->params.v[PARAM_K], *e = &req->params.v[PARAM_E];
    struct pixel *px = malloc(sizeof(*px));
    req->scratch = px;
    if (px == NULL) {
        request_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    enum track_token_status st = tracking_verify(k->data, k->len, &px->claims);
    if (st != TRACK_OK) {
        reply_forbidden(req, track_token_status_message(st));
        return;
    }
    enum track_event named;
    if (e->data != NULL && (!track_event_parse(e->data, e->len, &named)
                            || named != px->claims.event)) {
        reply_forbidden(req, "tracking token is for another event than e names");
        return;
    }
    set_event_params(req, px);
    enum event_type type = tracking_event_type(px->claims.event);
    event_count_as(req, type, event_counted_as(req, type), pixel_counted);
}

const struct endpoint endpoint_track = {
    .path = "/t",
    .methods = METHOD_GET,
    .permitted = PARAM_BIT(PARAM_K) | PARAM_BIT(PARAM_E),
    .required = PARAM_BIT(PARAM_K),
    .headers = response_no_store,
    .handle = handle_track,
    .init = track_init,
    .cleanup = track_cleanup,
};
