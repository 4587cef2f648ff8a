"""stack.py -- Redis + vastmock + adstats together, and a unittest base class.

Stack starts the three; StackTestCase gives each test class one Stack and
checks, after the class, that every adstats it ran is still alive, exits 0
on SIGTERM and left no sanitizer report. unique() and unique_version() make
names no other test uses, so that tests sharing a Redis never meet.
"""

import itertools
import json
import os
import time
import unittest

from .adstats import Adstats
from .http import event_params
from .redis import RedisServer
from .vastmock import VastMock


class Stack:
    """Redis + vastmock + adstats, started together."""

    def __init__(self, adstats_args=(), redis_args=(), mock_args=()):
        self.redis = RedisServer(redis_args)
        self.mock = VastMock(mock_args)
        self.adstats_args = list(adstats_args)
        self.adstats = None
        self.extra = []  # further adstats started with start_adstats

    def start(self):
        try:
            self.redis.start()
            self.mock.start()
            self.adstats = Adstats(self.redis.url, self.mock.url, self.adstats_args).start()
        except BaseException:
            self.close()
            raise
        return self

    def start_adstats(self, extra_args=(), vast_url=None, redis_url=None):
        a = Adstats(redis_url or self.redis.url, vast_url or self.mock.url, extra_args)
        self.extra.append(a)
        return a.start()

    def close(self):
        """Stops everything and removes the temporary directories (read the
        logs first); returns the main adstats' exit code."""
        code = None
        for a in self.extra:
            a.close()
        if self.adstats is not None:
            code = self.adstats.stop()
            self.adstats.close()
        self.mock.close()
        self.redis.close()
        return code

    def redis_client(self):
        return self.redis.client()


_names = itertools.count(1)


def unique(prefix="user"):
    """A name no other test uses."""
    return "%s-%d-%d" % (prefix, os.getpid(), next(_names))


def unique_version():
    """An SDK version no other test uses (digits and dots)."""
    return "%d.%d.%d" % (os.getpid() % 10000, next(_names), int(time.time() * 1000) % 100000)


class StackTestCase(unittest.TestCase):
    """One Redis + vastmock + adstats per test class. After the class, the
    adstats must still be alive, exit 0 on SIGTERM and have no sanitizer
    report on stderr; the same holds for every extra adstats a test
    started with self.stack.start_adstats()."""

    adstats_args = ()
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(cls.adstats_args).start()
        cls.app = cls.stack.adstats
        cls.mock = cls.stack.mock
        cls.redis = cls.stack.redis.client()

    @classmethod
    def tearDownClass(cls):
        problems = []
        try:
            cls.redis.close()
            for a in [cls.app] + cls.stack.extra:
                stopped_by_test = a.returncode is not None
                died = not stopped_by_test and not a.alive()
                code = a.stop()
                report = a.sanitizer_report()
                found = []
                if died:
                    found.append("adstats on port %s had died during the tests (exit %s)"
                                 % (a.port, code))
                elif not stopped_by_test and code != 0:
                    found.append("adstats on port %s exited %s on SIGTERM, not 0" % (a.port, code))
                if report:
                    found.append("sanitizer report from adstats on port %s:\n%s" % (a.port, report))
                if found:
                    problems += found + ["its stderr (tail):\n" + a.stderr()[-3000:]]
        finally:
            cls.stack.close()
        if problems:
            raise AssertionError("\n".join(problems))

    def tearDown(self):
        if not self.app.alive():
            self.fail("adstats died:\n" + self.app.stderr()[-3000:])

    # -- helpers --
    def assertJSON(self, resp, status):
        """Checks status and Content-Type; returns the parsed body."""
        code, headers, body = resp
        self.assertEqual(code, status, "body: %r" % body[:500])
        ctype = headers.get("Content-Type", "")
        self.assertTrue(ctype.lower().startswith("application/json"),
                        "Content-Type %r, body %r" % (ctype, body[:200]))
        return json.loads(body.decode("utf-8"))

    def assertError(self, resp, status, mentions=None):
        """A JSON error: exactly {"success": false, "message": <str>}."""
        doc = self.assertJSON(resp, status)
        self.assertEqual(sorted(doc), ["message", "success"], doc)
        self.assertIs(doc["success"], False)
        self.assertIsInstance(doc["message"], str)
        self.assertTrue(doc["message"])
        for word in ([mentions] if isinstance(mentions, str) else mentions or []):
            self.assertIn(word, doc["message"])
        return doc["message"]

    def impression(self, user, sdk, post=False, app=None, **overrides):
        app = app or self.app
        params = event_params(user, sdk, **overrides)
        resp = app.post_form("/impression", params) if post else app.get("/impression", params)
        doc = self.assertJSON(resp, 200)
        self.assertEqual(doc, {"success": True, "message": "Successfully fetched"})
        return resp

    def ad(self, user, sdk, post=False, app=None, **overrides):
        app = app or self.app
        params = event_params(user, sdk, **overrides)
        return app.post_form("/ad", params) if post else app.get("/ad", params)

    def stats(self, app=None, **params):
        app = app or self.app
        return app.get("/statistics", params)

    def counters(self, dim, value):
        """HGETALL of as:<dim>:t:<value> straight from Redis."""
        key = b"as:" + dim.encode() + b":t:" + (value.encode() if isinstance(value, str) else value)
        return self.redis.hgetall(key)
