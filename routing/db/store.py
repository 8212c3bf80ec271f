"""The durable DecisionStore: decisions, idempotency and capacity holds in SQL.

One transaction stores a decision and takes its holds: the decision row first (its
``(tenant, idempotency_key)`` unique constraint makes a concurrent twin wait, then fail, and
the twin answers the stored decision), then per hold a conditional increment of the
facility-day counter (``reserved + units <= capacity``), which is atomic on SQLite (one writer
at a time) and on PostgreSQL (row lock, re-checked after the wait). Commit happens before the
answer leaves the server: an acknowledged decision is on disk.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, Executable, Table, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from reroute.v1 import routing_pb2
from routing.convert import decision_bytes, decision_from_proto, remember_decision_bytes
from routing.db.engine import writer
from routing.db.models import Base, DecisionRow, FacilityDay, Reservation, Tenant
from routing.domain import Decision
from routing.errors import Conflict, NotFound, PermissionDenied
from routing.store import CapacityTaken, DecisionPage, Hold, StoredDecision

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


def _decode(row: DecisionRow | tuple[bytes, ...]) -> Decision:
    blob = row[0] if isinstance(row, tuple) else row.decision_pb
    decision = decision_from_proto(routing_pb2.RouteDecision.FromString(blob))
    remember_decision_bytes(decision, blob)  # answered as stored, not converted back
    return decision


class SqlDecisionStore:
    """Decisions of every tenant for one network version (``network_id``)."""

    def __init__(self, engine: Engine, network_id: int) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self.network_id = network_id
        self._tenants: dict[str, int] = {}
        self._reserved: dict[date, tuple[float, dict[str, int]]] = {}
        self._lock = threading.Lock()
        # SQLite has one writer at a time: queue this process's writers here rather than in
        # SQLite's busy handler, which sleeps up to 100 ms between tries
        self._write_lock: contextlib.AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

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
                    select(DecisionRow.decision_pb, DecisionRow.request_sha256).where(
                        DecisionRow.tenant_id == tid, DecisionRow.idempotency_key == key
                    )
                ).one_or_none()
            conn.rollback()
        if row is None:
            return None
        if row[1] != request_fingerprint:
            raise Conflict(f"idempotency key {key[:64]!r} was already used for a different request")
        return _decode((row[0],))

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

    def put(
        self,
        tenant: str,
        key: str,
        request_fingerprint: str,
        decision: Decision,
        holds: Sequence[Hold],
        capacity: Mapping[str, int],
    ) -> Decision:
        blob = decision_bytes(decision)
        with self._lock:
            tid = self._tenants.get(tenant)
        if tid is None:
            with self._writer.begin() as conn:  # its own transaction: a rollback below keeps it
                tid = self._tenant(conn, tenant, create=True)
        try:
            with self._write_lock, self._writer.begin() as conn:
                seq = conn.execute(
                    _INSERT_DECISION,
                    {
                        "decision_id": decision.decision_id,
                        "tenant_id": tid,
                        "idempotency_key": key or None,
                        "request_sha256": request_fingerprint,
                        "network_id": self.network_id,
                        "currency": decision.currency,
                        "net_cost_minor": decision.chosen.net_cost_minor,
                        "return_date": decision.return_date,
                        "decision_pb": blob,
                        "created_at": datetime.now(UTC),
                    },
                ).scalar_one()
                for h in holds:
                    _take(conn, h, capacity.get(h.facility_id))
                    conn.execute(
                        _INSERT_RESERVATION,
                        {
                            "decision_seq": seq,
                            "facility_id": h.facility_id,
                            "day": h.day,
                            "units": h.units,
                        },
                    )
        except IntegrityError:
            if not key:
                raise
            found = self.get(tenant, key, request_fingerprint)
            if found is None:
                raise
            return found
        with self._lock:
            for h in holds:
                cached = self._reserved.get(h.day)
                if cached is not None:
                    cached[1][h.facility_id] = cached[1].get(h.facility_id, 0) + h.units
        return decision

    def find(self, tenant: str, decision_id: str) -> StoredDecision:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    DecisionRow.decision_pb, DecisionRow.created_at, DecisionRow.seq, Tenant.name
                )
                .join(Tenant, Tenant.id == DecisionRow.tenant_id)
                .where(DecisionRow.decision_id == decision_id)
            ).one_or_none()
            conn.rollback()
        if row is None:
            raise NotFound(f"decision {decision_id[:64]!r}")
        if row[3] != tenant:
            raise PermissionDenied(f"decision {decision_id[:64]!r} belongs to another tenant")
        return StoredDecision(_decode((row[0],)), tenant, utc(row[1]), int(row[2]))

    def page(self, tenant: str, *, size: int, before: int | None) -> DecisionPage:
        with self.engine.connect() as conn:
            tid = self._tenant(conn, tenant, create=False)
            rows = []
            if tid is not None:
                stmt = select(
                    DecisionRow.decision_pb, DecisionRow.created_at, DecisionRow.seq
                ).where(DecisionRow.tenant_id == tid)
                if before is not None:
                    stmt = stmt.where(DecisionRow.seq < before)
                rows = list(conn.execute(stmt.order_by(DecisionRow.seq.desc()).limit(size + 1)))
            conn.rollback()
        items = tuple(
            StoredDecision(_decode((r[0],)), tenant, utc(r[1]), int(r[2])) for r in rows[:size]
        )
        more = len(rows) > size
        return DecisionPage(items, items[-1].seq if more and items else None)


# statements built once (building them per call costs more than running them)
_DECISIONS: Table = DecisionRow.__table__  # type: ignore[assignment]
_DAYS: Table = FacilityDay.__table__  # type: ignore[assignment]
_RESERVATIONS: Table = Reservation.__table__  # type: ignore[assignment]
_INSERT_DECISION = insert(_DECISIONS).returning(_DECISIONS.c.seq)
_INSERT_RESERVATION = insert(_RESERVATIONS)
_TAKE: dict[tuple[str, bool], Executable] = {}


def _take_statement(dialect: str, bounded: bool) -> Executable:
    """INSERT the facility-day counter at ``units``, or on conflict add ``units`` to it, only
    while the sum stays within ``cap`` (when ``bounded``): one row counted = taken."""
    key = (dialect, bounded)
    found = _TAKE.get(key)
    if found is None:
        make = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = make(_DAYS).values(
            facility_id=bindparam("facility_id"),
            day=bindparam("day"),
            reserved_units=bindparam("units"),
        )
        where = _DAYS.c.reserved_units + bindparam("units") <= bindparam("cap") if bounded else None
        found = _TAKE[key] = stmt.on_conflict_do_update(
            index_elements=["facility_id", "day"],
            set_={"reserved_units": _DAYS.c.reserved_units + stmt.excluded.reserved_units},
            where=where,
        ).returning(_DAYS.c.reserved_units)  # psycopg reports no rowcount here: a row = taken
    return found


def _take(conn: Connection, hold: Hold, capacity: int | None) -> None:
    """Add ``hold`` to its facility-day counter, or raise CapacityTaken when it does not fit."""
    if capacity is not None and hold.units > capacity:
        raise CapacityTaken(hold.facility_id, hold.day)
    params = {"facility_id": hold.facility_id, "day": hold.day, "units": hold.units}
    if capacity is not None:
        params["cap"] = capacity
    stmt = _take_statement(conn.dialect.name, capacity is not None)
    if conn.execute(stmt, params).first() is None:
        raise CapacityTaken(hold.facility_id, hold.day)
