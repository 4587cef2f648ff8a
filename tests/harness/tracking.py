"""tracking -- tracking tokens of GET /t made in Python (include/track_token.h's
wire format, versions 1 and 2), for tests that need a valid token, a forged
one or one adstats would never make. Standard library only.

A token is base64url (no padding) of: version, event, served_at (8 bytes,
big-endian Unix seconds), the 16-byte ad id, the five request fields each
as a length byte and its bytes, then the signature. Version 1 (earlier
releases): HMAC-SHA256 over "adstats tracking token" + all of that.
Version 2 (what adstats makes now): 8 bytes of the HMAC-SHA256 over
"adstats tracking token" + all of that with the event byte replaced by
event // 4, the slice 8 * (event % 4)."""
import base64
import hashlib
import hmac
import os
import struct
import time

EVENTS = ["impression", "start", "firstQuartile", "midpoint", "thirdQuartile", "complete",
          "click"]
MAC_LABEL = b"adstats tracking token"


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(token):
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def token_body(event, fields, served_at=None, ad_id=None, version=2):
    """The signed part of a token; `fields` are sdk_version, session_id,
    platform, username, country_code."""
    out = bytes([version, EVENTS.index(event)])
    out += struct.pack(">q", int(time.time()) if served_at is None else served_at)
    out += ad_id or os.urandom(16)
    for v in fields:
        b = v.encode()
        out += bytes([len(b)]) + b
    return out


def seal(body, key):
    """The token of `body` signed with `key` (text): version 2's tag if the
    body says version 2, else version 1's MAC."""
    if body[0] != 2:
        return b64(body + hmac.new(key.encode(), MAC_LABEL + body, hashlib.sha256).digest())
    event = body[1]
    grouped = body[:1] + bytes([event // 4]) + body[2:]
    mac = hmac.new(key.encode(), MAC_LABEL + grouped, hashlib.sha256).digest()
    return b64(body + mac[8 * (event % 4):8 * (event % 4) + 8])


def token_event(token):
    """The event name a token carries (not verified)."""
    return EVENTS[unb64(token)[1]]
