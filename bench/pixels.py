#!/usr/bin/env python3
"""pixels.py -- request paths for `make bench`'s tracking runs.

    bench/pixels.py N SECRET OUT_PIXELS OUT_IMPRESSIONS

Writes N paths a line to each file: OUT_PIXELS `/t?k=<token>`, impression
pixels of N distinct served ads (valid for a day, signed with SECRET as
adstats signs: tests/harness/tracking.py), and OUT_IMPRESSIONS the same N
impressions as `/impression` calls with the served ad's id as event_id:
the same users and fields, and the same claim round trip (the event_id
rule of README.md), so that the two runs do the same counting work and
differ only by the token's verification. Users are n1..nN, one event each,
their SDK version, platform and country spread like bench/wrk/events.lua's
distinct mode (a hash of the user number)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from harness.tracking import seal, token_body  # noqa: E402

SDKS = ["4.%d.0" % (19 - i) for i in range(20)]
COUNTRIES = ["US", "IN", "BR", "ID", "GB", "DE", "FR", "MX", "JP", "RU"]
PLATFORMS = ["android"] * 6 + ["ios"] * 3 + ["web"]


def main():
    n, secret, out_pixels, out_impressions = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    with open(out_pixels, "w") as px, open(out_impressions, "w") as imp:
        for i in range(1, n + 1):
            h = (i * 2654435761) & 0xFFFFFFFF
            fields = [SDKS[h % 20], "s1", PLATFORMS[(h >> 8) % 10], "n%d" % i,
                      COUNTRIES[(h >> 16) % 10]]
            ad_id = os.urandom(16)
            px.write("/t?k=%s\n" % seal(token_body("impression", fields, ad_id=ad_id), secret))
            imp.write("/impression?sdk_version=%s&session_id=%s&platform=%s&username=%s"
                      "&country_code=%s&event_id=%s\n" % (*fields, ad_id.hex()))


if __name__ == "__main__":
    main()
