/* netaddr.h -- IPv4/IPv6 addresses and CIDR blocks, for --trusted-proxies.
 *
 * A list is written "10.0.0.0/8, 192.168.1.7, fd00::/8": addresses or
 * blocks separated by commas, spaces around them ignored; an address alone
 * is a block of one. A block with bits set past its prefix (10.0.0.1/8) is
 * refused rather than guessed at: it is usually a typo for a different
 * block. IPv4-mapped IPv6 peers (::ffff:a.b.c.d, as a dual-stack socket
 * reports IPv4 clients) are matched as the IPv4 address they carry. */
#ifndef ADSTATS_NETADDR_H
#define ADSTATS_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

/* Long enough for any IPv6 address in text, NUL included. */
#define NETADDR_TEXT_MAX 46

struct netaddr {
    int family;               /* AF_INET or AF_INET6 */
    unsigned char bytes[16];  /* network order; 4 used for AF_INET */
};

struct netaddr_block {
    struct netaddr addr;
    unsigned prefix;          /* leading bits that must match */
};

struct netaddr_list {
    struct netaddr_block *blocks;
    size_t n;
};

/* Parses a TCP port, 1 to 65535 in decimal digits only, `len` bytes at `s`
 * (no NUL needed). */
bool netaddr_port_parse(const char *s, size_t len, int *port);

/* Parses a numeric address, `len` bytes at `text` (no NUL needed). */
bool netaddr_parse(const char *text, size_t len, struct netaddr *out);

/* Parses an address list; an empty (or all-blank) text is an empty list.
 * On failure returns false with a one-line reason in `why` and leaves
 * `list` empty. */
bool netaddr_list_parse(const char *text, struct netaddr_list *list, char *why, size_t why_cap);

void netaddr_list_free(struct netaddr_list *list);

bool netaddr_list_contains(const struct netaddr_list *list, const struct netaddr *addr);

/* A socket address's IP (an IPv4-mapped one as IPv4); false for other
 * families or NULL. */
bool netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out);

/* Writes the address as text, NUL-terminated ("192.0.2.1", "2001:db8::1"). */
void netaddr_format(const struct netaddr *addr, char out[NETADDR_TEXT_MAX]);

#endif
