"""Per-tenant rate limits: a token bucket per tenant.

A bucket holds up to ``burst`` tokens and refills at ``rate_per_s``; each RouteReturn, each
item of a RouteReturns stream and each other call takes one. An empty bucket answers how long
until the next token, which the edge sends as google.rpc.RetryInfo with RESOURCE_EXHAUSTED.

Two limiters, one interface (:class:`Limiter`): :class:`RateLimiter` keeps the buckets in this
process (a server without a database: tests); :class:`SharedRateLimiter` keeps them in the
database (``routing.store.rates``), shared by every process and replica, and spends a small
*lease* of tokens locally so that most calls touch no database: one lease holds
``LEASE_S`` of the tenant's rate (at least 1, at most ``MAX_LEASE`` tokens and the burst), and
lapses after ``LEASE_TTL_S`` unused (a lease never lets a process spend tokens long after it
took them). Every process holding at most one lease per tenant, the limit is exceeded by no
more than what leases hold (none: the tokens leased were taken from the shared bucket), and
a tenant may be refused early by at most (processes - 1) leases' worth of tokens.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

LEASE_S = 0.05  # a lease holds this many seconds of the tenant's rate
MAX_LEASE = 50  # tokens, whatever the rate
LEASE_TTL_S = 1.0  # a lease not spent within this time lapses


@dataclass(frozen=True, slots=True)
class Rate:
    per_s: float
    burst: int

    def __post_init__(self) -> None:
        if not self.per_s > 0:
            raise ValueError(f"rate per second must be > 0, got {self.per_s}")
        if self.burst < 1:
            raise ValueError(f"burst must be >= 1, got {self.burst}")


class Limiter(Protocol):
    def take(self, tenant: str, rate: Rate) -> float | None:
        """Take one token at once: 0.0 when taken, the seconds until one is available, or
        None when that needs :meth:`refill` (a database round trip)."""

    async def refill(self, tenant: str, rate: Rate) -> float:
        """Take one token, fetching tokens from afar: 0.0 or the seconds to wait."""


class RateLimiter:
    """The buckets in this process's memory (its replicas each have their own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # tenant -> (tokens, at)

    def take(self, tenant: str, rate: Rate) -> float:
        """Take one token; 0.0 when taken, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(tenant, (float(rate.burst), now))
            tokens = min(float(rate.burst), tokens + (now - at) * rate.per_s)
            if tokens >= 1.0:
                self._buckets[tenant] = (tokens - 1.0, now)
                return 0.0
            self._buckets[tenant] = (tokens, now)
            return (1.0 - tokens) / rate.per_s

    async def refill(self, tenant: str, rate: Rate) -> float:
        return self.take(tenant, rate)


Lease = Callable[[str, float, int, int], tuple[int, float]]


class SharedRateLimiter:
    """Buckets in the database (``lease``: :meth:`routing.store.rates.SqlRateBuckets.lease`),
    spent locally a lease at a time. Used from one event loop (no lock on the local state)."""

    def __init__(
        self,
        lease: Lease,
        *,
        clock: Callable[[], float] = time.monotonic,
        lease_s: float = LEASE_S,
        max_lease: int = MAX_LEASE,
        ttl_s: float = LEASE_TTL_S,
    ) -> None:
        self._lease = lease
        self._clock = clock
        self._lease_s = lease_s
        self._max_lease = max_lease
        self._ttl_s = ttl_s
        self._held: dict[str, tuple[int, float]] = {}  # tenant -> (tokens, lapse at)
        self._empty_until: dict[str, float] = {}  # tenant -> bucket known empty until
        self._locks: dict[str, asyncio.Lock] = {}
        self.leases = 0  # round trips to the shared bucket (benchmarks, tests)

    def chunk(self, rate: Rate) -> int:
        return max(1, min(self._max_lease, rate.burst, math.ceil(rate.per_s * self._lease_s)))

    def take(self, tenant: str, rate: Rate) -> float | None:
        now = self._clock()
        tokens, lapse_at = self._held.get(tenant, (0, 0.0))
        if tokens > 0 and now < lapse_at:
            self._held[tenant] = (tokens - 1, lapse_at)
            return 0.0
        until = self._empty_until.get(tenant, 0.0)
        if now < until:
            return until - now
        return None

    async def refill(self, tenant: str, rate: Rate) -> float:
        lock = self._locks.setdefault(tenant, asyncio.Lock())
        async with lock:  # one lease at a time per tenant: callers queued here share it
            again = self.take(tenant, rate)
            if again is not None:
                return again
            want = self.chunk(rate)
            granted, wait_s = await asyncio.get_running_loop().run_in_executor(
                None, self._lease, tenant, rate.per_s, rate.burst, want
            )
            self.leases += 1
            now = self._clock()
            if granted < 1:
                self._held.pop(tenant, None)
                self._empty_until[tenant] = now + wait_s
                return wait_s
            self._empty_until.pop(tenant, None)
            self._held[tenant] = (granted - 1, now + self._ttl_s)
            return 0.0
