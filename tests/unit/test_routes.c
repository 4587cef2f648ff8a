/* test_routes.c -- unit tests for routing (routing_find_endpoint) with the
 * real routing table: exact paths, the dashboard's subtree (a path and
 * everything below it, but not a longer name), and the embedded dashboard
 * files (embedded.h) the Makefile compiles in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "embedded.h"
#include "endpoint.h"
#include "routing.h"

static void test_exact_paths(void **state) {
    (void)state;
    assert_ptr_equal(routing_find_endpoint("/statistics", NULL), &endpoint_statistics);
    assert_ptr_equal(routing_find_endpoint("/statistics/top", NULL), &endpoint_top);
    assert_ptr_equal(routing_find_endpoint("/", NULL), &endpoint_root);
    assert_null(routing_find_endpoint("/statistics/other", NULL));
    assert_null(routing_find_endpoint("/statistics/", NULL));
    assert_null(routing_find_endpoint("", NULL));
}

static void test_subtree_holds_its_path_and_below(void **state) {
    (void)state;
    assert_ptr_equal(routing_find_endpoint("/dashboard", NULL), &endpoint_dashboard);
    assert_ptr_equal(routing_find_endpoint("/dashboard/", NULL), &endpoint_dashboard);
    assert_ptr_equal(routing_find_endpoint("/dashboard/app.js", NULL), &endpoint_dashboard);
    assert_ptr_equal(routing_find_endpoint("/dashboard/a/b", NULL), &endpoint_dashboard);
}

static void test_subtree_is_not_a_prefix_of_names(void **state) {
    (void)state;
    assert_null(routing_find_endpoint("/dashboardx", NULL));
    assert_null(routing_find_endpoint("/dashboard.js", NULL));
    assert_null(routing_find_endpoint("/dash", NULL));
}

/* The route number is the endpoint's place in the table + 1 (0: none),
 * the number metrics counts responses by. */
static void test_route_numbers(void **state) {
    (void)state;
    size_t route = 99;
    assert_ptr_equal(routing_find_endpoint("/dashboard/app.js", &route), &endpoint_dashboard);
    assert_ptr_equal(endpoints[route - 1], &endpoint_dashboard);
    assert_ptr_equal(routing_find_endpoint("/statistics", &route), &endpoint_statistics);
    assert_ptr_equal(endpoints[route - 1], &endpoint_statistics);
    assert_null(routing_find_endpoint("/nowhere", &route));
    assert_int_equal(route, 0);
}

static const struct embedded_file *embedded(const char *name) {
    for (const struct embedded_file *f = dashboard_files; f->name != NULL; f++) {
        if (strcmp(f->name, name) == 0) return f;
    }
    return NULL;
}

static void test_dashboard_files_are_embedded(void **state) {
    (void)state;
    static const char *const names[] = {"index.html", "app.js", "style.css"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct embedded_file *f = embedded(names[i]);
        assert_non_null(f);
        assert_true(f->len > 0);
        assert_int_equal(f->data[f->len], '\0');
        assert_int_equal(strlen((const char *)f->data), f->len); /* text, no NUL inside */
    }
    const struct embedded_file *page = embedded("index.html");
    assert_memory_equal(page->data, "<!doctype html>", 15);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_paths),
        cmocka_unit_test(test_subtree_holds_its_path_and_below),
        cmocka_unit_test(test_subtree_is_not_a_prefix_of_names),
        cmocka_unit_test(test_route_numbers),
        cmocka_unit_test(test_dashboard_files_are_embedded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
