"""ports.py -- the one port policy of the tests (tools/lib.sh follows it too).

Every server a test starts listens on a port of 127.0.0.1 chosen here:

  - below the kernel's ephemeral range (ip_local_port_range, from 10000
    up): a port in that range may be the local end of some client
    connection (this machine's, or another suite's), which no probe can
    see but which makes the server's bind() fail -- the reason tools/
    lib.sh's free_port stays below it too;
  - from a random starting point, so that suites running side by side
    start far apart;
  - reserved across processes: a port handed out holds an flock() on
    $TMPDIR/adstats-ports/<port> for as long as this process lives (the
    kernel drops it when the process dies, so nothing goes stale), and a
    port another harness process holds is skipped. Two suites running at
    the same time therefore cannot pick the same port;
  - bind-checked: the port is bound once (without SO_REUSEADDR) and
    released, so that nothing is listening on it, nor lingering.

Between the check and the server's own bind() something outside the
harness may still take the port: the servers' start() methods retry on
another port when their process exits at start-up.
"""

import collections
import fcntl
import os
import random
import socket
import tempfile

LOOPBACK = "127.0.0.1"
LOWEST_PORT = 10000
LOCK_DIR = os.path.join(tempfile.gettempdir(), "adstats-ports")
MAX_HELD_LOCKS = 256  # the oldest reservation is dropped past this: long bound by then

_handed_out = set()                # ports this process has returned
_locks = collections.OrderedDict()  # port -> open lock file


def port_range():
    """(lowest, highest + 1): from 10000 up to the ephemeral range."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    if low <= LOWEST_PORT + 1000:
        low = 32768
    return LOWEST_PORT, low


def _reserve(port):
    """Takes this port's cross-process lock; False if another holds it."""
    try:
        os.makedirs(LOCK_DIR, mode=0o777, exist_ok=True)
        f = open(os.path.join(LOCK_DIR, str(port)), "a")
    except OSError:
        return True  # no shared directory: the bind check alone decides
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return False
    _locks[port] = f
    while len(_locks) > MAX_HELD_LOCKS:
        _locks.popitem(last=False)[1].close()
    return True


def _release(port):
    f = _locks.pop(port, None)
    if f is not None:
        f.close()


def _bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((LOOPBACK, port))
            return True
        except OSError:
            return False


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on, that no other
    harness process holds, and that this process has not handed out before."""
    low, high = port_range()
    span = high - low
    start = random.randrange(span)
    for i in range(span):
        port = low + (start + i) % span
        if port in _handed_out or not _reserve(port):
            continue
        if not _bindable(port):
            _release(port)
            continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port in %d-%d" % (low, high - 1))


def port_open(port, timeout=0.2):
    """True if something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout):
            return True
    except OSError:
        return False

