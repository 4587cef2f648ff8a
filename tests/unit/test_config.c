/* test_config.c -- unit tests for config.c: defaults; --flag value and
 * --flag=value; environment variables; .env files (export, quotes, comments,
 * blank lines, unknown names); precedence flags > environment > .env >
 * defaults; bad values, unknown flags and missing values giving CONFIG_ERROR
 * with exactly one line on the error stream; --help and --version;
 * redis_url_parse; config_describe masking the Redis password.
 *
 * Every test starts with all of adstats' environment variables unset and
 * captures the out and err streams with open_memstream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "version.h"

static const char *const env_names[] = {
    "PORT", "BIND", "THREADS", "MAX_CONNECTIONS", "IDLE_TIMEOUT_S", "REDIS_URL",
    "REDIS_TIMEOUT_MS", "VAST_URL", "VAST_TIMEOUT_MS", "VAST_LIMIT", "VAST_MAX_BYTES",
    "BACKEND_ERROR_LOG", "DRAIN_MS", "LOG_LEVEL", "ACCESS_LOG", "CORS_ORIGIN",
    "CORS_CREDENTIALS",
};

static const char *const flag_names[] = {
    "--port", "--bind", "--threads", "--max-connections", "--idle-timeout-s", "--redis-url",
    "--redis-timeout-ms", "--vast-url", "--vast-timeout-ms", "--vast-limit",
    "--vast-max-bytes", "--error-log", "--drain-ms", "--log-level", "--access-log",
    "--cors-origin", "--cors-credentials",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One config_load run: its result, the config and what it wrote. */
struct run {
    struct config cfg;
    enum config_result result;
    char *out;
    char *err;
};

static char env_path[64];

static void clear_env(void) {
    for (size_t i = 0; i < COUNT(env_names); i++) unsetenv(env_names[i]);
}

static int setup(void **state) {
    (void)state;
    clear_env();
    env_path[0] = '\0';
    return 0;
}

static int teardown(void **state) {
    (void)state;
    clear_env();
    if (env_path[0] != '\0') unlink(env_path);
    env_path[0] = '\0';
    return 0;
}

/* Writes `text` to a fresh temporary .env file; returns its path. */
static const char *write_env_file(const char *text) {
    strcpy(env_path, "/tmp/adstats-test-env-XXXXXX");
    int fd = mkstemp(env_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return env_path;
}

/* Runs config_load with `args` (NULL-terminated, without argv[0]). */
static void load(struct run *r, const char *dotenv, const char *const *args) {
    char *argv[32];
    int argc = 0;
    argv[argc++] = "adstats";
    for (; args != NULL && *args != NULL; args++) argv[argc++] = (char *)*args;
    argv[argc] = NULL;

    size_t out_len, err_len;
    FILE *out = open_memstream(&r->out, &out_len);
    FILE *err = open_memstream(&r->err, &err_len);
    assert_non_null(out);
    assert_non_null(err);
    r->result = config_load(&r->cfg, argc, argv, dotenv, out, err);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(fclose(err), 0);
}

static void run_free(struct run *r) {
    free(r->out);
    free(r->err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Loads and expects CONFIG_ERROR with exactly the one line `want`. */
static void expect_error(const char *dotenv, const char *const *args, const char *want) {
    struct run r;
    load(&r, dotenv, args);
    assert_int_equal(r.result, CONFIG_ERROR);
    assert_string_equal(r.err, want);
    assert_string_equal(r.out, "");
    run_free(&r);
}

/* Loads and expects CONFIG_OK with the port `want`. */
static void expect_port(const char *dotenv, const char *const *args, int want) {
    struct run r;
    load(&r, dotenv, args);
    assert_int_equal(r.result, CONFIG_OK);
    assert_int_equal(r.cfg.port, want);
    assert_string_equal(r.err, "");
    run_free(&r);
}

/* Asserts that `text` is exactly one non-empty line. */
static void assert_one_line(const char *text) {
    size_t len = strlen(text);
    assert_true(len > 1);
    assert_int_equal(text[len - 1], '\n');
    assert_null(memchr(text, '\n', len - 1));
}

/* Asserts that a Redis URL was parsed into `want`. */
static void assert_redis(const struct redis_endpoint *got, const struct redis_endpoint *want) {
    assert_string_equal(got->host, want->host);
    assert_int_equal(got->port, want->port);
    assert_int_equal(got->db, want->db);
    assert_string_equal(got->username, want->username);
    assert_string_equal(got->password, want->password);
}

/* Asserts the settings that test_defaults and test_every_flag_sets_its_field
 * set. */
static void assert_config(const struct config *got, const struct config *want) {
    assert_int_equal(got->port, want->port);
    assert_string_equal(got->bind, want->bind);
    assert_int_equal(got->threads, want->threads);
    assert_int_equal(got->max_connections, want->max_connections);
    assert_int_equal(got->idle_timeout_s, want->idle_timeout_s);
    assert_string_equal(got->redis_url, want->redis_url);
    assert_redis(&got->redis, &want->redis);
    assert_int_equal(got->redis_timeout_ms, want->redis_timeout_ms);
    assert_string_equal(got->vast_url, want->vast_url);
    assert_int_equal(got->vast_timeout_ms, want->vast_timeout_ms);
    assert_int_equal(got->vast_limit, want->vast_limit);
    assert_int_equal(got->vast_max_bytes, want->vast_max_bytes);
    assert_string_equal(got->error_log, want->error_log);
    assert_int_equal(got->drain_ms, want->drain_ms);
    assert_string_equal(got->log_level, want->log_level);
}

/* ---- defaults ------------------------------------------------------------ */

static void test_defaults(void **state) {
    (void)state;
    static const struct config want = {
        .port = 5000, .bind = "0.0.0.0", .threads = 0, .max_connections = 10000,
        .idle_timeout_s = 30, .redis_url = "redis://127.0.0.1:6379/0",
        .redis = {.host = "127.0.0.1", .port = 6379, .db = 0}, .redis_timeout_ms = 500,
        .vast_url = "http://127.0.0.1:8081/vast", .vast_timeout_ms = 2000, .vast_limit = 1000,
        .vast_max_bytes = 1048576, .error_log = "backend_errors.log", .drain_ms = 5000,
        .log_level = "info",
    };
    struct run r;
    load(&r, NULL, NULL);
    assert_int_equal(r.result, CONFIG_OK);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "");
    assert_config(&r.cfg, &want);
    run_free(&r);
}

static void test_missing_env_file_means_defaults(void **state) {
    (void)state;
    expect_port("/nonexistent/adstats/.env", NULL, 5000);
}

/* ---- flags --------------------------------------------------------------- */

static void test_flag_with_separate_value(void **state) {
    (void)state;
    expect_port(NULL, ARGS("--port", "8080"), 8080);
}

static void test_flag_with_equals_value(void **state) {
    (void)state;
    expect_port(NULL, ARGS("--port=8080"), 8080);
}

static void test_every_flag_sets_its_field(void **state) {
    (void)state;
    static const struct config want = {
        .port = 1, .bind = "127.0.0.1", .threads = 4, .max_connections = 5, .idle_timeout_s = 6,
        .redis_url = "redis://u:p@db.local:7000/3",
        .redis = {.host = "db.local", .port = 7000, .db = 3, .username = "u", .password = "p"},
        .redis_timeout_ms = 10, .vast_url = "https://ads.example/vast", .vast_timeout_ms = 7,
        .vast_limit = 8, .vast_max_bytes = 1L << 30, .error_log = "/tmp/e.log", .drain_ms = 0,
        .log_level = "debug",
    };
    struct run r;
    load(&r, NULL,
         ARGS("--port=1", "--bind", "127.0.0.1", "--threads=4", "--max-connections=5",
              "--idle-timeout-s=6", "--redis-url=redis://u:p@db.local:7000/3",
              "--redis-timeout-ms=10", "--vast-url=https://ads.example/vast",
              "--vast-timeout-ms=7", "--vast-limit=8", "--vast-max-bytes=1073741824",
              "--error-log=/tmp/e.log", "--drain-ms=0", "--log-level=debug"));
    assert_int_equal(r.result, CONFIG_OK);
    assert_string_equal(r.err, "");
    assert_config(&r.cfg, &want);
    run_free(&r);
}

static void test_last_flag_wins(void **state) {
    (void)state;
    expect_port(NULL, ARGS("--port=1000", "--port", "2000"), 2000);
}

static void test_port_range_edges_accepted(void **state) {
    (void)state;
    expect_port(NULL, ARGS("--port=65535"), 65535);
    expect_port(NULL, ARGS("--port=1"), 1);
}

/* ---- environment and .env ------------------------------------------------ */

static void test_environment_variables(void **state) {
    (void)state;
    setenv("PORT", "6000", 1);
    setenv("REDIS_URL", "redis://cache:6380/1", 1);
    setenv("VAST_TIMEOUT_MS", "1500", 1);
    setenv("LOG_LEVEL", "warn", 1);
    struct run r;
    load(&r, NULL, NULL);
    assert_int_equal(r.result, CONFIG_OK);
    assert_int_equal(r.cfg.port, 6000);
    assert_string_equal(r.cfg.redis.host, "cache");
    assert_int_equal(r.cfg.redis.port, 6380);
    assert_int_equal(r.cfg.redis.db, 1);
    assert_int_equal(r.cfg.vast_timeout_ms, 1500);
    assert_string_equal(r.cfg.log_level, "warn");
    run_free(&r);
}

static const char dotenv_text[] =
    "# adstats settings\n"
    "\n"
    "PORT=7000\n"
    "   \n"
    "export REDIS_URL=\"redis://x:1/2\"\n"
    "  # an indented comment\n"
    "LOG_LEVEL='debug'\n"
    "  VAST_TIMEOUT_MS = 1234  \r\n"
    "SOMETHING_ELSE=ignored\n"
    "not a setting line\n";

static void test_env_file_values(void **state) {
    (void)state;
    struct run r;
    load(&r, write_env_file(dotenv_text), NULL);
    assert_int_equal(r.result, CONFIG_OK);
    assert_string_equal(r.err, "");
    assert_int_equal(r.cfg.port, 7000);
    assert_string_equal(r.cfg.redis_url, "redis://x:1/2");
    assert_string_equal(r.cfg.redis.host, "x");
    assert_int_equal(r.cfg.redis.port, 1);
    assert_int_equal(r.cfg.redis.db, 2);
    assert_string_equal(r.cfg.log_level, "debug");
    assert_int_equal(r.cfg.vast_timeout_ms, 1234);
    assert_string_equal(r.cfg.bind, "0.0.0.0"); /* untouched */
    run_free(&r);
}

static void test_environment_beats_env_file(void **state) {
    (void)state;
    setenv("PORT", "6000", 1);
    struct run r;
    load(&r, write_env_file(dotenv_text), NULL);
    assert_int_equal(r.result, CONFIG_OK);
    assert_int_equal(r.cfg.port, 6000);
    assert_string_equal(r.cfg.redis.host, "x"); /* not in the environment */
    run_free(&r);
}

static void test_flags_beat_environment_and_env_file(void **state) {
    (void)state;
    setenv("PORT", "6000", 1);
    setenv("REDIS_URL", "redis://fromenv:6000/4", 1);
    struct run r;
    load(&r, write_env_file(dotenv_text), ARGS("--port", "8080"));
    assert_int_equal(r.result, CONFIG_OK);
    assert_int_equal(r.cfg.port, 8080);
    assert_string_equal(r.cfg.redis.host, "fromenv");
    assert_int_equal(r.cfg.redis.db, 4);
    assert_string_equal(r.cfg.log_level, "debug"); /* only in .env */
    run_free(&r);
}

static void test_flag_redis_url_replaces_earlier_credentials(void **state) {
    (void)state;
    setenv("REDIS_URL", "redis://admin:secret@old:1/1", 1);
    struct run r;
    load(&r, NULL, ARGS("--redis-url=redis://new"));
    assert_int_equal(r.result, CONFIG_OK);
    assert_string_equal(r.cfg.redis.host, "new");
    assert_int_equal(r.cfg.redis.port, 6379);
    assert_int_equal(r.cfg.redis.db, 0);
    assert_string_equal(r.cfg.redis.username, "");
    assert_string_equal(r.cfg.redis.password, "");
    run_free(&r);
}

/* ---- errors -------------------------------------------------------------- */

/* The command line's error for a bad --port, the value shown as `given`. */
static void expect_bad_port(const char *const *args, const char *given) {
    char want[192];
    snprintf(want, sizeof(want),
             "adstats: command line: --port must be a whole number from 1 to 65535, got \"%s\"\n",
             given);
    expect_error(NULL, args, want);
}

static void test_port_out_of_range_is_error(void **state) {
    (void)state;
    expect_bad_port(ARGS("--port", "99999"), "99999");
    expect_bad_port(ARGS("--port=0"), "0");
}

static void test_port_not_a_number_is_error(void **state) {
    (void)state;
    expect_bad_port(ARGS("--port", "abc"), "abc");
    expect_bad_port(ARGS("--port=80x"), "80x");
    expect_bad_port(ARGS("--port="), "");
    expect_bad_port(ARGS("--port=99999999999999999999"), "99999999999999999999");
}

static void test_malformed_redis_url_is_error(void **state) {
    (void)state;
    expect_error(NULL, ARGS("--redis-url=http://localhost:6379"),
                 "adstats: command line: --redis-url: malformed value "
                 "\"http://localhost:6379\" "
                 "(expected redis://[[user]:password@]host[:port][/db])\n");
    expect_error(NULL, ARGS("--redis-url", "redis://host:99999"),
                 "adstats: command line: --redis-url: malformed value "
                 "\"redis://host:99999\" (port must be 1-65535)\n");
}

static void test_malformed_vast_url_is_error(void **state) {
    (void)state;
    const char *bad[] = {"ftp://ads/vast", "http://", "http:///vast", "ads.example/vast",
                         "http://ads example/vast", "http://:80/vast"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        char want[256];
        snprintf(want, sizeof(want),
                 "adstats: command line: --vast-url: malformed value \"%s\" "
                 "(expected http://host[:port]/path or https://...)\n",
                 bad[i]);
        expect_error(NULL, ARGS("--vast-url", bad[i]), want);
    }
}

static void test_bad_log_level_is_error(void **state) {
    (void)state;
    expect_error(NULL, ARGS("--log-level=verbose"),
                 "adstats: command line: --log-level: malformed value \"verbose\" "
                 "(expected error, warn, info or debug)\n");
}

static void test_too_long_string_is_error(void **state) {
    (void)state;
    char value[80];
    memset(value, '1', 70);
    value[70] = '\0';
    expect_error(NULL, ARGS("--bind", value),
                 "adstats: command line: --bind is too long (at most 63 bytes)\n");
}

static void test_unknown_flag_is_error(void **state) {
    (void)state;
    expect_error(NULL, ARGS("--nope"), "adstats: unknown option \"--nope\" (see --help)\n");
    expect_error(NULL, ARGS("--nope=1"), "adstats: unknown option \"--nope=1\" (see --help)\n");
    expect_error(NULL, ARGS("--por=1"), "adstats: unknown option \"--por=1\" (see --help)\n");
}

static void test_positional_argument_is_error(void **state) {
    (void)state;
    expect_error(NULL, ARGS("8080"), "adstats: unexpected argument \"8080\" (see --help)\n");
    expect_error(NULL, ARGS("-p"), "adstats: unexpected argument \"-p\" (see --help)\n");
}

static void test_missing_value_is_error(void **state) {
    (void)state;
    expect_error(NULL, ARGS("--port"), "adstats: option --port needs a value\n");
    expect_error(NULL, ARGS("--port=1", "--redis-url"),
                 "adstats: option --redis-url needs a value\n");
}

static void test_bad_environment_variable_is_error(void **state) {
    (void)state;
    setenv("PORT", "abc", 1);
    expect_error(NULL, NULL,
                 "adstats: PORT: --port must be a whole number from 1 to 65535, got \"abc\"\n");
}

static void test_bad_env_file_value_is_error(void **state) {
    (void)state;
    const char *path = write_env_file("PORT=7000\nREDIS_URL=redis://\n");
    char want[256];
    snprintf(want, sizeof(want),
             "adstats: %s: --redis-url: malformed value \"redis://\" "
             "(expected redis://[[user]:password@]host[:port][/db])\n",
             path);
    expect_error(path, NULL, want);
}

static void test_bad_env_file_value_shadowed_by_environment_is_ignored(void **state) {
    (void)state;
    setenv("PORT", "6000", 1);
    expect_port(write_env_file("PORT=abc\n"), NULL, 6000);
}

static void test_every_error_is_one_line(void **state) {
    (void)state;
    const char *const *cases[] = {
        ARGS("--port", "99999"),  ARGS("--port", "abc"), ARGS("--redis-url=redis:/x"),
        ARGS("--vast-url=x"),     ARGS("--nope"),        ARGS("--port"),
        ARGS("--threads=-1"),     ARGS("--drain-ms=1e3"),
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct run r;
        load(&r, NULL, cases[i]);
        assert_int_equal(r.result, CONFIG_ERROR);
        assert_one_line(r.err);
        assert_string_equal(r.out, "");
        run_free(&r);
    }
}

/* ---- --help and --version ------------------------------------------------ */

/* Loads `args`, which must end the program at once with success, printing
 * `out_start` first on stdout and nothing on stderr. */
static void load_exit_ok(struct run *r, const char *const *args, const char *out_start) {
    load(r, NULL, args);
    assert_int_equal(r->result, CONFIG_EXIT_OK);
    assert_string_equal(r->err, "");
    if (strncmp(r->out, out_start, strlen(out_start)) != 0)
        fail_msg("output starts \"%.20s\", not \"%s\"", r->out, out_start);
}

static void test_help_lists_every_flag_and_variable(void **state) {
    (void)state;
    struct run r;
    load_exit_ok(&r, ARGS("--help"), "Usage: adstats");
    for (size_t i = 0; i < COUNT(flag_names); i++) {
        if (strstr(r.out, flag_names[i]) == NULL) fail_msg("--help lacks %s", flag_names[i]);
        if (strstr(r.out, env_names[i]) == NULL) fail_msg("--help lacks %s", env_names[i]);
    }
    assert_non_null(strstr(r.out, "--help"));
    assert_non_null(strstr(r.out, "--version"));
    assert_non_null(strstr(r.out, "(default: 5000)"));
    run_free(&r);
}

/* -h as well, and after flags that are valid. */
static void test_help_in_any_form(void **state) {
    (void)state;
    const char *const *cases[] = {ARGS("-h"), ARGS("--port=8080", "--help")};
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct run r;
        load_exit_ok(&r, cases[i], "Usage: adstats");
        run_free(&r);
    }
}

static void test_version(void **state) {
    (void)state;
    struct run r;
    load_exit_ok(&r, ARGS("--version"), "adstats ");
    assert_string_equal(r.out, "adstats " ADSTATS_VERSION "\n");
    run_free(&r);
}

/* ---- redis_url_parse ----------------------------------------------------- */

static void parse_ok(const char *url, struct redis_endpoint *ep) {
    const char *why = NULL;
    if (!redis_url_parse(url, ep, &why)) fail_msg("%s rejected: %s", url, why);
}

static void parse_bad(const char *url, const char *want_why) {
    struct redis_endpoint ep;
    const char *why = NULL;
    if (redis_url_parse(url, &ep, &why)) fail_msg("%s accepted", url);
    assert_non_null(why);
    assert_string_equal(why, want_why);
}

#define WHY_SYNTAX "expected redis://[[user]:password@]host[:port][/db]"
#define WHY_PORT "port must be 1-65535"
#define WHY_DB "database must be a number"

/* Good URLs and what they parse to. */
static const struct {
    const char *url;
    struct redis_endpoint want;
} good_urls[] = {
    {"redis://host", {.host = "host", .port = 6379, .db = 0}},
    {"redis://host:1234/5", {.host = "host", .port = 1234, .db = 5}},
    {"redis://10.0.0.1:6380/", {.host = "10.0.0.1", .port = 6380, .db = 0}}, /* db 0 */
    {"redis://:secret@host:1/0", {.host = "host", .port = 1, .password = "secret"}},
    {"redis://user:secret@host",
     {.host = "host", .port = 6379, .username = "user", .password = "secret"}},
    /* the password may hold '@' and ':' */
    {"redis://u:p@ss:w0rd@host:7/8",
     {.host = "host", .port = 7, .db = 8, .username = "u", .password = "p@ss:w0rd"}},
};

static void test_redis_url_good(void **state) {
    (void)state;
    for (size_t i = 0; i < COUNT(good_urls); i++) {
        struct redis_endpoint ep;
        parse_ok(good_urls[i].url, &ep);
        assert_redis(&ep, &good_urls[i].want);
    }
}

static void test_redis_url_bad_scheme(void **state) {
    (void)state;
    parse_bad("http://host", WHY_SYNTAX);
    parse_bad("rediss://host", WHY_SYNTAX);
    parse_bad("redis:/host", WHY_SYNTAX);
    parse_bad("host:6379", WHY_SYNTAX);
    parse_bad("", WHY_SYNTAX);
}

static void test_redis_url_missing_host(void **state) {
    (void)state;
    parse_bad("redis://", WHY_SYNTAX);
    parse_bad("redis://:6379", WHY_SYNTAX);
    parse_bad("redis:///0", WHY_SYNTAX);
    parse_bad("redis://:pw@", WHY_SYNTAX);
}

static void test_redis_url_bad_port(void **state) {
    (void)state;
    parse_bad("redis://host:0", WHY_PORT);
    parse_bad("redis://host:65536", WHY_PORT);
    parse_bad("redis://host:123456", WHY_PORT);
    parse_bad("redis://host:abc", WHY_PORT);
    parse_bad("redis://host:", WHY_PORT);
    parse_bad("redis://host:-1", WHY_PORT);
    parse_bad("redis://host:63 79", WHY_PORT);
}

static void test_redis_url_bad_db(void **state) {
    (void)state;
    parse_bad("redis://host/abc", WHY_DB);
    parse_bad("redis://host/-1", WHY_DB);
    parse_bad("redis://host/+1", WHY_DB);
    parse_bad("redis://host/ 1", WHY_DB);
    parse_bad("redis://host/1x", WHY_DB);
    parse_bad("redis://host/65536", WHY_DB);
    parse_bad("redis://host:1/99999999999999999999", WHY_DB);
}

static void test_redis_url_too_long_host_rejected(void **state) {
    (void)state;
    char url[400];
    strcpy(url, "redis://");
    memset(url + 8, 'h', 300);
    url[308] = '\0';
    parse_bad(url, WHY_SYNTAX);
}

/* ---- config_describe ----------------------------------------------------- */

/* config_describe's line, on the heap (the caller frees it). */
static char *describe(const struct config *cfg) {
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    config_describe(cfg, f);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void test_describe_masks_password(void **state) {
    (void)state;
    struct run r;
    load(&r, NULL, ARGS("--redis-url=redis://admin:hunter2@db:6379/0"));
    assert_int_equal(r.result, CONFIG_OK);
    char *text = describe(&r.cfg);
    assert_one_line(text);
    assert_null(strstr(text, "hunter2"));
    assert_non_null(strstr(text, "auth=****"));
    assert_non_null(strstr(text, "redis=db:6379/0"));
    free(text);
    run_free(&r);
}

static void test_describe_without_password(void **state) {
    (void)state;
    struct run r;
    load(&r, NULL, NULL);
    char *text = describe(&r.cfg);
    assert_non_null(strstr(text, "port=5000 "));
    assert_non_null(strstr(text, "auth=none"));
    free(text);
    run_free(&r);
}

/* ---- settings that depend on each other ---------------------------------- */

static void test_cors_credentials_with_a_wildcard_is_error(void **state) {
    (void)state;
    expect_error(NULL, ARGS("--cors-origin", "*", "--cors-credentials", "1"),
                 "adstats: --cors-credentials needs the origins listed in --cors-origin: "
                 "browsers refuse credentials with *\n");
    setenv("CORS_CREDENTIALS", "1", 1);
    expect_error(NULL, ARGS("--cors-origin=*"),
                 "adstats: --cors-credentials needs the origins listed in --cors-origin: "
                 "browsers refuse credentials with *\n");
    struct run r;
    load(&r, NULL, ARGS("--cors-origin", "https://a.example,http://localhost:8080"));
    assert_int_equal(r.result, CONFIG_OK);
    assert_int_equal(r.cfg.cors_credentials, 1);
    assert_string_equal(r.cfg.cors_origin, "https://a.example,http://localhost:8080");
    run_free(&r);
    expect_error(NULL, ARGS("--cors-credentials", "yes"),
                 "adstats: command line: --cors-credentials must be a whole number from 0 to 1, "
                 "got \"yes\"\n");
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_defaults),
        TEST(test_missing_env_file_means_defaults),
        TEST(test_flag_with_separate_value),
        TEST(test_flag_with_equals_value),
        TEST(test_every_flag_sets_its_field),
        TEST(test_last_flag_wins),
        TEST(test_port_range_edges_accepted),
        TEST(test_environment_variables),
        TEST(test_env_file_values),
        TEST(test_environment_beats_env_file),
        TEST(test_flags_beat_environment_and_env_file),
        TEST(test_flag_redis_url_replaces_earlier_credentials),
        TEST(test_port_out_of_range_is_error),
        TEST(test_port_not_a_number_is_error),
        TEST(test_malformed_redis_url_is_error),
        TEST(test_malformed_vast_url_is_error),
        TEST(test_bad_log_level_is_error),
        TEST(test_too_long_string_is_error),
        TEST(test_unknown_flag_is_error),
        TEST(test_positional_argument_is_error),
        TEST(test_missing_value_is_error),
        TEST(test_bad_environment_variable_is_error),
        TEST(test_bad_env_file_value_is_error),
        TEST(test_bad_env_file_value_shadowed_by_environment_is_ignored),
        TEST(test_every_error_is_one_line),
        TEST(test_help_lists_every_flag_and_variable),
        TEST(test_help_in_any_form),
        TEST(test_version),
        TEST(test_redis_url_good),
        TEST(test_redis_url_bad_scheme),
        TEST(test_redis_url_missing_host),
        TEST(test_redis_url_bad_port),
        TEST(test_redis_url_bad_db),
        TEST(test_redis_url_too_long_host_rejected),
        TEST(test_describe_masks_password),
        TEST(test_describe_without_password),
        TEST(test_cors_credentials_with_a_wildcard_is_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
