/* upstream.c -- event-driven VAST fetches with libcurl multi; see
 * upstream.h.
 *
 * This is curl's multi_socket pattern on libevent (as in curl's
 * multi-event example): curl tells us which sockets to watch
 * (on_curl_socket) and when to time out (on_curl_timer); libevent tells
 * curl what happened (on_socket_event, on_timeout); after each action we
 * collect finished transfers (collect_finished). Easy handles are kept in
 * a free list and reused, and the multi handle's connection cache keeps
 * upstream connections alive between fetches.
 *
 * Per fetch, the device's headers go out in a curl_slist that the fetch
 * owns until it ends (finish_fetch, or a failed start); a handle goes back
 * to the free list with its header option cleared. The URL is expanded per
 * fetch only when the template has placeholders; otherwise the handle keeps
 * the URL it was made with and a fetch does no URL work at all. */
#include "upstream.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "forwarded.h"
#include "log.h"
#include "metrics.h"
#include "netaddr.h"

struct upstream {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    char url[1024];
    struct urltemplate url_template;
    bool url_varies;             /* the template has placeholders */
    struct netaddr_list trusted; /* --trusted-proxies */
    uint64_t rng;                /* xorshift64* state, for {cachebuster} */
    int timeout_ms;
    long max_bytes;
    int limit;
    int in_flight;
    struct upstream_fetch *active; /* in flight, for upstream_abort_all */
    bool closing;

    CURL **idle;      /* free list of easy handles */
    int n_idle;
};

struct socket_watch {
    struct event *ev;
    struct upstream *up;
};

const char *upstream_outcome_name(enum upstream_outcome outcome) {
    switch (outcome) {
    case UPSTREAM_OK: return "ok";
    case UPSTREAM_BUSY: return "busy";
    case UPSTREAM_CONNECT: return "connect_error";
    case UPSTREAM_TIMEOUT: return "timeout";
    case UPSTREAM_HTTP_STATUS: return "http_status";
    case UPSTREAM_TOO_LARGE: return "too_large";
    case UPSTREAM__COUNT: break;
    }
    return "unknown";
}

const char *upstream_url(const struct upstream *up) {
    return up->url;
}

/* --vast-limit holds for the whole process, not per worker: the kernel
 * does not spread connections evenly enough to split it. */
static atomic_int fetches_in_flight;

static bool claim_slot(const struct upstream *up) {
    if (atomic_fetch_add_explicit(&fetches_in_flight, 1, memory_order_relaxed) < up->limit)
        return true;
    atomic_fetch_sub_explicit(&fetches_in_flight, 1, memory_order_relaxed);
    return false;
}

static void release_slot(void) {
    atomic_fetch_sub_explicit(&fetches_in_flight, 1, memory_order_relaxed);
}

/* ---- finishing transfers ----------------------------------------------- */

enum upstream_outcome upstream_classify(int curl_code, long http_status, size_t body_len,
                                        long max_bytes) {
    if (curl_code == CURLE_OPERATION_TIMEDOUT) return UPSTREAM_TIMEOUT;
    if (curl_code == CURLE_WRITE_ERROR && (long)body_len > max_bytes) return UPSTREAM_TOO_LARGE;
    if (curl_code != CURLE_OK) return UPSTREAM_CONNECT;
    if (http_status < 200 || http_status > 299) return UPSTREAM_HTTP_STATUS;
    return UPSTREAM_OK;
}

/* Returns a handle to the free list, without the fetch's headers (which
 * the fetch still owns and frees). */
static void release_easy(struct upstream *up, CURL *easy) {
    curl_multi_remove_handle(up->multi, easy);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
    if (up->n_idle < up->limit) up->idle[up->n_idle++] = easy;
    else curl_easy_cleanup(easy);
}

static void free_headers(struct upstream_fetch *f) {
    curl_slist_free_all(f->headers);
    f->headers = NULL;
}

static void finish_fetch(struct upstream_fetch *f, CURLcode code) {
    struct upstream *up = f->up;
    curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->http_status);
    f->outcome = upstream_classify(code, f->http_status, f->body.len, up->max_bytes);
    if (code != CURLE_OK && f->error[0] == '\0')
        snprintf(f->error, sizeof(f->error), "%s", curl_easy_strerror(code));
    long long latency_us = clock_monotonic_us() - f->started_us;
    f->latency_ms = latency_us / 1000;
    release_easy(up, f->easy);
    f->easy = NULL;
    free_headers(f);
    up->in_flight--;
    release_slot();
    if (f->prev) f->prev->next = f->next;
    else up->active = f->next;
    if (f->next) f->next->prev = f->prev;
    metrics_upstream_done(f->outcome, true, latency_us);
    f->on_done(f);
}

static void collect_finished(struct upstream *up) {
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(up->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) continue;
        struct upstream_fetch *f;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
        finish_fetch(f, msg->data.result);
    }
}

/* ---- curl <-> libevent ------------------------------------------------- */

static void on_socket_event(evutil_socket_t fd, short what, void *arg) {
    struct upstream *up = arg;
    int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(up->multi, fd, action, &running);
    collect_finished(up);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg) {
    struct upstream *up = arg;
    int running;
    (void)fd;
    (void)what;
    curl_multi_socket_action(up->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect_finished(up);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *arg) {
    struct upstream *up = arg;
    (void)multi;
    if (timeout_ms < 0) {
        evtimer_del(up->timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    return evtimer_add(up->timer, &tv) == 0 ? 0 : -1;
}

static void unwatch(struct socket_watch *w) {
    if (w == NULL) return;
    event_free(w->ev);
    free(w);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *socketp) {
    struct upstream *up = arg;
    struct socket_watch *w = socketp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        unwatch(w);
        curl_multi_assign(up->multi, fd, NULL);
        return 0;
    }
    short events = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0)
                 | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (w == NULL) {
        w = calloc(1, sizeof(*w));
        if (w == NULL) return -1;
        w->up = up;
        curl_multi_assign(up->multi, fd, w);
    } else {
        event_free(w->ev);
    }
    w->ev = event_new(up->base, fd, events, on_socket_event, up);
    if (w->ev == NULL || event_add(w->ev, NULL) != 0) return -1;
    return 0;
}

/* ---- starting transfers ------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t n, void *arg) {
    struct upstream_fetch *f = arg;
    size_t len = size * n;
    if ((long)(f->body.len + len) > f->up->max_bytes) {
        f->body.len += len; /* remembered so upstream_classify can tell why */
        return 0;
    }
    buf_append(&f->body, data, len);
    return f->body.failed ? 0 : len;
}

static CURL *new_easy(struct upstream *up) {
    CURL *easy = curl_easy_init();
    if (easy == NULL) return NULL;
    curl_easy_setopt(easy, CURLOPT_URL, up->url);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)up->timeout_ms);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "adstats");
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    return easy;
}

static CURL *take_easy(struct upstream *up) {
    if (up->n_idle > 0) return up->idle[--up->n_idle];
    return new_easy(up);
}

/* ---- what the fetch tells the ad server ------------------------------- */

/* A random number of 9 digits, as the IAB's [CACHEBUSTING] macro asks for
 * 8 or more: xorshift64*, seeded per upstream in upstream_new. */
static long long next_cachebuster(struct upstream *up) {
    up->rng ^= up->rng >> 12;
    up->rng ^= up->rng << 25;
    up->rng ^= up->rng >> 27;
    return 100000000 + (long long)((up->rng * 0x2545F4914F6CDD1DULL) >> 32) % 900000000;
}

static bool set_url(struct upstream *up, struct upstream_fetch *f, CURL *easy) {
    struct urlvalue vars[URLVAR__COUNT];
    char cachebuster[24], timestamp[24], storage[2048];
    memcpy(vars, f->client.vars, sizeof(vars));
    if (up->url_template.uses & URLVAR_BIT(URLVAR_CACHEBUSTER)) {
        int n = snprintf(cachebuster, sizeof(cachebuster), "%lld", next_cachebuster(up));
        vars[URLVAR_CACHEBUSTER] = (struct urlvalue){cachebuster, (size_t)n};
    }
    if (up->url_template.uses & URLVAR_BIT(URLVAR_TIMESTAMP)) {
        int n = snprintf(timestamp, sizeof(timestamp), "%lld", clock_now_ms() / 1000);
        vars[URLVAR_TIMESTAMP] = (struct urlvalue){timestamp, (size_t)n};
    }
    struct buf url;
    buf_init_static(&url, storage, sizeof(storage));
    urltemplate_expand(&up->url_template, vars, &url);
    bool ok = !url.failed && curl_easy_setopt(easy, CURLOPT_URL, url.data) == CURLE_OK;
    buf_free(&url);
    return ok;
}

/* Appends "name: value" to the fetch's header list. */
static bool add_header(struct upstream_fetch *f, const char *name, const struct buf *value) {
    char storage[FORWARDED_UA_MAX + 64];
    struct buf line;
    buf_init_static(&line, storage, sizeof(storage));
    buf_printf(&line, "%s: %.*s", name, (int)value->len, value->data);
    struct curl_slist *list = line.failed ? NULL : curl_slist_append(f->headers, line.data);
    buf_free(&line);
    if (list == NULL) return false;
    f->headers = list;
    return true;
}

static bool set_headers(struct upstream *up, struct upstream_fetch *f, CURL *easy) {
    const struct upstream_client *c = &f->client;
    char storage[FORWARDED_UA_MAX + 1];
    struct buf value;
    bool ok = true;
    buf_init_static(&value, storage, sizeof(storage));
    if (c->user_agent != NULL) forwarded_append_clean(&value, c->user_agent, FORWARDED_UA_MAX);
    if (value.len > 0)
        ok = add_header(f, "User-Agent", &value) && add_header(f, "X-Device-User-Agent", &value);
    struct netaddr peer;
    if (ok && netaddr_from_sockaddr(c->peer, &peer)) {
        buf_reset(&value);
        forwarded_for(&value, &up->trusted, &peer, c->forwarded_for);
        ok = !value.failed && add_header(f, "X-Forwarded-For", &value);
    }
    ok = ok && !value.failed;
    buf_free(&value);
    return ok && curl_easy_setopt(easy, CURLOPT_HTTPHEADER, f->headers) == CURLE_OK;
}

static void refuse(struct upstream_fetch *f, enum upstream_outcome outcome, const char *why) {
    f->outcome = outcome;
    f->latency_ms = 0;
    snprintf(f->error, sizeof(f->error), "%s", why);
    metrics_upstream_done(outcome, false, 0);
    f->on_done(f);
}

void upstream_start(struct upstream *up, struct upstream_fetch *f) {
    f->up = up;
    f->http_status = 0;
    f->error[0] = '\0';
    f->headers = NULL;
    buf_init(&f->body);
    if (up->closing) {
        refuse(f, UPSTREAM_CONNECT, "adstats is shutting down");
        return;
    }
    if (!claim_slot(up)) {
        refuse(f, UPSTREAM_BUSY, "too many upstream fetches in flight");
        return;
    }
    CURL *easy = take_easy(up);
    if (easy == NULL) {
        release_slot();
        refuse(f, UPSTREAM_CONNECT, "out of memory");
        return;
    }
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, f);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, f->error);
    f->started_us = clock_monotonic_us();
    const char *why = NULL;
    if ((up->url_varies && !set_url(up, f, easy)) || !set_headers(up, f, easy))
        why = "out of memory";
    else if (curl_multi_add_handle(up->multi, easy) != CURLM_OK)
        why = "cannot start the transfer";
    if (why != NULL) {
        release_easy(up, easy); /* back to the free list: it is as good as before */
        free_headers(f);
        release_slot();
        refuse(f, UPSTREAM_CONNECT, why);
        return;
    }
    f->easy = easy;
    up->in_flight++;
    metrics_upstream_started();
    f->prev = NULL;
    f->next = up->active;
    if (up->active) up->active->prev = f;
    up->active = f;
}

void upstream_abort_all(struct upstream *up) {
    up->closing = true;
    while (up->active != NULL) {
        struct upstream_fetch *f = up->active;
        snprintf(f->error, sizeof(f->error), "adstats is shutting down");
        finish_fetch(f, CURLE_ABORTED_BY_CALLBACK);
    }
}

struct upstream *upstream_new(struct event_base *base, const struct config *cfg) {
    struct upstream *up = calloc(1, sizeof(*up));
    if (up == NULL) return NULL;
    up->base = base;
    snprintf(up->url, sizeof(up->url), "%s", cfg->vast_url);
    char why[256];
    /* Both were checked by config_load: these fail only without memory. */
    if (!urltemplate_parse(&up->url_template, cfg->vast_url, why, sizeof(why))
        || !netaddr_list_parse(cfg->trusted_proxies, &up->trusted, why, sizeof(why))) {
        log_error("upstream: %s", why);
        upstream_free(up);
        return NULL;
    }
    up->url_varies = up->url_template.uses != 0;
    if (getrandom(&up->rng, sizeof(up->rng), GRND_NONBLOCK) != (ssize_t)sizeof(up->rng))
        up->rng = (uint64_t)clock_monotonic_us() ^ (uint64_t)(uintptr_t)up;
    up->rng |= 1; /* xorshift must not start at 0 */
    up->timeout_ms = cfg->vast_timeout_ms;
    up->max_bytes = cfg->vast_max_bytes;
    up->limit = cfg->vast_limit;
    up->idle = calloc((size_t)up->limit, sizeof(CURL *));
    up->multi = curl_multi_init();
    up->timer = evtimer_new(base, on_timeout, up);
    if (up->idle == NULL || up->multi == NULL || up->timer == NULL) {
        upstream_free(up);
        return NULL;
    }
    curl_multi_setopt(up->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(up->multi, CURLMOPT_SOCKETDATA, up);
    curl_multi_setopt(up->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(up->multi, CURLMOPT_TIMERDATA, up);
    curl_multi_setopt(up->multi, CURLMOPT_MAXCONNECTS, (long)up->limit);
    curl_multi_setopt(up->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)up->limit);
    return up;
}

void upstream_free(struct upstream *up) {
    for (int i = 0; i < up->n_idle; i++) curl_easy_cleanup(up->idle[i]);
    urltemplate_free(&up->url_template);
    netaddr_list_free(&up->trusted);
    free(up->idle);
    if (up->multi) curl_multi_cleanup(up->multi);
    if (up->timer) event_free(up->timer);
    free(up);
}
