"""Rate-limit token buckets in the database, shared by every process and replica.

A tenant's bucket is one row (``rate_buckets``): the tokens it held at a moment. A process does
not take one token per call from it (a database round trip per call): it *leases* a small
chunk (:meth:`SqlRateBuckets.lease`) and spends it locally (``routing.rpc.limits``). A lease is
one short writing transaction: the row is read under a lock (``SELECT .. FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers), refilled for the time since it
was last written (at the tenant's rate, capped at its burst), the chunk taken, the row written.
So whatever the number of processes, the tokens taken from a bucket never exceed
``burst + rate * elapsed``: N replicas allow the limit once, not N times.

Time is the wall clock of the process taking (seconds since the epoch); replicas on several
machines are assumed NTP-synchronised. A clock behind the row's time refills nothing (never
negative time), so a skew costs tokens, never grants extra.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from sqlalchemy import Engine, select, update

from routing.store.database import writer
from routing.store.sql import upsert
from routing.store.tables import RateBucket


class SqlRateBuckets:
    """Leases from the tenants' shared buckets (one writing transaction per lease)."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self._writer = writer(engine)
        self._clock = clock

    def lease(self, tenant: str, per_s: float, burst: int, want: int) -> tuple[int, float]:
        """Take up to ``want`` tokens (as many as are there, at least one, or none) from
        ``tenant``'s bucket: (tokens granted, 0.0), or (0, seconds until one is there)."""
        if not per_s > 0 or burst < 1 or want < 1:
            raise ValueError(f"lease: per_s {per_s}, burst {burst}, want {want}: must be > 0, >= 1")
        now = self._clock()
        find = select(RateBucket.tokens, RateBucket.at_s).where(RateBucket.tenant == tenant)
        with self._writer.begin() as conn:
            row = conn.execute(find.with_for_update()).one_or_none()
            if row is None:  # the tenant's first call anywhere: a full bucket
                new = upsert(conn, RateBucket).values(tenant=tenant, tokens=float(burst), at_s=now)
                conn.execute(new.on_conflict_do_nothing(index_elements=["tenant"]))
                row = conn.execute(find.with_for_update()).one()
            tokens, at_s = float(row.tokens), float(row.at_s)
            if not math.isfinite(tokens):  # never written so by us; heal rather than fail
                tokens = float(burst)
            tokens = min(float(burst), tokens + max(0.0, now - at_s) * per_s)
            granted = min(want, int(tokens))
            tokens -= granted
            conn.execute(
                update(RateBucket)
                .where(RateBucket.tenant == tenant)
                .values(tokens=tokens, at_s=max(now, at_s))
            )
        if granted:
            return granted, 0.0
        return 0, (1.0 - tokens) / per_s
