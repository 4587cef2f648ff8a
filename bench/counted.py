#!/usr/bin/env python3
"""What adstats on 127.0.0.1:PORT counted, through /statistics (so through
whatever the key layout is): with USER and FIELD (impressions or
ad_requests) that user's counter, without them every impression, summed
over the three platforms the benchmark sends. A 503 (Redis busy on a
loaded machine) is retried for up to 10 s, a 404 (nothing counted yet)
is 0; anything else fails loudly.
Usage: counted.py PORT [USER FIELD]"""
import json
import sys
import time
import urllib.error
import urllib.request


def value(port, dimension, name, field):
    url = "http://127.0.0.1:%s/statistics?%s=%s" % (port, dimension, name)
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return int(json.load(r)[name][field])
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return 0  # nothing counted for it yet
            if e.code != 503 or time.monotonic() > deadline:
                sys.exit("counted: %s answered %d" % (url, e.code))
            time.sleep(0.2)


def main():
    port = sys.argv[1]
    if len(sys.argv) == 4:
        print(value(port, "username", sys.argv[2], sys.argv[3]))
    else:
        print(sum(value(port, "platform", p, "impressions") for p in ("android", "ios", "web")))


main()
