/* test_redis_libevent.c -- unit tests for redis_libevent.c, with a real
 * hiredis async context on a real libevent loop, connected over loopback
 * TCP to a fake Redis this test plays itself (it reads and answers when
 * told to): a write that the socket takes whole goes out in the same turn
 * of the loop and registers no write event; one that fills the socket
 * buffers waits for writability and completes once the fake Redis reads,
 * and the replies reach their callbacks; a refused connection frees the
 * adapter's state (ASan: make test-asan); a second attach is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "redis_libevent.h"

struct fake {
    int listen_fd, peer_fd;
    int port;
    struct event_base *base;
    redisAsyncContext *ac;
    int replies, connected;
};

static int listen_loopback(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int small = 4096; /* inherited by the accepted socket: fills fast */
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void on_connect(const redisAsyncContext *ac, int status) {
    struct fake *f = ac->data;
    f->connected = status == REDIS_OK ? 1 : -1;
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata) {
    struct fake *f = ac->data;
    (void)privdata;
    if (reply != NULL && ((redisReply *)reply)->type == REDIS_REPLY_STATUS) f->replies++;
}

static void turn(struct fake *f) {
    assert_true(event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK) >= 0);
}

/* Connected to the fake Redis, which has accepted. */
static void setup_fake(struct fake *f) {
    memset(f, 0, sizeof(*f));
    f->listen_fd = listen_loopback(&f->port);
    f->base = event_base_new();
    assert_non_null(f->base);
    f->ac = redisAsyncConnect("127.0.0.1", f->port);
    assert_non_null(f->ac);
    assert_int_equal(f->ac->err, 0);
    f->ac->data = f;
    assert_int_equal(redis_libevent_attach(f->ac, f->base), REDIS_OK);
    redisAsyncSetConnectCallback(f->ac, on_connect);
    for (int i = 0; i < 1000 && f->connected == 0; i++) turn(f);
    assert_int_equal(f->connected, 1);
    f->peer_fd = accept(f->listen_fd, NULL, NULL);
    assert_true(f->peer_fd >= 0);
    int small = 4096;
    assert_int_equal(setsockopt(f->ac->c.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
}

static void teardown_fake(struct fake *f) {
    redisAsyncFree(f->ac); /* frees the adapter's state too (ASan checks) */
    close(f->peer_fd);
    close(f->listen_fd);
    event_base_free(f->base);
}

/* What the fake Redis has received; reads until nothing more comes. */
static size_t drain(struct fake *f, char *into, size_t cap) {
    size_t got = 0;
    ssize_t n;
    while (got < cap && (n = recv(f->peer_fd, into + got, cap - got, MSG_DONTWAIT)) > 0)
        got += (size_t)n;
    return got;
}

/* Events registered or due (libevent counts an active one as added). */
static int added_events(struct fake *f) {
    return event_base_get_num_events(f->base, EVENT_BASE_COUNT_ADDED);
}

static void test_a_whole_write_goes_out_at_once(void **state) {
    (void)state;
    struct fake f;
    setup_fake(&f);
    assert_int_equal(added_events(&f), 1); /* the read event only */
    assert_int_equal(redisAsyncCommand(f.ac, on_reply, NULL, "PING"), REDIS_OK);
    /* the write is due in this turn, without waiting for writability */
    assert_int_equal(event_base_get_num_events(f.base, EVENT_BASE_COUNT_ACTIVE), 1);
    turn(&f);
    assert_int_equal(added_events(&f), 1); /* and no write event is left */
    char got[64];
    size_t n = drain(&f, got, sizeof(got));
    assert_int_equal(n, strlen("*1\r\n$4\r\nPING\r\n"));
    assert_memory_equal(got, "*1\r\n$4\r\nPING\r\n", n);

    assert_int_equal(send(f.peer_fd, "+PONG\r\n", 7, 0), 7);
    for (int i = 0; i < 1000 && f.replies == 0; i++) turn(&f);
    assert_int_equal(f.replies, 1);
    teardown_fake(&f);
}

#define BIG_VALUE (64 * 1024)
#define BIG_COMMANDS 32

static void test_a_short_write_waits_for_the_socket(void **state) {
    (void)state;
    struct fake f;
    setup_fake(&f);
    char *value = malloc(BIG_VALUE);
    assert_non_null(value);
    memset(value, 'v', BIG_VALUE);
    size_t expected = 0;
    for (int i = 0; i < BIG_COMMANDS; i++) {
        assert_int_equal(redisAsyncCommand(f.ac, on_reply, NULL, "SET k%d %b", i, value,
                                           (size_t)BIG_VALUE), REDIS_OK);
        char *cmd = NULL;
        int len = redisFormatCommand(&cmd, "SET k%d %b", i, value, (size_t)BIG_VALUE);
        assert_true(len > 0);
        expected += (size_t)len;
        redisFreeCommand(cmd);
    }
    free(value);
    turn(&f); /* the direct write: the socket takes only part of 2 MB */
    assert_int_equal(added_events(&f), 2); /* so it waits for writability */

    char *got = malloc(expected);
    assert_non_null(got);
    size_t received = 0;
    for (int i = 0; i < 100000 && received < expected; i++) {
        received += drain(&f, got + received, expected - received);
        turn(&f);
    }
    assert_int_equal(received, expected);
    assert_memory_equal(got, "*3\r\n$3\r\nSET\r\n$2\r\nk0\r\n", 21);
    free(got);
    for (int i = 0; i < 100 && added_events(&f) != 1; i++) turn(&f);
    assert_int_equal(added_events(&f), 1); /* all written: the write event is gone */

    /* the replies in two parts: the read event stays for the second */
    for (int part = 1; part <= 2; part++) {
        for (int i = 0; i < BIG_COMMANDS / 2; i++)
            assert_int_equal(send(f.peer_fd, "+OK\r\n", 5, 0), 5);
        for (int i = 0; i < 1000 && f.replies < part * BIG_COMMANDS / 2; i++) turn(&f);
        assert_int_equal(f.replies, part * BIG_COMMANDS / 2);
    }
    teardown_fake(&f);
}

static void test_a_refused_connection_frees_the_adapter(void **state) {
    (void)state;
    struct fake f;
    memset(&f, 0, sizeof(f));
    int fd = listen_loopback(&f.port);
    close(fd); /* nothing listens on the port now */
    f.base = event_base_new();
    assert_non_null(f.base);
    redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", f.port);
    assert_non_null(ac);
    if (ac->err == 0) {
        ac->data = &f;
        assert_int_equal(redis_libevent_attach(ac, f.base), REDIS_OK);
        redisAsyncSetConnectCallback(ac, on_connect);
        for (int i = 0; i < 1000 && f.connected == 0; i++) turn(&f);
        assert_int_equal(f.connected, -1); /* hiredis freed the context, and the adapter */
    } else {
        redisAsyncFree(ac); /* refused at once: nothing was attached */
    }
    assert_int_equal(added_events(&f), 0);
    event_base_free(f.base);
}

static void test_a_second_attach_is_refused(void **state) {
    (void)state;
    struct fake f;
    setup_fake(&f);
    assert_int_equal(redis_libevent_attach(f.ac, f.base), REDIS_ERR);
    teardown_fake(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_whole_write_goes_out_at_once),
        cmocka_unit_test(test_a_short_write_waits_for_the_socket),
        cmocka_unit_test(test_a_refused_connection_frees_the_adapter),
        cmocka_unit_test(test_a_second_attach_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
