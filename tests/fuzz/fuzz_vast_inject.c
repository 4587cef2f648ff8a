/* fuzz_vast_inject.c -- libFuzzer target: tracker injection (vast_inject.c)
 * on any bytes.
 *
 * Never a crash, a leak or a read outside the input (ASan). When the input
 * is injected, the output is well-formed VAST again (vast_check), and
 * removing the injected elements gives the input back: walking both, the
 * only other differences allowed are the <TrackingEvents>/<VideoClicks>
 * the injector reports as created (left empty by the removal) and the
 * self-closing tags it reports as expanded ("/>" become "></X>"). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "vast.h"
#include "vast_inject.h"

#define MARK "https://adstats-inj-7f3a9c/"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    vast_init();
    return 0;
}

static bool mark_url(void *ctx, const struct vast_ad_ref *ad, enum vast_event event,
                     struct buf *out) {
    (void)ctx;
    buf_printf(out, MARK "%s/%u", vast_event_name(event), ad->index);
    return true;
}

/* Removes every element whose CDATA starts with MARK, in place. */
static size_t remove_injected(char *s, size_t len) {
    static const char cdata[] = "<![CDATA[" MARK;
    size_t w = 0, r = 0;
    while (r < len) {
        char *hit = memmem(s + r, len - r, cdata, sizeof cdata - 1);
        if (hit == NULL) break;
        size_t at = (size_t)(hit - s), open = at;
        while (open > r && s[open - 1] != '<') open--; /* our start tag */
        if (open == r || s[open - 1] != '<') abort();
        char *end = memmem(hit, len - at, "]]></", 5);
        if (end == NULL) abort();
        char *gt = memchr(end + 5, '>', (size_t)(s + len - (end + 5)));
        if (gt == NULL) abort();
        memmove(s + w, s + r, open - 1 - r);
        w += open - 1 - r;
        r = (size_t)(gt + 1 - s);
    }
    memmove(s + w, s + r, len - r);
    return w + len - r;
}

/* An empty <[P:]TrackingEvents></...> or VideoClicks at s: its length, or 0. */
static size_t created_at(const char *s, size_t len, size_t *name_len) {
    if (len < 2 || s[0] != '<' || s[1] == '/') return 0;
    const char *gt = memchr(s, '>', len);
    if (gt == NULL) return 0;
    size_t n = (size_t)(gt - s - 1);
    bool te = n >= 14 && memcmp(gt - 14, "TrackingEvents", 14) == 0;
    bool vc = n >= 11 && memcmp(gt - 11, "VideoClicks", 11) == 0;
    if (!te && !vc) return 0;
    if (memchr(s + 1, ' ', n) != NULL || (size_t)(gt + 1 - s) + n + 3 > len) return 0;
    const char *close = gt + 1;
    if (close[0] != '<' || close[1] != '/' || memcmp(close + 2, s + 1, n) != 0 || close[2 + n] != '>')
        return 0;
    *name_len = n;
    return 2 * n + 5;
}

/* The input at `in` opens the element named out[1..1+n) too. */
static bool same_tag(const char *in, size_t len, const char *out, size_t n) {
    return len > n + 1 && memcmp(in, out, n + 1) == 0 && strchr("/> \t\r\n", in[n + 1]) != NULL
           && in[n + 1] != '\0';
}

static void check_same(const char *in, size_t in_len, const char *out, size_t out_len,
                       const struct vast_inject_stats *st) {
    size_t i = 0, j = 0, n;
    unsigned created = 0, expanded = 0;
    while (i < in_len || j < out_len) {
        size_t c = created_at(out + j, out_len - j, &n);
        if (c && !same_tag(in + i, in_len - i, out + j, n)) {
            j += c, created++;
            continue;
        }
        if (i < in_len && j < out_len && in[i] == out[j]) {
            i++, j++;
            continue;
        }
        if (in_len - i >= 2 && in[i] == '/' && in[i + 1] == '>' && j < out_len && out[j] == '>') {
            size_t k = j + 1;
            while ((c = created_at(out + k, out_len - k, &n)) != 0) k += c, created++;
            if (out_len - k < 3 || out[k] != '<' || out[k + 1] != '/') abort();
            const char *gt = memchr(out + k, '>', out_len - k);
            if (gt == NULL) abort();
            i += 2, j = (size_t)(gt + 1 - out), expanded++;
            continue;
        }
        abort(); /* a byte of the input changed */
    }
    if (created != st->created || expanded != st->expanded) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *doc = (const char *)data;
    static const struct vast_inject_urls urls = {mark_url, NULL};
    struct buf out;
    buf_init(&out);
    struct vast_inject_stats st;
    if (vast_inject(doc, size, &urls, &out, &st) != VAST_INJECT_OK) {
        if (out.len != 0) abort();
        buf_free(&out);
        return 0;
    }
    if (vast_check(out.data, out.len) != VAST_OK) abort();
    if (memmem(doc, size, "adstats-inj-7f3a9c", 18) == NULL) {
        size_t len = remove_injected(out.data, out.len);
        check_same(doc, size, out.data, len, &st);
    }
    buf_free(&out);
    return 0;
}
