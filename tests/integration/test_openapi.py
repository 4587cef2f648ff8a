"""test_openapi.py -- keeps openapi.yaml in step with the code: every
endpoint the code routes is documented, and every documented example, sent
to a live adstats, gets the documented status (and, for client errors, the
documented message).

The convention is written at the top of openapi.yaml: a response example is
sent as a request built from the parameter and requestBody examples of the
same name; `x-requires` names the condition to set up first, `x-request`
describes a request too odd for parameter examples. A response without
content is sent once with no parameters. The document is read as JSON with
every $ref resolved, as tests/openapi.sh writes it (which also validates it).
"""
import glob
import json
import os
import re
import subprocess
import unittest
import urllib.parse

from harness import (REPO, Adstats, RedisServer, VastMock, clean_env, free_port, make_tmpdir,
                     remove_tmpdir, request)
from harness.tracking import seal, token_body

ROOT = REPO

METHODS = ("get", "head", "post", "put", "delete", "patch", "options")
ADMIN_TOKEN = "openapi-examples-token"
TRACKING_SECRET = "openapi-examples-tracking-secret"  # every server verifies GET /t tokens
FORM = "application/x-www-form-urlencoded"
# How a requestBody example of each media type is sent.
BODY_TYPES = {FORM: urllib.parse.urlencode, "application/json": json.dumps,
              "text/plain": str}


def load_spec(tmpdir):
    out = os.path.join(tmpdir, "openapi.json")
    r = subprocess.run([os.path.join(ROOT, "tests/openapi.sh"), "--json", out],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("tests/openapi.sh failed:\n" + r.stdout + r.stderr)
    with open(out) as f:
        return json.load(f)


def routed_paths():
    paths = set()
    for source in glob.glob(os.path.join(ROOT, "endpoints", "*.c")):
        with open(source) as f:
            paths.update(re.findall(r'\.path\s*=\s*"([^"]+)"', f.read()))
    return paths


class Case:
    """One request to send and the status it must get."""

    def __init__(self, path, method, op, status, name=None, example=None, response=None):
        self.path, self.method, self.status, self.name = path, method.upper(), int(status), name
        example = example or {}
        self.expected = example.get("value")
        self.requires = example.get("x-requires") or (response or {}).get("x-requires")
        self.params, self.body, self.headers = {}, None, {}
        extra = dict(example.get("x-request") or {})
        if name is not None:
            for p in op.get("parameters", []):
                if p["in"] == "query" and name in p.get("examples", {}):
                    self.params[p["name"]] = p["examples"][name]["value"]
            content = op.get("requestBody", {}).get("content", {})
            for media_type in BODY_TYPES:  # the first type with an example of that name
                body_example = content.get(media_type, {}).get("examples", {}).get(name)
                if body_example is None:
                    continue
                self.body = BODY_TYPES[media_type](body_example["value"])
                self.headers["Content-Type"] = media_type
                extra.update(body_example.get("x-request") or {})
                break
        self.apply(extra)

    def apply(self, extra):
        if "query-bytes" in extra:
            self.params["pad"] = "a" * extra["query-bytes"]
        if "body-bytes" in extra:
            self.body = (self.body or "") + "&pad=" + "a" * extra["body-bytes"]
        if "content-type" in extra:
            self.headers["Content-Type"] = extra["content-type"]
            self.body = extra["body"]
        if "authorization" in extra:
            self.headers["Authorization"] = extra["authorization"]
        if "tracking-token" in extra:  # a valid token of that event, signed now
            fields = ["1.0", "openapi-session", "ios", "openapi-pixel", "US"]
            self.params["k"] = seal(token_body(extra["tracking-token"], fields), TRACKING_SECRET)

    def __str__(self):
        return f"{self.method} {self.path} -> {self.status} ({self.name or 'no content'})"


def cases(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            for status, response in op["responses"].items():
                content = response.get("content")
                if not content:
                    yield Case(path, method, op, status, response=response)
                    continue
                for media in content.values():
                    for name, example in media.get("examples", {}).items():
                        yield Case(path, method, op, status, name, example, response)


class OpenapiExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.closers = []
        try:
            cls.tmp = make_tmpdir()
            cls.closers.append(lambda: remove_tmpdir(cls.tmp))
            cls.spec = load_spec(cls.tmp)
            cls.redis = RedisServer().start()
            cls.closers.append(cls.redis.close)
            cls.mock = VastMock().start()
            cls.closers.append(cls.mock.close)
            flags = ["--vast-timeout-ms", "500", "--cors-origin", "*", "--tracking-secret",
                     TRACKING_SECRET]
            cls.up = cls.adstats(cls.redis.url, flags)
            admin = flags + ["--admin-token", ADMIN_TOKEN]
            cls.down = cls.adstats("redis://127.0.0.1:%d/0" % free_port(), admin)
            cls.admin = cls.adstats(cls.redis.url, admin)
        except BaseException:
            cls.close_all()
            raise

    @classmethod
    def adstats(cls, redis_url, flags):
        a = Adstats(redis_url, cls.mock.url, flags, env=clean_env())
        cls.closers.append(a.close)
        return a.start()

    @classmethod
    def close_all(cls):
        for close in reversed(cls.closers):
            close()
        cls.closers = []

    @classmethod
    def tearDownClass(cls):
        problems = []
        for a in (cls.up, cls.down, cls.admin):
            code = a.stop()
            report = a.sanitizer_report()
            if code != 0 or report:
                problems.append("adstats on port %s exited %s:\n%s" % (a.port, code,
                                                                       a.stderr()[-3000:]))
        cls.close_all()
        if problems:
            raise AssertionError("\n".join(problems))

    def test_every_routed_endpoint_is_documented(self):
        self.assertEqual(routed_paths() - set(self.spec["paths"]), set())
        for path in self.spec["paths"]:
            self.assertNotEqual(request(self.up.port, "GET", path)[0], 404, path)

    def test_every_example_gets_its_documented_status(self):
        # /statistics' "found" example needs its subject counted.
        counted = next(c for c in cases(self.spec)
                       if c.path == "/impression" and c.method == "GET" and c.status == 200)
        self.assertEqual(request(self.up.port, "GET", "/impression", counted.params)[0], 200)
        sent = 0
        for case in cases(self.spec):
            with self.subTest(str(case)):
                self.send_and_check(case)
                sent += 1
        self.assertGreaterEqual(sent, 40)

    def send_and_check(self, case):
        target = {"redis-down": self.down, "admin-token": self.admin}.get(case.requires, self.up)
        if target is not self.up:  # both have the admin token; `up` has none
            case.headers.setdefault("Authorization", "Bearer " + ADMIN_TOKEN)
        scenario = {"upstream-error": [["", 500, 0]],
                    "upstream-slow": [["<VAST/>", 200, 1500]],
                    "upstream-no-fill": [["", 204, 0]]}.get(case.requires)
        if case.requires not in (None, "redis-down", "admin-token") and scenario is None:
            self.fail(f"unknown x-requires: {case.requires}")
        if scenario:
            self.mock.set_scenario(scenario)
        try:
            status, headers, data = request(target.port, case.method, case.path,
                                            case.params or None, body=case.body,
                                            headers=case.headers)
        finally:
            if scenario:
                self.mock.set_scenario([])
        self.assertEqual(status, case.status, data[:300])
        if case.expected is None or case.method == "HEAD" or case.status == 204:
            return
        if headers.get("Content-Type") == "application/json":
            body = json.loads(data)
            if 400 <= case.status < 500:
                self.assertEqual(body, case.expected)
            else:
                self.assertEqual(body.get("success"), case.expected.get("success"))
