"""test_config.py -- adstats' settings: --help, bad values, and where
settings come from (flags > environment > .env in the working directory >
defaults)."""

import os
import re
import socket
import unittest

from harness import (
    LOOPBACK, Adstats, Proc, RedisServer, binary, clean_env, free_port, make_tmpdir, port_open,
    remove_tmpdir, sanitizer_report)


def run_adstats(args, env=None, cwd=None, timeout=10):
    """Runs adstats to completion: (exit code, stdout, stderr). A process
    still running after `timeout` s (it accepted what it should have
    refused) is stopped and reported as exit code None."""
    tmp = make_tmpdir("adstats-cfg-")
    try:
        p = Proc("adstats", [binary("adstats")] + list(args), tmp,
                 env=env if env is not None else clean_env(), cwd=cwd or tmp)
        code = p.wait(timeout)
        p.stop()
        return code, p.stdout(), p.stderr()
    finally:
        remove_tmpdir(tmp)


def config_line(stderr):
    """The settings adstats prints at start-up, as a dict."""
    m = re.search(r"^config: (.*)$", stderr, re.M)
    if m is None:
        raise AssertionError("no config line in:\n" + stderr)
    return dict(tok.split("=", 1) for tok in m.group(1).split() if "=" in tok)


class HelpAndBadValueTests(unittest.TestCase):

    def setUp(self):
        self.tmp = make_tmpdir()
        # Safe fallbacks in case a bad value were accepted: loopback, a free
        # port, logs in the temporary directory.
        self.safe = ["--bind", LOOPBACK, "--port", str(free_port()),
                     "--redis-url", "redis://127.0.0.1:%d/0" % free_port(),
                     "--vast-url", "http://127.0.0.1:%d/vast" % free_port(),
                     "--error-log", os.path.join(self.tmp, "backend_errors.log")]

    def tearDown(self):
        remove_tmpdir(self.tmp)

    def test_help_lists_settings_with_defaults(self):
        code, out, err = run_adstats(["--help"], cwd=self.tmp)
        self.assertEqual(code, 0, err)
        self.assertEqual(err, "")
        lines = out.splitlines()
        for flag, default in (("--port", "5000"), ("--redis-url", "redis://127.0.0.1:6379/0"),
                              ("--vast-url", "http://127.0.0.1:8081/vast"),
                              ("--vast-timeout-ms", "2000"), ("--vast-limit", "1000"),
                              ("--vast-max-bytes", "1048576"), ("--bind", "0.0.0.0")):
            with self.subTest(flag=flag):
                idx = [i for i, l in enumerate(lines) if re.match(r"\s*%s\b(?!-)" % re.escape(flag), l)]
                self.assertEqual(len(idx), 1, "%s in:\n%s" % (flag, out))
                near = "\n".join(lines[idx[0]:idx[0] + 2])
                self.assertIn("(default: %s)" % default, near)
        self.assertIn("--help", out)

    def test_version(self):
        code, out, err = run_adstats(["--version"], cwd=self.tmp)
        self.assertEqual(code, 0, err)
        self.assertRegex(out, r"^adstats \d+\.\d+\.\d+\n$")

    def assertUsageError(self, args, mentions, env=None):
        code, out, err = run_adstats(args, env=env, cwd=self.tmp)
        self.assertEqual(code, 2, "args %r: exit %r, stderr %r" % (args, code, err))
        self.assertEqual(out, "")
        self.assertTrue(err.endswith("\n"), repr(err))
        self.assertEqual(len(err.splitlines()), 1, "exactly one line expected: %r" % err)
        for word in mentions:
            self.assertIn(word, err)
        self.assertIsNone(sanitizer_report(err))

    def test_bad_flag_values_exit_2_with_one_line(self):
        cases = [
            (["--port", "99999"], ["--port", "99999"]),
            (["--redis-url", "http://x"], ["--redis-url", "http://x"]),
            (["--vast-url", "ftp://x"], ["--vast-url", "ftp://x"]),
            (["--port", "0"], ["--port"]),
            (["--port", "80a"], ["--port"]),
            (["--port=-1"], ["--port"]),
            (["--redis-url", "redis://h:99999/0"], ["--redis-url"]),
            (["--redis-url", "redis://h:6379/x"], ["--redis-url"]),
            (["--vast-url", "http://"], ["--vast-url"]),
            (["--vast-timeout-ms", "0"], ["--vast-timeout-ms"]),
            (["--vast-limit", "many"], ["--vast-limit"]),
            (["--log-level", "loud"], ["--log-level"]),
            (["--no-such-flag"], ["--no-such-flag"]),
            (["stray"], ["stray"]),
            (["--vast-url"], ["--vast-url"]),
        ]
        for bad, mentions in cases:
            with self.subTest(args=bad):
                self.assertUsageError(self.safe + bad, mentions)

    def test_bad_environment_value_exits_2(self):
        self.assertUsageError(self.safe, ["VAST_TIMEOUT_MS"], env=clean_env(VAST_TIMEOUT_MS="-5"))
        self.assertUsageError([], ["PORT"], env=clean_env(PORT="99999"))

    def test_bad_dotenv_value_exits_2(self):
        with open(os.path.join(self.tmp, ".env"), "w") as f:
            f.write("# settings\nREDIS_URL=http://x\n")
        self.assertUsageError(self.safe, [".env", "--redis-url"])


class SourceTests(unittest.TestCase):
    """Which source wins, seen on the port adstats really listens on and on
    the settings line it prints at start-up."""

    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.redis.close()

    def setUp(self):
        self.tmp = make_tmpdir()
        self.apps = []
        self.base = ["--bind", LOOPBACK, "--redis-url", self.redis.url,
                     "--vast-url", "http://127.0.0.1:%d/vast" % free_port(),
                     "--error-log", os.path.join(self.tmp, "backend_errors.log")]

    def tearDown(self):
        try:
            for a in self.apps:
                report = a.sanitizer_report()
                code = a.stop()
                if a.returncode is not None and code != 0 and not getattr(a, "expect_fail", False):
                    self.fail("adstats exited %s on SIGTERM:\n%s" % (code, a.stderr()[-2000:]))
                self.assertIsNone(report)
        finally:
            for a in self.apps:
                a.close()
            remove_tmpdir(self.tmp)

    def write_dotenv(self, text):
        with open(os.path.join(self.tmp, ".env"), "w") as f:
            f.write(text)

    def serve(self, expect_port, args=(), **env):
        a = Adstats(args=self.base + list(args), port=expect_port, env=clean_env(**env),
                    cwd=self.tmp)
        self.apps.append(a)
        a.start()
        self.assertTrue(a.alive())
        return a

    def test_port_environment_variable_is_honoured(self):
        p = free_port()
        a = self.serve(p, PORT=p)
        self.assertEqual(config_line(a.stderr())["port"], str(p))
        self.assertEqual(a.get("/statistics", {"username": "x"})[0], 404)

    def test_dotenv_in_working_directory_is_read(self):
        p = free_port()
        self.write_dotenv("# adstats\nPORT=%d\nSOMETHING_ELSE=1\n\nVAST_TIMEOUT_MS=1234\n" % p)
        a = self.serve(p)
        cfg = config_line(a.stderr())
        self.assertEqual(cfg["port"], str(p))
        self.assertEqual(cfg["vast_timeout_ms"], "1234")

    def test_dotenv_quotes_and_export(self):
        p = free_port()
        self.write_dotenv("export PORT=\"%d\"\nVAST_LIMIT='7'\n  DRAIN_MS = 100  \n" % p)
        a = self.serve(p)
        cfg = config_line(a.stderr())
        self.assertEqual(cfg["port"], str(p))
        self.assertEqual(cfg["vast_limit"], "7")
        self.assertEqual(cfg["drain_ms"], "100")

    def test_flags_beat_environment_beat_dotenv(self):
        p_file, p_env, p_flag = free_port(), free_port(), free_port()  # never the same twice
        self.write_dotenv("PORT=%d\nVAST_TIMEOUT_MS=111\nVAST_LIMIT=11\nDRAIN_MS=1111\n" % p_file)
        a = self.serve(p_flag, ["--port", str(p_flag), "--vast-timeout-ms", "333"],
                       PORT=p_env, VAST_TIMEOUT_MS=222, VAST_LIMIT=22)
        cfg = config_line(a.stderr())
        self.assertEqual(cfg["port"], str(p_flag))
        self.assertEqual(cfg["vast_timeout_ms"], "333")   # flag
        self.assertEqual(cfg["vast_limit"], "22")         # environment
        self.assertEqual(cfg["drain_ms"], "1111")         # .env
        self.assertFalse(port_open(p_env))
        self.assertFalse(port_open(p_file))
        a.stop()

        b = self.serve(p_env, PORT=p_env)
        self.assertEqual(config_line(b.stderr())["port"], str(p_env))
        self.assertFalse(port_open(p_file))
        self.assertFalse(port_open(p_flag))

    def test_port_in_use_by_another_program_is_refused(self):
        with socket.socket() as s:
            s.bind((LOOPBACK, free_port()))
            s.listen(1)
            p = s.getsockname()[1]
            code, out, err = run_adstats(self.base + ["--port", str(p)], cwd=self.tmp, timeout=10)
        self.assertEqual(code, 1, err)
        self.assertIn("cannot listen", err)

    def test_port_in_use_by_another_adstats_is_refused(self):
        # A second adstats started on the port of a running one must fail
        # to start, not silently share the port (and its traffic).
        p = free_port()
        self.serve(p, ["--port", str(p)])
        code, out, err = run_adstats(self.base + ["--port", str(p)], cwd=self.tmp, timeout=3)
        self.assertEqual(code, 1, "second adstats on port %d: exit %r (None: still running, "
                         "sharing the port), stderr:\n%s" % (p, code, err[-1500:]))
        self.assertIn("cannot listen", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
