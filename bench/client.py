#!/usr/bin/env python3
"""Sends COUNT GET requests for PATH over one keep-alive connection to
127.0.0.1:PORT, one after another, and fails unless every answer is 200.
Usage: client.py PORT PATH COUNT"""
import http.client
import sys

port, path, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for _ in range(count):
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit("client: %s answered %d" % (path, response.status))
conn.close()
