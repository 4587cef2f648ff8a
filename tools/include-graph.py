#!/usr/bin/env python3
"""include-graph.py -- checks that adstats' C modules depend on each other
one way only, as docs/ARCHITECTURE.md draws them.

A module is a source file and its header: src/X.c with include/X.h is
module X; endpoints/X.c (and endpoints/X.h) is module endpoints/X. Its
dependencies are the project headers it #includes ("X.h", not <X.h>),
resolved as the compiler does: the includer's own directory first, then
include/. The check fails when

  - a module is in no layer of LAYERS below (a new file must be placed),
  - a module includes one of a higher layer (an upward arrow), or
  - the modules' includes form a cycle (within a layer too).

Usage: tools/include-graph.py [--list]   (--list prints every module's
dependencies, layer by layer). Exit status 0 when the graph is clean.
"""
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# Highest first. A module may include modules of its own layer or below.
LAYERS = [
    ("main", ["main"]),
    ("endpoints", ["endpoints/*"]),
    ("pipeline", ["request", "request_parse", "count", "endpoint", "routing", "accounting",
                  "server", "acceptor", "headcheck", "connections", "ioloop", "admin", "access_log"]),
    ("domain", ["events", "stats", "stats_range", "keys", "upstream", "vast", "vast_inject",
                "backend_log", "import_flask", "flask_layout", "expiry_cache", "layout",
                "ivt", "tracking", "index_writer", "index_buffer"]),
    ("store", ["store", "combine", "batch", "reply_reuse", "redis_libevent", "redis_sync"]),
    ("utilities", ["config", "cors", "metrics", "prom", "buf", "json", "jsonbody", "params",
                   "dimension", "urltemplate", "forwarded", "netaddr", "base64url", "cluster",
                   "track_token", "utf8", "day", "resp", "clock", "hll", "log", "ratelimit",
                   "linewriter", "lifecycle", "version", "embedded"]),
]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_of(path):
    """The module a file in src/, include/ or endpoints/ belongs to."""
    d, name = os.path.split(path)
    stem = os.path.splitext(name)[0]
    return "endpoints/" + stem if d == "endpoints" else stem


def sources():
    for d in ("src", "include", "endpoints"):
        for name in sorted(os.listdir(os.path.join(ROOT, d))):
            if name.endswith((".c", ".h")):
                yield d + "/" + name


def resolve(includer, header):
    """The repository path of `header` as included by `includer`, or None."""
    for d in (os.path.dirname(includer), "include"):
        p = os.path.normpath(os.path.join(d, header))
        if os.path.isfile(os.path.join(ROOT, p)):
            return p
    return None


def layer_of(module):
    for i, (_, members) in enumerate(LAYERS):
        for m in members:
            if m == module or (m.endswith("/*") and module.startswith(m[:-1])):
                return i
    return None


def graph(errors):
    """{module: {dependency: first file and header that makes it}}."""
    deps = {}
    for path in sources():
        mod = module_of(path)
        deps.setdefault(mod, {})
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            text = f.read()
        for header in INCLUDE.findall(text):
            target = resolve(path, header)
            if target is None:
                errors.append("%s: includes \"%s\", which is in neither %s/ nor include/"
                              % (path, header, os.path.dirname(path)))
                continue
            dep = module_of(target)
            if dep != mod:
                deps[mod].setdefault(dep, "%s includes \"%s\"" % (path, header))
    return deps


def cycles(deps):
    """Every cycle's modules (Tarjan's strongly connected components)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(deps.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(deps):
        if v not in index:
            visit(v)
    return found


def main(argv):
    errors = []
    deps = graph(errors)
    for mod in sorted(deps):
        if layer_of(mod) is None:
            errors.append("module %s is in no layer: add it to LAYERS in tools/include-graph.py "
                          "(and to docs/ARCHITECTURE.md)" % mod)
    for mod, targets in sorted(deps.items()):
        for dep, why in sorted(targets.items()):
            lm, ld = layer_of(mod), layer_of(dep)
            if lm is not None and ld is not None and ld < lm:
                errors.append("upward include: %s (%s) -> %s (%s): %s"
                              % (mod, LAYERS[lm][0], dep, LAYERS[ld][0], why))
    for component in cycles(deps):
        errors.append("include cycle among: %s" % ", ".join(component))
    if "--list" in argv:
        for i, (name, _) in enumerate(LAYERS):
            print("%s:" % name)
            for mod in sorted(m for m in deps if layer_of(m) == i):
                print("  %-26s -> %s" % (mod, " ".join(sorted(deps[mod])) or "-"))
    for e in errors:
        print("include-graph: " + e, file=sys.stderr)
    edges = sum(len(t) for t in deps.values())
    print("include graph: %d modules, %d dependencies, %s"
          % (len(deps), edges, "%d problems" % len(errors) if errors
             else "no cycle, every include points down"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
