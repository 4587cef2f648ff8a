"""procs.py -- child processes that are always stopped, and scratch space.

Every server the tests run is a Proc: a child in a process group of its
own, stdin from /dev/null, stdout and stderr in files of its scratch
directory (so that it can never block on a full pipe). A Proc is stopped
by its owner (SIGTERM to the group, SIGKILL after a grace period) or,
whatever happens, by the atexit hook here, which also removes the scratch
directories (ADSTATS_KEEP_TMP=1 keeps them for a post-mortem). A run
stopped by SIGTERM unwinds as on Ctrl-C, so the hook runs then too.

Also here: where the binaries are ($ADSTATS_BIN, default <repo>/bin, so
the same tests run against the sanitizer build: ADSTATS_BIN=build/asan/bin),
polling with a deadline, and a bounded pool of forked worker processes.
"""

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
STOP_GRACE_S = 5.0
START_TIMEOUT_S = 15.0


class StartError(RuntimeError):
    """A server did not come up (its output is in the message)."""


def bin_dir():
    """Directory holding adstats and vastmock ($ADSTATS_BIN, else <repo>/bin)."""
    d = os.environ.get("ADSTATS_BIN", "")
    if not d:
        return os.path.join(REPO, "bin")
    if os.path.isabs(d):
        return d
    # A relative path is taken from the working directory if it is there,
    # else from the repository root (`ADSTATS_BIN=build/asan/bin`).
    if os.path.isdir(d):
        return os.path.abspath(d)
    return os.path.join(REPO, d)


def binary(name):
    """The path of bin_dir()/name; raises if it is not an executable."""
    path = os.path.join(bin_dir(), name)
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s not found or not executable (run `make`, or set ADSTATS_BIN)" % path)
    return path


def wait_until(predicate, timeout, interval=0.01, what="condition"):
    """Polls `predicate` until it returns a true value (which is returned),
    at most `timeout` seconds; raises TimeoutError then."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def eventually(check, timeout=5.0, interval=0.02):
    """Runs `check` (a function making assertions) until it passes, at most
    `timeout` seconds, and returns its value; the last AssertionError is
    raised then. For what adstats writes after answering: the top lists
    and unique sessions trail the counters by up to --index-flush-ms."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)


def raise_fd_limit():
    """Raises this process' open-file limit to its hard limit (slow-client
    tests hold a thousand sockets); returns the limit."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def read_text(path):
    """A file's text (undecodable bytes replaced); "" if it does not exist."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


# ---- scratch directories -----------------------------------------------------

_tmpdirs = set()


def make_tmpdir(prefix="adstats-it-"):
    """A fresh directory, removed at exit if not before (remove_tmpdir)."""
    d = tempfile.mkdtemp(prefix=prefix)
    _tmpdirs.add(d)
    return d


def remove_tmpdir(d):
    if d is None:
        return
    _tmpdirs.discard(d)
    if os.environ.get("ADSTATS_KEEP_TMP") == "1":
        return
    shutil.rmtree(d, ignore_errors=True)


# ---- processes -----------------------------------------------------------------

_live = set()
_live_lock = threading.Lock()


class Proc:
    """A child process in its own process group, with stdout and stderr in
    <tmpdir>/<name>.stdout and .stderr (appended to: a restarted server
    keeps its earlier output)."""

    def __init__(self, name, argv, tmpdir, env=None, cwd=None):
        self.name = name
        self.argv = list(argv)
        self.stdout_path = os.path.join(tmpdir, "%s.stdout" % name)
        self.stderr_path = os.path.join(tmpdir, "%s.stderr" % name)
        self.returncode = None
        out = open(self.stdout_path, "ab")
        err = open(self.stderr_path, "ab")
        try:
            self.popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                env=env, cwd=cwd, start_new_session=True)
        finally:
            out.close()
            err.close()
        self.pid = self.popen.pid
        with _live_lock:
            _live.add(self)

    def alive(self):
        return self.popen.poll() is None

    def stdout(self):
        return read_text(self.stdout_path)

    def stderr(self):
        return read_text(self.stderr_path)

    def log(self):
        """stdout then stderr."""
        return self.stdout() + self.stderr()

    def signal(self, sig):
        """Sends `sig` to the process group, if the process still runs."""
        if self.alive():
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        """The exit code, or None if it still runs after `timeout` s."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace=STOP_GRACE_S):
        """SIGTERM to the process group, SIGKILL after `grace` seconds.
        Returns the exit code (negative: killed by that signal)."""
        if self.popen.poll() is None:
            self.signal(signal.SIGTERM)
            if self.wait(grace) is None:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(timeout=10)
        self.returncode = self.popen.returncode
        # Strays left in the group (there should be none) go too.
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        with _live_lock:
            _live.discard(self)
        return self.returncode


# ---- clean-up, whatever happens ----------------------------------------------

_owner_pid = os.getpid()


def _stop_everything():
    if os.getpid() != _owner_pid:
        return  # a forked child: the servers are its parent's
    with _live_lock:
        procs = list(_live)
    for p in procs:
        try:
            p.stop()
        except Exception:  # atexit: do what can be done
            pass
    for d in list(_tmpdirs):
        remove_tmpdir(d)


atexit.register(_stop_everything)


def _on_sigterm(signum, frame):
    if os.getpid() != _owner_pid:
        # A forked child (a load-generating client) inherited this handler:
        # it just dies, as it would have without it.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    # KeyboardInterrupt, not SystemExit: unittest records other exceptions
    # as a failed test and goes on, but lets this one end the run.
    raise KeyboardInterrupt("SIGTERM")


# A test run stopped by SIGTERM still stops its servers (atexit runs as the
# interpreter exits). Only the main thread of a run installs this.
if threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _on_sigterm)


# ---- a bounded pool of worker processes --------------------------------------

def run_processes(target, jobs, timeout):
    """Runs target(conn, args) in one forked process per job and returns
    what each sends on its pipe, in order. Bounded: a process that has not
    answered within `timeout` s is killed and reported as a crash."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    procs = []
    try:
        for args in jobs:
            parent_end, child_end = ctx.Pipe(duplex=False)
            p = ctx.Process(target=target, args=(child_end, args), daemon=True)
            p.start()
            child_end.close()
            procs.append((p, parent_end))
        deadline = time.monotonic() + timeout
        results = []
        for p, end in procs:
            if end.poll(max(0.0, deadline - time.monotonic())):
                try:
                    results.append(end.recv())
                except EOFError:
                    results.append({"crash": "client exited with %s" % p.exitcode})
            else:
                results.append({"crash": "client gave no result within %.0f s" % timeout})
        return results
    finally:
        for p, end in procs:
            end.close()
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join(5)
