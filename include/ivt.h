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
 * Deny list: a netaddr.h address list, as --trusted-proxies is written
 * ("192.0.2.0/24, 2001:db8::/32, 198.51.100.7"): addresses or CIDR blocks
 * separated by commas, host bits below the prefix refused (a typo like
 * 10.0.0.1/8 is not silently widened), an IPv4 client seen on a
 * dual-stack socket (::ffff:a.b.c.d) matched as IPv4. */
#ifndef ADSTATS_IVT_H
#define ADSTATS_IVT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "netaddr.h"

#define IVT_PATTERNS_MAX 1024
#define IVT_PATTERN_MAX_LEN 256
#define IVT_FILE_MAX (256 * 1024)
#define IVT_CIDRS_MAX 4096

enum ivt_verdict {
    IVT_VALID,
    IVT_USER_AGENT,  /* the User-Agent matched a pattern */
    IVT_ADDRESS,     /* the client address is in the deny list */
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

/* Replaces the deny list with `list` (netaddr.h's syntax; "" for none). On
 * any error keeps the old one, appends "deny list: why" to `err` and
 * returns false. */
bool ivt_set_deny_list(struct ivt *v, const char *list, struct buf *err);

size_t ivt_user_agent_count(const struct ivt *v);
size_t ivt_deny_count(const struct ivt *v);

bool ivt_user_agent_matches(const struct ivt *v, const char *ua, size_t len);
bool ivt_address_denied(const struct ivt *v, const struct netaddr *a);

/* The verdict for one request: the User-Agent rule first. `ua` may be
 * NULL (no header), `a` NULL (address unknown). */
enum ivt_verdict ivt_classify(const struct ivt *v, const char *ua, size_t ua_len,
                              const struct netaddr *a);

/* "valid", "user_agent", "address": for logs and metric labels. */
const char *ivt_verdict_name(enum ivt_verdict verdict);

#endif
