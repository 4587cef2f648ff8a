"""test_ops.py -- adstats as its operators see it: /metrics, /healthz and
/readyz, the access log, configuration, CORS, /openapi.yaml, `make install`
and the packaging files. Every test runs the real binary against a real
redis-server and the real mock upstream on loopback ports."""
import json
import os
import re
import socket
import time
import unittest

from harness import BIN, EVENT, ROOT, Stack, free_port, run, wait_for

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


def redis_command(port, *args):
    """Sends one command to Redis in RESP; returns the first reply line."""
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload.encode())
        return s.recv(4096).decode().split("\r\n")[0]


def help_settings():
    """(flag, env, default) of every setting, as --help lists them."""
    out = run([os.path.join(BIN, "adstats"), "--help"]).stdout
    found = re.findall(r"^  --(\S+)\s+([A-Z_]+)\s+.*\n\s+\(default: (.*)\)$", out, re.M)
    assert len(found) >= 10, out
    return found


class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.addCleanup(self.stack.close)
        self.stack.redis()
        self.stack.vastmock()
        self.t0 = time.time()
        self.a = self.stack.adstats("--vast-timeout-ms", "300")

    def test_counters_match_the_requests_sent(self):
        a = self.a
        for _ in range(5):
            self.assertEqual(a.get("/impression", EVENT).status, 200)
        for _ in range(2):
            self.assertEqual(a.post("/impression", EVENT).status, 200)
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
        self.assertEqual(metric(samples, req, endpoint="unmatched", code="404"), 1)
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
        self.assertEqual(metric(samples, "adstats_redis_connected"), 1)
        self.assertEqual(metric(samples, "adstats_redis_errors_total", kind="reply"), 0)
        self.assertGreaterEqual(metric(samples, "adstats_http_connections_total"), 16)
        self.assertGreaterEqual(metric(samples, "adstats_http_open_connections"), 1)
        self.assertEqual(metric(samples, "adstats_ready"), 1)
        started = metric(samples, "process_start_time_seconds")
        self.assertTrue(self.t0 - 5 <= started <= time.time() + 1, started)
        version = run([os.path.join(BIN, "adstats"), "--version"]).stdout.split()[1]
        self.assertEqual(metric(samples, "adstats_build_info", version=version), 1)

    def test_upstream_failures_by_outcome(self):
        self.stack.set_scenario([["", 500, 0], ["<VAST/>", 200, 1000]])
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
        redis_command(self.stack.redis_port, "SET", "as:u:t:mallory", "not a hash")
        r = self.a.get("/impression", dict(EVENT, username="mallory"))
        self.assertEqual(r.status, 503)
        samples, _ = scrape(self.a)
        self.assertEqual(metric(samples, "adstats_redis_errors_total", kind="reply"), 1)
        self.assertEqual(metric(samples, "adstats_events_total", type="impression"), 0)
        self.assertEqual(metric(samples, "adstats_http_requests_total", endpoint="/impression",
                                code="503"), 1)


class HealthTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.addCleanup(self.stack.close)

    def test_readyz_follows_redis_and_healthz_does_not(self):
        s = self.stack
        redis = s.redis()
        a = s.adstats()
        self.assertEqual(a.get("/healthz").json(), {"success": True, "status": "alive"})
        self.assertEqual(a.get("/readyz").json(), {"success": True, "status": "ready"})
        self.assertEqual(a.request("HEAD", "/readyz").status, 200)

        redis.stop()
        r = a.get("/readyz")
        self.assertEqual(r.status, 503)
        self.assertEqual(r.headers.get("retry-after"), "1")
        self.assertFalse(r.json()["success"])
        self.assertIn("Redis is unreachable", r.json()["message"])
        self.assertEqual(a.get("/healthz").status, 200)

        s.redis(port=s.redis_port)
        self.assertTrue(wait_for(lambda: a.get("/readyz").status == 200, timeout=5))
        samples, _ = scrape(a)
        self.assertGreaterEqual(metric(samples, "adstats_redis_reconnects_total"), 1)
        self.assertEqual(metric(samples, "adstats_redis_connected"), 1)

    def test_redis_unreachable_at_start_up_is_retried_not_fatal(self):
        s = self.stack
        redis_port = free_port()
        a = s.adstats(redis_port=redis_port)
        time.sleep(1.0)  # some five reconnection attempts
        self.assertIsNone(a.proc.poll(), "adstats exited without Redis")
        self.assertEqual(a.get("/healthz").status, 200)
        r = a.get("/readyz")
        self.assertEqual(r.status, 503)
        self.assertIn("Redis is unreachable", r.json()["message"])
        self.assertEqual(a.get("/impression", EVENT).status, 503)
        # Reported, but once per outage rather than once per attempt.
        reports = a.output().count("redis: cannot connect")
        self.assertGreaterEqual(reports, 1)
        self.assertLessEqual(reports, 2)
        samples, _ = scrape(a)
        self.assertGreaterEqual(metric(samples, "adstats_redis_errors_total", kind="connect"), 2)
        self.assertEqual(metric(samples, "adstats_redis_connected"), 0)

        s.redis(port=redis_port)
        self.assertTrue(wait_for(lambda: a.get("/readyz").status == 200, timeout=5))
        self.assertEqual(a.get("/impression", EVENT).status, 200)


class AccessLogTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.addCleanup(self.stack.close)
        self.stack.redis()
        self.stack.vastmock()

    def test_json_lines_with_escaped_parameters(self):
        path = self.stack.path("access.log")
        a = self.stack.adstats("--access-log", path)
        tricky = 'a"b\\c</script>\u00e9\u2028'
        r1 = a.get("/impression", dict(EVENT, username=tricky))
        self.assertEqual(r1.status, 200)
        r2 = a.get("/impression", dict(EVENT, username="ctl\x01\nx"))
        self.assertEqual(r2.status, 400)
        r3 = a.post("/nope", {"username": "bob"})
        self.assertEqual(r3.status, 404)

        lines = wait_for(lambda: open(path, "rb").read().splitlines()
                         if os.path.exists(path) and open(path, "rb").read().count(b"\n") >= 3
                         else None, timeout=5)
        self.assertEqual(len(lines), 3)
        for raw in lines:
            self.assertNotIn(b"<", raw)  # escaped, as every JSON adstats writes
            self.assertTrue(all(c >= 0x20 for c in raw), raw)
        entries = [json.loads(raw) for raw in lines]
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
        a = self.stack.adstats("--access-log", "-")
        self.assertEqual(a.get("/healthz").status, 200)
        self.assertTrue(wait_for(lambda: '"path": "/healthz"' in a.output(), timeout=5))

    def test_off_by_default(self):
        a = self.stack.adstats()
        a.get("/healthz")
        a.stop()
        self.assertNotIn('"path":', a.output())


class ConfigTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.addCleanup(self.stack.close)

    def config_line(self, a):
        line = wait_for(lambda: next((l for l in a.output().splitlines() if " config: " in l),
                                     None), timeout=5)
        self.assertIsNotNone(line, a.output())
        return dict(kv.split("=", 1) for kv in line.split(" config: ", 1)[1].split(" "))

    def test_help_and_version(self):
        out = run([os.path.join(BIN, "adstats"), "--help"])
        self.assertEqual(out.returncode, 0)
        for flag in ("--access-log", "--cors-origin", "--log-level", "--help", "--version"):
            self.assertIn(flag, out.stdout)
        self.assertEqual(len(help_settings()), len(re.findall(r"^  --(?!help|version)", out.stdout,
                                                              re.M)))
        v = run([os.path.join(BIN, "adstats"), "--version"])
        self.assertEqual(v.returncode, 0)
        self.assertRegex(v.stdout, r"^adstats \d+\.\d+\.\d+\n$")

    def test_precedence_summary_and_masking(self):
        s = self.stack
        s.redis()
        cwd = s.path("cwd")
        os.makedirs(cwd)
        with open(os.path.join(cwd, ".env"), "w") as f:
            f.write("# a comment\nVAST_LIMIT=11\nexport DRAIN_MS='111'\nLOG_LEVEL=debug\n")
        env = dict(os.environ, DRAIN_MS="222", VAST_TIMEOUT_MS="333")
        a = s.adstats("--vast-timeout-ms", "444", "--redis-url",
                      f"redis://ops:s3cret@127.0.0.1:{s.redis_port}/0", cwd=cwd, env=env)
        cfg = self.config_line(a)
        self.assertEqual(cfg["vast-limit"], "11")          # .env over default
        self.assertEqual(cfg["log-level"], "debug")        # .env
        self.assertEqual(cfg["drain-ms"], "222")           # environment over .env
        self.assertEqual(cfg["vast-timeout-ms"], "444")    # flag over environment
        self.assertEqual(cfg["max-connections"], "10000")  # default
        self.assertEqual(cfg["redis-url"], f"redis://ops:****@127.0.0.1:{s.redis_port}/0")
        self.assertNotIn("s3cret", a.output())
        # Table-driven: every setting --help lists is in the summary.
        self.assertEqual(sorted(cfg), sorted(flag for flag, _, _ in help_settings()))

    def test_environment_variables_are_read(self):
        s = self.stack
        s.redis()
        env = dict(os.environ, CORS_ORIGIN="https://env.example", ACCESS_LOG="-")
        a = s.adstats(env=env)
        cfg = self.config_line(a)
        self.assertEqual(cfg["cors-origin"], "https://env.example")
        self.assertEqual(a.get("/healthz").headers.get("access-control-allow-origin"),
                         "https://env.example")

    def test_bad_values_exit_2_with_a_reason(self):
        binary = os.path.join(BIN, "adstats")
        cases = [(["--cors-origin", "https://a.example/path"], "--cors-origin"),
                 (["--cors-origin", "ftp://a.example"], "--cors-origin"),
                 (["--port", "0"], "--port"),
                 (["--log-level", "loud"], "--log-level"),
                 (["--no-such-option", "1"], "unknown option")]
        for argv, needle in cases:
            r = run([binary, *argv])
            self.assertEqual(r.returncode, 2, argv)
            self.assertIn(needle, r.stderr)


class CorsTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.addCleanup(self.stack.close)
        self.stack.redis()
        self.stack.vastmock()

    def test_preflight_and_allow_origin_on_every_response(self):
        a = self.stack.adstats("--cors-origin", "https://app.example")
        r = a.request("OPTIONS", "/impression",
                      headers={"Origin": "https://app.example",
                               "Access-Control-Request-Method": "POST"})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.headers["access-control-allow-origin"], "https://app.example")
        self.assertEqual(r.headers["access-control-allow-methods"], "GET, POST, OPTIONS")
        self.assertEqual(r.headers["access-control-allow-headers"], "Content-Type")
        self.assertEqual(r.headers["access-control-max-age"], "86400")
        self.assertEqual(a.request("OPTIONS", "/statistics").headers[
            "access-control-allow-methods"], "GET, OPTIONS")
        self.assertEqual(a.request("OPTIONS", "/nope").status, 404)
        # Shared (prebuilt) responses, built per request, errors: all carry it.
        for r in (a.get("/impression", EVENT), a.get("/statistics", {"username": "alice"}),
                  a.get("/impression"), a.get("/nope"), a.get("/metrics"),
                  a.get("/ad", EVENT), a.get("/openapi.yaml")):
            self.assertEqual(r.headers.get("access-control-allow-origin"), "https://app.example")
            self.assertEqual(r.headers.get("vary"), "Origin")
        samples, _ = scrape(a)
        self.assertEqual(metric(samples, "adstats_http_requests_total", endpoint="/impression",
                                code="204"), 1)

    def test_wildcard(self):
        a = self.stack.adstats("--cors-origin", "*")
        r = a.get("/healthz")
        self.assertEqual(r.headers.get("access-control-allow-origin"), "*")
        self.assertNotIn("vary", r.headers)

    def test_off_by_default(self):
        a = self.stack.adstats()
        r = a.request("OPTIONS", "/impression")
        self.assertEqual(r.status, 405)
        self.assertNotIn("access-control-allow-origin", r.headers)
        self.assertNotIn("access-control-allow-origin", a.get("/impression", EVENT).headers)


class OpenapiServedTest(unittest.TestCase):
    def test_the_embedded_document_is_the_file(self):
        with Stack() as s:
            s.redis()
            # From another directory: the document is in the binary, not read.
            a = s.adstats(cwd="/")
            r = a.get("/openapi.yaml")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers["content-type"], "application/yaml")
            with open(os.path.join(ROOT, "openapi.yaml"), "rb") as f:
                self.assertEqual(r.body, f.read())


class InstallTest(unittest.TestCase):
    def test_make_install_into_a_prefix_and_run(self):
        mode = "asan" if "asan" in BIN else "release"
        with Stack() as s:
            destdir, prefix = s.path("dest"), "/opt/adstats"
            r = run(["make", "-s", "--no-print-directory", "-C", ROOT, f"MODE={mode}", "install",
                     f"PREFIX={prefix}", f"DESTDIR={destdir}"], timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            root = destdir + prefix
            for rel, mode_bits in (("bin/adstats", 0o755), ("bin/vastmock", 0o755),
                                   ("share/man/man8/adstats.8", 0o644)):
                st = os.stat(os.path.join(root, rel))
                self.assertEqual(st.st_mode & 0o777, mode_bits, rel)
            installed = os.path.join(root, "bin/adstats")
            self.assertEqual(run([installed, "--version"]).returncode, 0)
            s.redis()
            a = s.adstats(binary=installed, cwd="/")
            self.assertEqual(a.get("/healthz").status, 200)
            self.assertEqual(a.get("/readyz").status, 200)


class DocsTest(unittest.TestCase):
    """The man page and docs/README-ops.md document every option --help lists."""

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
        r = run([os.path.join(ROOT, "tools/options-table.sh"), os.path.join(BIN, "adstats")])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(ROOT, "docs/README-ops.md")) as f:
            readme = f.read()
        m = re.search(r"<!-- options-table: begin.*?-->\n(.*?)<!-- options-table: end -->",
                      readme, re.S)
        self.assertIsNotNone(m, "docs/README-ops.md lacks the options-table markers")
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

    def test_compose_has_health_checks(self):
        compose = self.read("docker-compose.yml")
        self.assertEqual(compose.count("healthcheck:"), 2)
        self.assertIn("/readyz", compose)
        self.assertIn("redis-cli", compose)


if __name__ == "__main__":
    unittest.main()
