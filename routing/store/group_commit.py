"""Group commit: decisions are stored many per transaction, and each caller is answered only
after the commit that holds its decision.

A writer thread takes whatever has queued while its previous transaction ran (``MAX_BATCH`` at
most): under load many decisions share one commit, alone a decision commits at once. On SQLite
the decisions of event-loop callers (the gRPC server) are instead committed on their loop,
those of one loop turn together (``submit_from_loop``); the thread then takes what the loop
must not wait for (a database locked by another connection, checkpoints).

Each decision stays isolated inside the shared transaction, without savepoints, because no
statement is allowed to fail:

1. decision rows: ``INSERT .. ON CONFLICT DO NOTHING RETURNING seq``; no row back = the
   ``(tenant, idempotency_key)`` is taken (by an earlier decision, a concurrent one, or a twin
   in this batch): that caller gets the stored decision (or IdempotencyConflict), read in the same
   transaction after step 2;
2. holds, in (facility, day) order across the batch: the conditional increment of
   ``routing.store.sql``; a hold that does not fit fails its decision only (CapacityTaken),
   whose row is deleted and whose holds already taken are given back;
3. reservation rows of the decisions kept.

A decision whose caller's deadline (``Put.commit_by``) has passed, or whose caller has gone
(its future cancelled), is not stored: checked before step 1 and again after step 2 (its row
deleted and its holds given back, as for CapacityTaken), right before the commit; its caller
gets DeadlinePassed. So a stored decision is one its caller could still receive.

Locks are taken in one global order (keys sorted, then facility-days sorted), so two servers'
batches on one PostgreSQL cannot deadlock on each other. Should the transaction fail anyway
(a lost connection, a deadlock, a bug), it is rolled back and its decisions are retried one per
transaction, so an error reaches only the caller whose decision causes it.

The statements run on the DBAPI connection (compiled once per dialect from the SQLAlchemy
tables): per-statement ORM/Core execution overhead was most of the store's cost.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ClauseElement,
    Engine,
    Table,
    bindparam,
    delete,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection

from routing.decide.domain import Decision
from routing.errors import DeadlinePassed, IdempotencyConflict, TemporarilyUnavailable
from routing.store.decisions import CapacityTaken, Hold, deadline_passed
from routing.store.tables import DecisionRow, FacilityDay, Reservation

log = logging.getLogger("reroute.db")

MAX_BATCH = 128  # decisions per transaction at most
MAX_REQUEUES = 3  # an item whose twin was given back is tried again this often
IDLE_S = 2.0  # the writer thread ends (and returns its connection) after this long without work
# SQLite's own default checkpoints every 1000 pages (4 MB); decisions committed on an event loop
# ask the writer thread for a checkpoint after about as much decision data
CHECKPOINT_BYTES = 4 * 1024 * 1024
clock = time.monotonic  # what Put.commit_by is measured on (a test steps it)
_CHECKPOINT = "checkpoint"  # the writer thread's queue: run a checkpoint

_DECISIONS: Table = DecisionRow.__table__  # type: ignore[assignment]
_DAYS: Table = FacilityDay.__table__  # type: ignore[assignment]
_RESERVATIONS: Table = Reservation.__table__  # type: ignore[assignment]

Outcome = Decision | BaseException
Waiter = (
    concurrent.futures.Future[Decision]
    | tuple[asyncio.AbstractEventLoop, "asyncio.Future[Decision]"]
)


@dataclass(eq=False, slots=True)
class Put:
    """One decision to store, and whom to tell."""

    tenant_id: int
    key: str
    fingerprint: str
    decision: Decision
    blob: bytes  # the decision's stored form (routing.store.codec)
    holds: Sequence[Hold]
    capacity: Mapping[str, int]
    waiter: Waiter
    commit_by: float | None = None  # time.monotonic(): not committed after this
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    requeues: int = 0
    # per transaction attempt
    seq: int | None = None
    taken: list[Hold] = field(default_factory=list)
    outcome: Outcome | None = None  # None after the transaction: look the key up / retry
    stored: tuple[bytes, str] | None = None  # (decision_blob, request_sha256) of a row

    def too_late(self, now: float) -> bool:
        """Its caller can no longer receive the answer: the deadline passed, or the caller
        went away (an event-loop caller's future is cancelled)."""
        if self.commit_by is not None and now > self.commit_by:
            return True
        return isinstance(self.waiter, tuple) and self.waiter[1].done()


@dataclass(frozen=True, slots=True)
class _Sql:
    """A statement as the DBAPI takes it: its text, and the order of positional parameters
    (None: the driver takes named parameters)."""

    text: str
    names: tuple[str, ...] | None
    procs: Mapping[str, Callable[[Any], Any]]  # bind processors (SQLite's dates are text)
    returns: bool  # a row comes back (RETURNING / SELECT)

    def args(self, params: Mapping[str, Any]) -> Any:
        if self.procs:
            params = {k: (self.procs[k](v) if k in self.procs else v) for k, v in params.items()}
        return params if self.names is None else tuple(params[n] for n in self.names)


def _compile(
    stmt: ClauseElement, dialect: Dialect, types: Mapping[str, Any], *, returns: bool
) -> _Sql:
    compiled = stmt.compile(dialect=dialect)
    procs = {}
    for name, type_ in types.items():
        proc = type_.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            procs[name] = proc
    names = getattr(compiled, "positiontup", None)  # SQLCompiler: positional paramstyles
    return _Sql(compiled.string, tuple(names) if names is not None else None, procs, returns)


class Statements:
    """The group commit's statements, compiled for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        make = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
        d, days, r = _DECISIONS.c, _DAYS.c, _RESERVATIONS.c
        columns = (
            "decision_id",
            "tenant_id",
            "idempotency_key",
            "request_sha256",
            "network_id",
            "currency",
            "net_cost_minor",
            "return_date",
            "decision_blob",
            "created_at",
        )
        dtypes = {c: d[c].type for c in ("return_date", "created_at")}
        self.insert_decision = _compile(
            make(_DECISIONS)
            .values({c: bindparam(c) for c in columns})
            .on_conflict_do_nothing()
            .returning(d.seq),
            dialect,
            dtypes,
            returns=True,
        )
        day_type = {"day": days.day.type}
        take = make(_DAYS).values(
            facility_id=bindparam("facility_id"),
            day=bindparam("day"),
            reserved_units=bindparam("units"),
        )
        self.take = {
            bounded: _compile(
                take.on_conflict_do_update(
                    index_elements=["facility_id", "day"],
                    set_={"reserved_units": days.reserved_units + take.excluded.reserved_units},
                    where=(days.reserved_units + bindparam("units") <= bindparam("cap"))
                    if bounded
                    else None,
                ).returning(literal_column("1")),
                dialect,
                day_type,
                returns=True,
            )
            for bounded in (False, True)
        }
        self.give_back = _compile(
            update(_DAYS)
            .where(days.facility_id == bindparam("f"), days.day == bindparam("day"))
            .values(reserved_units=days.reserved_units - bindparam("units")),
            dialect,
            day_type,
            returns=False,
        )
        self.delete_decision = _compile(
            delete(_DECISIONS).where(d.seq == bindparam("s")), dialect, {}, returns=False
        )
        self.insert_reservation = _compile(
            insert(_RESERVATIONS).values(
                decision_seq=bindparam("decision_seq"),
                facility_id=bindparam("facility_id"),
                day=bindparam("day"),
                units=bindparam("units"),
            ),
            dialect,
            {"day": r.day.type},
            returns=False,
        )
        self.by_key = _compile(
            select(d.decision_blob, d.request_sha256).where(
                d.tenant_id == bindparam("t"), d.idempotency_key == bindparam("k")
            ),
            dialect,
            {},
            returns=True,
        )
        self.by_id = _compile(
            select(d.decision_blob, d.request_sha256).where(d.decision_id == bindparam("i")),
            dialect,
            {},
            returns=True,
        )


class GroupCommitter:
    """The writer thread of one store (started at the first ``submit``)."""

    def __init__(
        self,
        engine: Engine,
        network_id: int,
        committed: Callable[[Sequence[Put]], None],
        decode: Callable[[bytes], Decision],
    ) -> None:
        self.engine = engine
        self.network_id = network_id
        self._committed = committed  # called with the decisions kept, after each commit
        self._decode = decode
        self._sql = Statements(engine.dialect)
        self._sqlite = engine.dialect.name == "sqlite"
        self._queue: queue.SimpleQueue[Put | str | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        # SQLite: decisions of event-loop callers are committed on their loop (below)
        self._pending: list[Put] = []
        self._loop_conn: _Connection | None = None
        self._loop_bytes = 0  # committed on the loop since the last checkpoint request
        self._loop_thread: int | None = None  # the thread of the loop that commits (one only)

    def submit(self, item: Put) -> None:
        self._enqueue(item)

    def _enqueue(self, item: Put | str) -> None:
        with self._start:
            self._queue.put(item)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="reroute-group-commit", daemon=True
                )
                self._thread.start()

    def submit_from_loop(self, item: Put) -> None:
        """``submit`` for a caller on the running event loop. On SQLite the decisions submitted
        in one turn of the loop are committed together on the loop itself, right after that
        turn: a local commit (no fsync: WAL, synchronous=NORMAL) costs less than handing the
        batch to a thread, whose every DBAPI call must win the GIL back from a busy loop (p99
        up to 2x in benchmarks/rpc_load.py). The loop never waits for SQLite: its connection
        does not wait for a lock (busy_timeout 0; a batch finding the database locked goes to
        the writer thread) and does not checkpoint (the writer thread does, asked every
        ``CHECKPOINT_BYTES``)."""
        if not self._sqlite or self._loop_thread not in (None, threading.get_ident()):
            self.submit(item)  # PostgreSQL: round trips; or a second loop: the writer thread
            return
        self._loop_thread = threading.get_ident()
        self._pending.append(item)
        if len(self._pending) == 1:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if self._loop_conn is None:
            self._loop_conn = _Connection(self.engine, nowait=True)
        try:
            self._commit(self._loop_conn, batch)
        except _Busy:  # another connection is writing: the writer thread waits for it
            for p in batch:
                self.submit(p)
            return
        self._loop_bytes += sum(len(p.blob) for p in batch)
        if self._loop_bytes >= CHECKPOINT_BYTES:
            self._loop_bytes = 0
            self._enqueue(_CHECKPOINT)

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        with self._start:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()
        loop_conn, self._loop_conn = self._loop_conn, None
        if loop_conn is not None:
            loop_conn.release()

    def commit_batch(self, batch: Sequence[Put]) -> None:
        """Store ``batch`` in one transaction in the calling thread and answer its waiters:
        the writer thread's step (for tests: a batch of exactly these items)."""
        conn = _Connection(self.engine)
        try:
            self._commit(conn, list(batch))
        finally:
            conn.release()

    def _run(self) -> None:
        conn = _Connection(self.engine)
        try:
            self._serve(conn)
        finally:
            conn.release()

    def _serve(self, conn: _Connection) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_S)
            except queue.Empty:  # idle: give the connection and the thread back
                with self._start:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            if first is None:
                return
            if isinstance(first, str):
                self._checkpoint(conn)
                continue
            batch = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                if isinstance(more, str):
                    self._checkpoint(conn)
                    continue
                batch.append(more)
            try:
                self._commit(conn, batch)
            except BaseException as exc:  # never leave a caller waiting
                log.exception("group commit failed")
                _answer([(p.waiter, exc) for p in batch])
            if stop:
                return

    def _checkpoint(self, conn: _Connection) -> None:
        """Copy the WAL into the database file as far as readers allow, without waiting."""
        try:
            cur = conn.get().cursor()
            cur.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cur.close()
        except Exception:  # the next one will do; the WAL only grows meanwhile
            log.warning("WAL checkpoint failed", exc_info=True)
            conn.drop()

    def _commit(self, conn: _Connection, batch: list[Put]) -> None:
        try:
            self._transaction(conn, batch)
        except _Busy:
            raise
        except Exception as exc:
            if len(batch) == 1:
                _answer([(batch[0].waiter, exc)])
                return
            log.warning("a group commit of %d failed (%s); one by one", len(batch), exc)
            for p in batch:
                try:
                    self._commit(conn, [p])
                except _Busy:
                    self.submit(p)
            return
        kept = [p for p in batch if isinstance(p.outcome, Decision) and p.seq is not None]
        if kept:
            self._committed(kept)
        answers: list[tuple[Waiter, Outcome]] = []
        again: list[Put] = []
        for p in batch:
            outcome = p.outcome
            if outcome is None and p.stored is not None:
                outcome = self._existing(p)
            if outcome is None:  # its twin was given back in this very transaction
                if p.requeues < MAX_REQUEUES:
                    p.requeues += 1
                    again.append(p)
                    continue
                outcome = TemporarilyUnavailable(
                    "the idempotency key was taken and given back repeatedly; retry",
                    reason="IDEMPOTENCY_KEY_CONTENDED",
                )
            answers.append((p.waiter, outcome))
        _answer(answers)
        for p in again:
            self.submit(p)

    def _existing(self, p: Put) -> Outcome:
        assert p.stored is not None
        blob, fingerprint = p.stored
        if fingerprint != p.fingerprint:
            return IdempotencyConflict(
                f"idempotency key {p.key[:64]!r} was already used for a different request"
            )
        try:
            return self._decode(blob)
        except Exception as exc:
            return exc

    def _transaction(self, conn: _Connection, batch: list[Put]) -> None:
        sql = self._sql
        for p in batch:
            p.seq, p.taken, p.outcome, p.stored = None, [], None, None
        raw = conn.get()
        cur: Any = None
        statement = ""
        try:
            cur = raw.cursor()

            def run(s: _Sql, params: Mapping[str, Any]) -> Any:
                nonlocal statement
                statement = s.text
                cur.execute(s.text, s.args(params))
                return cur.fetchone() if s.returns else None

            if self._sqlite:
                statement = "BEGIN IMMEDIATE"
                try:
                    cur.execute(statement)
                except self.engine.dialect.loaded_dbapi.OperationalError as exc:
                    if conn.nowait:  # locked by another connection: nothing was done
                        raise _Busy() from exc
                    raise
            now = clock()
            for p in batch:
                if p.too_late(now):
                    p.outcome = deadline_passed()
            # 1. decision rows, keyed ones in key order (one lock order for every batch)
            for p in sorted(batch, key=lambda p: (not p.key, p.tenant_id, p.key)):
                if p.outcome is not None:
                    continue
                d = p.decision
                row = run(
                    sql.insert_decision,
                    {
                        "decision_id": d.decision_id,
                        "tenant_id": p.tenant_id,
                        "idempotency_key": p.key or None,
                        "request_sha256": p.fingerprint,
                        "network_id": self.network_id,
                        "currency": d.currency,
                        "net_cost_minor": d.chosen.net_cost_minor,
                        "return_date": d.return_date,
                        "decision_blob": p.blob,
                        "created_at": p.created_at,
                    },
                )
                if row is not None:
                    p.seq = int(row[0])
            # 2. holds in (facility, day) order across the batch
            holds = sorted(
                (
                    (h.facility_id, h.day, i, h)
                    for i, p in enumerate(batch)
                    if p.seq is not None
                    for h in p.holds
                ),
                key=lambda t: (t[0], t[1], t[2]),
            )
            for facility, day, i, h in holds:
                p = batch[i]
                if p.outcome is not None:
                    continue  # already refused at another facility
                cap = p.capacity.get(facility)
                params: dict[str, Any] = {"facility_id": facility, "day": day, "units": h.units}
                if cap is not None:
                    params["cap"] = cap
                if (cap is not None and h.units > cap) or run(
                    sql.take[cap is not None], params
                ) is None:
                    p.outcome = CapacityTaken(facility, day)
                    continue
                p.taken.append(h)
            now = clock()  # the last look before the commit
            for p in batch:
                if p.seq is not None and p.outcome is None and p.too_late(now):
                    p.outcome = deadline_passed()
            for p in batch:
                if p.seq is not None and isinstance(p.outcome, CapacityTaken | DeadlinePassed):
                    # give back what it took
                    for h in p.taken:
                        run(sql.give_back, {"f": h.facility_id, "day": h.day, "units": h.units})
                    run(sql.delete_decision, {"s": p.seq})
                    p.seq = None
            # 3. reservations of the decisions kept
            for p in batch:
                if p.seq is None:
                    continue
                p.outcome = p.decision
                for h in p.holds:
                    run(
                        sql.insert_reservation,
                        {
                            "decision_seq": p.seq,
                            "facility_id": h.facility_id,
                            "day": h.day,
                            "units": h.units,
                        },
                    )
            # the stored rows of keys found taken (seen by this transaction; decoded later)
            for p in batch:
                if p.outcome is not None:
                    continue
                row = (
                    run(sql.by_key, {"t": p.tenant_id, "k": p.key})
                    if p.key
                    else run(sql.by_id, {"i": p.decision.decision_id})
                )
                p.stored = None if row is None else (bytes(row[0]), str(row[1]))
            statement = "COMMIT"
            raw.commit()
        except _Busy:
            raise
        except BaseException as exc:
            conn.drop()  # the next batch connects afresh
            dbapi = self.engine.dialect.loaded_dbapi
            if isinstance(exc, dbapi.Error):
                raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc
            raise
        finally:
            if cur is not None:
                with contextlib.suppress(Exception):  # its connection may be closed by now
                    cur.close()


class _Busy(Exception):
    """SQLite is locked by another connection and this one does not wait."""


class _Connection:
    """The writer thread's own DBAPI connection (detached from the engine's pool), kept while
    the thread runs: no pool checkout per batch, and SQLite keeps its page cache warm."""

    def __init__(self, engine: Engine, *, nowait: bool = False) -> None:
        self.engine = engine
        self.nowait = nowait  # SQLite, on an event loop: never wait for a lock, no checkpoint
        self.raw: PoolProxiedConnection | None = None

    def get(self) -> PoolProxiedConnection:
        if self.raw is None:
            raw = self.engine.raw_connection()  # connect-time tuning (SQLite pragmas) applied
            raw.detach()  # ours until release(); the pool (and its dispose) never sees it
            if self.nowait:
                cur = raw.cursor()
                cur.execute("PRAGMA busy_timeout = 0")
                cur.execute("PRAGMA wal_autocheckpoint = 0")
                cur.close()
            self.raw = raw
        return self.raw

    def drop(self) -> None:
        """After a failed transaction: rolled back and closed; the next batch connects anew."""
        raw, self.raw = self.raw, None
        if raw is not None:
            with contextlib.suppress(Exception):
                raw.rollback()
            with contextlib.suppress(Exception):
                raw.close()

    def release(self) -> None:
        raw, self.raw = self.raw, None
        if raw is not None:
            with contextlib.suppress(Exception):
                raw.close()


def _answer(answers: Sequence[tuple[Waiter, Outcome]]) -> None:
    """Settle each waiter; one wake-up per event loop for all of its callers."""
    loops: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Decision], Outcome]]] = {}
    for waiter, outcome in answers:
        if isinstance(waiter, concurrent.futures.Future):
            if isinstance(outcome, BaseException):
                waiter.set_exception(outcome)
            else:
                waiter.set_result(outcome)
        else:
            loops.setdefault(waiter[0], []).append((waiter[1], outcome))
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:  # the writer thread
        running = None
    for loop, settled in loops.items():
        if loop is running:
            _settle(settled)
            continue
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_settle, settled)


def _settle(settled: Sequence[tuple[asyncio.Future[Decision], Outcome]]) -> None:
    for fut, outcome in settled:
        if fut.done():  # cancelled: the caller went away (its decision is stored all the same)
            continue
        if isinstance(outcome, BaseException):
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)
