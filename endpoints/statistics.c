/* statistics.c -- GET /statistics: impressions, ad requests and fill rate
 * of one user, SDK version, country or platform (DELETE: see
 * statistics_delete.c).
 *
 * The subject is chosen by username=, sdk=, country= or platform=; when
 * several are given, the one that comes first in the query wins, as it did
 * in the Flask service. Without any, the 400 names only username and sdk,
 * byte for byte the Flask message (country and platform are documented
 * instead). Optional:
 *   unique_sessions=1  adds "unique_sessions" (a HyperLogLog estimate); a
 *                      400 for a dimension --sessions-dimensions leaves out
 *   no_fills=1         adds "no_fills": ad requests the upstream had no ad
 *                      for (fill_rate stays impressions / ad_requests)
 *   video=1            adds the tracking pixels' counts (GET /t): "starts",
 *                      "first_quartiles", "midpoints", "third_quartiles",
 *                      "completes", "clicks", "completion_rate" (completes /
 *                      starts) and "ctr" (clicks / impressions)
 *   invalid=1          adds "invalid": events and pixels --ivt-filter
 *                      counted as invalid traffic instead
 *   from=, to=         restrict the counts to those UTC days (inclusive)
 *   interval=day       adds a per-day "series"
 * A range defaults to the 30 days up to `to`, and `to` to today; it may
 * span at most 400 days. The flags apply to the totals and to every day of
 * a series. Without those options the answer is exactly the Flask one: {"success": true, "<value>": {"impressions": I,
 * "ad_requests": R, "fill_rate": F}}. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "day.h"
#include "endpoint.h"
#include "json.h"
#include "request.h"
#include "stats_range.h"
#include "statistics.h"

#define RANGE_DEFAULT_DAYS 30
#define RANGE_PARAMS \
    (PARAM_BIT(PARAM_FROM) | PARAM_BIT(PARAM_TO) | PARAM_BIT(PARAM_INTERVAL))

/* ---- the answer -------------------------------------------------------- */

static void reply_not_found(struct request *req, const struct param_value *who) {
    struct buf body, message;
    buf_init(&body);
    buf_init(&message);
    buf_append(&message, who->data, who->len);
    buf_append_str(&message, " not found");
    buf_append_str(&body, "{\"success\": false, \"message\": ");
    json_append_string(&body, message.data, message.len);
    buf_append_char(&body, '}');
    buf_free(&message);
    request_reply_json(req, MHD_HTTP_NOT_FOUND, &body);
}

/* The optional members (enum stats_member) the query asks for. */
static unsigned members_asked(const struct request *req) {
    return (params_flag(&req->params, PARAM_NO_FILLS) ? STATS_NO_FILLS : 0)
         | (params_flag(&req->params, PARAM_UNIQUE_SESSIONS) ? STATS_SESSIONS : 0)
         | (params_flag(&req->params, PARAM_VIDEO) ? STATS_VIDEO : 0)
         | (params_flag(&req->params, PARAM_INVALID) ? STATS_INVALID : 0);
}

/* {"success": true, "<value>": {<members>, then `extra`}} */
static void reply_counts(struct request *req, const struct param_value *who,
                         const struct stats_counts *c,
                         void (*extra)(struct buf *, const void *), const void *arg) {
    struct buf body;
    buf_init(&body);
    buf_append_str(&body, "{\"success\": true, ");
    json_append_string(&body, who->data, who->len);
    buf_append_str(&body, ": {");
    stats_append_members(&body, c, members_asked(req));
    if (extra != NULL) extra(&body, arg);
    buf_append_str(&body, "}}");
    request_reply_json(req, MHD_HTTP_OK, &body);
}

static void append_date(struct buf *body, const char *name, long day) {
    char date[DAY_ISO_LEN + 1];
    day_format_iso(day, date);
    buf_printf(body, ", \"%s\": \"%s\"", name, date);
}

struct range_answer {
    const struct stats_range *range;
    bool series;
    unsigned members;  /* of every day */
};

static void append_range(struct buf *body, const void *arg) {
    const struct range_answer *a = arg;
    const struct stats_range *r = a->range;
    append_date(body, "from", r->from);
    append_date(body, "to", r->to);
    if (!a->series) return;
    buf_append_str(body, ", \"series\": [");
    for (long day = r->from; day <= r->to; day++) {
        char date[DAY_ISO_LEN + 1];
        day_format_iso(day, date);
        buf_printf(body, "%s{\"date\": \"%s\", ", day == r->from ? "" : ", ", date);
        stats_append_members(body, &r->days[day - r->from].counts, a->members);
        buf_append_char(body, '}');
    }
    buf_append_char(body, ']');
}

/* ---- all-time statistics ----------------------------------------------- */

/* The all-time counts are read into the request's scratch. */
static void total_reply(struct store_batch *b, size_t index, const redisReply *reply) {
    struct request *req = request_of_batch(b);
    stats_read_total(req->scratch, index, reply, members_asked(req));
}

static void total_read(struct request *req) {
    enum dimension dim;
    const struct param_value *who = dimension_filter(&req->params, &dim);
    const struct stats_counts *c = req->scratch;
    if (req->store_status != STORE_OK)
        request_reply_store_failure(req, "statistics not read");
    else if (!c->found)
        reply_not_found(req, who);
    else
        reply_counts(req, who, c, NULL, NULL);
}

static void read_total(struct request *req, enum dimension dim, const struct param_value *who) {
    req->scratch = calloc(1, sizeof(struct stats_counts));
    if (req->scratch == NULL) {
        request_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    store_batch_init(&req->batch, total_reply, NULL);
    stats_add_totals(&req->batch, dim, who->data, who->len,
                     params_flag(&req->params, PARAM_UNIQUE_SESSIONS), members_asked(req));
    request_await_store(req, total_read);
}

/* ---- a range of days --------------------------------------------------- */

/* Reads from=, to= and their defaults; answers 400 and returns false if the
 * range is reversed or too long. */
static bool parse_range(struct request *req, long *from, long *to) {
    const struct param_value *f = &req->params.v[PARAM_FROM], *t = &req->params.v[PARAM_TO];
    *to = clock_today();
    if (t->data != NULL) day_parse(t->data, t->len, to); /* validated already */
    *from = *to - (RANGE_DEFAULT_DAYS - 1);
    if (*from < DAY_MIN) *from = DAY_MIN;
    if (f->data != NULL) day_parse(f->data, f->len, from);

    char message[160], a[DAY_ISO_LEN + 1], b[DAY_ISO_LEN + 1];
    day_format_iso(*from, a);
    day_format_iso(*to, b);
    switch (day_range_check(*from, *to, STATS_RANGE_MAX_DAYS)) {
    case DAY_RANGE_OK: return true;
    case DAY_RANGE_REVERSED:
        snprintf(message, sizeof(message), "invalid range: from (%s) is after to (%s)", a, b);
        break;
    case DAY_RANGE_TOO_LONG:
        snprintf(message, sizeof(message),
                 "invalid range: %s to %s spans %ld days; at most %d are allowed", a, b,
                 *to - *from + 1, STATS_RANGE_MAX_DAYS);
        break;
    }
    request_reply_error(req, MHD_HTTP_BAD_REQUEST, message);
    return false;
}

static void range_reply(struct store_batch *b, size_t index, const redisReply *reply) {
    stats_range_reply(request_of_batch(b)->scratch, index, reply);
}

static void range_read(struct request *req) {
    enum dimension dim;
    const struct param_value *who = dimension_filter(&req->params, &dim);
    struct stats_range *r = req->scratch;
    if (req->store_status != STORE_OK) {
        request_reply_store_failure(req, "statistics not read");
        return;
    }
    if (!r->total.found) {
        reply_not_found(req, who);
        return;
    }
    stats_range_finish(r);
    if (r->corrupt) {
        request_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "unique sessions could not be read (corrupt HyperLogLog)");
        return;
    }
    struct range_answer a = {r, r->series, members_asked(req)};
    reply_counts(req, who, &r->total, append_range, &a);
}

static void read_range(struct request *req, enum dimension dim, const struct param_value *who) {
    long from, to;
    if (!parse_range(req, &from, &to)) return;
    struct stats_range *r = stats_range_new(from, to,
                                            params_flag(&req->params, PARAM_UNIQUE_SESSIONS),
                                            req->params.v[PARAM_INTERVAL].data != NULL,
                                            members_asked(req));
    req->scratch = r;
    req->scratch_free = stats_range_free;
    if (r == NULL
        || !stats_range_prepare(r, &req->batch, dim, who->data, who->len, range_reply, NULL)) {
        request_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    request_await_store(req, range_read);
}

/* ---- dispatch ---------------------------------------------------------- */

static void handle_statistics(struct request *req) {
    if (req->method == METHOD_DELETE) {
        statistics_delete(req);
        return;
    }
    enum dimension dim;
    const struct param_value *who = dimension_filter(&req->params, &dim);
    if (params_flag(&req->params, PARAM_UNIQUE_SESSIONS) && !dimension_has_sessions(dim)) {
        char message[200];
        snprintf(message, sizeof(message),
                 "unique_sessions is not counted for %s on this server: it counts them only "
                 "for the dimensions of --sessions-dimensions (SESSIONS_DIMENSIONS)",
                 dimension_spec(dim)->name);
        request_reply_error(req, MHD_HTTP_BAD_REQUEST, message);
        return;
    }
    bool ranged = params_any(&req->params, RANGE_PARAMS);
    if (ranged) read_range(req, dim, who);
    else read_total(req, dim, who);
}

const struct endpoint endpoint_statistics = {
    .path = "/statistics",
    .methods = METHOD_GET | METHOD_DELETE,
    .permitted = DIMENSION_FILTERS | RANGE_PARAMS | PARAM_BIT(PARAM_UNIQUE_SESSIONS)
               | PARAM_BIT(PARAM_NO_FILLS) | PARAM_BIT(PARAM_VIDEO) | PARAM_BIT(PARAM_INVALID),
    .required_one = DIMENSION_FILTERS,
    .required_one_shown = PARAM_BIT(PARAM_USERNAME) | PARAM_BIT(PARAM_SDK),
    .admin_methods = METHOD_DELETE,
    .headers = response_no_store,
    .handle = handle_statistics,
};
