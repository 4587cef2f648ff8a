"""redis_cluster.py -- a private Redis Cluster on loopback.

RedisCluster(masters=3, replicas=1, node_timeout_ms=1500).start() runs
masters * (1 + replicas) redis-server processes (RedisServer, cluster mode,
no persistence), joins them with `redis-cli --cluster create` and waits until
every node says cluster_state:ok. Then:

  .seeds          "127.0.0.1:P1,127.0.0.1:P2,..." for --redis-cluster
  .nodes          the RedisServer of every node (masters first, as created)
  .masters()      the ports of the nodes that are masters now
  .port_of_slot(slot), .keyslot(key)
  .kill(node)     SIGKILL one node (a RedisServer, or its port)
  .wait_ok()      until every live node reports cluster_state:ok (replicas in sync)
  .stop()         stop every node and remove their directories

`password=` sets requirepass and masterauth on every node.
"""

import subprocess

from .procs import START_TIMEOUT_S, StartError, wait_until
from .redis import RedisClient, RedisError, RedisServer

LOOPBACK = "127.0.0.1"


class RedisCluster:
    def __init__(self, masters=3, replicas=1, node_timeout_ms=1500, password=None):
        self.n_masters = masters
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.password = password
        self.nodes = []

    # ---- life --------------------------------------------------------------

    def start(self):
        try:
            for _ in range(self.n_masters * (1 + self.replicas)):
                args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", str(self.node_timeout_ms),
                        "--repl-diskless-sync-delay", "0"]
                if self.password:
                    args += ["--requirepass", self.password, "--masterauth", self.password]
                node = RedisServer(args)
                node.password = self.password
                self.nodes.append(node.start() if not self.password else self._start_auth(node))
            cmd = ["redis-cli"] + (["-a", self.password, "--no-auth-warning"]
                                   if self.password else [])
            cmd += ["--cluster", "create"] + ["%s:%d" % (LOOPBACK, n.port) for n in self.nodes]
            cmd += ["--cluster-replicas", str(self.replicas), "--cluster-yes"]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise StartError("redis-cli --cluster create failed:\n" + r.stdout + r.stderr)
            self.wait_ok()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_auth(self, node):
        # RedisServer.start pings without AUTH; a NOAUTH error still means "up".
        import harness.redis as hr
        ping = hr.redis_ping
        hr.redis_ping = lambda port: _answers(port)
        try:
            return node.start()
        finally:
            hr.redis_ping = ping

    def stop(self):
        for n in self.nodes:
            n.close()
        self.nodes = []

    def close(self):
        self.stop()

    # ---- talking to nodes ---------------------------------------------------

    def command(self, port, *args):
        with RedisClient(port) as r:
            if self.password:
                r.command("AUTH", self.password)
            return r.command(*args)

    def _alive(self):
        return [n for n in self.nodes if n.proc is not None and n.proc.alive()]

    def wait_ok(self, timeout=START_TIMEOUT_S * 3):
        """Until every live node reports cluster_state:ok and every live
        replica has synchronised with its master (so that WAIT can count it)."""
        def synced(port):
            info = self.command(port, "INFO", "replication")
            return b"role:master" in info or b"master_link_status:up" in info

        def ok():
            try:
                return all(b"cluster_state:ok" in self.command(n.port, "CLUSTER", "INFO")
                           and synced(n.port) for n in self._alive())
            except (OSError, RedisError):
                return False
        wait_until(ok, timeout, 0.1, "the cluster to report cluster_state:ok")

    @property
    def seeds(self):
        return ",".join("%s:%d" % (LOOPBACK, n.port) for n in self.nodes)

    def masters(self):
        """Ports of the live nodes that are masters now, ordered by their first slot."""
        slots = self.command(self._alive()[0].port, "CLUSTER", "SLOTS")
        ranges = sorted((int(r[0]), int(r[2][1])) for r in slots)
        return list(dict.fromkeys(port for _, port in ranges))

    def keyslot(self, key):
        return self.command(self._alive()[0].port, "CLUSTER", "KEYSLOT", key)

    def port_of_slot(self, slot):
        for r in self.command(self._alive()[0].port, "CLUSTER", "SLOTS"):
            if int(r[0]) <= slot <= int(r[1]):
                return int(r[2][1])
        return None

    def node_id(self, port):
        return self.command(port, "CLUSTER", "MYID").decode()

    def node(self, port):
        for n in self.nodes:
            if n.port == port:
                return n
        raise KeyError(port)

    def kill(self, node):
        """SIGKILL a node (a RedisServer or its port)."""
        if isinstance(node, int):
            node = self.node(node)
        node.kill()


def _answers(port):
    try:
        with RedisClient(port, timeout=0.5) as r:
            r.command("PING")
            return True
    except RedisError:
        return True  # NOAUTH: up, wants a password
    except OSError:
        return False
