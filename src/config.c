/* config.c -- settings table, parsing and validation; see config.h.
 *
 * One row per setting names its flag, environment variable, default, type
 * and help. Loading applies the sources in order of increasing precedence,
 * each through the same `apply_setting`, so a bad value is reported the
 * same way wherever it came from: one line on stderr, and the caller exits
 * with status 2. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cluster.h"
#include "cors.h"
#include "dimension.h"
#include "netaddr.h"
#include "track_token.h"
#include "urltemplate.h"
#include "version.h"

#ifndef ADSTATS_DATADIR
#define ADSTATS_DATADIR "/usr/local/share/adstats" /* the Makefile passes $(PREFIX)'s */
#endif

/* T_SECRET: a string that config_describe masks; T_TRACK_KEY: one that
 * must also serve as a tracking key (or be empty). T_BASE_URL: an http(s)
 * URL without placeholders, or empty. */
enum setting_type { T_INT, T_LONG, T_STRING, T_SECRET, T_REDIS_URL, T_HTTP_URL, T_LEVEL, T_ORIGIN,
                    T_NOW, T_ADDRESSES, T_SEEDS, T_DIMENSIONS, T_TRACK_KEY, T_BASE_URL };

struct setting {
    const char *flag;     /* without the leading "--" */
    const char *env;
    const char *fallback; /* default, as text */
    enum setting_type type;
    size_t offset;        /* into struct config */
    size_t size;          /* for strings: capacity */
    long min, max;        /* for numbers */
    const char *help;
};

#define INT_SETTING(f, e, d, field, lo, hi, h) \
    {f, e, d, T_INT, offsetof(struct config, field), 0, lo, hi, h}
#define LONG_SETTING(f, e, d, field, lo, hi, h) \
    {f, e, d, T_LONG, offsetof(struct config, field), 0, lo, hi, h}
#define STR_SETTING(f, e, d, type, field, h) \
    {f, e, d, type, offsetof(struct config, field), sizeof(((struct config *)0)->field), 0, 0, h}

static const struct setting settings[] = {
    INT_SETTING("port", "PORT", "5000", port, 1, 65535, "TCP port to serve HTTP on"),
    STR_SETTING("bind", "BIND", "0.0.0.0", T_STRING, bind, "IPv4 address to listen on"),
    INT_SETTING("threads", "THREADS", "0", threads, 0, 256,
                "HTTP worker threads (0: one per core)"),
    INT_SETTING("max-connections", "MAX_CONNECTIONS", "10000", max_connections, 1, 1000000,
                "most open client connections; more are refused"),
    INT_SETTING("idle-timeout-s", "IDLE_TIMEOUT_S", "30", idle_timeout_s, 1, 3600,
                "seconds before an idle client connection is closed"),
    STR_SETTING("redis-url", "REDIS_URL", "redis://127.0.0.1:6379/0", T_REDIS_URL, redis_url,
                "redis://[[user]:password@]host[:port][/db]"),
    INT_SETTING("redis-timeout-ms", "REDIS_TIMEOUT_MS", "500", redis_timeout_ms, 10, 60000,
                "bound on every Redis round trip"),
    STR_SETTING("redis-cluster", "REDIS_CLUSTER", "", T_SEEDS, redis_cluster,
                "Redis Cluster seeds host:port,...; --redis-url then gives only the credentials"),
    INT_SETTING("redis-wait-replicas", "REDIS_WAIT_REPLICAS", "0", redis_wait_replicas, 0, 16,
                "events succeed once WAIT confirms this many replicas"),
    STR_SETTING("vast-url", "VAST_URL", "http://127.0.0.1:8081/vast", T_HTTP_URL, vast_url,
                "upstream ad server that /ad fetches VAST from; may hold placeholders"),
    INT_SETTING("vast-timeout-ms", "VAST_TIMEOUT_MS", "2000", vast_timeout_ms, 1, 600000,
                "bound on each upstream fetch, connect included"),
    INT_SETTING("vast-limit", "VAST_LIMIT", "1000", vast_limit, 1, 1000000,
                "most upstream fetches in flight; more get 503"),
    LONG_SETTING("vast-max-bytes", "VAST_MAX_BYTES", "1048576", vast_max_bytes, 1, 1L << 30,
                 "largest upstream body accepted"),
    STR_SETTING("trusted-proxies", "TRUSTED_PROXIES", "", T_ADDRESSES, trusted_proxies,
                "IPs/CIDRs whose X-Forwarded-For is believed, comma-separated"),
    STR_SETTING("error-log", "BACKEND_ERROR_LOG", "backend_errors.log", T_STRING, error_log,
                "file for upstream failures (5 a second per outcome, then a summary)"),
    INT_SETTING("drain-ms", "DRAIN_MS", "5000", drain_ms, 0, 600000,
                "on SIGTERM, how long in-flight requests may finish"),
    STR_SETTING("log-level", "LOG_LEVEL", "info", T_LEVEL, log_level,
                "error, warn, info or debug"),
    STR_SETTING("access-log", "ACCESS_LOG", "", T_STRING, access_log,
                "JSON-lines access log: a file, - for stdout, empty for none"),
    STR_SETTING("cors-origin", "CORS_ORIGIN", "", T_ORIGIN, cors_origin,
                "CORS: *, or origins (https://host[:port]) separated by commas"),
    INT_SETTING("cors-credentials", "CORS_CREDENTIALS", "0", cors_credentials, 0, 1,
                "CORS: 1 allows credentials (cookies) for the listed origins"),
    INT_SETTING("retention-days", "RETENTION_DAYS", "400", retention_days, 1, 3650,
                "days that daily statistics are kept"),
    STR_SETTING("events-stream", "EVENTS_STREAM", "", T_STRING, events_stream,
                "Redis stream of counted events, empty for none"),
    LONG_SETTING("events-maxlen", "EVENTS_MAXLEN", "1000000", events_maxlen, 1, 1000000000L,
                 "approximate length the stream is kept at"),
    STR_SETTING("sessions-dimensions", "SESSIONS_DIMENSIONS", DIMENSION_SESSIONS_DEFAULT,
                T_DIMENSIONS, sessions_dimensions,
                "dimensions that count unique sessions (HyperLogLogs)"),
    INT_SETTING("index-flush-ms", "INDEX_FLUSH_MS", "100", index_flush_ms, 0, 60000,
                "top lists and unique sessions are written this often (0: every loop turn)"),
    /* Below the largest limit of /statistics/top (100: TOP_MAX,
     * endpoints/top.c), that endpoint lists at most this many: for tests. */
    INT_SETTING("top-size", "TOP_SIZE", "1000", top_size, 1, 1000000,
                "members each top list is kept at (100+: /statistics/top's largest limit)"),
    STR_SETTING("admin-token", "ADMIN_TOKEN", "", T_SECRET, admin_token,
                "bearer token of admin requests, empty: 403"),
    STR_SETTING("tracking-url", "TRACKING_URL", "", T_BASE_URL, tracking_url,
                "public base URL of GET /t: /ad injects VAST trackers; empty: none"),
    STR_SETTING("tracking-secret", "TRACKING_SECRET", "", T_TRACK_KEY, tracking_secret,
                "HMAC key that signs tracking tokens (16+ bytes; needed by --tracking-url)"),
    STR_SETTING("tracking-secret-previous", "TRACKING_SECRET_PREVIOUS", "", T_TRACK_KEY,
                tracking_secret_previous, "the key before a rotation: still accepted"),
    /* At most as long as an event id is remembered (events.h), so that a
     * pixel stays deduplicated for as long as it is valid. */
    INT_SETTING("tracking-ttl", "TRACKING_TTL", "86400", tracking_ttl_s, 60, 86400,
                "seconds a tracking pixel stays valid after its ad was served"),
    INT_SETTING("ivt-filter", "IVT_FILTER", "0", ivt_filter, 0, 1,
                "1: count crawler and denied traffic as invalid, not as events"),
    STR_SETTING("ivt-user-agents", "IVT_USER_AGENTS", ADSTATS_DATADIR "/ivt-user-agents.txt",
                T_STRING, ivt_user_agents, "User-Agent pattern file of --ivt-filter"),
    STR_SETTING("ivt-deny", "IVT_DENY", "", T_ADDRESSES, ivt_deny,
                "IPs/CIDRs whose traffic --ivt-filter counts as invalid"),
    STR_SETTING("now", "ADSTATS_NOW", "", T_NOW, now,
                "testing only: fixed clock, YYYY-MM-DD or epoch s"),
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

/* ---- URLs -------------------------------------------------------------- */

static bool copy_part(char *dst, size_t cap, const char *src, size_t len) {
    if (len >= cap) return false;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return true;
}

static bool parse_userinfo(const char *s, size_t len, struct redis_endpoint *ep) {
    const char *colon = memchr(s, ':', len);
    if (colon == NULL) return copy_part(ep->password, sizeof(ep->password), s, len);
    size_t user_len = (size_t)(colon - s);
    return copy_part(ep->username, sizeof(ep->username), s, user_len)
        && copy_part(ep->password, sizeof(ep->password), colon + 1, len - user_len - 1);
}

bool redis_url_parse(const char *url, struct redis_endpoint *ep, const char **why) {
    static const char scheme[] = "redis://";
    memset(ep, 0, sizeof(*ep));
    ep->port = 6379;
    *why = "expected redis://[[user]:password@]host[:port][/db]";
    if (strncmp(url, scheme, sizeof(scheme) - 1) != 0) return false;

    const char *p = url + sizeof(scheme) - 1;
    const char *at = strrchr(p, '@');
    if (at != NULL) {
        if (!parse_userinfo(p, (size_t)(at - p), ep)) return false;
        p = at + 1;
    }
    size_t hostport = strcspn(p, "/");
    const char *colon = memchr(p, ':', hostport);
    size_t host_len = colon ? (size_t)(colon - p) : hostport;
    if (host_len == 0 || !copy_part(ep->host, sizeof(ep->host), p, host_len)) return false;
    if (colon && !netaddr_port_parse(colon + 1, hostport - host_len - 1, &ep->port)) {
        *why = "port must be 1-65535";
        return false;
    }
    p += hostport;
    if (*p == '/' && p[1] != '\0') {
        char *end;
        errno = 0;
        long db = strtol(p + 1, &end, 10);
        if (errno || *end != '\0' || db < 0 || db > 65535 || !isdigit((unsigned char)p[1])) {
            *why = "database must be a number";
            return false;
        }
        ep->db = (int)db;
    }
    return true;
}

/* Also checks its placeholders; `reason` receives why a template is bad. */
static bool http_url_valid(const char *url, char *reason, size_t cap) {
    const char *rest;
    if (strncmp(url, "http://", 7) == 0) rest = url + 7;
    else if (strncmp(url, "https://", 8) == 0) rest = url + 8;
    else return false;
    if (*rest == '\0' || *rest == '/' || *rest == ':') return false;
    for (const char *c = url; *c; c++) {
        if (*c <= ' ' || *c == 0x7F) return false;
    }
    struct urltemplate t;
    if (!urltemplate_parse(&t, url, reason, cap)) return false;
    urltemplate_free(&t);
    return true;
}

static bool addresses_valid(const char *text, char *reason, size_t cap) {
    struct netaddr_list list;
    if (!netaddr_list_parse(text, &list, reason, cap)) return false;
    netaddr_list_free(&list);
    return true;
}

/* ---- applying one value ------------------------------------------------ */

static bool parse_number(const char *text, long min, long max, long *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < min || v > max) return false;
    *out = v;
    return true;
}

static bool apply_setting(struct config *cfg, const struct setting *s, const char *value,
                          const char *source, FILE *err) {
    char *field = (char *)cfg + s->offset;
    const char *why = NULL;
    char reason[256];
    long number;

    switch (s->type) {
    case T_INT:
    case T_LONG:
        if (!parse_number(value, s->min, s->max, &number)) {
            fprintf(err, "adstats: %s: --%s must be a whole number from %ld to %ld, got \"%s\"\n",
                    source, s->flag, s->min, s->max, value);
            return false;
        }
        if (s->type == T_INT) *(int *)field = (int)number;
        else *(long *)field = number;
        return true;
    case T_REDIS_URL:
        if (!redis_url_parse(value, &cfg->redis, &why)) break;
        goto copy;
    case T_HTTP_URL:
        snprintf(reason, sizeof(reason), "expected http://host[:port]/path or https://...");
        why = reason;
        if (!http_url_valid(value, reason, sizeof(reason))) break;
        goto copy;
    case T_ADDRESSES:
        why = reason;
        if (!addresses_valid(value, reason, sizeof(reason))) break;
        goto copy;
    case T_ORIGIN:
        why = "expected *, or up to 16 origins such as https://a.example,http://localhost:3000";
        if (!cors_origins_valid(value)) break;
        goto copy;
    case T_LEVEL:
        why = "expected error, warn, info or debug";
        if (strcmp(value, "error") && strcmp(value, "warn") && strcmp(value, "info")
            && strcmp(value, "debug"))
            break;
        goto copy;
    case T_SEEDS: {
        why = "expected host:port[,host:port...], at most 16";
        struct cluster_addr seeds[CLUSTER_MAX_SEEDS];
        size_t n;
        if (value[0] != '\0' && !cluster_seeds_parse(value, seeds, CLUSTER_MAX_SEEDS, &n)) break;
        goto copy;
    }
    case T_NOW:
        why = "expected YYYY-MM-DD or seconds since 1970";
        if (value[0] != '\0' && !clock_parse(value, &(long long){0})) break;
        goto copy;
    case T_DIMENSIONS:
        why = "expected a comma-separated list of username, sdk, country, platform";
        if (!dimension_parse_set(value, &(unsigned){0})) break;
        goto copy;
    case T_BASE_URL:
        snprintf(reason, sizeof(reason), "expected http://host[:port][/path] or https://...");
        why = reason;
        if (value[0] != '\0' && (strchr(value, '{') || strchr(value, '?') || strchr(value, '#')
                                  || !http_url_valid(value, reason, sizeof(reason)))) {
            snprintf(reason, sizeof(reason),
                     "expected http://host[:port][/path] or https://..., without a query");
            break;
        }
        goto copy;
    case T_TRACK_KEY:
        if (value[0] != '\0' && !track_key_valid(value, &why)) {
            fprintf(err, "adstats: %s: --%s: %s\n", source, s->flag, why);
            return false;
        }
        goto copy;
    case T_STRING:
    case T_SECRET:
    copy:
        if (strlen(value) >= s->size) {
            fprintf(err, "adstats: %s: --%s is too long (at most %zu bytes)\n", source, s->flag,
                    s->size - 1);
            return false;
        }
        strcpy(field, value);
        return true;
    }
    fprintf(err, "adstats: %s: --%s: malformed value \"%s\" (%s)\n", source, s->flag, value,
            why);
    return false;
}

static const struct setting *find_by_flag(const char *flag, size_t len) {
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (strlen(settings[i].flag) == len && strncmp(settings[i].flag, flag, len) == 0)
            return &settings[i];
    }
    return NULL;
}

static const struct setting *find_by_env(const char *name) {
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (strcmp(settings[i].env, name) == 0) return &settings[i];
    }
    return NULL;
}

/* ---- sources ----------------------------------------------------------- */

static bool apply_defaults(struct config *cfg, FILE *err) {
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (!apply_setting(cfg, &settings[i], settings[i].fallback, "default", err))
            return false;
    }
    return true;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1])) *--end = '\0';
    return s;
}

/* Strips one pair of matching quotes, as .env files commonly carry them. */
static char *unquote(char *v) {
    size_t n = strlen(v);
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
        v[n - 1] = '\0';
        return v + 1;
    }
    return v;
}

/* A line is NAME=value, optionally after "export "; '#' starts a comment.
 * Names that are not settings are ignored: .env files are often shared. */
static bool apply_env_line(struct config *cfg, char *line, const char *path, FILE *err) {
    line = trim(line);
    if (*line == '\0' || *line == '#') return true;
    if (strncmp(line, "export ", 7) == 0) line = trim(line + 7);
    char *eq = strchr(line, '=');
    if (eq == NULL) return true;
    *eq = '\0';
    const struct setting *s = find_by_env(trim(line));
    if (s == NULL || getenv(s->env) != NULL) return true; /* environment wins */
    return apply_setting(cfg, s, unquote(trim(eq + 1)), path, err);
}

static bool apply_env_file(struct config *cfg, const char *path, FILE *err) {
    if (path == NULL) return true;
    FILE *f = fopen(path, "r");
    if (f == NULL) return true;
    char line[2048];
    bool ok = true;
    while (ok && fgets(line, sizeof(line), f) != NULL) ok = apply_env_line(cfg, line, path, err);
    fclose(f);
    return ok;
}

static bool apply_environment(struct config *cfg, FILE *err) {
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const char *v = getenv(settings[i].env);
        if (v != NULL && !apply_setting(cfg, &settings[i], v, settings[i].env, err)) return false;
    }
    return true;
}

static void print_help(FILE *out) {
    fprintf(out, "Usage: adstats [OPTION]...\n"
                 "       adstats import-flask [OPTION]...\n"
                 "Ad-event statistics API: counts ad requests and impressions in Redis\n"
                 "and serves VAST ads from an upstream ad server.\n\n"
                 "Options (flag, environment variable, default); flags win over the\n"
                 "environment, which wins over a .env file in the working directory:\n");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct setting *s = &settings[i];
        fprintf(out, "  --%-18s %-18s %s\n  %-39s (default: %s)\n", s->flag, s->env, s->help,
                "", s->fallback[0] ? s->fallback : "none");
    }
    fprintf(out, "  --help                                 show this help and exit\n"
                 "  --version                              show the version and exit\n"
                 "\nPlaceholders in --vast-url, replaced per fetch, percent-encoded:\n"
                 "  {sdk_version} {session_id} {platform} {username} {country_code}: the\n"
                 "  request's parameters; {cachebuster}: a random 9-digit number;\n"
                 "  {timestamp}: Unix time in seconds (the --now clock when set).\n");
    fprintf(out, "\nCommands:\n"
                 "  import-flask [OPTION]...               add the Flask service's counters to\n"
                 "                                         adstats' (adstats import-flask --help)\n");
}

/* Accepts --name=value and --name value. */
static enum config_result apply_flags(struct config *cfg, int argc, char **argv, FILE *out,
                                      FILE *err) {
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(out);
            return CONFIG_EXIT_OK;
        }
        if (strcmp(arg, "--version") == 0) {
            fprintf(out, "adstats %s\n", ADSTATS_VERSION);
            return CONFIG_EXIT_OK;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(err, "adstats: unexpected argument \"%s\" (see --help)\n", arg);
            return CONFIG_ERROR;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const struct setting *s = find_by_flag(name, name_len);
        if (s == NULL) {
            fprintf(err, "adstats: unknown option \"%s\" (see --help)\n", arg);
            return CONFIG_ERROR;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (value == NULL) {
            fprintf(err, "adstats: option --%s needs a value\n", s->flag);
            return CONFIG_ERROR;
        }
        if (!apply_setting(cfg, s, value, "command line", err)) return CONFIG_ERROR;
    }
    return CONFIG_OK;
}

/* Settings that are fine alone but not together, checked once all sources
 * are applied. */
static bool check_combinations(const struct config *cfg, FILE *err) {
    if (cfg->cors_credentials && strcmp(cfg->cors_origin, "*") == 0) {
        fprintf(err, "adstats: --cors-credentials needs the origins listed in --cors-origin: "
                     "browsers refuse credentials with *\n");
        return false;
    }
    if (cfg->tracking_url[0] != '\0' && cfg->tracking_secret[0] == '\0') {
        fprintf(err, "adstats: --tracking-url needs --tracking-secret (TRACKING_SECRET): the key "
                     "that signs its pixels\n");
        return false;
    }
    if (cfg->tracking_secret_previous[0] != '\0' && cfg->tracking_secret[0] == '\0') {
        fprintf(err, "adstats: --tracking-secret-previous needs --tracking-secret: the previous "
                     "key only verifies, the current one signs\n");
        return false;
    }
    if (cfg->redis_cluster[0] != '\0' && cfg->redis.db != 0) {
        fprintf(err, "adstats: --redis-cluster: a Redis Cluster has only database 0, but "
                     "--redis-url names database %d\n", cfg->redis.db);
        return false;
    }
    return true;
}

enum config_result config_load(struct config *cfg, int argc, char **argv,
                               const char *env_path, FILE *out, FILE *err) {
    if (!apply_defaults(cfg, err) || !apply_env_file(cfg, env_path, err)
        || !apply_environment(cfg, err))
        return CONFIG_ERROR;
    enum config_result r = apply_flags(cfg, argc, argv, out, err);
    if (r == CONFIG_OK && !check_combinations(cfg, err)) return CONFIG_ERROR;
    return r;
}

/* ---- describing -------------------------------------------------------- */

/* Redis as redis=host:port/db auth=none|****: never the password. With a
 * cluster, the host and db of --redis-url are not used. */
static void describe_redis(const struct config *cfg, FILE *out) {
    const struct redis_endpoint *ep = &cfg->redis;
    if (cfg->redis_cluster[0] != '\0') fprintf(out, "redis=cluster");
    else fprintf(out, "redis=%s:%d/%d", ep->host, ep->port, ep->db);
    fprintf(out, " auth=%s", ep->password[0] ? "****" : "none");
}

/* An http(s) URL without the secrets it may carry: the password of its
 * userinfo and the values of its query string. */
static void describe_http_url(const char *url, FILE *out) {
    const char *rest = strstr(url, "://") + 3; /* validated: the scheme is there */
    size_t authority = strcspn(rest, "/?#");
    const char *at = memchr(rest, '@', authority);
    fprintf(out, "%.*s", (int)(rest - url), url);
    if (at != NULL) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        fprintf(out, "%.*s%s", (int)((colon ? colon : at) - rest), rest, colon ? ":****@" : "@");
        rest = at + 1;
    }
    size_t before_query = strcspn(rest, "?");
    fprintf(out, "%.*s%s", (int)before_query, rest, rest[before_query] ? "?****" : "");
}

/* An address list without its blanks, so that it stays one token. */
static void describe_addresses(const char *list, FILE *out) {
    if (list[strspn(list, " \t")] == '\0') fputs("\"\"", out);
    for (const char *c = list; *c; c++) {
        if (*c != ' ' && *c != '\t') fputc(*c, out);
    }
}

/* One `name=value` per setting, named after its flag with '_' for '-'. */
void config_describe(const struct config *cfg, FILE *out) {
    fputs("config:", out);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct setting *s = &settings[i];
        const char *field = (const char *)cfg + s->offset;
        fputc(' ', out);
        if (s->type == T_REDIS_URL) {
            describe_redis(cfg, out);
            continue;
        }
        for (const char *c = s->flag; *c; c++) fputc(*c == '-' ? '_' : *c, out);
        fputc('=', out);
        switch (s->type) {
        case T_INT: fprintf(out, "%d", *(const int *)field); break;
        case T_LONG: fprintf(out, "%ld", *(const long *)field); break;
        case T_HTTP_URL: describe_http_url(field, out); break;
        case T_BASE_URL:
            if (field[0]) describe_http_url(field, out);
            else fputs("\"\"", out);
            break;
        case T_SECRET:
        case T_TRACK_KEY: fputs(field[0] ? "****" : "\"\"", out); break;
        case T_ADDRESSES: describe_addresses(field, out); break;
        default: fprintf(out, "%s", field[0] ? field : "\"\""); break;
        }
    }
    fputc('\n', out);
}
