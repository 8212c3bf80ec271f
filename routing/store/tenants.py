"""Tenants, API keys and network versions.

An API key reads ``rr_<id>.<secret>``: ``rr_<id>`` (12 hex digits) is its visible, listable
id; the secret is 32 random bytes (``secrets.token_urlsafe``). Only the SHA-256 of the whole key
is stored: a high-entropy key needs no slow hash, and a leaked table gives no usable key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, insert, select, update

from routing.errors import InvalidInput, UnknownResource
from routing.store.database import writer
from routing.store.sql import tenant_id, upsert, utc
from routing.store.tables import ApiKey, NetworkVersion, Tenant

KEY_PREFIX = "rr_"
DEFAULT_TENANT = "default"
KEY_FILE = "default.key"  # in the data dir: the bootstrap key of the default tenant, mode 0600
_TENANT_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_KEY = re.compile(r"rr_([0-9a-f]{12})\.([A-Za-z0-9_-]{20,100})")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a valid key belongs to, and that tenant's rate limit (None = server default)."""

    tenant: str
    key_id: str
    rate_per_s: float | None
    burst: int | None


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: str
    tenant: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


def key_sha256(clear: str) -> str:
    return hashlib.sha256(clear.encode("utf-8")).hexdigest()


def check_tenant_name(name: str) -> None:
    if not _TENANT_NAME.fullmatch(name):
        raise InvalidInput.one(
            "tenant", f"{name[:70]!r}: 1-64 of a-z 0-9 _ . - starting with a letter or digit"
        )


def create_key(engine: Engine, tenant: str, *, label: str = "") -> tuple[str, str]:
    """A new key for ``tenant`` (created if new): (key id, the clear key, shown only now)."""
    check_tenant_name(tenant)
    key_id = KEY_PREFIX + secrets.token_hex(6)
    clear = f"{key_id}.{secrets.token_urlsafe(32)}"
    with writer(engine).begin() as conn:
        tid = tenant_id(conn, tenant, create=True)
        conn.execute(
            insert(ApiKey).values(
                id=key_id,
                tenant_id=tid,
                sha256=key_sha256(clear),
                label=label[:200],
                created_at=datetime.now(UTC),
            )
        )
    return key_id, clear


def list_keys(engine: Engine, tenant: str | None = None) -> list[KeyInfo]:
    stmt = select(ApiKey.id, Tenant.name, ApiKey.label, ApiKey.created_at, ApiKey.revoked_at).join(
        Tenant, Tenant.id == ApiKey.tenant_id
    )
    if tenant is not None:
        stmt = stmt.where(Tenant.name == tenant)
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(Tenant.name, ApiKey.created_at)).all()
        conn.rollback()
    return [
        KeyInfo(r[0], r[1], r[2], utc(r[3]), utc(r[4]) if r[4] is not None else None) for r in rows
    ]


def revoke_key(engine: Engine, key_id: str) -> None:
    """Revoke key ``key_id`` (UnknownResource when there is none; revoking twice is fine)."""
    with writer(engine).begin() as conn:
        found = conn.execute(select(ApiKey.revoked_at).where(ApiKey.id == key_id)).one_or_none()
        if found is None:
            raise UnknownResource(f"API key {key_id[:40]!r}")
        if found[0] is None:
            conn.execute(
                update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=datetime.now(UTC))
            )


def authenticate(engine: Engine, clear: str) -> Caller | None:
    """The caller a key identifies; None for a malformed, unknown or revoked key."""
    m = _KEY.fullmatch(clear)
    if m is None:
        return None
    key_id = KEY_PREFIX + m.group(1)
    with engine.connect() as conn:
        row = conn.execute(
            select(ApiKey.sha256, ApiKey.revoked_at, Tenant.name, Tenant.rate_per_s, Tenant.burst)
            .join(Tenant, Tenant.id == ApiKey.tenant_id)
            .where(ApiKey.id == key_id)
        ).one_or_none()
        conn.rollback()
    if row is None or row[1] is not None:
        return None
    if not hmac.compare_digest(row[0], key_sha256(clear)):
        return None
    return Caller(row[2], key_id, row[3], row[4])


def set_rate_limit(
    engine: Engine, tenant: str, rate_per_s: float | None, burst: int | None
) -> None:
    with writer(engine).begin() as conn:
        tid = tenant_id(conn, tenant, create=True)
        conn.execute(
            update(Tenant).where(Tenant.id == tid).values(rate_per_s=rate_per_s, burst=burst)
        )


def bootstrap(engine: Engine, folder: Path) -> Path | None:
    """On an empty database, the ``default`` tenant and a key written to ``folder/default.key``
    (mode 0600) for local clients to pick up. Returns the file when it made one."""
    with engine.connect() as conn:
        any_tenant = conn.execute(select(Tenant.id).limit(1)).first()
        conn.rollback()
    if any_tenant is not None:
        return None
    _, clear = create_key(engine, DEFAULT_TENANT, label="created at first start")
    path = folder / KEY_FILE
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(clear + "\n")
    os.chmod(path, 0o600)
    return path


def read_key_file(folder: Path) -> str | None:
    path = folder / KEY_FILE
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def register_network(engine: Engine, name: str, toml_text: str) -> int:
    """The id of this network content, stored on first sight."""
    digest = hashlib.sha256(toml_text.encode("utf-8")).hexdigest()
    query = select(NetworkVersion.id).where(NetworkVersion.sha256 == digest)
    with engine.connect() as conn:
        found = conn.execute(query).scalar_one_or_none()
        conn.rollback()
    if found is not None:
        return found
    with writer(engine).begin() as conn:
        conn.execute(
            upsert(conn, NetworkVersion)
            .values(
                name=name[:200], sha256=digest, toml_text=toml_text, created_at=datetime.now(UTC)
            )
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
        return int(conn.execute(query).scalar_one())
