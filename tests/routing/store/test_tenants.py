"""API keys through the authenticator: the cache answers recent keys without the database."""

from __future__ import annotations

from sqlalchemy import Engine

from routing.rpc.auth import SqlAuthenticator
from routing.store.tenants import create_key, revoke_key


def test_cached_answers_only_recently_validated_keys(engine: Engine) -> None:
    """cached() knows a key only after authenticate() validated it, and forgets it when the
    cache time has passed (a revoked key then stops working)."""
    now = [100.0]
    auth = SqlAuthenticator(engine, cache_s=5.0, clock=lambda: now[0])
    key_id, key = create_key(engine, "acme")
    assert auth.cached(key) is None
    caller = auth.authenticate(key)
    assert caller is not None
    assert caller.tenant == "acme"
    assert auth.cached(key) == caller
    revoke_key(engine, key_id)
    assert auth.authenticate(key) == caller  # within the cache time
    now[0] += 5.1
    assert auth.cached(key) is None
    assert auth.authenticate(key) is None
    assert auth.cached("") is None
    assert auth.cached("x" * 500) is None
