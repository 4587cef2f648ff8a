/* config.h -- adstats' settings.
 *
 * Every setting has a command-line flag, an environment variable and a
 * default, and can also come from a `.env` file in the working directory.
 * Precedence: flags > environment > .env > defaults. The table of settings
 * lives in config.c and drives parsing, validation and --help alike. */
#ifndef ADSTATS_CONFIG_H
#define ADSTATS_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

struct redis_endpoint {
    char host[256];
    int port;
    char username[128]; /* Redis 6 ACL user, empty for plain AUTH */
    char password[256]; /* empty: no AUTH */
    int db;
};

struct config {
    int port;
    char bind[64];
    int threads;              /* HTTP worker threads; 0 = one per core */
    int max_connections;
    int idle_timeout_s;
    char redis_url[512];
    struct redis_endpoint redis;
    int redis_timeout_ms;
    char redis_cluster[1024]; /* seeds host:port,...; empty: one Redis at redis_url */
    int redis_wait_replicas;  /* 0: no WAIT */
    char vast_url[1024];      /* may hold placeholders (urltemplate.h) */
    int vast_timeout_ms;
    int vast_limit;
    long vast_max_bytes;
    char trusted_proxies[1024]; /* addresses and CIDR blocks (netaddr.h); "": none */
    char error_log[512];
    int drain_ms;
    char log_level[16];
    char access_log[512];     /* "" off, "-" standard output */
    char cors_origin[1024];   /* "" off, "*", or origins separated by commas */
    int cors_credentials;     /* 1: Access-Control-Allow-Credentials: true */
    /* analytics (docs/ANALYTICS.md) */
    int retention_days;
    char events_stream[128];  /* empty: no event stream */
    long events_maxlen;
    char admin_token[256];    /* empty: admin endpoints answer 403 */
    char now[32];             /* testing only: frozen clock; empty: real time */
    char sessions_dimensions[64]; /* dimensions with session HyperLogLogs, "sdk,country" */
    int index_flush_ms;       /* top lists and sessions are written this often (index_writer.h) */
    int top_size;             /* members a top list is kept at */
    /* tracking and invalid traffic (tracking.h) */
    char tracking_url[1024];  /* public base URL of GET /t; empty: /ad injects nothing */
    char tracking_secret[256];
    char tracking_secret_previous[256]; /* still accepted, never signs; empty: none */
    int tracking_ttl_s;
    int ivt_filter;           /* 1: invalid traffic counts as `invalid` */
    char ivt_user_agents[512]; /* pattern file (ivt.h) */
    char ivt_deny[1024];      /* addresses and CIDR blocks (netaddr.h) */
};

enum config_result {
    CONFIG_OK,
    CONFIG_EXIT_OK,  /* --help or --version was answered */
    CONFIG_ERROR,    /* a message was written to the error stream */
};

/* Fills `cfg` from defaults, the .env file at `env_path` (may be NULL or
 * absent), the process environment and argv, in that order of increasing
 * precedence. Writes --help/--version to `out` and one-line errors to `err`. */
enum config_result config_load(struct config *cfg, int argc, char **argv,
                               const char *env_path, FILE *out, FILE *err);

/* Parses redis://[[user]:password@]host[:port][/db]. Returns false with a
 * reason in `why` if the URL is malformed. */
bool redis_url_parse(const char *url, struct redis_endpoint *ep, const char **why);

/* Writes a one-line summary, "config: name=value ...", of every setting
 * (from the settings table, so new settings appear by themselves; names are
 * the flags with '_' for '-'), with secrets masked: the Redis URL shows as
 * redis=host:port/db auth=none|****, the upstream URL without
 * its password and query. */
void config_describe(const struct config *cfg, FILE *out);

#endif
