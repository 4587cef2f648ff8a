"""test_import_flask.py -- `adstats import-flask` against a real Redis.

The Flask service's data is written exactly as the Flask service wrote it:
on every /ad, HINCRBY <username> ad_requests_count 1 and HINCRBY
<sdk_version> ad_requests_count 1 (impressions_requests_count on every
/impression), bare names in one namespace, so a user named like an SDK
version shares its hash. Next to it lie decoys (a string, a hash with other
fields, a hash with a non-integer count, adstats' own keys). The import is
run as the real binary, and its effect is read through adstats' real HTTP
API: /statistics and /statistics/top show the imported counts, with new
events counted on top; the Flask keys are byte-identical afterwards (DUMP);
a second run adds nothing and a run after more Flask counting adds just
that; --as decides where names go; the Redis settings come from the flag,
REDIS_URL and .env as for the server; Redis errors exit 1, usage errors 2.
"""

import os
import unittest

from harness import (Proc, RedisServer, StackTestCase, binary, clean_env, eventually,
                     event_params, free_port, make_tmpdir, remove_tmpdir)

# What the Flask service saw: (username, sdk_version) of each request.
FLASK_ADS = [("alice", "1.0")] * 5 + [("bob", "2.0")] * 2 + [("2.0", "1.0")] * 3
FLASK_IMPRESSIONS = [("alice", "1.0")] * 4 + [("bob", "2.0")] + [("2.0", "1.0")] * 2
# So: alice 4/5 (impressions/ad requests), bob 1/2, SDK 1.0 6/8, and the
# key "2.0" holds user "2.0" (2/3) and SDK "2.0" (1/2) together: 3/5.
FLASK_KEYS = {"alice": (4, 5), "bob": (1, 2), "1.0": (6, 8), "2.0": (3, 5)}

DECOYS = [("SET", "session:42", "not a hash"),
          ("HSET", "settings", "theme", "dark"),
          ("HSET", "mixed", "ad_requests_count", "3", "clicks", "1"),
          ("HSET", "broken", "ad_requests_count", "many"),
          ("HSET", "negative", "impressions_requests_count", "-4")]


def flask_request(redis, field, username, sdk_version):
    redis.command("HINCRBY", username, field, 1)
    redis.command("HINCRBY", sdk_version, field, 1)


def write_flask_data(redis, ads=FLASK_ADS, impressions=FLASK_IMPRESSIONS):
    for user, sdk in ads:
        flask_request(redis, "ad_requests_count", user, sdk)
    for user, sdk in impressions:
        flask_request(redis, "impressions_requests_count", user, sdk)


def parse_report(out):
    """The `label: number` lines of the report, as a dict."""
    report = {}
    for line in out.splitlines():
        label, _, value = line.rpartition(":")
        if label and value.strip().isdigit():
            report[label.strip()] = int(value)
    return report


class ImportFlaskTest(StackTestCase):
    def setUp(self):
        self.redis.flushall()
        self.tmp = make_tmpdir("adstats-import-")

    def tearDown(self):
        remove_tmpdir(self.tmp)
        super().tearDown()

    # -- helpers --
    def run_import(self, *args, env=None, url=True):
        """Runs adstats import-flask in an empty directory: (exit code,
        report dict, stdout, stderr)."""
        argv = [binary("adstats"), "import-flask"] + list(args)
        if url:
            argv += ["--redis-url", self.stack.redis.url]
        p = Proc("import", argv, self.tmp, env=env if env is not None else clean_env(),
                 cwd=self.tmp)
        code = p.wait(30)
        p.stop()
        out, err = p.stdout(), p.stderr()
        os.remove(p.stdout_path)
        os.remove(p.stderr_path)
        return code, parse_report(out), out, err

    def imported(self, *args, **kw):
        code, report, out, err = self.run_import(*args, **kw)
        self.assertEqual(code, 0, out + err)
        return report

    def assertReport(self, report, expected):
        self.assertEqual({k: report.get(k) for k in expected}, expected)

    def totals(self, **subject):
        (name, value), = subject.items()
        resp = self.stats(**subject)
        if resp[0] == 404:
            return None
        doc = self.assertJSON(resp, 200)
        return doc[value]["impressions"], doc[value]["ad_requests"]

    def top(self, dimension, metric):
        doc = self.assertJSON(self.app.get("/statistics/top", {"dimension": dimension,
                                                                "metric": metric}), 200)
        return [(e["value"], e[metric]) for e in doc["top"]]

    def dumps(self, keys):
        return {k: self.redis.command("DUMP", k) for k in keys}

    def source_keys(self):
        return [k for k in self.redis.keys() if not k.startswith(b"as:")]

    def write_everything(self):
        """Flask data, decoys, and one user counted by adstats itself."""
        write_flask_data(self.redis)
        for cmd in DECOYS:
            self.redis.command(*cmd)
        self.impression("carol", "3.0")

        def indexed():  # its top-list entry and sessions follow the answer
            self.assertEqual(self.redis.command("ZSCORE", "as:u:top:imp", "carol"), b"1")
            self.assertEqual(self.redis.command("PFCOUNT", "as:s:h:3.0"), 1)
        eventually(indexed)

    # -- the import --
    def test_import_shows_in_statistics_and_top_lists(self):
        self.write_everything()
        adstats_keys = len(self.redis.keys("as:*"))
        before = self.dumps(self.source_keys())
        report = self.imported()

        self.assertReport(report, {
            "keys scanned": len(FLASK_KEYS) + len(DECOYS) + adstats_keys,
            "Flask counters found": len(FLASK_KEYS),
            "skipped: adstats keys (as:*)": adstats_keys,
            "skipped: not a hash": 1,
            "skipped: hash with other fields": 2,
            "skipped: value not a count": 2,
            "names resolved as user": 2,          # alice, bob
            "names resolved as SDK version": 2,   # 1.0, 2.0
            "users imported": 2,
            "SDK versions imported": 2,
            "users: impressions added": 5,
            "users: ad requests added": 7,
            "SDK versions: impressions added": 9,
            "SDK versions: ad requests added": 13})

        self.assertEqual(self.totals(username="alice"), (4, 5))
        self.assertEqual(self.totals(username="bob"), (1, 2))
        self.assertEqual(self.totals(sdk="1.0"), (6, 8))
        self.assertEqual(self.totals(sdk="2.0"), (3, 5))
        self.assertEqual(self.totals(username="carol"), (1, 0))  # untouched
        self.assertEqual(self.top("username", "ad_requests"), [("alice", 5), ("bob", 2)])
        self.assertEqual(self.top("username", "impressions"),
                         [("alice", 4), ("carol", 1), ("bob", 1)])
        self.assertEqual(self.top("sdk", "ad_requests"), [("1.0", 8), ("2.0", 5)])

        # new events count on top of the history
        self.impression("alice", "1.0")
        self.ad("alice", "1.0")
        self.assertEqual(self.totals(username="alice"), (5, 6))
        self.assertEqual(self.totals(sdk="1.0"), (7, 9))
        self.assertEqual(self.top("username", "ad_requests")[0], ("alice", 6))

        # the Flask keys and the decoys are byte for byte what they were
        self.assertEqual(self.dumps(before), before)
        self.assertEqual(sorted(self.source_keys()), sorted(before))

    def test_second_run_adds_nothing_and_a_later_run_adds_the_difference(self):
        self.write_everything()
        self.imported()
        report = self.imported()
        self.assertReport(report, {
            "users imported": 0, "SDK versions imported": 0,
            "users already imported": 2, "SDK versions already imported": 2,
            "users: impressions added": 0, "users: ad requests added": 0,
            "SDK versions: impressions added": 0, "SDK versions: ad requests added": 0})
        self.assertEqual(self.totals(username="alice"), (4, 5))

        # the Flask service went on counting meanwhile
        write_flask_data(self.redis, ads=[("alice", "1.0")] * 2, impressions=[])
        report = self.imported()
        self.assertReport(report, {"users imported": 1, "users already imported": 1,
                                   "users: ad requests added": 2, "users: impressions added": 0,
                                   "SDK versions: ad requests added": 2})
        self.assertEqual(self.totals(username="alice"), (4, 7))
        self.assertEqual(self.totals(sdk="1.0"), (6, 10))
        self.assertEqual(self.top("sdk", "ad_requests"), [("1.0", 10), ("2.0", 5)])

    def test_a_flask_count_below_the_imported_is_reported_and_skipped(self):
        write_flask_data(self.redis)
        self.imported()
        self.redis.command("HSET", "alice", "ad_requests_count", "1")
        report = self.imported()
        self.assertEqual(report["users skipped: Flask count below imported"], 1)
        self.assertEqual(report["users imported"], 0)
        self.assertEqual(self.totals(username="alice"), (4, 5))

    def test_dry_run_writes_nothing(self):
        self.write_everything()
        before = self.dumps(self.redis.keys())
        report = self.imported("--dry-run")
        self.assertEqual(report["users imported"], 2)
        self.assertEqual(report["users: ad requests added"], 7)
        self.assertEqual(self.dumps(self.redis.keys()), before)
        self.assertIsNone(self.totals(username="alice"))

    def test_verbose_lists_each_name(self):
        write_flask_data(self.redis)
        self.redis.command("SET", "session:42", "x")
        _, _, out, _ = self.run_import("--verbose")
        self.assertIn('user "alice": +4 impressions, +5 ad requests', out)
        self.assertIn('sdk  "2.0": +3 impressions, +5 ad requests', out)
        self.assertIn('skip "session:42": not a hash', out)

    def test_many_keys_take_several_scan_batches(self):
        users = ["u%04d" % i for i in range(1200)]
        for i, user in enumerate(users):
            self.redis.command("HINCRBY", user, "ad_requests_count", i + 1)
        for i in range(300):
            self.redis.command("SET", "other:%d" % i, "x")
        report = self.imported()
        # SCAN also meets the keys the import writes meanwhile (and skips
        # them), and may return a key twice: the record makes that harmless.
        self.assertEqual(report["keys scanned"],
                         report["skipped: adstats keys (as:*)"] + report["Flask counters found"]
                         + report["skipped: not a hash"])
        self.assertReport(report, {"users imported": 1200,
                                   "users: ad requests added": 1200 * 1201 // 2})
        self.assertEqual(self.totals(username="u0999"), (0, 1000))
        self.assertEqual(self.top("username", "ad_requests")[:2], [("u1199", 1200),
                                                                   ("u1198", 1199)])
        self.assertEqual(self.imported()["users already imported"], 1200)

    # -- where names go --
    def test_as_both_puts_every_name_in_both_dimensions(self):
        write_flask_data(self.redis)
        report = self.imported("--as", "both")
        self.assertEqual(report["names resolved as both"], 4)
        # "alice" and "bob" are no SDK versions adstats could ever count
        self.assertEqual(report["SDK versions skipped: not a valid name"], 2)
        self.assertEqual(report["users imported"], 4)
        self.assertEqual(report["SDK versions imported"], 2)
        self.assertEqual(self.totals(username="2.0"), (3, 5))
        self.assertEqual(self.totals(sdk="2.0"), (3, 5))
        self.assertEqual(self.totals(username="1.0"), (6, 8))

    def test_as_user_and_as_sdk(self):
        write_flask_data(self.redis)
        report = self.imported("--as=user")
        self.assertEqual(report["names resolved as user"], 4)
        self.assertEqual(report["users imported"], 4)
        self.assertEqual(self.totals(username="1.0"), (6, 8))
        self.assertIsNone(self.totals(sdk="1.0"))
        report = self.imported("--as", "sdk")
        self.assertEqual(report["names resolved as SDK version"], 4)
        self.assertEqual(report["SDK versions imported"], 2)
        self.assertEqual(report["SDK versions skipped: not a valid name"], 2)
        self.assertEqual(self.totals(sdk="1.0"), (6, 8))
        self.assertEqual(self.totals(username="1.0"), (6, 8))  # not imported twice

    # -- settings, errors --
    def test_redis_url_from_the_environment_and_dotenv(self):
        write_flask_data(self.redis)
        nowhere = "redis://127.0.0.1:%d/0" % free_port()
        with open(os.path.join(self.tmp, ".env"), "w") as f:
            f.write("REDIS_URL=%s\n" % self.stack.redis.url)
        report = self.imported("--dry-run", url=False)                     # .env
        self.assertEqual(report["users imported"], 2)
        code, _, _, err = self.run_import(url=False, env=clean_env(REDIS_URL=nowhere))
        self.assertEqual(code, 1, err)                                      # env beats .env
        self.assertIn("cannot connect to Redis at 127.0.0.1", err)
        with open(os.path.join(self.tmp, ".env"), "w") as f:
            f.write("REDIS_URL=%s\n" % nowhere)
        report = self.imported(url=False, env=clean_env(REDIS_URL=self.stack.redis.url))
        self.assertEqual(report["users imported"], 2)                       # env
        report = self.imported(env=clean_env(REDIS_URL=nowhere))            # flag beats env
        self.assertEqual(report["users already imported"], 2)

    def test_unreachable_redis_exits_1(self):
        port = free_port()
        code, _, out, err = self.run_import("--redis-url", "redis://127.0.0.1:%d/0" % port,
                                            url=False)
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assertIn("cannot connect to Redis at 127.0.0.1:%d" % port, err)

    def test_password_user_and_database(self):
        server = RedisServer().start()
        try:
            with server.client() as r:
                r.command("ACL", "SETUSER", "importer", "on", ">imp0rt", "~*", "+@all")
                r.command("CONFIG", "SET", "requirepass", "s3cret")
                r.command("AUTH", "s3cret")
                r.command("SELECT", "3")
                write_flask_data(r)
                url = "redis://:s3cret@127.0.0.1:%d/3" % server.port
                report = self.imported("--redis-url", url, "--as", "user", url=False)
                self.assertEqual(report["users imported"], 4)
                url = "redis://importer:imp0rt@127.0.0.1:%d/3" % server.port
                report = self.imported("--redis-url", url, "--as", "sdk", url=False)
                self.assertEqual(report["SDK versions imported"], 2)
                self.assertEqual(r.hgetall("as:u:t:alice"), {"imp": 4, "req": 5})
                self.assertEqual(r.hgetall("as:s:t:1.0"), {"imp": 6, "req": 8})
                r.command("SELECT", "0")
                self.assertEqual(r.dbsize(), 0)
            for userinfo in (":wrong", "importer:wrong"):
                url = "redis://%s@127.0.0.1:%d/3" % (userinfo, server.port)
                code, _, out, err = self.run_import("--redis-url", url, url=False)
                self.assertEqual(code, 1, userinfo)
                self.assertEqual(out, "")
                self.assertIn("refused AUTH: WRONGPASS", err)
        finally:
            server.close()

    def test_a_key_it_cannot_write_fails_that_name_only(self):
        write_flask_data(self.redis)
        self.redis.command("SET", "as:u:t:alice", "in the way")
        code, report, out, err = self.run_import()
        self.assertEqual(code, 1, out)
        self.assertEqual(report["users failed"], 1)
        self.assertEqual(report["users imported"], 1)
        self.assertIn("as:u:t:alice holds a string, not a hash", err)
        self.assertEqual(self.redis.keys("as:import:flask:u:alice"), [])
        self.assertEqual(self.redis.command("ZSCORE", "as:u:top:req", "alice"), None)
        # once it is out of the way, the next run imports it
        self.redis.command("DEL", "as:u:t:alice")
        report = self.imported()
        self.assertEqual(report["users imported"], 1)
        self.assertEqual(self.totals(username="alice"), (4, 5))

    def test_usage(self):
        code, _, out, _ = self.run_import("--help", url=False)
        self.assertEqual(code, 0)
        for word in ("--as", "auto", "both", "--dry-run", "--redis-url", "REDIS_URL", ".env",
                     "twemproxy", "Per-day"):
            self.assertIn(word, out)
        for args in (["--as", "users"], ["--as"], ["--redis-url", "http://x"], ["--bogus"]):
            code, _, out, err = self.run_import(*args, url=False)
            self.assertEqual(code, 2, args)
            self.assertEqual(out, "")
            self.assertTrue(err.strip(), args)

    def test_redis_cluster_is_refused(self):
        write_flask_data(self.redis)
        for args, env in ((["--redis-cluster", "127.0.0.1:7000"], None),
                          ([], clean_env(REDIS_CLUSTER="127.0.0.1:7000,127.0.0.1:7001"))):
            code, _, out, err = self.run_import(*args, env=env)
            self.assertEqual(code, 2, out + err)
            self.assertEqual(out, "")
            self.assertIn("Redis Cluster", err)
            self.assertIn("--redis-cluster", err)
        self.assertEqual(self.redis.command("KEYS", "as:*"), [])

    def test_server_help_mentions_the_command(self):
        p = Proc("help", [binary("adstats"), "--help"], self.tmp, env=clean_env(), cwd=self.tmp)
        self.assertEqual(p.wait(10), 0)
        self.assertIn("import-flask", p.stdout())


if __name__ == "__main__":
    unittest.main()
