#!/usr/bin/env python3
"""Sends COUNT GET requests for PATH over one keep-alive connection to
127.0.0.1:PORT, one after another, and fails unless every answer is 200.
A {n} in PATH becomes the request's number (0, 1, ...): distinct users.
A PATH of @FILE takes request n's path from line n of FILE (cycling), e.g.
tracking pixels minted beforehand, one token each.
Usage: client.py PORT PATH COUNT"""
import http.client
import sys

port, path, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
paths = None
if path.startswith("@"):
    with open(path[1:]) as f:
        paths = [line.strip() for line in f if line.strip()]
for n in range(count):
    target = paths[n % len(paths)] if paths else path.replace("{n}", str(n))
    conn.request("GET", target)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit("client: %s answered %d" % (target, response.status))
conn.close()
