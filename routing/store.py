"""Where decisions are kept, keyed by the client's idempotency key.

``DecisionStore`` is the interface; ``MemoryDecisionStore`` keeps the most recent decisions
of one server process (bounded). A durable SQL store (SQLAlchemy, SQLite/PostgreSQL) plugs in
behind the same protocol.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Protocol

from routing.domain import Decision, Return
from routing.errors import Conflict


def fingerprint(ret: Return) -> str:
    """A stable digest of everything in a request (frozen dataclass reprs are deterministic)."""
    return hashlib.sha256(repr(ret).encode("utf-8")).hexdigest()


class DecisionStore(Protocol):
    def get(self, key: str, request_fingerprint: str) -> Decision | None:
        """The decision stored under ``key``; Conflict when the key was used for another request."""
        ...

    def put(self, key: str, request_fingerprint: str, decision: Decision) -> Decision:
        """Store and return the decision; when the key is already taken, return the stored one."""
        ...


class MemoryDecisionStore:
    """Thread-safe LRU of at most ``capacity`` decisions."""

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be > 0")
        self._capacity = capacity
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[str, Decision]] = OrderedDict()

    def get(self, key: str, request_fingerprint: str) -> Decision | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
        _check(key, found[0], request_fingerprint)
        return found[1]

    def put(self, key: str, request_fingerprint: str, decision: Decision) -> Decision:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self._items[key] = (request_fingerprint, decision)
                if len(self._items) > self._capacity:
                    self._items.popitem(last=False)
                return decision
        _check(key, found[0], request_fingerprint)
        return found[1]

    def __len__(self) -> int:
        return len(self._items)


def _check(key: str, stored: str, given: str) -> None:
    if stored != given:
        raise Conflict(f"idempotency key {key[:64]!r} was already used for a different request")
