"""http.py -- talking HTTP to the servers under test.

  request(port, method, path, ...)   one request on a fresh connection
  HTTPClient(port)                   keep-alive HTTP/1.1, one per thread
  raw_exchange(port, data, ...)      raw bytes out, every response back
  parse_responses(buf)               consecutive responses in raw bytes
  event_params / event_query         the five parameters of an event

Every helper returns a response as (status, headers, body bytes): request
and HTTPClient a Response, which also has .status, .headers, .body, .text
and .json(). With http.client the headers are its case-insensitive message
object; parsed from raw bytes, a dict with lower-case names.
"""

import collections
import http.client
import json
import re
import socket
import time
import urllib.parse

from .ports import LOOPBACK


def encode_query(params):
    """dict or list of pairs -> urlencoded (UTF-8, '+' for space); a str or
    bytes is taken as an already-encoded raw query."""
    if params is None:
        return ""
    if isinstance(params, bytes):
        return params.decode("latin-1")
    if isinstance(params, str):
        return params
    return urllib.parse.urlencode(params)


def request(port, method, path, params=None, body=None, headers=None, timeout=10.0):
    """One request on a fresh connection: (status, headers, body bytes)."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        return _do(conn, method, path, params, body, headers)
    finally:
        conn.close()


class Response(collections.namedtuple("Response", "status headers body")):
    """A response: `status, headers, body = response`, or by name."""

    @property
    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


def _do(conn, method, path, params, body, headers):
    q = encode_query(params)
    target = path + ("?" + q if q else "")
    conn.request(method, target, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    return Response(resp.status, resp.headers, data)


class HTTPClient:
    """Keep-alive HTTP/1.1 client for one server. Not thread-safe: give each
    thread its own."""

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, params=None, body=None, headers=None):
        try:
            return _do(self._conn(), method, path, params, body, headers)
        except BaseException:
            self.close()  # never reuse a connection in an unknown state
            raise

    def get(self, path, params=None, headers=None):
        return self.request("GET", path, params, headers=headers)

    def post_form(self, path, data, headers=None):
        """POST an application/x-www-form-urlencoded body (dict, pairs, or a
        raw str/bytes body)."""
        body, h = form_request(data, headers)
        return self.request("POST", path, body=body, headers=h)


def form_request(data, headers=None):
    """The body and headers of a form POST of `data` (dict, pairs, or a raw
    str/bytes body)."""
    if isinstance(data, (dict, list, tuple)):
        data = urllib.parse.urlencode(data)
    if isinstance(data, str):
        data = data.encode("utf-8")
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    return data, h


# ---- raw bytes ---------------------------------------------------------------------

class RawReply(tuple):
    """What raw_exchange() got. As a tuple, the first response:
    `status, headers, body = raw_exchange(...)`. Besides:
      .responses  every complete response, in order, as (status, headers, body)
      .raw        every byte received
      .rest       the bytes after the last complete response (b"" normally)
      .closed     True if the server closed the connection"""

    def __new__(cls, responses, raw, rest, closed):
        self = super().__new__(cls, responses[0])
        self.responses, self.raw, self.rest, self.closed = responses, raw, rest, closed
        return self


def raw_exchange(port, data, timeout=5.0, read_limit=1 << 20, settle=0.0, head=False):
    """Sends raw bytes on a fresh connection and reads the answer: until the
    server closes, or -- once all that came parses as complete responses --
    nothing more has come for `settle` s (0: return at the first complete
    response; more to see pipelined answers or the close that follows), or
    `timeout` s have passed, or `read_limit` bytes came. `head`: the
    responses carry no body (answers to HEAD).

    Returns a RawReply; raises ConnectionError if no complete response came."""
    buf, closed = b"", False
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(buf) < read_limit:
            responses, used = parse_responses(buf, head)
            complete = bool(responses) and used == len(buf)
            if complete and settle <= 0:
                break
            s.settimeout(settle if complete else max(0.01, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                if complete:
                    break
                continue
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            buf += chunk
    responses, used = parse_responses(buf, head, closed)
    if not responses:
        raise ConnectionError("no complete HTTP response, got %r" % buf[:500])
    return RawReply(responses, buf, buf[used:], closed)


def parse_responses(buf, head=False, closed=False):
    """Parses consecutive HTTP responses from `buf`, framed by Content-Length
    (none: the body runs to the close, if `closed`; `head`: no bodies).
    Returns ([(status, headers with lower-case names, body)], bytes used)."""
    out, pos = [], 0
    while True:
        end = buf.find(b"\r\n\r\n", pos)
        if end < 0:
            return out, pos
        lines = buf[pos:end].decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if head or status in (204, 304) or 100 <= status < 200:
            length = 0
        elif "content-length" in headers:
            length = int(headers["content-length"])
        elif closed:
            length = len(buf) - end - 4
        else:
            return out, pos
        if len(buf) < end + 4 + length:
            return out, pos
        out.append((status, headers, buf[end + 4:end + 4 + length]))
        pos = end + 4 + length


# ---- events ----------------------------------------------------------------

def event_params(username, sdk_version, session_id="sess-1", platform="android",
                 country_code="US"):
    """The five parameters of an /ad or /impression, in the contract's order."""
    return [("sdk_version", sdk_version), ("session_id", session_id), ("platform", platform),
            ("username", username), ("country_code", country_code)]


def event_query(username, sdk_version="1.0", platform="android", country_code="US",
                session_id="s1"):
    """The same as a query string, not encoded (for hand-made requests)."""
    return ("sdk_version=%s&session_id=%s&platform=%s&username=%s&country_code=%s"
            % (sdk_version, session_id, platform, username, country_code))


def metric_value(text, name, **labels):
    """The value of one sample of a Prometheus text exposition (0 if absent)."""
    label = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    pattern = r"^%s%s (\S+)$" % (re.escape(name), re.escape("{%s}" % label) if label else "")
    m = re.search(pattern, text, re.M)
    return float(m.group(1)) if m else 0.0
