"""keys -- adstats' layout-3 day-bucket keys (include/keys.h), for tests
that look at Redis directly.

A day's counters of a dimension value live in one of 4096 day-bucket hashes
per dimension and UTC day, `as:<dim>:e<YYYYMMDD>:b<NNNN>` (NNNN = FNV-1a
32-bit of the value's bytes mod 4096), in the fields `i:<value>`,
`r:<value>`, `n:<value>`. day_counts reads them back in layout 1's shape
({"imp": I, "req": R, "nof": N}, absent fields left out), so a test states
the same expectations it did when each value-day was a hash of its own.
Layout 2's buckets (`as:<dim>:d<YYYYMMDD>:b<NNNN>`, mod 1024, the same
fields) are named by day_bucket_key_v2, for the migration tests.
"""

DAY_BUCKETS = 4096
DAY_BUCKETS_V2 = 1024
LETTERS = {"imp": "i", "req": "r", "nof": "n"}


def _as_bytes(value):
    return value.encode() if isinstance(value, str) else bytes(value)


def key_bucket(value, buckets=DAY_BUCKETS):
    """The value's day bucket number (keys.c key_bucket)."""
    h = 2166136261
    for byte in _as_bytes(value):
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h % buckets


def day_bucket_key(dim, date, value):
    """as:<dim>:e<YYYYMMDD>:b<NNNN>; `dim` is the letter (u, s, c, p)."""
    return "as:%s:e%s:b%04d" % (dim, date, key_bucket(value))


def day_bucket_key_v2(dim, date, value):
    """Layout 2's bucket: as:<dim>:d<YYYYMMDD>:b<NNNN>, NNNN mod 1024."""
    return "as:%s:d%s:b%04d" % (dim, date, key_bucket(value, DAY_BUCKETS_V2))


def day_fields(value):
    """{"imp": "i:<value>", ...}: the value's fields of its bucket."""
    v = _as_bytes(value).decode("utf-8", "surrogateescape")
    return {name: "%s:%s" % (letter, v) for name, letter in LETTERS.items()}


def day_counts(redis, dim, date, value):
    """The value's counters of that day, as {"imp": I, "req": R, "nof": N}
    with absent fields left out ({} when the value had no event that day)."""
    names = list(LETTERS)
    fields = day_fields(value)
    got = redis.command("HMGET", day_bucket_key(dim, date, value), *[fields[n] for n in names])
    return {n: int(v) for n, v in zip(names, got) if v is not None}
