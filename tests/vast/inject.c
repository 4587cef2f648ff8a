/* inject.c -- vast_inject() from the command line, for tests/vast/check.py
 * and a quick measurement.
 *
 *   vast-inject IN OUT           injects into file IN, writes OUT, prints
 *                                one JSON line: status and statistics
 *   vast-inject --bench N FILE...  per file: microseconds per document of
 *                                vast_check() and of vast_check() followed
 *                                by vast_inject(), N rounds each
 *
 * Injected URLs are https://adstats.test/t?ev=EVENT&ad=INDEX[&id=ID], the
 * id percent-encoded: recognisable, so that the checker can find them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "vast.h"
#include "vast_inject.h"

static bool test_url(void *ctx, const struct vast_ad_ref *ad, enum vast_event event,
                     struct buf *out) {
    (void)ctx;
    buf_printf(out, "https://adstats.test/t?ev=%s&ad=%u", vast_event_name(event), ad->index);
    if (ad->id == NULL) return true;
    buf_append_str(out, "&id=");
    for (size_t i = 0; i < ad->id_len; i++) {
        unsigned char c = (unsigned char)ad->id[i];
        if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-')
            buf_append_char(out, (char)c);
        else
            buf_printf(out, "%%%02X", c);
    }
    return true;
}

static const struct vast_inject_urls urls = {test_url, NULL};

/* The file's bytes on the heap, or NULL (and a message on stderr). */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    struct buf b;
    buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
    int bad = ferror(f) | fclose(f);
    if (bad || b.failed) {
        fprintf(stderr, "%s: cannot read it\n", path);
        buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return buf_steal(&b);
}

static int inject_file(const char *in_path, const char *out_path) {
    size_t len;
    char *doc = slurp(in_path, &len);
    if (doc == NULL) return 1;
    struct buf out;
    buf_init(&out);
    struct vast_inject_stats st = {0};
    enum vast_inject_status status = vast_inject(doc, len, &urls, &out, &st);
    FILE *f = fopen(out_path, "wb");
    int rc = f == NULL;
    if (f != NULL) {
        if (status == VAST_INJECT_OK) fwrite(out.data, 1, out.len, f);
        else fwrite(doc, 1, len, f); /* passed on unchanged, as /ad would */
        rc = ferror(f) | fclose(f);
    }
    printf("{\"status\": \"%s\", \"ok\": %s, \"ads\": %u, \"linears\": %u, \"inserted\": %u, "
           "\"created\": %u, \"expanded\": %u}\n",
           vast_inject_status_text(status), status == VAST_INJECT_OK ? "true" : "false",
           st.ads, st.linears, st.inserted, st.created, st.expanded);
    buf_free(&out);
    free(doc);
    return rc;
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int bench_file(const char *path, long rounds) {
    size_t len;
    char *doc = slurp(path, &len);
    if (doc == NULL) return 1;
    struct buf out;
    buf_init(&out);
    double t0 = now_us();
    for (long i = 0; i < rounds; i++)
        if (vast_check(doc, len) != VAST_OK) break;
    double t1 = now_us();
    for (long i = 0; i < rounds; i++) {
        buf_reset(&out);
        if (vast_check(doc, len) != VAST_OK) break;
        if (vast_inject(doc, len, &urls, &out, NULL) != VAST_INJECT_OK) break;
    }
    double t2 = now_us();
    printf("%-50s %6zu B  check %6.1f us  check+inject %6.1f us  (%.2fx)\n", path, len,
           (t1 - t0) / rounds, (t2 - t1) / rounds, (t2 - t1) / (t1 - t0));
    buf_free(&out);
    free(doc);
    return 0;
}

int main(int argc, char **argv) {
    vast_init();
    if (argc >= 3 && strcmp(argv[1], "--bench") == 0) {
        long rounds = atol(argv[2]);
        if (rounds <= 0) return 2;
        int rc = 0;
        for (int i = 3; i < argc; i++) rc |= bench_file(argv[i], rounds);
        return rc;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: vast-inject IN OUT | vast-inject --bench N FILE...\n");
        return 2;
    }
    return inject_file(argv[1], argv[2]);
}
