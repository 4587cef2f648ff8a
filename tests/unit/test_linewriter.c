/* test_linewriter.c -- unit tests for linewriter.c: lines from several
 * threads all reach the file, whole and each thread's in order; closing
 * flushes; a full queue drops and counts instead of blocking; a file that
 * cannot be opened is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linewriter.h"

#define THREADS 4
#define LINES 2000

static char path[64];
static struct linewriter *writer;

static int make_path(void **state) {
    (void)state;
    snprintf(path, sizeof(path), "/tmp/test_linewriter.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    return 0;
}

static int remove_path(void **state) {
    (void)state;
    unlink(path);
    return 0;
}

static void *write_lines(void *arg) {
    long id = (long)arg;
    char line[64];
    for (int i = 0; i < LINES; i++) {
        int n = snprintf(line, sizeof(line), "thread %ld line %d\n", id, i);
        assert_true(linewriter_write(writer, line, (size_t)n));
    }
    return NULL;
}

static void test_all_lines_arrive_whole_and_in_order(void **state) {
    (void)state;
    writer = linewriter_open("test", path, THREADS * LINES);
    assert_non_null(writer);
    pthread_t threads[THREADS];
    for (long i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, write_lines, (void *)i), 0);
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    assert_int_equal(linewriter_dropped(writer), 0);
    linewriter_close(writer);

    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int next[THREADS] = {0}, total = 0;
    char line[64];
    while (fgets(line, sizeof(line), f) != NULL) {
        long id;
        int n;
        assert_int_equal(sscanf(line, "thread %ld line %d\n", &id, &n), 2);
        assert_true(id >= 0 && id < THREADS);
        assert_int_equal(n, next[id]++);
        total++;
    }
    fclose(f);
    assert_int_equal(total, THREADS * LINES);
}

/* Lines longer than the coalescing buffer go out alone, in order. */
static void test_long_lines_between_short_ones(void **state) {
    (void)state;
    enum { LONG = 100000 };
    char *big = malloc(LONG);
    assert_non_null(big);
    memset(big, 'x', LONG - 1);
    big[LONG - 1] = '\n';
    writer = linewriter_open("test", path, 100);
    assert_non_null(writer);
    assert_true(linewriter_write(writer, "a\n", 2));
    assert_true(linewriter_write(writer, big, LONG));
    assert_true(linewriter_write(writer, "b\n", 2));
    linewriter_close(writer);

    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *got = malloc(LONG + 16);
    assert_non_null(got);
    size_t n = fread(got, 1, LONG + 16, f);
    fclose(f);
    assert_int_equal(n, LONG + 4);
    assert_memory_equal(got, "a\n", 2);
    assert_memory_equal(got + 2, big, LONG);
    assert_memory_equal(got + 2 + LONG, "b\n", 2);
    free(got);
    free(big);
}

static void test_full_queue_drops_and_counts(void **state) {
    (void)state;
    writer = linewriter_open("test", path, 0); /* no room at all */
    assert_non_null(writer);
    assert_false(linewriter_write(writer, "x\n", 2));
    assert_false(linewriter_write(writer, "y\n", 2));
    assert_int_equal(linewriter_dropped(writer), 2);
    linewriter_close(writer);
}

static void test_unopenable_file_is_refused(void **state) {
    (void)state;
    assert_null(linewriter_open("test", "/nonexistent-dir/x.log", 10));
    linewriter_close(NULL); /* allowed */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_lines_arrive_whole_and_in_order, make_path,
                                        remove_path),
        cmocka_unit_test_setup_teardown(test_long_lines_between_short_ones, make_path,
                                        remove_path),
        cmocka_unit_test_setup_teardown(test_full_queue_drops_and_counts, make_path, remove_path),
        cmocka_unit_test(test_unopenable_file_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
