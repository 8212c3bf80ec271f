"""Where decisions are kept, per tenant, keyed by the client's idempotency key, and the
facility capacity they hold.

``DecisionStore`` is the interface; ``MemoryDecisionStore`` keeps the decisions of one server
process (bounded, for unit tests and embedding); ``routing.store.sql.SqlDecisionStore`` is the
durable one (SQLite/PostgreSQL) the server uses.

Capacity: a decision holds units at the first facility each shipment reaches (the receiving
facility: a 3PL, a hub, the origin), on the return's routing day, against that facility's
``capacity_units_per_day``. ``put`` stores the decision and takes its holds in one atomic step:
a hold that no longer fits (another decision took the room meanwhile) stores nothing and
raises ``CapacityTaken``, so the caller routes again without that facility.

Deadlines: ``put`` takes ``commit_by``, a ``time.monotonic()`` instant after which the caller
can no longer receive the answer; a decision not committed by then is not committed at all
(``DeadlinePassed``, nothing stored, nothing held), so every stored decision is one its caller
could have received.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol, runtime_checkable

from routing.decide.domain import Decision, Return
from routing.errors import (
    DeadlinePassed,
    IdempotencyConflict,
    NotPermitted,
    RerouteError,
    UnknownResource,
)


def fingerprint(ret: Return) -> str:
    """A stable digest of everything in a request (frozen dataclass reprs are deterministic)."""
    return hashlib.sha256(repr(ret).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Hold:
    """``units`` of a facility's intake on ``day`` taken by one decision."""

    facility_id: str
    day: date
    units: int

    def __post_init__(self) -> None:
        if self.units <= 0:
            raise ValueError(f"Hold.units must be > 0, got {self.units}")


def holds_of(decision: Decision) -> tuple[Hold, ...]:
    """The capacity a decision takes: per shipment, its units at the first facility reached."""
    units: dict[str, int] = {}
    for s in decision.chosen.shipments:
        if not s.legs:
            continue  # returnless: no facility
        first = s.legs[0].to_facility
        units[first] = units.get(first, 0) + sum(a.quantity for a in s.items)
    return tuple(Hold(f, decision.return_date, u) for f, u in sorted(units.items()))


class CapacityTaken(RerouteError):
    """A hold no longer fits: the facility's capacity that day was taken meanwhile."""

    def __init__(self, facility_id: str, day: date) -> None:
        super().__init__(f"capacity of {facility_id} on {day} was taken meanwhile")
        self.facility_id = facility_id
        self.day = day


@dataclass(frozen=True, slots=True)
class StoredDecision:
    decision: Decision
    tenant: str
    created_at: datetime
    seq: int  # store order: a larger seq was stored later


@dataclass(frozen=True, slots=True)
class DecisionPage:
    items: tuple[StoredDecision, ...]  # newest first
    next_before: int | None  # seq to continue below; None = no more


class DecisionStore(Protocol):
    def get(self, tenant: str, key: str, request_fingerprint: str) -> Decision | None:
        """The decision ``tenant`` stored under ``key``; IdempotencyConflict when the key was
        used for another request."""
        ...

    def reserved(self, day: date) -> Mapping[str, int]:
        """Units held per facility on ``day`` (facilities with none may be missing)."""
        ...

    def put(
        self,
        tenant: str,
        key: str,
        request_fingerprint: str,
        decision: Decision,
        holds: Sequence[Hold],
        capacity: Mapping[str, int],
        *,
        commit_by: float | None = None,
    ) -> Decision:
        """Store the decision and take its holds atomically (a facility missing from
        ``capacity`` is unbounded). When ``key`` is already taken, return the stored decision
        (IdempotencyConflict for another request) and take nothing; CapacityTaken when a hold
        no longer fits (nothing stored). An empty ``key`` stores without idempotency.
        DeadlinePassed (nothing stored) when it would commit after ``commit_by``
        (``time.monotonic()``; None: no deadline)."""
        ...

    def find(self, tenant: str, decision_id: str) -> StoredDecision:
        """UnknownResource when no such decision; NotPermitted when another tenant's."""
        ...

    def page(
        self, tenant: str, *, size: int, before: int | None, max_bytes: int | None = None
    ) -> DecisionPage:
        """``tenant``'s decisions newest first, ``size`` at most, with seq < ``before``; with
        ``max_bytes``, fewer when their stored forms would weigh more (one at least): a page is
        read into memory whole, and a full page of large decisions weighs tens of MB."""
        ...


@runtime_checkable
class AsyncDecisionStore(DecisionStore, Protocol):
    """A store that answers ``put`` on the caller's event loop (the server's RouteReturn does
    not hand each call to a thread)."""

    def reserved_cached(self, day: date) -> Mapping[str, int] | None:
        """``reserved(day)`` when that needs no I/O, else None."""
        ...

    async def put_async(
        self,
        tenant: str,
        key: str,
        request_fingerprint: str,
        decision: Decision,
        holds: Sequence[Hold],
        capacity: Mapping[str, int],
        *,
        commit_by: float | None = None,
    ) -> Decision:
        """``put``, awaited."""
        ...


class MemoryDecisionStore:
    """Thread-safe, in memory; keeps the most recent ``capacity`` decisions."""

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be > 0")
        self._capacity = capacity
        self._lock = threading.Lock()
        self._seq = 0
        self._by_id: OrderedDict[str, tuple[StoredDecision, str]] = OrderedDict()
        self._keys: dict[tuple[str, str], str] = {}  # (tenant, key) -> decision id
        self._held: dict[tuple[str, date], int] = {}

    def get(self, tenant: str, key: str, request_fingerprint: str) -> Decision | None:
        with self._lock:
            found = self._keyed(tenant, key)
        if found is None:
            return None
        _check(key, found[1], request_fingerprint)
        return found[0].decision

    def _keyed(self, tenant: str, key: str) -> tuple[StoredDecision, str] | None:
        decision_id = self._keys.get((tenant, key))
        return None if decision_id is None else self._by_id.get(decision_id)

    def reserved(self, day: date) -> Mapping[str, int]:
        with self._lock:
            return {f: u for (f, d), u in self._held.items() if d == day}

    def put(
        self,
        tenant: str,
        key: str,
        request_fingerprint: str,
        decision: Decision,
        holds: Sequence[Hold],
        capacity: Mapping[str, int],
        *,
        commit_by: float | None = None,
    ) -> Decision:
        with self._lock:
            found = self._keyed(tenant, key) if key else None
            if found is None:
                if commit_by is not None and time.monotonic() > commit_by:
                    raise deadline_passed()
                for h in holds:
                    cap = capacity.get(h.facility_id)
                    if (
                        cap is not None
                        and self._held.get((h.facility_id, h.day), 0) + h.units > cap
                    ):
                        raise CapacityTaken(h.facility_id, h.day)
                for h in holds:
                    slot = (h.facility_id, h.day)
                    self._held[slot] = self._held.get(slot, 0) + h.units
                self._seq += 1
                stored = StoredDecision(decision, tenant, datetime.now(UTC), self._seq)
                self._by_id[decision.decision_id] = (stored, request_fingerprint)
                if key:
                    self._keys[(tenant, key)] = decision.decision_id
                if len(self._by_id) > self._capacity:
                    _, (old, _fp) = self._by_id.popitem(last=False)
                    self._keys.pop((old.tenant, old.decision.idempotency_key), None)
                return decision
        _check(key, found[1], request_fingerprint)
        return found[0].decision

    def reserved_cached(self, day: date) -> Mapping[str, int] | None:
        return self.reserved(day)

    async def put_async(
        self,
        tenant: str,
        key: str,
        request_fingerprint: str,
        decision: Decision,
        holds: Sequence[Hold],
        capacity: Mapping[str, int],
        *,
        commit_by: float | None = None,
    ) -> Decision:
        return self.put(
            tenant, key, request_fingerprint, decision, holds, capacity, commit_by=commit_by
        )

    def find(self, tenant: str, decision_id: str) -> StoredDecision:
        with self._lock:
            found = self._by_id.get(decision_id)
        if found is None:
            raise UnknownResource(f"decision {decision_id[:64]!r}")
        if found[0].tenant != tenant:
            raise NotPermitted(f"decision {decision_id[:64]!r} belongs to another tenant")
        return found[0]

    def page(
        self, tenant: str, *, size: int, before: int | None, max_bytes: int | None = None
    ) -> DecisionPage:
        # (in memory already: ``max_bytes`` bounds nothing here)
        with self._lock:
            mine = [
                s
                for s, _ in reversed(self._by_id.values())
                if s.tenant == tenant and (before is None or s.seq < before)
            ]
        items = tuple(mine[:size])
        more = len(mine) > size
        return DecisionPage(items, items[-1].seq if more and items else None)

    def __len__(self) -> int:
        return len(self._by_id)


def deadline_passed() -> DeadlinePassed:
    return DeadlinePassed(
        "the call's deadline passed before its decision was stored; nothing was kept: retry"
        " with a longer deadline"
    )


def _check(key: str, stored: str, given: str) -> None:
    if stored != given:
        raise IdempotencyConflict(
            f"idempotency key {key[:64]!r} was already used for a different request"
        )
