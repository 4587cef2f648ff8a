/* forwarded.c -- cleaning the device's headers and building the
 * X-Forwarded-For chain; see forwarded.h. */
#include "forwarded.h"

#include <stdint.h>
#include <string.h>

static bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7F;
}

static bool not_printable_ascii(unsigned char c) {
    return c < 0x20 || c >= 0x7F;
}

static bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

static bool is_continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

static void truncate_to(struct buf *b, size_t len) {
    if (len >= b->len) return;
    b->len = len;
    b->data[len] = '\0';
}

/* Appends the bytes of `value` that `drop` does not refuse, blanks trimmed
 * from both ends, at most `max` of them; a UTF-8 sequence the cut would
 * split is left out whole. */
static void append_kept(struct buf *out, const char *value, size_t max,
                        bool (*drop)(unsigned char)) {
    size_t start = out->len;
    const char *c = value;
    for (; *c != '\0' && !out->failed; c++) {
        if (drop((unsigned char)*c) || (out->len == start && is_blank(*c))) continue;
        if (out->len - start == max) break;
        buf_append_char(out, *c);
    }
    if (out->failed) return;
    size_t len = out->len;
    if (*c != '\0' && is_continuation((unsigned char)*c)) {
        while (len > start && is_continuation((unsigned char)out->data[len - 1])) len--;
        if (len > start && (unsigned char)out->data[len - 1] >= 0xC0) len--;
    }
    while (len > start && is_blank(out->data[len - 1])) len--;
    truncate_to(out, len);
}

void forwarded_append_clean(struct buf *out, const char *value, size_t max) {
    append_kept(out, value, max, is_control);
}

/* Drops entries from the left of the chain out[start..] until at most
 * `budget` bytes are left, keeping whole entries. */
static void keep_rightmost(struct buf *out, size_t start, size_t budget) {
    size_t len = out->len - start;
    if (len <= budget) return;
    const char *chain = out->data + start;
    const char *comma = memchr(chain + (len - budget - 1), ',', budget + 1);
    size_t from = comma ? (size_t)(comma - chain) + 1 : len;
    while (from < len && is_blank(chain[from])) from++;
    memmove(out->data + start, chain + from, len - from);
    truncate_to(out, start + (len - from));
}

void forwarded_for(struct buf *out, const struct netaddr_list *trusted,
                   const struct netaddr *peer, const char *incoming) {
    if (peer == NULL) return;
    char addr[NETADDR_TEXT_MAX];
    netaddr_format(peer, addr);
    size_t start = out->len, addr_len = strlen(addr);
    if (incoming != NULL && netaddr_list_contains(trusted, peer)) {
        /* room for ", " and the peer */
        size_t budget = FORWARDED_FOR_MAX - 2 - addr_len;
        append_kept(out, incoming, SIZE_MAX, not_printable_ascii);
        if (out->failed) return;
        keep_rightmost(out, start, budget);
        size_t len = out->len;
        while (len > start && (out->data[len - 1] == ',' || is_blank(out->data[len - 1]))) len--;
        truncate_to(out, len);
        if (out->len > start) buf_append(out, ", ", 2);
    }
    buf_append(out, addr, addr_len);
}

bool forwarded_client(const struct netaddr_list *trusted, const struct netaddr *peer,
                      const char *incoming, struct netaddr *out) {
    if (peer == NULL) return false;
    *out = *peer;
    if (incoming == NULL || !netaddr_list_contains(trusted, peer)) return true;
    size_t end = strlen(incoming);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && incoming[start - 1] != ',') start--;
        size_t a = start, b = end;
        while (a < b && is_blank(incoming[a])) a++;
        while (b > a && is_blank(incoming[b - 1])) b--;
        struct netaddr hop;
        if (!netaddr_parse(incoming + a, b - a, &hop)) return true;
        *out = hop;
        if (!netaddr_list_contains(trusted, &hop)) return true;
        end = start > 0 ? start - 1 : 0;
    }
    return true;
}
