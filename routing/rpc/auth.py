"""Who is calling: API keys from call metadata, checked against the database.

A key travels as ``authorization: Bearer <key>`` or ``x-api-key: <key>``. Valid keys are
cached for ``cache_s`` seconds (a revoked key stops working within that time; 0 = no cache);
unknown keys are not cached (they cost one indexed lookup). A call that stays open (a stream)
has its key looked up again every ``cache_s`` (``revalidate``, the database itself), so a
revocation reaches it within that time too (``routing.rpc.edge``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy import Engine

from routing.store.tenants import Caller, authenticate, key_sha256

MAX_KEY_CHARS = 200


class Authenticator(Protocol):
    def cached(self, key: str) -> Caller | None:
        """The caller of a key validated recently, without touching the database (None: not
        known, call :meth:`authenticate`)."""
        ...

    def authenticate(self, key: str) -> Caller | None: ...

    def revalidate(self, key: str) -> Caller | None:
        """The caller of ``key`` as the database says now (not the cache), the cache
        refreshed; None once the key is revoked."""
        ...

    @property
    def cache_s(self) -> float:
        """How long a valid key is believed without asking the database again."""
        ...


def key_from_metadata(metadata: Sequence[tuple[str, str | bytes]] | None) -> str | None:
    """The API key a call carries, or None."""
    for name, value in metadata or ():
        if isinstance(value, bytes):
            continue
        if name == "x-api-key":
            return value.strip()
        if name == "authorization":
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
    return None


class SqlAuthenticator:
    def __init__(
        self, engine: Engine, *, cache_s: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._engine = engine
        self._cache_s = cache_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Caller, float]] = {}

    def cached(self, key: str) -> Caller | None:
        if not key or len(key) > MAX_KEY_CHARS:
            return None
        with self._lock:
            hit = self._cache.get(key_sha256(key))
        return hit[0] if hit is not None and hit[1] > self._clock() else None

    @property
    def cache_s(self) -> float:
        return self._cache_s

    def authenticate(self, key: str) -> Caller | None:
        if not key or len(key) > MAX_KEY_CHARS:
            return None
        found = self.cached(key)
        if found is not None:
            return found
        return self.revalidate(key)

    def revalidate(self, key: str) -> Caller | None:
        if not key or len(key) > MAX_KEY_CHARS:
            return None
        digest = key_sha256(key)
        now = self._clock()
        caller = authenticate(self._engine, key)
        with self._lock:
            if caller is None or self._cache_s <= 0:
                self._cache.pop(digest, None)
            else:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = (caller, now + self._cache_s)
        return caller
