/* netaddr.c -- address and CIDR parsing and matching; see netaddr.h.
 *
 * Addresses are parsed by inet_pton (strict: no shorthand IPv4 such as
 * "10.1", no leading zeros), over a bounded copy since the list is not
 * cut into NUL-terminated pieces. Matching compares the prefix's whole
 * bytes, then its last partial byte under a mask. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is_v4_mapped(const struct netaddr *a) {
    return a->family == AF_INET6 && memcmp(a->bytes, v4_mapped, sizeof(v4_mapped)) == 0;
}

static void unmap_v4(struct netaddr *a) {
    memmove(a->bytes, a->bytes + 12, 4);
    memset(a->bytes + 4, 0, 12);
    a->family = AF_INET;
}

static unsigned max_prefix(const struct netaddr *a) {
    return a->family == AF_INET ? 32 : 128;
}

/* Parses without unmapping ::ffff:a.b.c.d. */
static bool parse_raw(const char *text, size_t len, struct netaddr *out) {
    char copy[NETADDR_TEXT_MAX];
    if (len == 0 || len >= sizeof(copy) || memchr(text, '\0', len) != NULL) return false;
    memcpy(copy, text, len);
    copy[len] = '\0';
    memset(out, 0, sizeof(*out));
    out->family = memchr(copy, ':', len) ? AF_INET6 : AF_INET;
    return inet_pton(out->family, copy, out->bytes) == 1;
}

bool netaddr_parse(const char *text, size_t len, struct netaddr *out) {
    if (!parse_raw(text, len, out)) return false;
    if (is_v4_mapped(out)) unmap_v4(out);
    return true;
}

/* Clears every bit past `prefix`. */
static void mask(struct netaddr *a, unsigned prefix) {
    for (unsigned byte = 0; byte < 16; byte++) {
        unsigned kept = prefix > byte * 8 ? prefix - byte * 8 : 0;
        if (kept < 8) a->bytes[byte] &= (unsigned char)(0xff00u >> kept);
    }
}

static bool parse_prefix(const char *s, size_t len, unsigned max, unsigned *out) {
    if (len == 0 || len > 3) return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max) return false;
    *out = v;
    return true;
}

static bool parse_block(const char *text, size_t len, struct netaddr_block *b, char *why,
                        size_t why_cap) {
    const char *slash = memchr(text, '/', len);
    size_t addr_len = slash ? (size_t)(slash - text) : len;
    int shown = len > 60 ? 60 : (int)len;
    if (!parse_raw(text, addr_len, &b->addr)) {
        snprintf(why, why_cap, "\"%.*s\" is not an IPv4 or IPv6 address or CIDR block", shown,
                 text);
        return false;
    }
    b->prefix = max_prefix(&b->addr);
    if (slash && !parse_prefix(slash + 1, len - addr_len - 1, b->prefix, &b->prefix)) {
        snprintf(why, why_cap, "\"%.*s\": the prefix length must be 0 to %u", shown, text,
                 max_prefix(&b->addr));
        return false;
    }
    struct netaddr masked = b->addr;
    mask(&masked, b->prefix);
    if (memcmp(masked.bytes, b->addr.bytes, sizeof(masked.bytes)) != 0) {
        char net[NETADDR_TEXT_MAX];
        netaddr_format(&masked, net);
        snprintf(why, why_cap, "\"%.*s\" has bits set past its /%u prefix (did you mean %s/%u?)",
                 shown, text, b->prefix, net, b->prefix);
        return false;
    }
    if (is_v4_mapped(&b->addr) && b->prefix >= 96) {
        unmap_v4(&b->addr);
        b->prefix -= 96;
    }
    return true;
}

static bool blank(char c) {
    return c == ' ' || c == '\t';
}

bool netaddr_list_parse(const char *text, struct netaddr_list *list, char *why, size_t why_cap) {
    memset(list, 0, sizeof(*list));
    const char *p = text;
    while (blank(*p)) p++;
    if (*p == '\0') return true;
    size_t entries = 1;
    for (const char *c = p; *c; c++) entries += *c == ',';
    list->blocks = calloc(entries, sizeof(*list->blocks));
    if (list->blocks == NULL) {
        snprintf(why, why_cap, "out of memory");
        return false;
    }
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *next = p + len;
        while (len > 0 && blank(p[len - 1])) len--;
        while (len > 0 && blank(*p)) {
            p++;
            len--;
        }
        if (len == 0) {
            snprintf(why, why_cap, "empty entry (two commas in a row, or one at an end)");
            break;
        }
        if (!parse_block(p, len, &list->blocks[list->n++], why, why_cap)) break;
        if (*next == '\0') return true;
        p = next + 1;
    }
    netaddr_list_free(list);
    return false;
}

void netaddr_list_free(struct netaddr_list *list) {
    free(list->blocks);
    memset(list, 0, sizeof(*list));
}

static bool block_contains(const struct netaddr_block *b, const struct netaddr *a) {
    if (b->addr.family != a->family) return false;
    unsigned whole = b->prefix / 8, rest = b->prefix % 8;
    if (memcmp(b->addr.bytes, a->bytes, whole) != 0) return false;
    if (rest == 0) return true;
    unsigned char m = (unsigned char)(0xff00u >> rest);
    return (b->addr.bytes[whole] & m) == (a->bytes[whole] & m);
}

bool netaddr_list_contains(const struct netaddr_list *list, const struct netaddr *addr) {
    for (size_t i = 0; i < list->n; i++) {
        if (block_contains(&list->blocks[i], addr)) return true;
    }
    return false;
}

bool netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out) {
    if (sa == NULL) return false;
    memset(out, 0, sizeof(*out));
    if (sa->sa_family == AF_INET) {
        out->family = AF_INET;
        memcpy(out->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return true;
    }
    if (sa->sa_family != AF_INET6) return false;
    out->family = AF_INET6;
    memcpy(out->bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    if (is_v4_mapped(out)) unmap_v4(out);
    return true;
}

void netaddr_format(const struct netaddr *addr, char out[NETADDR_TEXT_MAX]) {
    if (inet_ntop(addr->family, addr->bytes, out, NETADDR_TEXT_MAX) == NULL) out[0] = '\0';
}

bool netaddr_port_parse(const char *s, size_t len, int *port) {
    if (len == 0 || len > 5) return false;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535) return false;
    *port = v;
    return true;
}
