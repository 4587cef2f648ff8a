/* test_combine.c -- unit tests for combine.c (write combining): which
 * commands merge and how (sums, joined PFADD elements), which never do
 * (EXPIREAT among them), that merged commands keep first-appearance
 * order, that every original command is one dependency of exactly the
 * merged command it went into, and that a plan can be made again and
 * again with the same combiner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "combine.h"

/* Adds one command given as space-separated words. */
static void add(struct store_batch *b, const char *words) {
    struct store_cmd *c = store_cmd_add(b);
    char copy[256];
    strcpy(copy, words);
    for (char *w = strtok(copy, " "); w != NULL; w = strtok(NULL, " "))
        store_arg_copy(b, c, w, strlen(w));
}

/* Merged command i as space-separated words. */
static const char *merged(const struct combine_plan *p, size_t i) {
    static char out[1024];
    int argc = p->slots[i].argc;
    const char *const *argv = p->slots[i].argv;
    const size_t *len = p->slots[i].argvlen;
    size_t at = 0;
    for (int a = 0; a < argc; a++)
        at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%.*s", a ? " " : "", (int)len[a],
                               argv[a]);
    return out;
}

struct fixture {
    struct store_batch b[4];
    struct store_batch *list[4];
    struct combiner *c;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof(*f));
    for (int i = 0; i < 4; i++) {
        store_batch_init(&f->b[i], NULL, NULL);
        f->list[i] = &f->b[i];
    }
    f->c = combiner_new();
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    combiner_free(f->c);
    free(f);
    return 0;
}

static void test_increments_sum(void **state) {
    struct fixture *f = *state;
    add(&f->b[0], "HINCRBY as:s:t:1.0 imp 1");
    add(&f->b[0], "ZINCRBY as:s:top:imp 1 1.0");
    add(&f->b[1], "HINCRBY as:s:t:1.0 imp 1");
    add(&f->b[1], "ZINCRBY as:s:top:imp 5 1.0");
    add(&f->b[2], "HINCRBY as:s:t:1.0 imp -3");
    /* sums in decimal as Redis reads them: 0 and the extremes too */
    add(&f->b[0], "HINCRBY as:s:t:2.0 imp 5");
    add(&f->b[1], "HINCRBY as:s:t:2.0 imp -5");
    add(&f->b[1], "HINCRBY as:s:t:3.0 imp 9223372036854775807");
    add(&f->b[2], "HINCRBY as:s:t:4.0 imp -9223372036854775808");
    struct combine_plan *p = combine_plan(f->c, f->list, 3);
    assert_non_null(p);
    assert_int_equal(p->n_slots, 5);
    assert_int_equal(p->pending, 5);
    assert_string_equal(merged(p, 0), "HINCRBY as:s:t:1.0 imp -1");
    assert_string_equal(merged(p, 1), "ZINCRBY as:s:top:imp 6 1.0");
    assert_string_equal(merged(p, 2), "HINCRBY as:s:t:2.0 imp 0");
    assert_string_equal(merged(p, 3), "HINCRBY as:s:t:3.0 imp 9223372036854775807");
    assert_string_equal(merged(p, 4), "HINCRBY as:s:t:4.0 imp -9223372036854775808");
    assert_int_equal(p->slots[0].n_deps, 3);
    assert_int_equal(p->slots[1].n_deps, 2);
    free(p);
}

/* A tagged command's dependency carries its index, for its reply. */
static void test_tagged_commands_keep_their_index(void **state) {
    struct fixture *f = *state;
    add(&f->b[0], "HINCRBY as:s:d20250101:b0001 i:1.0 1");
    add(&f->b[0], "HINCRBY as:s:t:1.0 imp 1");
    f->b[0].cmds[1].tag = 2;
    add(&f->b[1], "HINCRBY as:s:t:1.0 imp 1");
    add(&f->b[2], "HINCRBY as:s:t:1.0 imp 1");
    f->b[2].cmds[0].tag = 2;
    struct combine_plan *p = combine_plan(f->c, f->list, 3);
    assert_non_null(p);
    assert_int_equal(p->n_slots, 2);
    assert_string_equal(merged(p, 1), "HINCRBY as:s:t:1.0 imp 3");
    const struct combine_slot *s = &p->slots[1];
    assert_int_equal(s->n_deps, 3);
    assert_ptr_equal(p->deps[s->first_dep], &f->b[0]);
    assert_int_equal(p->dep_index[s->first_dep], 1);
    assert_int_equal(p->dep_index[s->first_dep + 1], COMBINE_NO_REPLY);
    assert_ptr_equal(p->deps[s->first_dep + 2], &f->b[2]);
    assert_int_equal(p->dep_index[s->first_dep + 2], 0);
    assert_int_equal(p->dep_index[p->slots[0].first_dep], COMBINE_NO_REPLY);
    free(p);
}

static void test_different_identities_stay_apart(void **state) {
    struct fixture *f = *state;
    add(&f->b[0], "HINCRBY as:s:t:1.0 imp 1");
    add(&f->b[1], "HINCRBY as:s:t:1.0 req 1");    /* other field */
    add(&f->b[1], "HINCRBY as:s:t:1.1 imp 1");    /* other key */
    add(&f->b[2], "ZINCRBY as:s:top:imp 1 1.1");  /* other member */
    add(&f->b[2], "ZINCRBY as:s:top:imp 1 1.0");
    add(&f->b[2], "EXPIREAT k 100");
    add(&f->b[3], "EXPIREAT k 100");               /* the same: sent as is */
    add(&f->b[3], "HINCRBY as:s:t:1.0 imp x");     /* not a number: sent as is */
    add(&f->b[3], "HINCRBY as:s:t:1.0 imp x");
    struct combine_plan *p = combine_plan(f->c, f->list, 4);
    assert_non_null(p);
    assert_int_equal(p->n_slots, 9);
    free(p);
}

static void test_pfadd_joins_elements(void **state) {
    struct fixture *f = *state;
    add(&f->b[0], "PFADD as:c:h:US s1");
    add(&f->b[0], "EXPIREAT as:c:h20250102:US 1770422400");
    add(&f->b[1], "PFADD as:c:h:US s2 s3");
    add(&f->b[1], "EXPIREAT as:c:h20250102:US 1770422400"); /* not merged */
    add(&f->b[2], "PFADD as:c:h:DE s1");
    add(&f->b[2], "PFADD as:c:h:US s1");
    struct combine_plan *p = combine_plan(f->c, f->list, 3);
    assert_int_equal(p->n_slots, 4);
    assert_string_equal(merged(p, 0), "PFADD as:c:h:US s1 s2 s3 s1");
    assert_string_equal(merged(p, 1), "EXPIREAT as:c:h20250102:US 1770422400");
    assert_string_equal(merged(p, 2), "EXPIREAT as:c:h20250102:US 1770422400");
    assert_string_equal(merged(p, 3), "PFADD as:c:h:DE s1");
    assert_int_equal(p->slots[0].n_deps, 3);
    assert_int_equal(p->slots[1].n_deps, 1);
    assert_int_equal(p->slots[2].n_deps, 1);
    assert_int_equal(p->slots[3].n_deps, 1);
    free(p);
}

static void test_other_commands_pass_through_in_order(void **state) {
    struct fixture *f = *state;
    add(&f->b[0], "XADD ev MAXLEN ~ 1000 * type impression");
    add(&f->b[0], "SET as:e:i:x 1 EX 86400");
    add(&f->b[1], "XADD ev MAXLEN ~ 1000 * type impression");
    struct combine_plan *p = combine_plan(f->c, f->list, 2);
    assert_int_equal(p->n_slots, 3);
    assert_string_equal(merged(p, 0), "XADD ev MAXLEN ~ 1000 * type impression");
    assert_string_equal(merged(p, 1), "SET as:e:i:x 1 EX 86400");
    assert_string_equal(merged(p, 2), "XADD ev MAXLEN ~ 1000 * type impression");
    free(p);
}

static void test_every_command_is_one_dependency(void **state) {
    struct fixture *f = *state;
    add(&f->b[0], "HINCRBY a f 1");
    add(&f->b[0], "EXPIREAT a 10");
    add(&f->b[0], "HINCRBY a f 1"); /* twice in one batch: two dependencies */
    add(&f->b[1], "EXPIREAT a 10");
    add(&f->b[1], "PFADD h x");
    struct combine_plan *p = combine_plan(f->c, f->list, 2);
    size_t per_batch[2] = {0, 0}, total = 0;
    for (size_t s = 0; s < p->n_slots; s++) {
        for (size_t d = 0; d < p->slots[s].n_deps; d++) {
            struct store_batch *b = p->deps[p->slots[s].first_dep + d];
            per_batch[b == &f->b[0] ? 0 : 1]++;
            total++;
        }
        assert_ptr_equal(p->slots[s].plan, p);
    }
    assert_int_equal(per_batch[0], f->b[0].n_cmds);
    assert_int_equal(per_batch[1], f->b[1].n_cmds);
    assert_int_equal(total, 5);
    assert_string_equal(merged(p, 0), "HINCRBY a f 2");
    free(p);
}

static void test_sum_overflow_is_not_merged(void **state) {
    struct fixture *f = *state;
    add(&f->b[0], "HINCRBY a f 999999999999999999");
    for (int i = 0; i < 10; i++) add(&f->b[1], "HINCRBY a f 999999999999999999");
    struct combine_plan *p = combine_plan(f->c, f->list, 2);
    /* sums stay exact: a command that would overflow goes alone */
    long long units = 0;
    for (size_t s = 0; s < p->n_slots; s++) {
        const char *m = merged(p, s);
        assert_int_equal(strncmp(m, "HINCRBY a f ", 12), 0);
        long long v = strtoll(m + 12, NULL, 10);
        assert_true(v > 0);
        assert_int_equal(v % 999999999999999999LL, 0);
        units += v / 999999999999999999LL;
    }
    assert_int_equal(units, 11);
    free(p);
}

static void test_repeated_plans_reuse_the_combiner(void **state) {
    struct fixture *f = *state;
    char cmd[64];
    for (int round = 0; round < 300; round++) {
        for (int i = 0; i < 2; i++) {
            store_batch_init(&f->b[i], NULL, NULL);
            for (int k = 0; k < 20; k++) {
                snprintf(cmd, sizeof(cmd), "HINCRBY key%d f 1", (round + k) % 25);
                add(&f->b[i], cmd);
            }
        }
        struct combine_plan *p = combine_plan(f->c, f->list, 2);
        assert_non_null(p);
        assert_int_equal(p->n_slots, 20);
        for (size_t s = 0; s < p->n_slots; s++) {
            const char *m = merged(p, s);
            assert_string_equal(m + strlen(m) - 2, " 2");
        }
        free(p);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_increments_sum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_different_identities_stay_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pfadd_joins_elements, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_commands_pass_through_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_every_command_is_one_dependency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tagged_commands_keep_their_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sum_overflow_is_not_merged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_plans_reuse_the_combiner, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
