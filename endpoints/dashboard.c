/* dashboard.c -- GET / and GET /dashboard[/FILE]: the statistics dashboard,
 * a single page (dashboard/ in the source tree) that reads the JSON API
 * from the browser.
 *
 * Its files are compiled into the binary (embedded.h), so serving them
 * needs no file system, CDN or build step at run time. Each file's two
 * responses -- 200 with the bytes, 304 for a matching If-None-Match -- are
 * built once at start-up over the embedded bytes and shared by every
 * request: serving a file allocates nothing. The ETag is a hash of the
 * bytes and Cache-Control is no-cache, so a browser revalidates each time
 * and gets a new build at once, an unchanged one as a bodiless 304.
 *
 * Every response of these endpoints, errors included, carries a strict
 * Content-Security-Policy: the page may run only its own scripts, load only
 * its own styles, talk only to this origin, and be framed by nobody. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "endpoint.h"
#include "request.h"

#define DASHBOARD_PATH "/dashboard"
#define INDEX_FILE "index.html"
#define NAME_SHOWN_MAX 64

static const struct http_header security_headers[] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {NULL, NULL},
};

struct asset {
    const struct embedded_file *file;
    char etag[24];                      /* "\"" 16 hex digits "\"" */
    struct MHD_Response *ok;            /* 200 with the bytes */
    struct MHD_Response *not_modified;  /* 304 */
};

static struct asset *assets;
static size_t n_assets;

static const struct {
    const char *ext;
    const char *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

static const char *content_type(const char *name) {
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot != NULL && i < sizeof(content_types) / sizeof(content_types[0]); i++) {
        if (strcmp(dot, content_types[i].ext) == 0) return content_types[i].type;
    }
    return "application/octet-stream";
}

/* 64-bit FNV-1a: enough to tell builds apart, not a security measure. */
static unsigned long long fnv1a(const unsigned char *data, size_t len) {
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= data[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- start-up and shutdown ---------------------------------------------- */

static bool build_asset(struct asset *a, const struct embedded_file *f) {
    a->file = f;
    snprintf(a->etag, sizeof(a->etag), "\"%016llx\"", fnv1a(f->data, f->len));
    const struct http_header caching[] = {
        {MHD_HTTP_HEADER_ETAG, a->etag},
        {MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache"},
        {NULL, NULL},
    };
    a->ok = response_new_static(f->data, f->len, content_type(f->name), caching);
    a->not_modified = response_new_static("", 0, NULL, caching);
    return a->ok != NULL && a->not_modified != NULL
           && response_add_headers(a->ok, security_headers)
           && response_add_headers(a->not_modified, security_headers);
}

static void dashboard_cleanup(void) {
    for (size_t i = 0; i < n_assets; i++) {
        if (assets[i].ok != NULL) MHD_destroy_response(assets[i].ok);
        if (assets[i].not_modified != NULL) MHD_destroy_response(assets[i].not_modified);
    }
    free(assets);
    assets = NULL;
    n_assets = 0;
}

static bool dashboard_init(const struct config *cfg) {
    (void)cfg;
    size_t n = 0;
    while (dashboard_files[n].name != NULL) n++;
    assets = calloc(n > 0 ? n : 1, sizeof(*assets));
    if (assets == NULL) return false;
    for (size_t i = 0; i < n; i++) {
        n_assets = i + 1; /* first, so that cleanup frees a partly built one */
        if (!build_asset(&assets[i], &dashboard_files[i])) {
            dashboard_cleanup();
            return false;
        }
    }
    return true;
}

/* ---- requests ------------------------------------------------------------ */

/* "/", "/dashboard" and "/dashboard/" are the page; "/dashboard/NAME" is
 * the file NAME. NULL for any other path. */
static const char *file_name(const char *path) {
    static const char prefix[] = DASHBOARD_PATH "/";
    if (strcmp(path, "/") == 0 || strcmp(path, DASHBOARD_PATH) == 0) return INDEX_FILE;
    if (strncmp(path, prefix, sizeof(prefix) - 1) != 0) return NULL;
    const char *name = path + sizeof(prefix) - 1;
    return *name == '\0' ? INDEX_FILE : name;
}

static const struct asset *find_asset(const char *name) {
    for (size_t i = 0; name != NULL && i < n_assets; i++) {
        if (strcmp(assets[i].file->name, name) == 0) return &assets[i];
    }
    return NULL;
}

/* If-None-Match holds our ETag (among others, weak or not) or is "*". */
static bool not_modified(const struct request *req, const struct asset *a) {
    const char *inm = request_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH);
    return inm != NULL && (strcmp(inm, "*") == 0 || strstr(inm, a->etag) != NULL);
}

/* Names are echoed only when short and plain. */
static void reply_no_such_file(struct request *req, const char *name) {
    char message[128];
    bool plain = name != NULL && strlen(name) <= NAME_SHOWN_MAX
                 && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789._-") == strlen(name);
    snprintf(message, sizeof(message), "no such dashboard file%s%s", plain ? ": " : "",
             plain ? name : "");
    request_reply_error(req, MHD_HTTP_NOT_FOUND, message);
}

static void handle_dashboard(struct request *req) {
    const char *name = file_name(request_path(req));
    const struct asset *a = find_asset(name);
    if (a == NULL) reply_no_such_file(req, name);
    else if (not_modified(req, a)) request_reply_shared(req, MHD_HTTP_NOT_MODIFIED, a->not_modified);
    else request_reply_shared(req, MHD_HTTP_OK, a->ok);
}

const struct endpoint endpoint_dashboard = {
    .path = DASHBOARD_PATH,
    .subtree = true,
    .methods = METHOD_GET | METHOD_HEAD,
    .headers = security_headers,
    .init = dashboard_init,
    .cleanup = dashboard_cleanup,
    .handle = handle_dashboard,
};

/* The site's root is the dashboard too. */
const struct endpoint endpoint_root = {
    .path = "/",
    .methods = METHOD_GET | METHOD_HEAD,
    .headers = security_headers,
    .handle = handle_dashboard,
};
