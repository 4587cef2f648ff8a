"""test_redis_cluster.py -- adstats on a Redis Cluster (--redis-cluster).

A private cluster (tests/harness/redis_cluster.py: 3 masters + 3 replicas on
loopback) per test class. Checked: exact counts from parallel clients with
keys on every master, /statistics, /statistics/top, DELETE and the event
stream; MOVED after a slot is moved (CLUSTER SETSLOT ... NODE); ASK while a
slot migrates; a seed that is down at start; a wrong password (503s, a clear
log line, recovery without restart once the password matches); CLUSTERDOWN
(503s, then recovery); --redis-wait-replicas (WAIT confirmed, not
confirmed, refused through an endpoint that cannot WAIT); and a Redis OOM
that does not flood the log.
"""

import re
import socket
import subprocess
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from harness import (Adstats, RedisCluster, RedisServer, VastMock, binary, event_query, request,
                     unique, unique_version, wait_until)

TOKEN = "cluster-admin-token"


def metric_value(text, name, **labels):
    label = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    pattern = r"^%s%s (\S+)$" % (re.escape(name), re.escape("{%s}" % label) if label else "")
    m = re.search(pattern, text, re.M)
    return float(m.group(1)) if m else 0.0


class ClusterCase(unittest.TestCase):
    replicas = 1
    password = None

    @classmethod
    def setUpClass(cls):
        cls.cluster = RedisCluster(masters=3, replicas=cls.replicas, node_timeout_ms=1500,
                                   password=cls.password).start()
        cls.mock = VastMock().start()
        cls.apps = []

    @classmethod
    def tearDownClass(cls):
        for a in cls.apps:
            a.stop()
            a.close()
        cls.mock.close()
        cls.cluster.stop()

    def start_app(self, *extra, seeds=None, url="redis://127.0.0.1:1/0"):
        a = Adstats(url, self.mock.url, ["--redis-cluster", seeds or self.cluster.seeds,
                                         "--admin-token", TOKEN, "--threads", "2"] + list(extra))
        self.apps.append(a)
        return a.start()

    def impression(self, app, user, sdk="1.0"):
        return request(app.port, "GET", "/impression?" + event_query(user, sdk_version=sdk))[0]

    def stats(self, app, **params):
        code, _, body = request(app.port, "GET", "/statistics", params)
        import json
        return code, json.loads(body)

    def metrics(self, app):
        return request(app.port, "GET", "/metrics")[2].decode()

    def keys_of(self, name):
        """Every key holding `name`, with the port of the master serving it."""
        found = []
        whole = re.compile(r"(^|[^\w-])%s($|[^\w-])" % re.escape(name))
        for port in self.cluster.masters():
            for k in self.cluster.command(port, "KEYS", "*%s*" % name):
                if whole.search(k.decode()):
                    found.append((k.decode(), port))
        return found


class BasicTest(ClusterCase):
    def test_exact_counts_from_parallel_clients(self):
        app = self.start_app("--events-stream", "as:ev:cluster")
        sdk = unique_version()
        users = [unique("cu") for _ in range(100)]
        jobs = [users[i % 100] for i in range(2000)]
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda u: self.impression(app, u, sdk), jobs))
        self.assertEqual(codes.count(200), 2000, {c: codes.count(c) for c in set(codes)})
        for u in users[:10]:
            code, doc = self.stats(app, username=u)
            self.assertEqual((code, doc[u]["impressions"]), (200, 20), doc)
        code, doc = self.stats(app, sdk=sdk)
        self.assertEqual(doc[sdk]["impressions"], 2000)
        # Keys on every master.
        ports = {port for u in users for _, port in self.keys_of(u)}
        self.assertEqual(ports, set(self.cluster.masters()))
        # Top list.
        code, _, body = request(app.port, "GET", "/statistics/top",
                                {"dimension": "sdk", "limit": "100"})
        self.assertEqual(code, 200)
        self.assertIn(sdk.encode(), body)
        # The stream, on the master of its slot.
        slot = self.cluster.keyslot("as:ev:cluster")
        self.assertGreaterEqual(
            self.cluster.command(self.cluster.port_of_slot(slot), "XLEN", "as:ev:cluster"), 2000)
        # DELETE: every key of the user, wherever it lives.
        victim = users[0]
        code, _, body = request(app.port, "DELETE", "/statistics", {"username": victim},
                                headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(code, 200, body)
        code, doc = self.stats(app, username=victim)
        self.assertTrue(code == 404 or doc[victim]["impressions"] == 0, doc)
        self.assertEqual(self.keys_of(victim), [])

    def test_a_seed_down_at_start(self):
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
        dead.close()
        app = self.start_app(seeds="127.0.0.1:%d,%s" % (port, self.cluster.seeds))
        user = unique("seed")
        wait_until(lambda: self.impression(app, user) == 200, 10, 0.05, "a first 200")
        self.assertEqual(self.impression(app, user), 200)
        self.assertGreaterEqual(self.stats(app, username=user)[1][user]["impressions"], 2)


def move_slot(cluster, slot, dst, keys=True, finish=True):
    """Moves `slot` to master `dst`: IMPORTING/MIGRATING, the keys (MIGRATE),
    then NODE on every master (finish)."""
    src = cluster.port_of_slot(slot)
    src_id, dst_id = cluster.node_id(src), cluster.node_id(dst)
    cluster.command(dst, "CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
    cluster.command(src, "CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
    if keys:
        for k in cluster.command(src, "CLUSTER", "GETKEYSINSLOT", slot, 1000):
            cluster.command(src, "MIGRATE", "127.0.0.1", dst, k, 0, 5000)
    if finish:
        for port in cluster.masters():
            cluster.command(port, "CLUSTER", "SETSLOT", slot, "NODE", dst_id)
    return src


class RedirectTest(ClusterCase):
    def test_moved_after_a_slot_moves(self):
        app = self.start_app()
        user = unique("mv")
        self.assertEqual(self.impression(app, user), 200)
        key, src = next((k, p) for k, p in self.keys_of(user) if k.endswith(user))
        dst = next(p for p in self.cluster.masters() if p != src)
        move_slot(self.cluster, self.cluster.keyslot(key), dst)
        for _ in range(9):
            self.assertEqual(self.impression(app, user), 200)
        self.assertEqual(self.stats(app, username=user)[1][user]["impressions"], 10)
        self.assertGreater(metric_value(self.metrics(app), "adstats_redis_redirects_total",
                                        kind="moved"), 0)

    def test_ask_while_a_slot_migrates(self):
        app = self.start_app()
        user = unique("ask")
        self.assertEqual(self.impression(app, user), 200)
        moved = []
        for key, src in self.keys_of(user):
            dst = next(p for p in self.cluster.masters() if p != src)
            slot = self.cluster.keyslot(key)
            move_slot(self.cluster, slot, dst, keys=True, finish=False)
            moved.append((slot, dst))
        for _ in range(4):
            self.assertEqual(self.impression(app, user), 200)
        self.assertEqual(self.stats(app, username=user)[1][user]["impressions"], 5)
        self.assertGreater(metric_value(self.metrics(app), "adstats_redis_redirects_total",
                                        kind="ask"), 0)
        for slot, dst in moved:
            for port in self.cluster.masters():
                self.cluster.command(port, "CLUSTER", "SETSLOT", slot, "NODE",
                                     self.cluster.node_id(dst))
        self.assertEqual(self.impression(app, user), 200)
        self.assertEqual(self.stats(app, username=user)[1][user]["impressions"], 6)


class WaitTest(ClusterCase):
    def test_wait_confirmed_by_one_replica(self):
        app = self.start_app("--redis-wait-replicas", "1")
        user = unique("wait")
        for _ in range(20):
            self.assertEqual(self.impression(app, user), 200)
        self.assertEqual(self.stats(app, username=user)[1][user]["impressions"], 20)

    def test_wait_for_more_replicas_than_there_are(self):
        app = self.start_app("--redis-wait-replicas", "2", "--redis-timeout-ms", "200")
        self.assertEqual(self.impression(app, unique("wait2")), 503)
        self.assertGreater(metric_value(self.metrics(app), "adstats_redis_error_replies_total",
                                        code="WAIT"), 0)
        # Reads need no WAIT.
        self.assertIn(self.stats(app, username="nobody")[0], (200, 404))

    def test_refused_through_an_endpoint_that_cannot_wait(self):
        # A stand-in for twemproxy: it closes the connection on WAIT.
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        port = srv.getsockname()[1]

        def serve():
            try:
                conn, _ = srv.accept()
                conn.recv(100)
                conn.close()
            except OSError:
                pass
        threading.Thread(target=serve, daemon=True).start()
        r = subprocess.run([binary("adstats"), "--redis-url", "redis://127.0.0.1:%d/0" % port,
                            "--redis-wait-replicas", "1", "--port", "1"],
                           capture_output=True, text=True, timeout=20)
        srv.close()
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("twemproxy cannot forward WAIT", r.stderr)


class ClusterDownTest(ClusterCase):
    replicas = 0

    def test_clusterdown_then_recovery(self):
        app = self.start_app("--redis-timeout-ms", "300")
        user = unique("down")
        self.assertEqual(self.impression(app, user), 200)
        victim = self.cluster.node(self.cluster.masters()[0])
        victim.kill()
        wait_until(lambda: self.impression(app, unique("d")) == 503, 15, 0.1, "503s")
        log = app.stderr()
        self.assertIn("CLUSTERDOWN", log + self.metrics(app))
        victim.restart()
        wait_until(lambda: self.impression(app, user) == 200, 20, 0.1, "recovery")


class PasswordTest(ClusterCase):
    password = "right-pw"

    def test_right_password(self):
        app = self.start_app(url="redis://:right-pw@127.0.0.1:1/0")
        self.assertEqual(self.impression(app, unique("pw")), 200)

    def test_wrong_password_then_recovery(self):
        app = self.start_app(url="redis://:wrong-pw@127.0.0.1:1/0")
        user = unique("pw")
        self.assertEqual(self.impression(app, user), 503)
        wait_until(lambda: "refused the handshake" in app.stderr(), 5, 0.05, "the log line")
        self.assertIn("check the credentials", app.stderr())
        lines = app.stderr().count("refused the handshake")
        for port in [n.port for n in self.cluster.nodes]:
            self.cluster.command(port, "CONFIG", "SET", "requirepass", "wrong-pw")
        self.cluster.password = "wrong-pw"
        try:
            wait_until(lambda: self.impression(app, user) == 200, 10, 0.1, "recovery")
        finally:
            for port in [n.port for n in self.cluster.nodes]:
                self.cluster.command(port, "CONFIG", "SET", "requirepass", "right-pw")
            self.cluster.password = "right-pw"
        self.assertLess(lines, 20)


class OomLogTest(unittest.TestCase):
    """A single Redis refusing writes (maxmemory): bounded log lines."""

    def test_oom_does_not_flood_the_log(self):
        redis = RedisServer().start()
        mock = VastMock().start()
        app = Adstats(redis.url, mock.url, ["--threads", "2"]).start()
        try:
            redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
            redis.command("CONFIG", "SET", "maxmemory", "1")
            codes = [request(app.port, "GET", "/impression?" + event_query(unique("oom")))[0]
                     for _ in range(300)]
            self.assertEqual(set(codes), {503})
            text = request(app.port, "GET", "/metrics")[2].decode()
            self.assertGreater(metric_value(text, "adstats_redis_error_replies_total",
                                            code="OOM"), 0)
            time.sleep(1.2)
            request(app.port, "GET", "/healthz")
            oom_lines = [l for l in app.stderr().splitlines() if "OOM" in l]
            self.assertLessEqual(len(oom_lines), 6, "\n".join(oom_lines))
        finally:
            app.stop()
            app.close()
            mock.close()
            redis.close()


if __name__ == "__main__":
    unittest.main()
