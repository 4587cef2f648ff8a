"""test_ops.py -- adstats as its operators see it: /metrics, /healthz and
/readyz, the access log, configuration, CORS, /openapi.yaml, `make install`
and the packaging files. Every test runs the real binary against a real
redis-server and the real mock upstream on loopback ports (tests/harness),
and every adstats it starts must exit 0 on SIGTERM with no sanitizer
report."""
import json
import os
import re
import subprocess
import time
import unittest

from harness import (REPO, Adstats, RedisServer, VastMock, bin_dir, binary, clean_env,
                     free_port, make_tmpdir, remove_tmpdir, request, wait_until)

ROOT = REPO
EVENT = {"sdk_version": "1.0", "session_id": "s1", "platform": "ios",
         "username": "alice", "country_code": "us"}


def run(argv, **kw):
    """Runs a command to completion; returns CompletedProcess (text)."""
    kw.setdefault("timeout", 120)
    return subprocess.run(argv, capture_output=True, text=True, **kw)


class OpsCase(unittest.TestCase):
    """Each test starts what it needs; everything is stopped at clean-up."""

    def start_redis(self, port=None):
        r = RedisServer(port=port).start()
        self.addCleanup(r.close)
        return r

    def start_mock(self):
        m = VastMock().start()
        self.addCleanup(m.close)
        return m

    def start_adstats(self, *flags, redis=None, redis_url=None, mock=None, **kw):
        redis_url = redis_url or (redis.url if redis else "redis://127.0.0.1:%d/0" % free_port())
        vast_url = mock.url if mock else "http://127.0.0.1:%d/vast" % free_port()
        kw.setdefault("env", clean_env())
        a = Adstats(redis_url, vast_url, list(flags), fresh_connections=True, **kw)
        self.addCleanup(self.check_clean_exit, a)
        return a.start()

    def check_clean_exit(self, a):
        code = a.stop()
        report = a.sanitizer_report()
        a.close()
        self.assertIsNone(report, report)
        self.assertEqual(code, 0, "adstats exited %s:\n%s" % (code, a.stderr()[-3000:]))


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """Parses the text format strictly enough to catch malformed output:
    returns {(name, frozenset(labels)): value} and {family: type}."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ", 3)
            types[family] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, f"malformed sample line: {line!r}"
        name, labels, value = m.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"sample {name} before its # TYPE"
        pairs = frozenset(LABEL.findall(labels or ""))
        key = (name, pairs)
        assert key not in samples, f"duplicate sample {line!r}"
        samples[key] = float(value)
    return samples, types


def metric(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(a):
    r = a.get("/metrics")
    assert r.status == 200, r.body
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse_prometheus(r.text)


def help_settings():
    """(flag, env, default) of every setting, as --help lists them."""
    out = run([binary("adstats"), "--help"]).stdout
    found = re.findall(r"^  --(\S+)\s+([A-Z_]+)\s+.*\n\s+\(default: (.*)\)$", out, re.M)
    assert len(found) >= 10, out
    return found


def config_line(a):
    """The settings adstats prints at start-up, as a dict."""
    line = wait_until(lambda: re.search(r"^config: (.*)$", a.stderr(), re.M), 5,
                      what="the config line")
    return dict(tok.split("=", 1) for tok in line.group(1).split())


class MetricsTest(OpsCase):
    def setUp(self):
        self.redis = self.start_redis()
        self.mock = self.start_mock()
        self.t0 = time.time()
        self.a = self.start_adstats("--vast-timeout-ms", "300", redis=self.redis, mock=self.mock)

    def test_counters_match_the_requests_sent(self):
        a = self.a
        for _ in range(5):
            self.assertEqual(a.get("/impression", EVENT).status, 200)
        for _ in range(2):
            self.assertEqual(a.post_form("/impression", EVENT).status, 200)
        for _ in range(3):
            self.assertEqual(a.get("/impression", {"username": "alice"}).status, 400)
        self.assertEqual(a.get("/statistics", {"username": "alice"}).status, 200)
        self.assertEqual(a.get("/statistics", {"username": "bob"}).status, 404)
        self.assertEqual(a.get("/nope").status, 404)
        self.assertEqual(a.request("DELETE", "/impression").status, 405)
        for _ in range(2):
            self.assertEqual(a.get("/ad", EVENT).status, 200)

        samples, types = scrape(a)
        req = "adstats_http_requests_total"
        self.assertEqual(types[req], "counter")
        self.assertEqual(metric(samples, req, endpoint="/impression", code="200"), 7)
        self.assertEqual(metric(samples, req, endpoint="/impression", code="400"), 3)
        self.assertEqual(metric(samples, req, endpoint="/impression", code="405"), 1)
        self.assertEqual(metric(samples, req, endpoint="/statistics", code="200"), 1)
        self.assertEqual(metric(samples, req, endpoint="/statistics", code="404"), 1)
        # The harness' start-up probe is the first unmatched request.
        self.assertEqual(metric(samples, req, endpoint="unmatched", code="404"), 2)
        self.assertEqual(metric(samples, req, endpoint="/ad", code="200"), 2)

        hist = "adstats_http_request_duration_seconds"
        self.assertEqual(types[hist], "histogram")
        self.assertEqual(metric(samples, hist + "_count", endpoint="/impression"), 11)
        buckets = sorted((float(dict(k[1])["le"]), v) for k, v in samples.items()
                         if k[0] == hist + "_bucket" and dict(k[1])["endpoint"] == "/impression")
        self.assertEqual(len(buckets), 17)
        self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets))  # cumulative
        self.assertEqual(buckets[-1], (float("inf"), 11))
        self.assertGreater(metric(samples, hist + "_sum", endpoint="/impression"), 0)

        # Only counted events count: the 400s changed nothing.
        self.assertEqual(metric(samples, "adstats_events_total", type="impression"), 7)
        self.assertEqual(metric(samples, "adstats_events_total", type="ad_request"), 2)
        self.assertEqual(metric(samples, "adstats_upstream_fetches_total", outcome="ok"), 2)
        self.assertEqual(metric(samples, "adstats_upstream_fetch_duration_seconds_count"), 2)
        self.assertEqual(metric(samples, "adstats_upstream_in_flight"), 0)
        self.assertGreaterEqual(metric(samples, "adstats_redis_connected"), 1)
        self.assertEqual(metric(samples, "adstats_redis_errors_total", kind="reply"), 0)
        self.assertGreaterEqual(metric(samples, "adstats_http_open_connections"), 1)
        self.assertEqual(metric(samples, "adstats_ready"), 1)
        started = metric(samples, "process_start_time_seconds")
        self.assertTrue(self.t0 - 5 <= started <= time.time() + 1, started)
        version = run([binary("adstats"), "--version"]).stdout.split()[1]
        self.assertEqual(metric(samples, "adstats_build_info", version=version), 1)

    def test_upstream_failures_by_outcome(self):
        self.mock.set_scenario([("", 500, 0), ("<VAST/>", 200, 1000)])
        self.assertEqual(self.a.get("/ad", EVENT).status, 502)
        self.assertEqual(self.a.get("/ad", EVENT).status, 504)
        samples, _ = scrape(self.a)
        fetches = "adstats_upstream_fetches_total"
        self.assertEqual(metric(samples, fetches, outcome="http_status"), 1)
        self.assertEqual(metric(samples, fetches, outcome="timeout"), 1)
        self.assertEqual(metric(samples, "adstats_upstream_fetch_duration_seconds_count"), 2)
        self.assertGreaterEqual(metric(samples, "adstats_upstream_fetch_duration_seconds_sum"), 0.3)
        # Both ad requests were counted before the upstream failed.
        self.assertEqual(metric(samples, "adstats_events_total", type="ad_request"), 2)

    def test_redis_error_replies_are_counted(self):
        with self.redis.client() as r:
            r.command("SET", "as:u:t:mallory", "not a hash")
        self.assertEqual(self.a.get("/impression", dict(EVENT, username="mallory")).status, 503)
        samples, _ = scrape(self.a)
        self.assertEqual(metric(samples, "adstats_redis_errors_total", kind="reply"), 1)
        self.assertEqual(metric(samples, "adstats_events_total", type="impression"), 0)
        self.assertEqual(metric(samples, "adstats_http_requests_total", endpoint="/impression",
                                code="503"), 1)


class HealthTest(OpsCase):
    def test_readyz_follows_redis_and_healthz_does_not(self):
        redis = self.start_redis()
        a = self.start_adstats(redis=redis)
        self.assertEqual(a.get("/healthz").json(), {"success": True, "status": "alive"})
        # The workers answer a moment before start-up is over ("not ready:
        # starting up"): readiness comes within the start-up, not at once.
        wait_until(lambda: a.get("/readyz").status == 200, 5, what="/readyz after start-up")
        self.assertEqual(a.get("/readyz").json(), {"success": True, "status": "ready"})
        self.assertEqual(a.request("HEAD", "/readyz").status, 200)

        redis.stop()
        r = a.get("/readyz")
        self.assertEqual(r.status, 503)
        self.assertEqual(r.headers.get("Retry-After"), "1")
        self.assertFalse(r.json()["success"])
        self.assertIn("Redis is unreachable", r.json()["message"])
        self.assertEqual(a.get("/healthz").status, 200)

        self.start_redis(port=redis.port)
        wait_until(lambda: a.get("/readyz").status == 200, 5, what="/readyz")
        samples, _ = scrape(a)
        self.assertGreaterEqual(metric(samples, "adstats_redis_reconnects_total"), 1)
        self.assertGreaterEqual(metric(samples, "adstats_redis_connected"), 1)

    def test_redis_unreachable_at_start_up_is_retried_not_fatal(self):
        redis_port = free_port()
        a = self.start_adstats(redis_url="redis://127.0.0.1:%d/0" % redis_port)
        time.sleep(1.0)  # some five reconnection attempts per worker
        self.assertTrue(a.alive(), "adstats exited without Redis")
        self.assertEqual(a.get("/healthz").status, 200)
        r = a.get("/readyz")
        self.assertEqual(r.status, 503)
        self.assertIn("Redis is unreachable", r.json()["message"])
        self.assertEqual(a.get("/impression", EVENT).status, 503)
        # Reported, but once per outage (per connection) rather than per attempt.
        workers = int(re.search(r"with (\d+) worker threads", a.stderr()).group(1))
        reports = a.stderr().count("redis: cannot connect")
        self.assertGreaterEqual(reports, 1)
        self.assertLessEqual(reports, 2 * workers)
        samples, _ = scrape(a)
        self.assertGreaterEqual(metric(samples, "adstats_redis_errors_total", kind="connect"), 2)
        self.assertEqual(metric(samples, "adstats_redis_connected"), 0)

        self.start_redis(port=redis_port)
        wait_until(lambda: a.get("/readyz").status == 200, 5, what="/readyz")
        # /readyz asks the Redis connection of the worker that served it; each
        # worker reconnects on its own backoff (at most 200 ms), and the issue
        # allows 1 s for normal service to resume.
        wait_until(lambda: all(a.get("/impression", EVENT).status == 200 for _ in range(8)), 1.0,
                   what="every worker to serve within 1 s of /readyz")


class AccessLogTest(OpsCase):
    def setUp(self):
        self.redis = self.start_redis()
        self.mock = self.start_mock()

    def test_json_lines_with_escaped_parameters(self):
        a = self.start_adstats("--access-log", "access.log", redis=self.redis, mock=self.mock)
        path = os.path.join(a.cwd, "access.log")
        tricky = 'a"b\\c</script>\u00e9\u2028'
        r1 = a.get("/impression", dict(EVENT, username=tricky))
        self.assertEqual(r1.status, 200)
        r2 = a.get("/impression", dict(EVENT, username="ctl\x01\nx"))
        self.assertEqual(r2.status, 400)
        r3 = a.post_form("/nope", {"username": "bob"})
        self.assertEqual(r3.status, 404)

        def lines():  # without the harness' start-up probes
            got = [raw for raw in open(path, "rb").read().splitlines()
                   if b'"path": "/__harness_probe__"' not in raw]
            return got if len(got) >= 3 else None
        got = wait_until(lines, 5, what="three access log lines")
        self.assertEqual(len(got), 3)
        for raw in got:
            self.assertNotIn(b"<", raw)  # escaped, as every JSON adstats writes
            self.assertTrue(all(c >= 0x20 for c in raw), raw)
        entries = [json.loads(raw) for raw in got]
        keys = {"time", "method", "path", "status", "latency_ms", "bytes", "client", "params"}
        for e in entries:
            self.assertEqual(set(e), keys)
            self.assertEqual(e["client"], "127.0.0.1")
            self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertGreaterEqual(e["latency_ms"], 0)
        first, second, third = entries
        self.assertEqual((first["method"], first["path"], first["status"]),
                         ("GET", "/impression", 200))
        self.assertEqual(first["params"]["username"], tricky)
        self.assertEqual(first["params"]["country_code"], "US")
        self.assertEqual(first["bytes"], len(r1.body))
        self.assertEqual(second["status"], 400)
        self.assertEqual(second["params"]["username"], "ctl\x01\nx")
        self.assertEqual(second["bytes"], len(r2.body))
        self.assertEqual((third["method"], third["path"], third["status"]), ("POST", "/nope", 404))

    def test_dash_writes_to_stdout(self):
        a = self.start_adstats("--access-log", "-", redis=self.redis, mock=self.mock)
        self.assertEqual(a.get("/healthz").status, 200)
        wait_until(lambda: '"path": "/healthz"' in a.stdout(), 5, what="the access log line")

    def test_off_by_default(self):
        a = self.start_adstats(redis=self.redis, mock=self.mock)
        a.get("/healthz")
        a.stop()
        self.assertNotIn('"path":', a.stdout() + a.stderr())


class ConfigTest(OpsCase):
    def test_help_and_version(self):
        out = run([binary("adstats"), "--help"])
        self.assertEqual(out.returncode, 0)
        for flag in ("--access-log", "--cors-origin", "--log-level", "--help", "--version"):
            self.assertIn(flag, out.stdout)
        self.assertEqual(len(help_settings()),
                         len(re.findall(r"^  --(?!help|version)", out.stdout, re.M)))
        v = run([binary("adstats"), "--version"])
        self.assertEqual(v.returncode, 0)
        self.assertRegex(v.stdout, r"^adstats \d+\.\d+\.\d+\n$")

    def test_summary_is_table_driven_and_masks_secrets(self):
        redis = self.start_redis()
        a = self.start_adstats("--redis-url", "redis://ops:s3cret@127.0.0.1:%d/0" % redis.port,
                               "--vast-url", "http://u:p4ss@127.0.0.1:9/vast?key=k3y",
                               "--cors-origin", "https://app.example")
        cfg = config_line(a)
        self.assertEqual(cfg["redis"], "127.0.0.1:%d/0" % redis.port)
        self.assertEqual(cfg["auth"], "****")
        self.assertEqual(cfg["vast_url"], "http://u:****@127.0.0.1:9/vast?****")
        self.assertEqual(cfg["cors_origin"], "https://app.example")
        for secret in ("s3cret", "p4ss", "k3y"):
            self.assertNotIn(secret, a.stderr())
        # Every setting --help lists is in the summary (the Redis URL as
        # redis= and auth=).
        names = {flag.replace("-", "_") for flag, _, _ in help_settings()} - {"redis_url"}
        self.assertEqual(set(cfg) - {"redis", "auth"}, names)

    def test_new_settings_from_the_environment(self):
        redis = self.start_redis()
        a = self.start_adstats(redis=redis, env=clean_env(CORS_ORIGIN="https://env.example",
                                                         ACCESS_LOG="-"))
        cfg = config_line(a)
        self.assertEqual(cfg["cors_origin"], "https://env.example")
        self.assertEqual(cfg["access_log"], "-")
        self.assertEqual(a.get("/healthz").headers.get("Access-Control-Allow-Origin"),
                         "https://env.example")

    def test_bad_values_exit_2_with_a_reason(self):
        cases = [(["--cors-origin", "https://a.example/path"], "--cors-origin"),
                 (["--cors-origin", "ftp://a.example"], "--cors-origin"),
                 (["--access-log", "x" * 600], "--access-log")]
        for argv, needle in cases:
            r = run([binary("adstats"), *argv], env=clean_env())
            self.assertEqual(r.returncode, 2, argv)
            self.assertIn(needle, r.stderr)

    def test_unwritable_access_log_stops_start_up(self):
        r = run([binary("adstats"), "--port", str(free_port()), "--bind", "127.0.0.1",
                 "--access-log", "/nonexistent-dir/access.log"], env=clean_env(), timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("access log: cannot open /nonexistent-dir/access.log", r.stderr)


class CorsTest(OpsCase):
    def setUp(self):
        self.redis = self.start_redis()
        self.mock = self.start_mock()

    def test_preflight_and_allow_origin_on_every_response(self):
        a = self.start_adstats("--cors-origin", "https://app.example", redis=self.redis,
                               mock=self.mock)
        r = a.request("OPTIONS", "/impression", headers={"Origin": "https://app.example",
                                                      "Access-Control-Request-Method": "POST"})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.headers["Access-Control-Allow-Origin"], "https://app.example")
        self.assertEqual(r.headers["Access-Control-Allow-Methods"], "GET, POST, OPTIONS")
        self.assertEqual(r.headers["Access-Control-Allow-Headers"], "Content-Type, Authorization")
        self.assertEqual(r.headers["Access-Control-Max-Age"], "86400")
        self.assertEqual(a.request("OPTIONS", "/statistics").headers["Access-Control-Allow-Methods"],
                         "GET, DELETE, OPTIONS")
        self.assertEqual(a.request("OPTIONS", "/nope").status, 404)
        # Shared (prebuilt) responses, responses built per request, errors:
        # all carry it.
        for r in (a.get("/impression", EVENT), a.get("/statistics", {"username": "alice"}),
                  a.get("/impression"), a.get("/nope"), a.get("/metrics"),
                  a.get("/ad", EVENT), a.get("/openapi.yaml")):
            self.assertEqual(r.headers.get("Access-Control-Allow-Origin"), "https://app.example")
            self.assertEqual(r.headers.get("Vary"), "Origin")
        samples, _ = scrape(a)
        self.assertEqual(metric(samples, "adstats_http_requests_total", endpoint="/impression",
                                code="204"), 1)

    def test_wildcard(self):
        a = self.start_adstats("--cors-origin", "*", redis=self.redis, mock=self.mock)
        r = a.get("/healthz")
        self.assertEqual(r.headers.get("Access-Control-Allow-Origin"), "*")
        self.assertNotIn("Vary", r.headers)

    def test_off_by_default(self):
        a = self.start_adstats(redis=self.redis, mock=self.mock)
        r = a.request("OPTIONS", "/impression")
        self.assertEqual(r.status, 405)
        self.assertNotIn("Access-Control-Allow-Origin", r.headers)
        self.assertNotIn("Access-Control-Allow-Origin", a.get("/impression", EVENT).headers)


class OpenapiServedTest(OpsCase):
    def test_the_embedded_document_is_the_file(self):
        # From another directory: the document is in the binary, not read.
        a = self.start_adstats(cwd="/")
        r = a.get("/openapi.yaml")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["Content-Type"], "application/yaml")
        with open(os.path.join(ROOT, "openapi.yaml"), "rb") as f:
            self.assertEqual(r.body, f.read())


class InstallTest(OpsCase):
    def test_make_install_into_a_prefix_and_run(self):
        mode = "asan" if "asan" in bin_dir() else "release"
        dest = make_tmpdir("adstats-dest-")
        self.addCleanup(remove_tmpdir, dest)
        prefix = "/opt/adstats"
        r = run(["make", "-s", "--no-print-directory", "-C", ROOT, "MODE=%s" % mode, "install",
                 "PREFIX=%s" % prefix, "DESTDIR=%s" % dest], timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        root = dest + prefix
        for rel, bits in (("bin/adstats", 0o755), ("bin/vastmock", 0o755),
                          ("share/man/man8/adstats.8", 0o644),
                          ("share/adstats/ivt-user-agents.txt", 0o644)):
            self.assertEqual(os.stat(os.path.join(root, rel)).st_mode & 0o777, bits, rel)
        installed = os.path.join(root, "bin/adstats")
        self.assertEqual(run([installed, "--version"]).returncode, 0)
        redis = self.start_redis()
        a = self.start_adstats(redis=redis, program=installed, cwd="/")
        self.assertEqual(a.get("/healthz").status, 200)
        self.assertEqual(a.get("/readyz").status, 200)


class DocsTest(unittest.TestCase):
    """The man page and README.md document every option --help lists."""

    def test_man_page_documents_every_option(self):
        with open(os.path.join(ROOT, "adstats.8")) as f:
            man = f.read()
        for flag, env, default in help_settings():
            self.assertIn(r"\-\-" + flag.replace("-", r"\-"), man, flag)
            self.assertIn(f"({env}, default {default})", man, env)
        for flag in ("help", "version"):
            self.assertIn(r"\-\-" + flag, man)

    def test_man_page_renders_without_warnings(self):
        if not os.path.exists("/usr/bin/groff"):
            self.skipTest("groff not installed (tools/deps.sh test installs groff-base)")
        r = run(["groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(ROOT, "adstats.8")])
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr, "")

    def test_readme_option_table_matches_help(self):
        r = run([os.path.join(ROOT, "tools/options-table.sh"), binary("adstats")])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        m = re.search(r"<!-- options-table: begin.*?-->\n(.*?)<!-- options-table: end -->",
                      readme, re.S)
        self.assertIsNotNone(m, "README.md lacks the options-table markers")
        self.assertEqual(m.group(1), r.stdout,
                         "regenerate with: tools/options-table.sh bin/adstats")


class PackagingTest(unittest.TestCase):
    """Static checks of files that cannot be exercised here (no Docker
    daemon or systemd in the test environment)."""

    def read(self, rel):
        with open(os.path.join(ROOT, rel)) as f:
            return f.read()

    def test_systemd_unit_is_hardened(self):
        unit = self.read("deploy/adstats.service")
        for directive in ("DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes",
                          "PrivateTmp=yes", "ProtectHome=yes", "CapabilityBoundingSet=",
                          "ExecStart=/usr/local/bin/adstats", "Restart=on-failure"):
            self.assertIn(directive, unit)

    def test_dockerfile_is_multi_stage_and_non_root(self):
        docker = self.read("Dockerfile")
        self.assertGreaterEqual(len(re.findall(r"^FROM ", docker, re.M)), 2)
        final = docker[docker.rindex("\nFROM "):]
        user = re.findall(r"^USER (\S+)", final, re.M)
        self.assertTrue(user and user[-1] not in ("root", "0"), user)
        self.assertIn("openapi.yaml", docker)  # needed by the build
        self.assertIn("curl", final)           # for the compose health check
        self.assertIn("libssl3", final)        # libcrypto, for the tracking tokens' HMAC

    def test_compose_has_health_checks(self):
        compose = self.read("docker-compose.yml")
        self.assertEqual(compose.count("healthcheck:"), 2)
        self.assertIn("/readyz", compose)
        self.assertIn("redis-cli", compose)


if __name__ == "__main__":
    unittest.main()
