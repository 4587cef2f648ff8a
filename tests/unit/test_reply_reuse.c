/* test_reply_reuse.c -- unit tests for reply_reuse.c, on a real hiredis
 * reader: top-level integers, nils, statuses, errors and short strings
 * come out right and in the one reusable object; arrays (with their
 * elements) and long strings come from the heap; a second reply alive at
 * the same time is built on the heap; freeing gives the object back; a
 * protocol error mid-array frees what was built. Run under ASan
 * (make test-asan) the heap paths are checked for leaks and double frees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#include "reply_reuse.h"

static redisReader *reader(void) {
    redisReader *r = redisReaderCreate();
    assert_non_null(r);
    reply_reuse_attach(r);
    return r;
}

static redisReply *next(redisReader *r, const char *bytes) {
    void *reply = NULL;
    assert_int_equal(redisReaderFeed(r, bytes, strlen(bytes)), REDIS_OK);
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
    assert_non_null(reply);
    return reply;
}

static void test_scalars_share_one_object(void **state) {
    (void)state;
    redisReader *r = reader();
    redisReply *a = next(r, ":42\r\n");
    assert_int_equal(a->type, REDIS_REPLY_INTEGER);
    assert_int_equal(a->integer, 42);
    r->fn->freeObject(a);

    redisReply *b = next(r, "$5\r\nhello\r\n");
    assert_ptr_equal(b, a); /* the same object, given back and taken again */
    assert_int_equal(b->type, REDIS_REPLY_STRING);
    assert_int_equal(b->len, 5);
    assert_string_equal(b->str, "hello");
    r->fn->freeObject(b);

    redisReply *c = next(r, "-MOVED 3999 127.0.0.1:7002\r\n");
    assert_ptr_equal(c, a);
    assert_int_equal(c->type, REDIS_REPLY_ERROR);
    assert_string_equal(c->str, "MOVED 3999 127.0.0.1:7002");
    r->fn->freeObject(c);

    redisReply *d = next(r, "+OK\r\n");
    assert_int_equal(d->type, REDIS_REPLY_STATUS);
    assert_string_equal(d->str, "OK");
    r->fn->freeObject(d);

    redisReply *e = next(r, "$-1\r\n");
    assert_ptr_equal(e, a);
    assert_int_equal(e->type, REDIS_REPLY_NIL);
    r->fn->freeObject(e);
    redisReaderFree(r);
}

static void test_arrays_and_long_strings_on_the_heap(void **state) {
    (void)state;
    redisReader *r = reader();
    redisReply *scalar = next(r, ":1\r\n");
    r->fn->freeObject(scalar);

    redisReply *a = next(r, "*3\r\n$1\r\nf\r\n:7\r\n$-1\r\n");
    assert_ptr_not_equal(a, scalar);
    assert_int_equal(a->type, REDIS_REPLY_ARRAY);
    assert_int_equal(a->elements, 3);
    assert_string_equal(a->element[0]->str, "f");
    assert_int_equal(a->element[1]->integer, 7);
    assert_int_equal(a->element[2]->type, REDIS_REPLY_NIL);
    r->fn->freeObject(a);

    char long_bulk[300];
    char body[201];
    memset(body, 'x', 200);
    body[200] = '\0';
    snprintf(long_bulk, sizeof(long_bulk), "$200\r\n%s\r\n", body);
    redisReply *l = next(r, long_bulk);
    assert_ptr_not_equal(l, scalar);
    assert_int_equal(l->len, 200);
    assert_string_equal(l->str, body);
    r->fn->freeObject(l);
    redisReaderFree(r);
}

/* Two replies alive at once (two readers on one thread): the second is
 * built on the heap, and the object is free again after the first. */
static void test_second_live_reply_on_the_heap(void **state) {
    (void)state;
    redisReader *r1 = reader(), *r2 = reader();
    redisReply *a = next(r1, ":1\r\n");
    redisReply *b = next(r2, ":2\r\n");
    assert_ptr_not_equal(a, b);
    assert_int_equal(a->integer, 1);
    assert_int_equal(b->integer, 2);
    r2->fn->freeObject(b);
    r1->fn->freeObject(a);
    redisReply *c = next(r1, ":3\r\n");
    assert_ptr_equal(c, a);
    r1->fn->freeObject(c);
    redisReaderFree(r1);
    redisReaderFree(r2);
}

static void test_protocol_error_mid_array(void **state) {
    (void)state;
    redisReader *r = reader();
    void *reply = NULL;
    const char *bad = "*2\r\n:1\r\n!oops\r\n";
    assert_int_equal(redisReaderFeed(r, bad, strlen(bad)), REDIS_OK);
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_ERR);
    assert_null(reply);
    redisReaderFree(r);
    /* The object was never taken: the next reader gets it. */
    redisReader *r2 = reader();
    redisReply *a = next(r2, ":5\r\n");
    assert_int_equal(a->integer, 5);
    r2->fn->freeObject(a);
    redisReaderFree(r2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_share_one_object),
        cmocka_unit_test(test_arrays_and_long_strings_on_the_heap),
        cmocka_unit_test(test_second_live_reply_on_the_heap),
        cmocka_unit_test(test_protocol_error_mid_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
