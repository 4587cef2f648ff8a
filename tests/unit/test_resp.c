/* test_resp.c -- unit tests for resp.c, commands written in RESP by hand:
 * exact bytes for known commands, and the same bytes as hiredis' own
 * formatter (redisFormatCommandArgv, what store.c used before) for
 * arguments of every length class, empty and binary ones, and commands of
 * more than nine arguments. resp_command_size is always exactly what
 * resp_command_write writes (checked against a guard byte). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

#define GUARD '\x7f'

/* Writes the command into a buffer one byte larger than its size and
 * checks that the last byte was left alone; the caller frees. */
static char *format(int argc, const char *const *argv, const size_t *len, size_t *size) {
    *size = resp_command_size(argc, argv, len);
    char *out = malloc(*size + 1);
    assert_non_null(out);
    out[*size] = GUARD;
    assert_int_equal(resp_command_write(out, argc, argv, len), *size);
    assert_int_equal(out[*size], GUARD);
    return out;
}

static void assert_format(int argc, const char *const *argv, const size_t *len,
                          const char *expected, size_t expected_len) {
    size_t size;
    char *out = format(argc, argv, len, &size);
    assert_int_equal(size, expected_len);
    assert_memory_equal(out, expected, expected_len);
    free(out);
}

/* The same bytes as hiredis writes for the same arguments. */
static void assert_like_hiredis(int argc, const char **argv, const size_t *len) {
    char *theirs = NULL;
    long long n = redisFormatCommandArgv(&theirs, argc, argv, len);
    assert_true(n > 0);
    assert_format(argc, argv, len, theirs, (size_t)n);
    redisFreeCommand(theirs);
}

static void test_known_bytes(void **state) {
    (void)state;
    const char *argv[] = {"HINCRBY", "as:u:t:bob", "imp", "1"};
    size_t len[] = {7, 10, 3, 1};
    static const char expected[] = "*4\r\n$7\r\nHINCRBY\r\n$10\r\nas:u:t:bob\r\n"
                                   "$3\r\nimp\r\n$1\r\n1\r\n";
    assert_format(4, argv, len, expected, sizeof(expected) - 1);

    const char *ping[] = {"PING"};
    assert_format(1, ping, (size_t[]){4}, "*1\r\n$4\r\nPING\r\n", 14);
}

static void test_empty_and_binary_arguments(void **state) {
    (void)state;
    const char *argv[] = {"SET", "", "a\0b\r\n$*"};
    size_t len[] = {3, 0, 7};
    static const char expected[] = "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$7\r\na\0b\r\n$*\r\n";
    assert_format(3, argv, len, expected, sizeof(expected) - 1);
    assert_like_hiredis(3, argv, len);
}

static void test_no_arguments(void **state) {
    (void)state;
    assert_format(0, NULL, NULL, "*0\r\n", 4);
}

/* Lengths around every power of ten, and argument counts past 9 and 99. */
static void test_lengths_like_hiredis(void **state) {
    (void)state;
    static const size_t lens[] = {1, 9, 10, 11, 99, 100, 101, 999, 1000, 12345, 100000};
    size_t max = 100000;
    char *bytes = malloc(max);
    assert_non_null(bytes);
    for (size_t i = 0; i < max; i++) bytes[i] = (char)(i * 31 + 7);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        const char *argv[] = {"PFADD", bytes, bytes + 1};
        size_t len[] = {5, lens[i], lens[i] - 1};
        assert_like_hiredis(3, argv, len);
    }
    enum { MANY = 150 };
    const char *argv[MANY];
    size_t len[MANY];
    for (int argc = 9; argc <= MANY; argc += 47) {
        for (int i = 0; i < argc; i++) {
            argv[i] = bytes + i;
            len[i] = (size_t)(i * 7 % 23);
        }
        assert_like_hiredis(argc, argv, len);
    }
    assert_like_hiredis(100, argv, len);
    free(bytes);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_bytes),
        cmocka_unit_test(test_empty_and_binary_arguments),
        cmocka_unit_test(test_no_arguments),
        cmocka_unit_test(test_lengths_like_hiredis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
