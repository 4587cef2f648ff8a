/* vast_inject.c -- tracker injection into a VAST document; see vast_inject.h.
 *
 * Splicing, not rewriting. libxml2 parses the document once with SAX (the
 * hardened parse of vast.c, vast_sax_parse) only to learn byte offsets; the
 * output is the original bytes, copied up to each insertion point, with the
 * new elements between them. Encoding, whitespace, comments, namespace
 * prefixes, attribute quoting: all stay as the upstream sent them. The copy
 * streams while the parse runs, because every insertion point is decided
 * in document order (a decision may wait for the next sibling, never for a
 * later insertion); when the parse then fails, the output is dropped.
 *
 * Offsets. The input is the caller's buffer, parsed from memory; with no
 * encoder (UTF-8 or ASCII) libxml2's position, consumed + (cur - base), is a
 * byte offset into it. When startElementNs runs, cur is on the '>' or the
 * "/>" closing the start tag; when endElementNs runs, just past the '>' of
 * the end tag (or of the "/>"). Each offset is checked against those bytes
 * before use: a mismatch stops the injection (UNSUPPORTED), never a wrong
 * splice. The '<' opening a tag is found by scanning back from there: no
 * attribute value may hold a raw '<'. Documents in other encodings (UTF-16,
 * ISO-8859-1 ...) are refused, to be passed on unchanged: their offsets
 * would need re-encoding, and ad servers send UTF-8.
 *
 * Where, by VAST version (the root's version attribute; the IAB schemas
 * vast3_draft.xsd and vast_4.2.xsd; VAST 2.0 orders these like 3.0):
 *
 *   <Impression>  after the first existing <Impression>, in every version.
 *                 None: 2.x/3.x, before <Creatives> (or <Extensions>, or
 *                 the end of the ad); 4.x, after the last of <AdSystem>,
 *                 <Error>, <Extensions> (AdDefinitionBase_type's order).
 *   <Tracking>    at the end of <TrackingEvents>. None: a new one after
 *                 <Icons> and, in 2.x/3.x, after <Duration> (4.x puts
 *                 TrackingEvents before Duration), else first in <Linear>.
 *   <ClickTracking>  4.x: first in <VideoClicks> (ClickTracking*,
 *                 ClickThrough?, CustomClick*). 2.x/3.x: before the first
 *                 <ClickTracking> or <CustomClick>, else last (ClickThrough?,
 *                 ClickTracking*, CustomClick*). No <VideoClicks>: a new one,
 *                 in 2.x/3.x before <MediaFiles>, else last in <Linear>.
 *
 * A document without a version attribute gets the 2.x/3.x places. VAST 1.0
 * (<VideoAdServingTemplate>, another structure altogether) is refused.
 * Only elements of the root's namespace count, and only on the path
 * VAST/Ad/(InLine|Wrapper)/Creatives/Creative/Linear/...: an <Impression>
 * inside <Extensions> is someone else's. New elements take their parent's
 * namespace prefix. Self-closing parents are expanded: <TrackingEvents/>
 * becomes <TrackingEvents>...</TrackingEvents>. */
#include "vast_inject.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdint.h>
#include <string.h>

#include "vast.h"

/* The elements that matter, by where they stand. */
enum name {
    N_OTHER, N_VAST, N_AD, N_ADDEF, /* N_ADDEF: <InLine> or <Wrapper> */
    N_IMPRESSION, N_ADSYSTEM, N_ERROR, N_EXTENSIONS, N_CREATIVES,
    N_CREATIVE, N_LINEAR,
    N_TRACKING_EVENTS, N_VIDEO_CLICKS, N_ICONS, N_DURATION, N_MEDIA_FILES,
    N_CLICK_TRACKING, N_CUSTOM_CLICK,
};

/* VAST/Ad/InLine/Creatives/Creative/Linear/VideoClicks/ClickTracking */
#define MAX_DEPTH 8

struct frame {
    enum name name;
    const xmlChar *localname; /* interned by the parser's dictionary */
    const xmlChar *prefix;    /* NULL for none; same */
    bool empty;               /* self-closing: <X/> */
};

struct inject {
    const char *doc;
    size_t len;
    size_t copied;            /* doc[0..copied) is in out */
    struct buf *out;
    const struct vast_inject_urls *urls;
    struct vast_inject_stats stats;
    enum vast_inject_status status;
    bool failed;              /* stop: status says why */
    bool v4;                  /* 4.x places (see above) */
    bool any_ad;
    const xmlChar *uri;       /* the root's namespace */
    unsigned depth;
    struct frame path[MAX_DEPTH + 1]; /* path[1] is the root, path[0] N_OTHER */

    /* The ad being read. */
    struct vast_ad_ref ad;
    unsigned ads_seen;
    char ad_id[VAST_INJECT_MAX_ID];
    bool impression_done;
    size_t impression_at;     /* 4.x: where a missing Impression goes */

    /* The <Linear> being read. */
    bool tracking_seen, tracking_done, clicks_seen, clicks_done;
    size_t tracking_at;       /* where a missing TrackingEvents goes */
};

static void fail(struct inject *in, xmlParserCtxtPtr ctxt, enum vast_inject_status status) {
    if (in->failed) return;
    in->failed = true;
    in->status = status;
    if (ctxt != NULL) xmlStopParser(ctxt);
}

/* ---- offsets ------------------------------------------------------------ */

static bool here(xmlParserCtxtPtr ctxt, struct inject *in, size_t *off) {
    xmlParserInputPtr input = ctxt->input;
    if (ctxt->inputNr != 1 || input == NULL || input->cur < input->base) return false;
    size_t pos = input->consumed + (size_t)(input->cur - input->base);
    if (pos > in->len) return false;
    *off = pos;
    return true;
}

/* The start tag just read ends at *close ('>' or "/>"); sets *empty. */
static bool start_tag_close(xmlParserCtxtPtr ctxt, struct inject *in, size_t *close, bool *empty) {
    size_t off;
    if (!here(ctxt, in, &off) || off >= in->len) return false;
    *empty = in->doc[off] == '/';
    if (*empty && (off + 1 >= in->len || in->doc[off + 1] != '>')) return false;
    if (!*empty && in->doc[off] != '>') return false;
    *close = off;
    return true;
}

/* The '<' of the tag whose '>' (or "/>") is at or before `from`. */
static bool tag_open(const struct inject *in, size_t from, size_t *open) {
    for (size_t i = from + 1; i-- > in->copied;) {
        if (in->doc[i] != '<') continue;
        *open = i;
        return true;
    }
    return false;
}

/* ---- output ------------------------------------------------------------- */

/* Appends a string literal, its length known at compile time. */
#define PUT_LITERAL(in, lit) buf_append((in)->out, lit, sizeof(lit) - 1)

static void copy_to(struct inject *in, xmlParserCtxtPtr ctxt, size_t off) {
    if (in->failed) return;
    if (off < in->copied || off > in->len) {
        fail(in, ctxt, VAST_INJECT_UNSUPPORTED); /* out of order: a bug, not a splice */
        return;
    }
    buf_append(in->out, in->doc + in->copied, off - in->copied);
    in->copied = off;
}

static void put_name(struct inject *in, const xmlChar *prefix, const char *name) {
    if (prefix != NULL) {
        buf_append_str(in->out, (const char *)prefix);
        buf_append_char(in->out, ':');
    }
    buf_append_str(in->out, name);
}

static void put_open(struct inject *in, const xmlChar *prefix, const char *name) {
    buf_append_char(in->out, '<');
    put_name(in, prefix, name);
    buf_append_char(in->out, '>');
}

static void put_close(struct inject *in, const xmlChar *prefix, const char *name) {
    PUT_LITERAL(in, "</");
    put_name(in, prefix, name);
    buf_append_char(in->out, '>');
}

/* True if s[0..n) holds "]]>", which would end the URL's CDATA section.
 * memchr first: a URL rarely has a ']' at all (a tracker URL never does). */
static bool ends_cdata(const char *s, size_t n) {
    for (const char *p = memchr(s, ']', n); p != NULL; p = memchr(p + 1, ']', n - (size_t)(p + 1 - s))) {
        if (n - (size_t)(p - s) >= 3 && p[1] == ']' && p[2] == '>') return true;
    }
    return false;
}

static void put_url(struct inject *in, xmlParserCtxtPtr ctxt, enum vast_event event) {
    size_t from = in->out->len;
    if (!in->urls->url(in->urls->ctx, &in->ad, event, in->out)) {
        fail(in, ctxt, VAST_INJECT_URL_FAILED);
        return;
    }
    if (in->out->failed) return;
    size_t n = in->out->len - from;
    if (n == 0 || ends_cdata(in->out->data + from, n)) fail(in, ctxt, VAST_INJECT_URL_FAILED);
}

/* <P:name attr><![CDATA[url]]></P:name> */
static void put_tracker(struct inject *in, xmlParserCtxtPtr ctxt, const xmlChar *prefix,
                        const char *name, enum vast_event event, bool with_event) {
    if (in->failed) return;
    buf_append_char(in->out, '<');
    put_name(in, prefix, name);
    if (with_event) {
        PUT_LITERAL(in, " event=\"");
        buf_append_str(in->out, vast_event_name(event));
        buf_append_char(in->out, '"');
    }
    PUT_LITERAL(in, "><![CDATA[");
    put_url(in, ctxt, event);
    PUT_LITERAL(in, "]]>");
    put_close(in, prefix, name);
    in->stats.inserted++;
}

static const enum vast_event video_events[] = {
    VAST_EVENT_START, VAST_EVENT_FIRST_QUARTILE, VAST_EVENT_MIDPOINT,
    VAST_EVENT_THIRD_QUARTILE, VAST_EVENT_COMPLETE,
};

static void put_trackings(struct inject *in, xmlParserCtxtPtr ctxt, const xmlChar *prefix) {
    for (size_t i = 0; i < sizeof video_events / sizeof video_events[0]; i++)
        put_tracker(in, ctxt, prefix, "Tracking", video_events[i], true);
}

static void put_click(struct inject *in, xmlParserCtxtPtr ctxt, const xmlChar *prefix) {
    put_tracker(in, ctxt, prefix, "ClickTracking", VAST_EVENT_CLICK, false);
}

static void put_impression(struct inject *in, xmlParserCtxtPtr ctxt, size_t at,
                           const xmlChar *prefix) {
    copy_to(in, ctxt, at);
    put_tracker(in, ctxt, prefix, "Impression", VAST_EVENT_IMPRESSION, false);
    in->impression_done = true;
}

/* A whole new <TrackingEvents> or <VideoClicks> in the <Linear> with `prefix`. */
static void put_new_tracking_events(struct inject *in, xmlParserCtxtPtr ctxt, const xmlChar *prefix) {
    put_open(in, prefix, "TrackingEvents");
    put_trackings(in, ctxt, prefix);
    put_close(in, prefix, "TrackingEvents");
    in->tracking_done = true;
    in->stats.created++;
}

static void put_new_video_clicks(struct inject *in, xmlParserCtxtPtr ctxt, const xmlChar *prefix) {
    put_open(in, prefix, "VideoClicks");
    put_click(in, ctxt, prefix);
    put_close(in, prefix, "VideoClicks");
    in->clicks_done = true;
    in->stats.created++;
}

/* Moves the copy to just before the end of the element `f` that just ended
 * at `end`: before its end tag, or, self-closing, in place of its "/>"
 * (expand_end() then writes ">" now and the end tag after the content). */
static void inside_end(struct inject *in, xmlParserCtxtPtr ctxt, const struct frame *f, size_t end) {
    if (f->empty) {
        copy_to(in, ctxt, end - 2);
        in->copied = end;
        buf_append_char(in->out, '>');
        in->stats.expanded++;
        return;
    }
    size_t open;
    if (end == 0 || !tag_open(in, end - 1, &open)) {
        fail(in, ctxt, VAST_INJECT_UNSUPPORTED);
        return;
    }
    copy_to(in, ctxt, open);
}

static void expand_end(struct inject *in, const struct frame *f) {
    if (f->empty) put_close(in, f->prefix, (const char *)f->localname);
}

/* ---- where an element stands -------------------------------------------- */

struct child { enum name parent; const char *name; enum name is; };

static const struct child children[] = {
    {N_VAST, "Ad", N_AD},
    {N_AD, "InLine", N_ADDEF}, {N_AD, "Wrapper", N_ADDEF},
    {N_ADDEF, "Impression", N_IMPRESSION}, {N_ADDEF, "AdSystem", N_ADSYSTEM},
    {N_ADDEF, "Error", N_ERROR}, {N_ADDEF, "Extensions", N_EXTENSIONS},
    {N_ADDEF, "Creatives", N_CREATIVES},
    {N_CREATIVES, "Creative", N_CREATIVE},
    {N_CREATIVE, "Linear", N_LINEAR},
    {N_LINEAR, "TrackingEvents", N_TRACKING_EVENTS}, {N_LINEAR, "VideoClicks", N_VIDEO_CLICKS},
    {N_LINEAR, "Icons", N_ICONS}, {N_LINEAR, "Duration", N_DURATION},
    {N_LINEAR, "MediaFiles", N_MEDIA_FILES},
    {N_VIDEO_CLICKS, "ClickTracking", N_CLICK_TRACKING},
    {N_VIDEO_CLICKS, "CustomClick", N_CUSTOM_CLICK},
};

static enum name classify(const struct inject *in, enum name parent, const xmlChar *localname,
                          const xmlChar *uri) {
    if (parent == N_OTHER || !xmlStrEqual(uri, in->uri)) return N_OTHER;
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
        if (children[i].parent == parent && xmlStrEqual(localname, BAD_CAST children[i].name))
            return children[i].is;
    return N_OTHER;
}

/* Comes before <TrackingEvents> in a <Linear>. */
static bool before_tracking_events(const struct inject *in, enum name n) {
    return n == N_ICONS || (!in->v4 && n == N_DURATION);
}

/* Comes before <Impression> in 4.x's AdDefinitionBase_type. */
static bool before_impression(enum name n) {
    return n == N_ADSYSTEM || n == N_ERROR || n == N_EXTENSIONS;
}

/* The root's version attribute: 4.x or not. */
static bool version_4(int n_attributes, const xmlChar **attributes) {
    for (int i = 0; i < n_attributes; i++) {
        const xmlChar **a = attributes + 5 * i; /* localname, prefix, URI, value, end */
        if (a[1] != NULL || !xmlStrEqual(a[0], BAD_CAST "version")) continue;
        const xmlChar *v = a[3];
        while (v < a[4] && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')) v++;
        unsigned major = 0;
        while (v < a[4] && *v >= '0' && *v <= '9' && major < 1000) major = major * 10 + (unsigned)(*v++ - '0');
        return major >= 4;
    }
    return false;
}

static void read_ad(struct inject *in, int n_attributes, const xmlChar **attributes) {
    in->ad.index = in->ads_seen++;
    in->ad.id = NULL;
    in->ad.id_len = 0;
    for (int i = 0; i < n_attributes; i++) {
        const xmlChar **a = attributes + 5 * i;
        if (a[1] != NULL || !xmlStrEqual(a[0], BAD_CAST "id")) continue;
        /* Without entity substitution libxml2 hands "&amp;" on as "&#38;",
         * and a raw '&' cannot be in a value: every '&' starts one. */
        size_t n = 0;
        for (const xmlChar *v = a[3]; v < a[4]; n++) {
            if (n == sizeof in->ad_id) return;
            bool amp = *v == '&' && a[4] - v >= 5 && memcmp(v, "&#38;", 5) == 0;
            in->ad_id[n] = (char)*v;
            v += amp ? 5 : 1;
        }
        in->ad.id = in->ad_id;
        in->ad.id_len = n;
    }
}

/* ---- SAX callbacks ------------------------------------------------------ */

static bool open_root(struct inject *in, xmlParserCtxtPtr ctxt, const xmlChar *localname,
                      const xmlChar *uri, int n_attributes, const xmlChar **attributes) {
    if (ctxt->input->buf == NULL || ctxt->input->buf->encoder != NULL) {
        fail(in, ctxt, VAST_INJECT_UNSUPPORTED); /* offsets are not bytes of doc */
        return false;
    }
    if (xmlStrEqual(localname, BAD_CAST "VideoAdServingTemplate")) {
        fail(in, ctxt, VAST_INJECT_UNSUPPORTED);
        return false;
    }
    if (!xmlStrEqual(localname, BAD_CAST "VAST")) {
        fail(in, ctxt, VAST_INJECT_NOT_VAST);
        return false;
    }
    in->uri = uri;
    in->v4 = version_4(n_attributes, attributes);
    return true;
}

/* A child `n` of <InLine>/<Wrapper> begins at `open`. */
static void addef_child(struct inject *in, xmlParserCtxtPtr ctxt, const struct frame *parent,
                        enum name n, size_t open) {
    if (in->impression_done || n == N_IMPRESSION) return;
    if (in->v4 && !before_impression(n))
        put_impression(in, ctxt, in->impression_at, parent->prefix);
    else if (!in->v4 && (n == N_CREATIVES || n == N_EXTENSIONS))
        put_impression(in, ctxt, open, parent->prefix);
}

/* A child `n` of <Linear> begins at `open`. */
static void linear_child(struct inject *in, xmlParserCtxtPtr ctxt, const struct frame *parent,
                         enum name n, size_t open) {
    if (!in->tracking_seen && !in->tracking_done && n != N_TRACKING_EVENTS
        && !before_tracking_events(in, n)) {
        copy_to(in, ctxt, in->tracking_at);
        put_new_tracking_events(in, ctxt, parent->prefix);
    }
    if (n == N_TRACKING_EVENTS) in->tracking_seen = true;
    if (n == N_VIDEO_CLICKS) in->clicks_seen = true;
    if (!in->v4 && n == N_MEDIA_FILES && !in->clicks_seen && !in->clicks_done) {
        copy_to(in, ctxt, open);
        put_new_video_clicks(in, ctxt, parent->prefix);
    }
}

/* The start tag of element `n` (in `f`) closes at `close`. */
static void opened(struct inject *in, xmlParserCtxtPtr ctxt, const struct frame *f,
                   const struct frame *parent, size_t close, int n_attributes,
                   const xmlChar **attributes) {
    size_t open = 0;
    bool child_of_interest = parent->name == N_ADDEF || parent->name == N_LINEAR
                             || parent->name == N_VIDEO_CLICKS;
    if (child_of_interest && !tag_open(in, close, &open)) {
        fail(in, ctxt, VAST_INJECT_UNSUPPORTED);
        return;
    }
    if (parent->name == N_ADDEF) addef_child(in, ctxt, parent, f->name, open);
    if (parent->name == N_LINEAR) linear_child(in, ctxt, parent, f->name, open);
    if (parent->name == N_VIDEO_CLICKS && !in->clicks_done
        && (f->name == N_CLICK_TRACKING || f->name == N_CUSTOM_CLICK)) {
        copy_to(in, ctxt, open); /* 2.x/3.x: after ClickThrough, before the rest */
        put_click(in, ctxt, parent->prefix);
        in->clicks_done = true;
    }

    switch (f->name) {
    case N_AD:
        read_ad(in, n_attributes, attributes);
        break;
    case N_ADDEF:
        in->any_ad = true;
        in->stats.ads++;
        in->impression_done = f->empty; /* <InLine/>: no ad to count */
        in->impression_at = close + 1;
        break;
    case N_LINEAR:
        in->stats.linears++;
        in->tracking_seen = in->tracking_done = in->clicks_seen = in->clicks_done = false;
        in->tracking_at = close + 1;
        break;
    case N_VIDEO_CLICKS:
        if (!in->v4 || f->empty) break;
        copy_to(in, ctxt, close + 1);
        put_click(in, ctxt, f->prefix);
        in->clicks_done = true;
        break;
    default:
        break;
    }
}

static void open_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                         const xmlChar *uri, int n_namespaces, const xmlChar **namespaces,
                         int n_attributes, int n_defaulted, const xmlChar **attributes) {
    xmlParserCtxtPtr ctxt = ctx;
    struct inject *in = ctxt->_private;
    (void)n_namespaces, (void)namespaces, (void)n_defaulted;
    if (in->failed) return;
    in->depth++;
    if (in->depth > MAX_DEPTH) return;
    if (in->depth == 1 && !open_root(in, ctxt, localname, uri, n_attributes, attributes)) return;

    struct frame *f = &in->path[in->depth];
    const struct frame *parent = &in->path[in->depth - 1];
    f->name = in->depth == 1 ? N_VAST : classify(in, parent->name, localname, uri);
    /* Unknown children of these still decide where things go. */
    if (f->name == N_OTHER && parent->name != N_ADDEF && parent->name != N_LINEAR
        && parent->name != N_VIDEO_CLICKS)
        return;
    f->localname = localname;
    f->prefix = prefix;
    size_t close;
    if (!start_tag_close(ctxt, in, &close, &f->empty)) {
        fail(in, ctxt, VAST_INJECT_UNSUPPORTED);
        return;
    }
    if (in->depth > 1) opened(in, ctxt, f, parent, close, n_attributes, attributes);
}

/* <InLine>/<Wrapper> ends at `end`. */
static void addef_closed(struct inject *in, xmlParserCtxtPtr ctxt, const struct frame *f, size_t end) {
    if (in->impression_done) return;
    if (in->v4) {
        put_impression(in, ctxt, in->impression_at, f->prefix);
        return;
    }
    inside_end(in, ctxt, f, end);
    put_impression(in, ctxt, in->copied, f->prefix);
}

static void linear_closed(struct inject *in, xmlParserCtxtPtr ctxt, const struct frame *f, size_t end) {
    if (f->empty) {
        inside_end(in, ctxt, f, end);
        put_new_tracking_events(in, ctxt, f->prefix);
        put_new_video_clicks(in, ctxt, f->prefix);
        expand_end(in, f);
        return;
    }
    if (!in->tracking_seen && !in->tracking_done) {
        copy_to(in, ctxt, in->tracking_at);
        put_new_tracking_events(in, ctxt, f->prefix);
    }
    if (!in->clicks_seen && !in->clicks_done) {
        inside_end(in, ctxt, f, end);
        put_new_video_clicks(in, ctxt, f->prefix);
    }
}

/* Element `f`, child of `parent`, ends at `end`. */
static void closed(struct inject *in, xmlParserCtxtPtr ctxt, const struct frame *f,
                   const struct frame *parent, size_t end) {
    if (parent->name == N_ADDEF) {
        if (f->name == N_IMPRESSION && !in->impression_done)
            put_impression(in, ctxt, end, parent->prefix);
        if (before_impression(f->name)) in->impression_at = end;
    }
    if (parent->name == N_LINEAR && before_tracking_events(in, f->name)) in->tracking_at = end;

    switch (f->name) {
    case N_ADDEF:
        addef_closed(in, ctxt, f, end);
        break;
    case N_LINEAR:
        linear_closed(in, ctxt, f, end);
        break;
    case N_TRACKING_EVENTS:
        inside_end(in, ctxt, f, end);
        put_trackings(in, ctxt, f->prefix);
        expand_end(in, f);
        break;
    case N_VIDEO_CLICKS:
        if (in->clicks_done) break;
        inside_end(in, ctxt, f, end);
        put_click(in, ctxt, f->prefix);
        in->clicks_done = true;
        expand_end(in, f);
        break;
    default:
        break;
    }
}

static void close_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                          const xmlChar *uri) {
    xmlParserCtxtPtr ctxt = ctx;
    struct inject *in = ctxt->_private;
    (void)localname, (void)prefix, (void)uri;
    if (in->failed || in->depth == 0) return;
    unsigned depth = in->depth--;
    if (depth > MAX_DEPTH || depth < 2 || in->path[depth].name == N_OTHER) return;
    size_t end;
    if (!here(ctxt, in, &end) || end < 2 || in->doc[end - 1] != '>') {
        fail(in, ctxt, VAST_INJECT_UNSUPPORTED);
        return;
    }
    closed(in, ctxt, &in->path[depth], &in->path[depth - 1], end);
}

static const xmlSAXHandler inject_sax = {
    .startElementNs = open_element,
    .endElementNs = close_element,
};

/* ---- the API ------------------------------------------------------------ */

enum vast_inject_status vast_inject(const char *doc, size_t len,
                                    const struct vast_inject_urls *urls,
                                    struct buf *out, struct vast_inject_stats *stats) {
    if (doc == NULL || len == 0) return VAST_INJECT_MALFORMED;
    if (len > INT32_MAX) return VAST_INJECT_TOO_LARGE;
    size_t out_len = out->len;
    struct inject in = {
        .doc = doc, .len = len, .out = out, .urls = urls, .status = VAST_INJECT_OK,
    };
    bool well_formed = vast_sax_parse(doc, len, &inject_sax, &in);
    if (!in.failed && !well_formed) in.status = VAST_INJECT_MALFORMED;
    else if (!in.failed && !in.any_ad) in.status = VAST_INJECT_NO_AD;
    if (in.status == VAST_INJECT_OK) copy_to(&in, NULL, len);
    if (in.status == VAST_INJECT_OK && out->failed) in.status = VAST_INJECT_NO_MEMORY;
    if (in.status != VAST_INJECT_OK) {
        out->len = out_len;
        return in.status;
    }
    if (stats != NULL) *stats = in.stats;
    return VAST_INJECT_OK;
}

const char *vast_event_name(enum vast_event event) {
    switch (event) {
    case VAST_EVENT_IMPRESSION: return "impression";
    case VAST_EVENT_START: return "start";
    case VAST_EVENT_FIRST_QUARTILE: return "firstQuartile";
    case VAST_EVENT_MIDPOINT: return "midpoint";
    case VAST_EVENT_THIRD_QUARTILE: return "thirdQuartile";
    case VAST_EVENT_COMPLETE: return "complete";
    case VAST_EVENT_CLICK: return "click";
    }
    return "unknown";
}

const char *vast_inject_status_text(enum vast_inject_status status) {
    switch (status) {
    case VAST_INJECT_OK: return "injected";
    case VAST_INJECT_NO_AD: return "VAST without an ad";
    case VAST_INJECT_NOT_VAST: return "root element is not VAST";
    case VAST_INJECT_MALFORMED: return "malformed XML";
    case VAST_INJECT_TOO_LARGE: return "document too large";
    case VAST_INJECT_UNSUPPORTED: return "VAST 1.0 or an encoding other than UTF-8";
    case VAST_INJECT_URL_FAILED: return "no usable tracking URL";
    case VAST_INJECT_NO_MEMORY: return "out of memory";
    }
    return "unknown";
}
