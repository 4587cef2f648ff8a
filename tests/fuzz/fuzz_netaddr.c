/* fuzz_netaddr.c -- libFuzzer target: --trusted-proxies lists (netaddr.c)
 * and the headers built from client input (forwarded.c).
 *
 * The input is split at its first newline into an address list and a
 * header value. A refused list gets a reason and leaves nothing allocated;
 * in an accepted one every block holds its own address, written out and
 * parsed again it is the same address, and its prefix fits its family. The
 * header value, as an X-Forwarded-For from a peer the list trusts and from
 * one it does not, and as a User-Agent, comes out bounded, without control
 * characters, and ending with the peer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "forwarded.h"
#include "netaddr.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void check_list(const struct netaddr_list *list) {
    for (size_t i = 0; i < list->n; i++) {
        const struct netaddr_block *b = &list->blocks[i];
        CHECK(b->addr.family == AF_INET || b->addr.family == AF_INET6);
        CHECK(b->prefix <= (b->addr.family == AF_INET ? 32u : 128u));
        CHECK(netaddr_list_contains(list, &b->addr));
        char text[NETADDR_TEXT_MAX];
        netaddr_format(&b->addr, text);
        struct netaddr again;
        CHECK(netaddr_parse(text, strlen(text), &again));
        CHECK(again.family == b->addr.family);
        CHECK(memcmp(again.bytes, b->addr.bytes, sizeof(again.bytes)) == 0);
    }
}

static void check_forwarded(const struct netaddr_list *list, const struct netaddr *peer,
                            const char *incoming) {
    struct buf out;
    buf_init(&out);
    forwarded_for(&out, list, peer, incoming);
    CHECK(!out.failed && out.len > 0 && out.len <= FORWARDED_FOR_MAX);
    for (size_t i = 0; i < out.len; i++)
        CHECK((unsigned char)out.data[i] >= 0x20 && (unsigned char)out.data[i] < 0x7F);
    char text[NETADDR_TEXT_MAX];
    netaddr_format(peer, text);
    size_t n = strlen(text);
    CHECK(out.len >= n && memcmp(out.data + out.len - n, text, n) == 0);
    if (!netaddr_list_contains(list, peer)) CHECK(out.len == n);
    buf_free(&out);
}

static void check_clean(const char *value) {
    struct buf out;
    buf_init(&out);
    forwarded_append_clean(&out, value, FORWARDED_UA_MAX);
    CHECK(!out.failed && out.len <= FORWARDED_UA_MAX);
    for (size_t i = 0; i < out.len; i++)
        CHECK((unsigned char)out.data[i] >= 0x20 && out.data[i] != 0x7F);
    CHECK(out.len == 0 || (out.data[0] != ' ' && out.data[out.len - 1] != ' '));
    buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nl = memchr(data, '\n', size);
    size_t list_len = nl ? (size_t)(nl - data) : size;
    size_t value_len = nl ? size - list_len - 1 : 0;
    char *text = malloc(list_len + 1), *value = malloc(value_len + 1);
    CHECK(text != NULL && value != NULL);
    memcpy(text, data, list_len);
    text[list_len] = '\0';
    if (value_len) memcpy(value, nl + 1, value_len);
    value[value_len] = '\0';

    /* netaddr_parse reads exactly `len` bytes: an exact-size copy. */
    char *exact = malloc(list_len ? list_len : 1);
    CHECK(exact != NULL);
    memcpy(exact, data, list_len);
    struct netaddr a;
    (void)netaddr_parse(exact, list_len, &a);
    free(exact);

    struct netaddr_list list;
    char why[256];
    if (netaddr_list_parse(text, &list, why, sizeof(why))) {
        check_list(&list);
        struct netaddr peer = list.n ? list.blocks[0].addr : (struct netaddr){.family = AF_INET};
        check_forwarded(&list, &peer, value);
        struct netaddr outsider = {.family = AF_INET6, .bytes = {0x20, 0x01, 0x0d, 0xb8}};
        check_forwarded(&list, &outsider, value);
    } else {
        CHECK(list.blocks == NULL && list.n == 0);
        CHECK(why[0] != '\0' && memchr(why, '\0', sizeof(why)) != NULL);
    }
    check_clean(value);
    netaddr_list_free(&list);
    free(value);
    free(text);
    return 0;
}
