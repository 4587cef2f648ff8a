#!/usr/bin/env python3
"""pixels.py -- request paths for `make bench`'s tracking runs.

    bench/pixels.py N SECRET pixels|impressions|plain PREFIX OUT

Writes N paths a line to OUT: `pixels`, `/t?k=<token>`, impression pixels
of N distinct served ads (valid for a day, signed with SECRET as adstats
signs: tests/harness/tracking.py); `impressions`, the same kind of
impressions as `/impression` calls with a served ad's id as event_id: the
same fields and the same claim round trip (the event_id rule of
README.md), so that the two runs do the same counting work and differ by
the token's verification; `plain`, those `/impression` calls without
event_id (no claim round trip: what an SDK that only reports views sends).
Users are PREFIX1..PREFIXN, one event each (use
another PREFIX per file: the same users and ids would make the second run
all duplicates), their SDK version, platform and country spread like
bench/wrk/events.lua's distinct mode (a hash of the user number)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from harness.tracking import seal, token_body  # noqa: E402

SDKS = ["4.%d.0" % (19 - i) for i in range(20)]
COUNTRIES = ["US", "IN", "BR", "ID", "GB", "DE", "FR", "MX", "JP", "RU"]
PLATFORMS = ["android"] * 6 + ["ios"] * 3 + ["web"]


def main():
    n, secret, kind, prefix, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    if kind not in ("pixels", "impressions", "plain"):
        sys.exit("pixels.py: the kind is pixels, impressions or plain, not %r" % kind)
    with open(out, "w") as f:
        for i in range(1, n + 1):
            h = (i * 2654435761) & 0xFFFFFFFF
            fields = [SDKS[h % 20], "s1", PLATFORMS[(h >> 8) % 10], "%s%d" % (prefix, i),
                      COUNTRIES[(h >> 16) % 10]]
            ad_id = os.urandom(16)
            if kind == "pixels":
                f.write("/t?k=%s\n" % seal(token_body("impression", fields, ad_id=ad_id), secret))
                continue
            path = ("/impression?sdk_version=%s&session_id=%s&platform=%s&username=%s"
                     "&country_code=%s" % tuple(fields))
            f.write(path + ("&event_id=%s\n" % ad_id.hex() if kind == "impressions" else "\n"))

if __name__ == "__main__":
    main()
