"""The durable DecisionStore: decisions, idempotency and capacity holds in SQL.

A decision and its holds are stored atomically: the decision row first (its
``(tenant, idempotency_key)`` unique constraint: a key already taken answers the stored
decision), then per hold a conditional increment of the facility-day counter
(``reserved + units <= capacity``), which is atomic on SQLite (one writer at a time) and on
PostgreSQL (row lock, re-checked after the wait). Decisions are committed in groups, many per
transaction, each isolated from the others (``routing.store.group_commit``). The commit happens
before the answer leaves the server: an acknowledged decision is on disk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from routing.decide.domain import Decision
from routing.errors import IdempotencyConflict, NotPermitted, UnknownResource
from routing.store.codec import decode_decision, encode_decision
from routing.store.database import writer
from routing.store.decisions import DecisionPage, Hold, StoredDecision
from routing.store.group_commit import GroupCommitter, Put
from routing.store.tables import Base, DecisionRow, FacilityDay, Tenant

RESERVED_TTL_S = 0.25  # how stale the capacity read that routing starts from may be


def utc(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def tenant_id(conn: Connection, name: str, *, create: bool) -> int | None:
    """The id of tenant ``name``; created when missing and ``create``."""
    found = conn.execute(select(Tenant.id).where(Tenant.name == name)).scalar_one_or_none()
    if found is not None or not create:
        return found
    stmt = upsert(conn, Tenant).values(name=name, created_at=datetime.now(UTC))
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    return conn.execute(select(Tenant.id).where(Tenant.name == name)).scalar_one()


def upsert(conn: Connection, table: type[Base]) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that can take ON CONFLICT DO NOTHING on this connection's dialect."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


class SqlDecisionStore:
    """Decisions of every tenant for one network version (``network_id``)."""

    def __init__(self, engine: Engine, network_id: int) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self.network_id = network_id
        self._tenants: dict[str, int] = {}
        self._reserved: dict[date, tuple[float, dict[str, int]]] = {}
        self._lock = threading.Lock()
        # decisions are committed in groups (routing.store.group_commit); SQLite has one writer
        # at a time anyway, and queueing here beats its busy handler
        self._committer = GroupCommitter(engine, network_id, self._committed, decode_decision)

    def _tenant(self, conn: Connection, name: str, *, create: bool) -> int | None:
        with self._lock:
            cached = self._tenants.get(name)
        if cached is not None:
            return cached
        found = tenant_id(conn, name, create=create)
        if found is not None:
            with self._lock:
                self._tenants[name] = found
        return found

    def get(self, tenant: str, key: str, request_fingerprint: str) -> Decision | None:
        with self.engine.connect() as conn:
            tid = self._tenant(conn, tenant, create=False)
            row = None
            if tid is not None:
                row = conn.execute(
                    select(DecisionRow.decision_blob, DecisionRow.request_sha256).where(
                        DecisionRow.tenant_id == tid, DecisionRow.idempotency_key == key
                    )
                ).one_or_none()
            conn.rollback()
        if row is None:
            return None
        if row[1] != request_fingerprint:
            raise IdempotencyConflict(
                f"idempotency key {key[:64]!r} was already used for a different request"
            )
        return decode_decision(row[0])

    def reserved(self, day: date) -> Mapping[str, int]:
        """Read at most ``RESERVED_TTL_S`` ago (plus this process's own holds since): a
        stale answer costs only a re-route, as ``put`` re-checks every hold."""
        now = time.monotonic()
        with self._lock:
            cached = self._reserved.get(day)
            if cached is not None and now - cached[0] < RESERVED_TTL_S:
                return dict(cached[1])
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(FacilityDay.facility_id, FacilityDay.reserved_units).where(
                    FacilityDay.day == day
                )
            ).all()
            conn.rollback()
        held = {f: int(u) for f, u in rows}
        with self._lock:
            if len(self._reserved) > 64:
                self._reserved.clear()
            self._reserved[day] = (now, held)
        return dict(held)

    def reserved_cached(self, day: date) -> Mapping[str, int] | None:
        """``reserved(day)`` when it needs no database read, else None."""
        now = time.monotonic()
        with self._lock:
            cached = self._reserved.get(day)
            if cached is not None and now - cached[0] < RESERVED_TTL_S:
                return dict(cached[1])
        return None

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
        answer: concurrent.futures.Future[Decision] = concurrent.futures.Future()
        tid = self._tenant_for_put(tenant)
        blob = encode_decision(decision)
        self._committer.submit(
            Put(
                tid,
                key,
                request_fingerprint,
                decision,
                blob,
                holds,
                capacity,
                answer,
                commit_by=commit_by,
            )
        )
        return answer.result()

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
        """``put`` for a caller on an event loop: answered (after the commit) on that loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            tid = self._tenants.get(tenant)
        if tid is None:  # the first decision of a tenant in this process
            tid = await loop.run_in_executor(None, self._tenant_for_put, tenant)
        answer: asyncio.Future[Decision] = loop.create_future()
        blob = encode_decision(decision)
        self._committer.submit_from_loop(
            Put(
                tid,
                key,
                request_fingerprint,
                decision,
                blob,
                holds,
                capacity,
                (loop, answer),
                commit_by=commit_by,
            )
        )
        return await answer

    def close(self) -> None:
        """Commit the decisions queued, then stop the writer thread."""
        self._committer.close()

    def _tenant_for_put(self, tenant: str) -> int:
        with self._lock:
            tid = self._tenants.get(tenant)
        if tid is None:
            with self._writer.begin() as conn:  # its own transaction, before the decision's
                tid = tenant_id(conn, tenant, create=True)
            assert tid is not None
            with self._lock:  # cached once committed: the writer's rows may refer to it
                self._tenants[tenant] = tid
        return tid

    def _committed(self, kept: Sequence[Put]) -> None:
        """The writer committed ``kept``: count their holds in the cached reservations."""
        with self._lock:
            for p in kept:
                for h in p.holds:
                    cached = self._reserved.get(h.day)
                    if cached is not None:
                        cached[1][h.facility_id] = cached[1].get(h.facility_id, 0) + h.units

    def find(self, tenant: str, decision_id: str) -> StoredDecision:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    DecisionRow.decision_blob, DecisionRow.created_at, DecisionRow.seq, Tenant.name
                )
                .join(Tenant, Tenant.id == DecisionRow.tenant_id)
                .where(DecisionRow.decision_id == decision_id)
            ).one_or_none()
            conn.rollback()
        if row is None:
            raise UnknownResource(f"decision {decision_id[:64]!r}")
        if row[3] != tenant:
            raise NotPermitted(f"decision {decision_id[:64]!r} belongs to another tenant")
        return StoredDecision(decode_decision(row[0]), tenant, utc(row[1]), int(row[2]))

    def page(
        self, tenant: str, *, size: int, before: int | None, max_bytes: int | None = None
    ) -> DecisionPage:
        with self.engine.connect() as conn:
            tid = self._tenant(conn, tenant, create=False)
            rows = []
            if tid is not None:
                stmt = select(
                    DecisionRow.decision_blob, DecisionRow.created_at, DecisionRow.seq
                ).where(DecisionRow.tenant_id == tid)
                if before is not None:
                    stmt = stmt.where(DecisionRow.seq < before)
                rows = list(conn.execute(stmt.order_by(DecisionRow.seq.desc()).limit(size + 1)))
            conn.rollback()
        if max_bytes is not None:  # decode no more than the budget of stored bytes (1 at least)
            weight, kept = 0, 0
            for r in rows[:size]:
                weight += len(r[0])
                if kept and weight > max_bytes:
                    break
                kept += 1
            if kept < min(size, len(rows)):
                rows, size = rows[: kept + 1], kept  # the next page goes on after the last kept
        items = tuple(
            StoredDecision(decode_decision(r[0]), tenant, utc(r[1]), int(r[2])) for r in rows[:size]
        )
        more = len(rows) > size
        return DecisionPage(items, items[-1].seq if more and items else None)
