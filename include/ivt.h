/* ivt.h -- general invalid traffic (GIVT): the classifier behind
 * --ivt-filter (issue 14).
 *
 * Ad-measurement auditors expect known non-human traffic to be filtered
 * before an impression counts. This module decides, for one pixel or
 * event, whether it is such traffic, by two rules:
 *
 *   - its User-Agent matches a pattern of a list (deploy/ivt-user-agents.txt
 *     is the documented default; the operator may replace it): crawlers,
 *     headless browsers, command-line and scripting HTTP clients;
 *   - its client address lies in a deny list of IPv4 and IPv6 CIDRs.
 *
 * Pattern file: one pattern a line; blank lines and lines whose first
 * non-blank character is '#' are skipped; leading and trailing blanks (and a
 * CR before the newline) are trimmed. A pattern is printable ASCII,
 * matched case-insensitively as a substring of the User-Agent; a '*' in it
 * stands for any run of characters ("Mozilla*Googlebot"). At most
 * IVT_PATTERNS_MAX patterns of IVT_PATTERN_MAX_LEN bytes each; a file that
 * breaks a rule is refused as a whole, with the line number and the reason.
 * An absent or empty User-Agent matches nothing (SDK clients send one;
 * whether its absence is invalid is not this list's question).
 *
 * Deny list: CIDRs ("192.0.2.0/24", "2001:db8::/32") or single addresses,
 * separated by commas or blanks. Host bits below the prefix must be zero
 * (a typo like 10.0.0.1/8 is refused, not silently widened). IPv4 is kept
 * as IPv4-mapped IPv6 (::ffff:a.b.c.d), so an IPv4 client seen on a
 * dual-stack socket matches IPv4 CIDRs.
 *
 * The address part is written here, behind the small ivt_addr API below,
 * because no shared CIDR module (netaddr.c, for --trusted-proxies) exists
 * yet; once one does, ivt_addr and the CIDR list should become that. */
#ifndef ADSTATS_IVT_H
#define ADSTATS_IVT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "buf.h"

#define IVT_PATTERNS_MAX 1024
#define IVT_PATTERN_MAX_LEN 256
#define IVT_FILE_MAX (256 * 1024)
#define IVT_CIDRS_MAX 4096

enum ivt_verdict {
    IVT_VALID,
    IVT_USER_AGENT,  /* the User-Agent matched a pattern */
    IVT_ADDRESS,     /* the client address is in the deny list */
};

/* An IPv6 address, or an IPv4 one mapped into IPv6. */
struct ivt_addr {
    unsigned char b[16];
};

struct ivt;

/* An empty classifier (everything valid); NULL if out of memory. */
struct ivt *ivt_new(void);
void ivt_free(struct ivt *v);

/* Adds the patterns of a pattern file's text[0..len). On any error adds
 * none, appends "line N: why" to `err` and returns false. */
bool ivt_add_user_agents(struct ivt *v, const char *text, size_t len, struct buf *err);

/* Reads the pattern file at `path` (IVT_FILE_MAX bytes at most) and adds
 * its patterns; on error appends "PATH: why" or "PATH: line N: why". */
bool ivt_load_user_agents(struct ivt *v, const char *path, struct buf *err);

/* Adds the CIDRs of a deny list; on any error adds none, appends what is
 * wrong with which entry to `err` and returns false. */
bool ivt_add_deny_list(struct ivt *v, const char *list, struct buf *err);

size_t ivt_user_agent_count(const struct ivt *v);
size_t ivt_deny_count(const struct ivt *v);

bool ivt_user_agent_matches(const struct ivt *v, const char *ua, size_t len);
bool ivt_address_denied(const struct ivt *v, const struct ivt_addr *a);

/* The verdict for one request: the User-Agent rule first. `ua` may be
 * NULL (no header), `a` NULL (address unknown). */
enum ivt_verdict ivt_classify(const struct ivt *v, const char *ua, size_t ua_len,
                              const struct ivt_addr *a);

/* "valid", "user_agent", "address": for logs and metric labels. */
const char *ivt_verdict_name(enum ivt_verdict verdict);

/* An address in text (no prefix), or a socket's peer address (AF_INET or
 * AF_INET6); false for anything else. */
bool ivt_addr_parse(const char *s, size_t len, struct ivt_addr *out);
bool ivt_addr_from_sockaddr(const struct sockaddr *sa, struct ivt_addr *out);

#endif
