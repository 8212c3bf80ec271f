"""Shared rate-limit buckets (routing.store.rates) on SQLite and PostgreSQL: leases never take
more than the bucket holds, whatever the number of engines (processes) taking at once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine

from routing.store.database import make_engine, upgrade
from routing.store.rates import SqlRateBuckets


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_first_lease_finds_a_full_bucket_then_refills_at_the_rate(engine: Engine) -> None:
    """A new tenant's bucket is full (burst); leases take what is there (up to the chunk);
    an empty bucket says how long until the next token; time refills at the rate, capped at
    the burst."""
    clock = Clock()
    buckets = SqlRateBuckets(engine, clock)
    assert buckets.lease("t1", 10.0, 25, 10) == (10, 0.0)
    assert buckets.lease("t1", 10.0, 25, 10) == (10, 0.0)
    assert buckets.lease("t1", 10.0, 25, 10) == (5, 0.0)
    granted, wait_s = buckets.lease("t1", 10.0, 25, 10)
    assert granted == 0
    assert wait_s == pytest.approx(0.1)
    clock.t += 0.35  # 3.5 tokens
    assert buckets.lease("t1", 10.0, 25, 10) == (3, 0.0)
    clock.t += 3600  # refill caps at the burst
    assert buckets.lease("t1", 10.0, 25, 100) == (25, 0.0)
    assert buckets.lease("t2", 10.0, 25, 1) == (1, 0.0)  # tenants are apart


def test_clock_behind_refills_nothing(engine: Engine) -> None:
    """A replica whose clock is behind the row's time (skew) gets no tokens for negative
    time, and does not move the row's time back."""
    ahead, behind = Clock(2_000_000.0), Clock(1_999_990.0)
    SqlRateBuckets(engine, ahead).lease("t", 1.0, 3, 3)
    assert SqlRateBuckets(engine, behind).lease("t", 1.0, 3, 3)[0] == 0
    ahead.t += 1.0
    assert SqlRateBuckets(engine, ahead).lease("t", 1.0, 3, 3) == (1, 0.0)


def test_bad_arguments_are_refused(engine: Engine) -> None:
    """A zero rate, burst or chunk is a programming error, said at once."""
    with pytest.raises(ValueError, match="must be"):
        SqlRateBuckets(engine).lease("t", 0.0, 1, 1)


def test_concurrent_engines_never_take_more_than_the_bucket(database_url: str) -> None:
    """Four engines (as four processes would) leasing from one tenant's bucket at once, for
    about a second: the tokens granted never exceed burst + rate x elapsed."""
    per_s, burst = 200.0, 50
    engines = [make_engine(database_url) for _ in range(4)]
    upgrade(engines[0])
    granted = [0] * len(engines)
    started = time.time()
    stop = started + 1.0

    def run(i: int) -> None:
        buckets = SqlRateBuckets(engines[i])
        while time.time() < stop:
            got, _wait = buckets.lease("shared", per_s, burst, 7)
            granted[i] += got

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(engines))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    for e in engines:
        e.dispose()
    assert sum(granted) <= burst + per_s * elapsed + 1e-6
    assert sum(granted) >= burst  # they did take (the bucket was full at first)
    assert sum(1 for g in granted if g > 0) >= 2  # and more than one of them got some
