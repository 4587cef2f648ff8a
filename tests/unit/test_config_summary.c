/* test_config_summary.c -- unit tests for config_describe, which is drawn
 * from the settings table (every setting appears, secrets masked: the Redis
 * password, the upstream URL's password and query), and for the check of
 * --cors-origin values. test_config.c covers loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cors.h"

static enum config_result load(struct config *cfg, int argc, char **argv, char *err,
                               size_t cap) {
    FILE *e = fmemopen(err, cap, "w");
    FILE *out = fopen("/dev/null", "w");
    enum config_result r = config_load(cfg, argc, argv, NULL, out, e);
    fclose(e);
    fclose(out);
    return r;
}

static char *describe(const struct config *cfg) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    config_describe(cfg, f);
    fclose(f);
    return text;
}

static void test_summary_masks_the_password_and_lists_every_setting(void **state) {
    (void)state;
    char *argv[] = {"adstats", "--redis-url", "redis://ops:hunter2@db.internal:6380/3",
                    "--cors-origin", "*", "--access-log", "-"};
    struct config cfg;
    char err[256] = "";
    assert_int_equal(load(&cfg, 7, argv, err, sizeof(err)), CONFIG_OK);
    char *text = describe(&cfg);
    assert_null(strstr(text, "hunter2"));
    assert_non_null(strstr(text, " redis=db.internal:6380/3 auth=**** "));
    assert_non_null(strstr(text, " cors_origin=*"));
    assert_non_null(strstr(text, " access_log=- "));
    const char *flags[] = {"port", "bind", "threads", "max_connections", "idle_timeout_s",
                           "redis_timeout_ms", "vast_url", "vast_timeout_ms", "vast_limit",
                           "vast_max_bytes", "error_log", "drain_ms", "log_level"};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        char key[64];
        snprintf(key, sizeof(key), " %s=", flags[i]);
        assert_non_null(strstr(text, key));
    }
    assert_int_equal(strncmp(text, "config:", 7), 0);
    assert_int_equal(text[strlen(text) - 1], '\n');
    free(text);
}

static void test_password_only_and_no_auth(void **state) {
    (void)state;
    struct config cfg;
    char err[256] = "";
    char *argv1[] = {"adstats", "--redis-url", "redis://:pw@h/0"};
    assert_int_equal(load(&cfg, 3, argv1, err, sizeof(err)), CONFIG_OK);
    char *text = describe(&cfg);
    assert_non_null(strstr(text, " redis=h:6379/0 auth=**** "));
    free(text);
    char *argv2[] = {"adstats", "--redis-url", "redis://h:7/1"};
    assert_int_equal(load(&cfg, 3, argv2, err, sizeof(err)), CONFIG_OK);
    text = describe(&cfg);
    assert_non_null(strstr(text, " redis=h:7/1 auth=none "));
    free(text);
}

static void test_upstream_url_secrets_are_masked(void **state) {
    (void)state;
    struct config cfg;
    char err[256] = "";
    char *argv[] = {"adstats", "--vast-url", "https://ads:t0ken@ads.example:8443/vast?key=k3y"};
    assert_int_equal(load(&cfg, 3, argv, err, sizeof(err)), CONFIG_OK);
    char *text = describe(&cfg);
    assert_non_null(strstr(text, " vast_url=https://ads:****@ads.example:8443/vast?**** "));
    assert_null(strstr(text, "t0ken"));
    assert_null(strstr(text, "k3y"));
    free(text);
    char *plain[] = {"adstats", "--vast-url", "http://127.0.0.1:8081/vast"};
    assert_int_equal(load(&cfg, 3, plain, err, sizeof(err)), CONFIG_OK);
    text = describe(&cfg);
    assert_non_null(strstr(text, " vast_url=http://127.0.0.1:8081/vast "));
    free(text);
}

static void test_cors_origins(void **state) {
    (void)state;
    const char *good[] = {"", "*", "https://app.example.com", "http://localhost:3000",
                          "https://a.example,https://b.example", "https://a.example , http://b:81"};
    const char *bad[] = {"app.example.com", "https://", "https://a.example/", "https://a b",
                         "ftp://a.example", "**", "*,https://a.example", "https://a.example,",
                         ",https://a.example", "https://a.example,,https://b.example"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) assert_true(cors_origins_valid(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) assert_false(cors_origins_valid(bad[i]));
    char many[17 * 24] = "";
    for (int i = 0; i < 17; i++) sprintf(many + strlen(many), "%shttp://h%d.example", i ? "," : "", i);
    assert_false(cors_origins_valid(many));
    many[strrchr(many, ',') - many] = '\0';
    assert_true(cors_origins_valid(many));

    struct config cfg;
    char err[256] = "";
    char *argv[] = {"adstats", "--cors-origin=https://a.example/path"};
    assert_int_equal(load(&cfg, 2, argv, err, sizeof(err)), CONFIG_ERROR);
    assert_non_null(strstr(err, "--cors-origin"));
}

int main(void) {
    const char *const env[] = {"REDIS_URL", "VAST_URL", "ACCESS_LOG", "CORS_ORIGIN"};
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) unsetenv(env[i]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_masks_the_password_and_lists_every_setting),
        cmocka_unit_test(test_password_only_and_no_auth),
        cmocka_unit_test(test_upstream_url_secrets_are_masked),
        cmocka_unit_test(test_cors_origins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
