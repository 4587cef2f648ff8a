"""redis_cluster.py -- a private Redis Cluster on loopback, and its faults.

RedisCluster(masters=3, replicas=1, node_timeout_ms=1500).start() runs
masters * (1 + replicas) redis-servers, each in a scratch directory of its
own with its own redis.conf (cluster-enabled, no snapshots, append-only
only when asked), on ports from the harness' port policy (ports.py) --
the cluster bus port too, set with `cluster-port` rather than left at
port + 10000, which could fall into the ephemeral range. It joins them
with `redis-cli --cluster create ... --cluster-replicas R --cluster-yes`
and waits until every node agrees that the cluster is ok. Every node is a
Proc, so it is stopped whatever happens (stop(), or the atexit hook).

    cluster = RedisCluster().start()
    cluster.seeds                 "127.0.0.1:p1,127.0.0.1:p2,..." (every node,
                                  for --redis-cluster)
    cluster.nodes                 ClusterNode list, in creation order
    cluster.masters(), .replicas()  by their current role (CLUSTER NODES)
    cluster.kill(node)            SIGKILL; node.start() brings it back on the
                                  same port, directory and nodes.conf
    cluster.pause(node) / .resume(node)   SIGSTOP / SIGCONT
    cluster.wait_until_healthy()  every live node: cluster_state ok, all
                                  slots served, the same view of who serves,
                                  every replica in sync (so WAIT counts it)
    cluster.wait_for_failover(dead)  a replica of `dead` took over its slots
    cluster.master_of_slot(slot), .master_of_key(key), .slots_of(node)
    cluster.by_port(port), .id_of(node)
    cluster.reshard(src, dst, n)  redis-cli --cluster reshard
    cluster.rebalance()           redis-cli --cluster rebalance
    cluster.set_password(pw)      CONFIG SET requirepass/masterauth everywhere
    cluster.stop()

RedisCluster(password="pw") starts every node with requirepass and
masterauth; node.command() and cluster.cli() then authenticate. Every node
runs with repl-diskless-sync-delay 0: with the default 5 s delay a replica
is not in sync for the first seconds and WAIT 1 would time out.

Also key_slot(key): the slot of a key (CRC16/XMODEM mod 16384, with hash
tags), as the cluster specification defines it, so that a test can choose
keys on a given master. Standard library only.
"""

import signal
import subprocess
import time

from .ports import LOOPBACK, free_port
from .procs import START_TIMEOUT_S, Proc, StartError, make_tmpdir, wait_until
from .redis import RedisClient, RedisError, ServerProcess

SLOTS = 16384
CLI_TIMEOUT_S = 120.0


# ---- the key-to-slot function of the cluster specification -------------------

def _crc16_table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return table


_CRC16 = _crc16_table()


def crc16(data):
    """CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0."""
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[((crc >> 8) ^ b) & 0xFF]
    return crc


def key_slot(key):
    """The hash slot of `key` (str or bytes); only the part between the
    first { and the next } counts when that part is not empty."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return crc16(key) % SLOTS


# ---- one node -------------------------------------------------------------------

class ClusterNode(ServerProcess):
    """One redis-server of the cluster: its port, bus port, scratch
    directory and config file. Its role is not stored: it changes with
    failovers (ask RedisCluster.role or .masters())."""

    def __init__(self, index, port, bus_port, config_lines, password=None):
        self.index = index
        self.port = port
        self.bus_port = bus_port
        self.password = password
        self.tmpdir = make_tmpdir("adstats-rc%d-" % index)
        self.conf = "%s/redis.conf" % self.tmpdir
        with open(self.conf, "w") as f:
            f.write("# written by tests/harness/redis_cluster.py\n")
            f.write("port %d\ncluster-port %d\nbind %s\ndir %s\n"
                    % (port, bus_port, LOOPBACK, self.tmpdir))
            f.write("logfile %s/redis.log\n" % self.tmpdir)
            f.write("".join(line + "\n" for line in config_lines))
        self.proc = None
        self.id = None  # the cluster node id, once created

    @property
    def addr(self):
        return "%s:%d" % (LOOPBACK, self.port)

    def __repr__(self):
        return "<node %d %s>" % (self.index, self.addr)

    def start(self):
        """Starts (or restarts) it on its port with its nodes.conf."""
        self.proc = Proc("redis-%d" % self.port, ["redis-server", self.conf], self.tmpdir)
        try:
            wait_until(lambda: self.ping() or not self.proc.alive(), START_TIMEOUT_S, 0.02,
                       "redis-server on port %d to answer PING" % self.port)
        except TimeoutError:
            self.proc.stop()
            raise
        if not self.proc.alive():
            raise StartError("redis-server on port %d did not start:\n%s"
                             % (self.port, self.log()[-2000:]))
        return self

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def log(self):
        try:
            with open("%s/redis.log" % self.tmpdir, errors="replace") as f:
                return f.read()
        except OSError:
            return self.proc.log() if self.proc else ""

    def client(self, timeout=5.0):
        c = RedisClient(self.port, timeout=timeout)
        if self.password:
            c.command("AUTH", self.password)
        return c

    def command(self, *args):
        """One command on a fresh connection (AUTH first if a password is set)."""
        with self.client() as c:
            return c.command(*args)

    def ping(self):
        try:
            return self.command("PING") == "PONG"
        except (OSError, RedisError):
            return False

    def info(self, section):
        """INFO <section> as {field: str}."""
        text = self.command("INFO", section).decode()
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def cluster_info(self):
        text = self.command("CLUSTER", "INFO").decode()
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def dbsize(self):
        return self.command("DBSIZE")



def parse_cluster_nodes(text):
    """CLUSTER NODES -> a list of dicts: id, port, flags (set), master
    (the id a replica follows, or None), link, slots (list of (lo, hi))."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 8:
            continue
        addr = f[1].split("@")[0]
        slots = []
        for s in f[8:]:
            if s.startswith("["):
                continue  # a slot being migrated or imported
            lo, _, hi = s.partition("-")
            slots.append((int(lo), int(hi or lo)))
        out.append({"id": f[0], "port": int(addr.rsplit(":", 1)[1]) if ":" in addr else 0,
                    "flags": set(f[2].split(",")), "master": None if f[3] == "-" else f[3],
                    "link": f[7], "slots": slots})
    return out


# ---- the cluster -----------------------------------------------------------------

class RedisCluster:
    """masters * (1 + replicas) redis-servers joined into one cluster."""

    def __init__(self, masters=3, replicas=1, node_timeout_ms=1500, aof=False,
                 appendfsync="always", password=None, extra_config=()):
        self.n_masters = masters
        self.n_replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.aof = aof
        self.appendfsync = appendfsync
        self.password = password
        self.extra_config = list(extra_config)
        self.nodes = []

    def config_lines(self):
        lines = ["cluster-enabled yes", "cluster-config-file nodes.conf",
                 "cluster-node-timeout %d" % self.node_timeout_ms,
                 'save ""', "protected-mode no",
                 "repl-diskless-sync-delay 0"]  # replicas in sync at once: WAIT counts them
        if self.aof:
            lines += ["appendonly yes", "appendfsync %s" % self.appendfsync]
        else:
            lines += ["appendonly no"]
        if self.password:
            lines += ["requirepass %s" % self.password, "masterauth %s" % self.password]
        return lines + self.extra_config

    def start(self):
        try:
            count = self.n_masters * (1 + self.n_replicas)
            for i in range(count):
                node = ClusterNode(i + 1, free_port(), free_port(), self.config_lines(),
                                   self.password)
                self.nodes.append(node)
                node.start()
            self.cli("--cluster", "create", *[n.addr for n in self.nodes],
                     "--cluster-replicas", str(self.n_replicas), "--cluster-yes")
            self.wait_until_healthy()
            for node in self.nodes:
                node.id = node.command("CLUSTER", "MYID").decode()
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def seeds(self):
        """Every node's host:port, comma-separated: --redis-cluster's value."""
        return ",".join(n.addr for n in self.nodes)

    @property
    def url(self):
        """A redis:// URL carrying the credentials (for --redis-url)."""
        auth = ":%s@" % self.password if self.password else ""
        return "redis://%s%s:%d/0" % (auth, LOOPBACK, self.nodes[0].port)

    # ---- redis-cli ---------------------------------------------------------------

    def cli(self, *args, check=True, timeout=CLI_TIMEOUT_S):
        """Runs redis-cli with the cluster's password; returns its output."""
        argv = ["redis-cli"]
        if self.password:
            argv += ["-a", self.password, "--no-auth-warning"]
        done = subprocess.run(argv + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
        out = done.stdout.decode("utf-8", "replace")
        if check and (done.returncode != 0 or "[ERR]" in out):
            raise RuntimeError("redis-cli %s failed (%d):\n%s"
                               % (" ".join(args[:2]), done.returncode, out[-3000:]))
        return out

    def reshard(self, source, target, slots, pipeline=10, timeout_ms=2000):
        """Moves `slots` slots from master `source` to master `target`
        (ClusterNodes) with redis-cli --cluster reshard, keys included
        (MIGRATE, `pipeline` keys at a time): clients see ASK and MOVED.
        redis-cli takes the source's lowest-numbered slots first."""
        out = self.cli("--cluster", "reshard", self.live_node().addr,
                       "--cluster-from", self.id_of(source), "--cluster-to", self.id_of(target),
                       "--cluster-slots", str(slots), "--cluster-yes",
                       "--cluster-pipeline", str(pipeline), "--cluster-timeout", str(timeout_ms))
        self.wait_until_healthy()  # until every node has heard of the new owners
        return out

    def rebalance(self, *extra):
        """redis-cli --cluster rebalance (equal weights unless `extra` says);
        redis-cli refuses while the nodes disagree, so it waits for that."""
        self.wait_until_healthy()
        out = self.cli("--cluster", "rebalance", self.live_node().addr, *extra)
        self.wait_until_healthy()
        return out

    def check(self):
        """redis-cli --cluster check's output (raises on [ERR])."""
        return self.cli("--cluster", "check", self.live_node().addr)

    # ---- the topology as the nodes see it -------------------------------------

    def live_node(self):
        for n in self.nodes:
            if n.alive() and n.ping():
                return n
        raise RuntimeError("no node of the cluster answers")

    def id_of(self, node):
        return node.id or node.command("CLUSTER", "MYID").decode()

    def by_id(self, node_id):
        for n in self.nodes:
            if self.id_of(n) == node_id:
                return n
        raise KeyError(node_id)

    def by_port(self, port):
        for n in self.nodes:
            if n.port == port:
                return n
        raise KeyError(port)

    def topology(self, via=None):
        """CLUSTER NODES as one live node sees it (parse_cluster_nodes)."""
        via = via or self.live_node()
        return parse_cluster_nodes(via.command("CLUSTER", "NODES").decode())

    def role(self, node):
        """"master" or "replica", as the cluster sees `node` now."""
        for e in self.topology():
            if e["port"] == node.port:
                return "master" if "master" in e["flags"] else "replica"
        raise KeyError(node)

    def masters(self):
        """The live masters that serve slots, by port order of creation."""
        entries = {e["port"]: e for e in self.topology()}
        return [n for n in self.nodes if n.alive() and n.port in entries
                and "master" in entries[n.port]["flags"] and entries[n.port]["slots"]
                and "fail" not in entries[n.port]["flags"]]

    def replicas(self, of=None):
        """Live replicas (of master `of`, if given)."""
        want = self.id_of(of) if of is not None else None
        entries = {e["port"]: e for e in self.topology()}
        return [n for n in self.nodes if n.alive() and n.port in entries
                and "slave" in entries[n.port]["flags"]
                and (want is None or entries[n.port]["master"] == want)]

    def master_of_slot(self, slot):
        for e in self.topology():
            if "master" in e["flags"] and "fail" not in e["flags"] and \
                    any(lo <= slot <= hi for lo, hi in e["slots"]):
                return self.by_port(e["port"])
        return None

    def master_of_key(self, key):
        return self.master_of_slot(key_slot(key))

    def slots_of(self, node):
        """The (lo, hi) slot ranges `node` serves now."""
        for e in self.topology():
            if e["port"] == node.port:
                return e["slots"]
        return []

    def keys_per_master(self):
        """{port: DBSIZE} of every live master."""
        return {n.port: n.dbsize() for n in self.masters()}

    # ---- health and failover ---------------------------------------------------

    def healthy(self):
        """Every live node says cluster_state:ok with all slots ok, every
        live replica is in sync with its master (one that never synced
        cannot be promoted), and all of them see the same masters serving
        the same slots, none failed, and the same replicas following the
        same masters (a view that still lists a new replica as a master
        would make replicas() and failover tests see none)."""
        views = set()
        try:
            for n in self.nodes:
                if not n.alive():
                    continue
                info = n.cluster_info()
                if info.get("cluster_state") != "ok" or \
                        info.get("cluster_slots_ok") != str(SLOTS):
                    return False
                repl = n.info("replication")  # a replica never synced cannot take over
                if repl.get("role") == "slave" and repl.get("master_link_status") != "up":
                    return False
                view = []
                for e in parse_cluster_nodes(n.command("CLUSTER", "NODES").decode()):
                    alive = self._alive_port(e["port"])
                    if alive and e["flags"] & {"fail", "fail?", "handshake", "noaddr"}:
                        return False
                    if "master" in e["flags"] and e["slots"]:
                        view.append((e["port"], tuple(e["slots"])))
                    elif alive:  # who follows whom: gossip may lag behind a role change
                        view.append((e["port"], e["master"] or "-"))
                views.add(tuple(sorted(view)))
        except (OSError, RedisError):
            return False
        return len(views) == 1

    def _alive_port(self, port):
        try:
            return self.by_port(port).alive()
        except KeyError:
            return False

    def wait_until_healthy(self, timeout=30.0):
        wait_until(self.healthy, timeout, 0.05, "the Redis Cluster to be healthy")
        return self

    def wait_for_failover(self, dead, candidates=None, timeout=30.0):
        """Waits until a replica of the (killed or paused) master `dead`
        says it is a master; returns that node and the time.monotonic() it
        was first seen so. `candidates`: its replicas, taken before the
        fault (default: the nodes the cluster still lists as its replicas)."""
        if candidates is None:
            dead_id = self.id_of(dead)
            candidates = [self.by_port(e["port"]) for e in self.topology(self._live_other(dead))
                          if e["master"] == dead_id]
        if not candidates:
            raise RuntimeError("%r has no replica to promote" % dead)

        def promoted():
            for n in candidates:
                try:
                    if n.alive() and n.info("replication").get("role") == "master":
                        return n
                except (OSError, RedisError):
                    pass
            return None

        node = wait_until(promoted, timeout, 0.01, "a replica of %r to be promoted" % dead)
        return node, time.monotonic()

    def _live_other(self, dead):
        for n in self.nodes:
            if n is not dead and n.alive():
                return n
        raise RuntimeError("no other live node")

    # ---- faults ------------------------------------------------------------------

    def kill(self, node):
        """SIGKILL: no chance to flush or to tell the others."""
        node.kill()

    def restart(self, node):
        """Starts a stopped or killed node again (same port, directory and
        nodes.conf: it rejoins, as a replica if it was failed over)."""
        return node.start()

    def pause(self, node):
        """SIGSTOP: the node holds its connections but answers nothing."""
        node.proc.signal(signal.SIGSTOP)

    def resume(self, node):
        node.proc.signal(signal.SIGCONT)

    def set_password(self, password):
        """CONFIG SET requirepass and masterauth on every live node."""
        for n in self.nodes:
            if n.alive():
                n.command("CONFIG", "SET", "masterauth", password or "")
                n.command("CONFIG", "SET", "requirepass", password or "")
                n.password = password
        self.password = password

    def stop(self):
        for n in self.nodes:
            try:
                if n.proc is not None:
                    n.proc.signal(signal.SIGCONT)  # a paused node cannot stop
            except OSError:
                pass
            n.close()

    close = stop
