"""Plan jobs in SQL: ``SqlJobStore`` implements ``routing.plan.jobs.JobStore``.

A job belongs to a tenant (``tenant_id``, like decisions; the tenant row is created on the
first job of a tenant without one). A final state is never left: updates of a final job are
no-ops (the WHERE clause checks the state), so the first final state wins also across
processes.

The queue is the table. A job waits QUEUED with its batch in ``batch`` (no server holds it in
memory); ``claim`` is one conditional UPDATE (``state = 'queued'`` in its WHERE clause, on
PostgreSQL after ``SELECT .. FOR UPDATE SKIP LOCKED``; on SQLite inside ``BEGIN IMMEDIATE``),
so of several processes sharing the database exactly one takes each job. The owner renews its
lease (``lease_expires_ms``) while the plan runs; a RUNNING job whose lease ran out (its server
was killed, or lost the database) is FAILED by ``expire`` with a retryable error
(UNAVAILABLE: "interrupted ... submit the batch again"), not run again: a plan that brought its
server down would bring the next one down too. A job survives a restart: QUEUED ones are run by
the next server, RUNNING ones are expired once their lease has run out. The batch is dropped
when the job ends. Leases are compared with each process's clock: replicas on several hosts
need synchronised clocks (NTP), well within the lease.

Submissions are checked in their insert's transaction (the tenant's row locked on
PostgreSQL): an idempotency key taken by the tenant answers the job it created (or
IdempotencyConflict), and the tenant's queue limits (:class:`routing.plan.jobs.QueueLimits`).

Spec, progress, error, plan and batch are kept in the store's own versioned form
(:mod:`routing.store.codec`), one blob per column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, and_, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from routing.errors import UnknownResource
from routing.observe import Metrics
from routing.plan.jobs import (
    Job,
    JobCursor,
    JobError,
    JobState,
    PlanBatch,
    QueueLimits,
    check_finish,
    idempotent_job,
    now_ms,
)
from routing.plan.planner import BatchPlan
from routing.solver.problem import Progress
from routing.store.codec import (
    JOB_BATCHES,
    JOB_ERRORS,
    JOB_PLANS,
    JOB_PROGRESS,
    JOB_SPECS,
    StoredForm,
)
from routing.store.database import writer
from routing.store.sql import tenant_id
from routing.store.tables import PlanJobRow, Tenant

_JOBS: Table = PlanJobRow.__table__  # type: ignore[assignment]
_FINAL = tuple(s.value for s in JobState if s.final)
_QUEUED = JobState.QUEUED.value
_RUNNING = JobState.RUNNING.value
# a job as read: never its batch (loaded only to run it) nor the bookkeeping columns
_COLUMNS = [
    c
    for c in _JOBS.c
    if c.name not in ("batch", "idempotency_key", "request_sha256", "owner", "lease_expires_ms")
]
_SELECT = select(*_COLUMNS, Tenant.name.label("tenant")).join(
    Tenant, Tenant.id == _JOBS.c.tenant_id
)
# a job in a list: without its plan either (GetPlan has it)
_LISTED = select(
    *(c for c in _COLUMNS if c.name != "plan"),
    literal(None).label("plan"),
    Tenant.name.label("tenant"),
).join(Tenant, Tenant.id == _JOBS.c.tenant_id)


T = TypeVar("T")


def _dump(form: StoredForm[T], obj: T | None) -> bytes | None:
    return None if obj is None else form.encode(obj)


def _load(form: StoredForm[T], blob: bytes | None) -> T | None:
    return None if blob is None else form.decode(blob)


def _job(row: Any) -> Job:
    return Job(
        job_id=row.job_id,
        state=JobState(row.state),
        spec=JOB_SPECS.decode(row.spec),
        returns=row.returns,
        created_at=row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC),
        progress=_load(JOB_PROGRESS, row.progress),
        plan=_load(JOB_PLANS, row.plan),
        error=_load(JOB_ERRORS, row.error),
        tenant=row.tenant,
    )


class SqlJobStore:
    def __init__(self, engine: Engine, metrics: Metrics | None = None) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self.metrics = metrics

    def create(
        self,
        job: Job,
        batch: PlanBatch | None = None,
        *,
        key: str = "",
        limits: QueueLimits | None = None,
    ) -> Job:
        blob = _dump(JOB_BATCHES, batch)  # before the transaction: a large batch takes a while
        spec = JOB_SPECS.encode(job.spec)
        # the request's digest: its spec and batch as stored (what a retry must repeat)
        fingerprint = hashlib.sha256(spec + (blob or b"")).hexdigest() if key else ""
        try:
            existing = self._insert(job, blob, key, fingerprint, limits)
        except IntegrityError as exc:
            if key:  # the same key, committed by another process in the meantime
                existing = self._keyed(job.tenant, key)
                if existing is not None:
                    return idempotent_job(self.get(existing[0]), existing[1], fingerprint, key)
            raise ValueError(f"job {job.job_id!r} exists") from exc
        if existing is not None:
            return idempotent_job(self.get(existing[0]), existing[1], fingerprint, key)
        return job

    def _insert(
        self,
        job: Job,
        blob: bytes | None,
        key: str,
        fingerprint: str,
        limits: QueueLimits | None,
    ) -> tuple[str, str | None] | None:
        """Insert the job; or, when ``key`` is taken, (job id, request digest) of its job."""
        with self._writer.begin() as conn:
            tid = tenant_id(conn, job.tenant, create=True)
            assert tid is not None
            if conn.dialect.name == "postgresql":  # one submission per tenant at a time
                conn.execute(select(Tenant.id).where(Tenant.id == tid).with_for_update())
            if key:
                found = self._key_row(conn, tid, key)
                if found is not None:
                    return found
            if limits is not None:
                queued, pending = self._pending(conn, tid)
                limits.check(job.tenant, queued, pending, job.returns)
            conn.execute(
                insert(_JOBS).values(
                    job_id=job.job_id,
                    tenant_id=tid,
                    state=job.state.value,
                    returns=job.returns,
                    created_at=job.created_at,
                    updated_at=datetime.now(UTC),
                    spec=JOB_SPECS.encode(job.spec),
                    progress=_dump(JOB_PROGRESS, job.progress),
                    plan=_dump(JOB_PLANS, job.plan),
                    error=_dump(JOB_ERRORS, job.error),
                    batch=blob,
                    idempotency_key=key or None,
                    request_sha256=fingerprint if key else None,
                )
            )
        return None

    @staticmethod
    def _key_row(conn: Connection, tid: int, key: str) -> tuple[str, str | None] | None:
        row = conn.execute(
            select(_JOBS.c.job_id, _JOBS.c.request_sha256).where(
                _JOBS.c.tenant_id == tid, _JOBS.c.idempotency_key == key
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    def _keyed(self, tenant: str, key: str) -> tuple[str, str | None] | None:
        with self.engine.connect() as conn:
            tid = tenant_id(conn, tenant, create=False)
            found = None if tid is None else self._key_row(conn, tid, key)
            conn.rollback()
        return found

    @staticmethod
    def _pending(conn: Connection, tid: int) -> tuple[int, int]:
        """The tenant's QUEUED jobs and the returns of its QUEUED and RUNNING ones."""
        c = _JOBS.c
        queued, pending = conn.execute(
            select(
                func.count().filter(c.state == _QUEUED),
                func.coalesce(func.sum(c.returns), 0),
            ).where(c.tenant_id == tid, c.state.in_((_QUEUED, _RUNNING)))
        ).one()
        return int(queued), int(pending)

    def batch(self, job_id: str) -> PlanBatch | None:
        with self.engine.connect() as conn:
            blob = conn.execute(
                select(_JOBS.c.batch).where(_JOBS.c.job_id == job_id)
            ).scalar_one_or_none()
            conn.rollback()
        return _load(JOB_BATCHES, blob)

    def claim(self, owner: str, lease_s: float) -> Job | None:
        c = _JOBS.c
        with self.engine.connect() as conn:  # most polls find nothing: no write lock for that
            waiting = conn.execute(select(c.job_id).where(c.state == _QUEUED).limit(1)).first()
            conn.rollback()
        if waiting is None:
            return None
        with self._writer.begin() as conn:
            while True:
                find = (
                    select(c.job_id, c.batch.is_(None).label("no_batch"))
                    .where(c.state == _QUEUED)
                    .order_by(c.created_at, c.job_id)
                    .limit(1)
                )
                if conn.dialect.name == "postgresql":  # others' candidates are skipped
                    find = find.with_for_update(skip_locked=True)
                row = conn.execute(find).one_or_none()
                if row is None:
                    return None
                now = datetime.now(UTC)
                if row.no_batch:  # stored before migration 0006: nothing to plan
                    error = JOB_ERRORS.encode(JobError.interrupted("queued"))
                    values: dict[str, Any] = {"state": JobState.FAILED.value, "error": error}
                else:
                    values = {
                        "state": _RUNNING,
                        "owner": owner,
                        "lease_expires_ms": now_ms() + int(lease_s * 1000),
                    }
                took = conn.execute(
                    update(_JOBS)
                    .where(c.job_id == row.job_id, c.state == _QUEUED)
                    .values(updated_at=now, **values)
                )
                if took.rowcount == 1 and not row.no_batch:
                    job_id: str = row.job_id
                    break
        return self.get(job_id)

    def renew(self, job_id: str, owner: str, lease_s: float) -> bool:
        c = _JOBS.c
        with self._writer.begin() as conn:
            took = conn.execute(
                update(_JOBS)
                .where(c.job_id == job_id, c.state == _RUNNING, c.owner == owner)
                .values(lease_expires_ms=now_ms() + int(lease_s * 1000))
            )
        return bool(took.rowcount == 1)

    def expire(self) -> tuple[str, ...]:
        c = _JOBS.c
        now = now_ms()
        expired = and_(
            c.state == _RUNNING, or_(c.lease_expires_ms.is_(None), c.lease_expires_ms < now)
        )
        with self.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(select(c.job_id).where(expired))]
            conn.rollback()
        if not ids:
            return ()
        error = JOB_ERRORS.encode(JobError.interrupted("running"))
        done = []
        for job_id in ids:
            with self._writer.begin() as conn:
                took = conn.execute(
                    update(_JOBS)
                    .where(c.job_id == job_id, expired)
                    .values(
                        state=JobState.FAILED.value,
                        error=error,
                        batch=None,
                        updated_at=datetime.now(UTC),
                    )
                )
            if took.rowcount == 1:
                done.append(job_id)
        return tuple(done)

    def get(self, job_id: str) -> Job:
        with self.engine.connect() as conn:
            row = conn.execute(_SELECT.where(_JOBS.c.job_id == job_id)).one_or_none()
            conn.rollback()
        if row is None:
            raise UnknownResource(f"plan job {job_id[:64]!r}")
        return _job(row)

    def _set(self, job_id: str, **values: Any) -> Job:
        values["updated_at"] = datetime.now(UTC)
        if values.get("state") in _FINAL:
            values["batch"] = None  # nothing plans it any more
        with self._writer.begin() as conn:
            conn.execute(
                update(_JOBS)
                .where(_JOBS.c.job_id == job_id, _JOBS.c.state.not_in(_FINAL))
                .values(**values)
            )
        return self.get(job_id)

    def update(
        self, job_id: str, *, state: JobState | None = None, progress: Progress | None = None
    ) -> Job:
        values: dict[str, Any] = {}
        if state is not None:
            if state.final:
                raise ValueError("use finish() or mark_cancelled() for a final state")
            values["state"] = state.value
        if progress is not None:
            values.update(
                progress=JOB_PROGRESS.encode(progress), objective_minor=progress.incumbent
            )
            values["gap"] = progress.gap
        return self._set(job_id, **values)

    def finish(
        self,
        job_id: str,
        state: JobState,
        *,
        plan: BatchPlan | None = None,
        error: JobError | None = None,
        progress: Progress | None = None,
    ) -> Job:
        check_finish(state, plan, error)
        values: dict[str, Any] = {
            "state": state.value,
            "plan": _dump(JOB_PLANS, plan),
            "error": _dump(JOB_ERRORS, error),
        }
        if progress is not None:
            values.update(
                progress=JOB_PROGRESS.encode(progress), objective_minor=progress.incumbent
            )
            values["gap"] = progress.gap
            if self.metrics is not None and state is JobState.SUCCEEDED:
                self.metrics.solver_seconds.labels(progress.backend).observe(progress.elapsed_s)
                self.metrics.solver_gap.labels(progress.backend).observe(progress.gap)
        return self._set(job_id, **values)

    def mark_cancelled(self, job_id: str) -> Job:
        return self._set(job_id, state=JobState.CANCELLED.value)

    def list(self) -> list[Job]:
        with self.engine.connect() as conn:
            rows = conn.execute(_SELECT.order_by(_JOBS.c.created_at)).all()
            conn.rollback()
        return [_job(r) for r in rows]

    def page(
        self, tenant: str, *, size: int, after: JobCursor | None, state: JobState | None
    ) -> tuple[tuple[Job, ...], JobCursor | None]:
        c = _JOBS.c
        with self.engine.connect() as conn:
            tid = tenant_id(conn, tenant, create=False)
            rows: Sequence[Any] = ()
            if tid is not None:
                stmt = _LISTED.where(c.tenant_id == tid)
                if state is not None:
                    stmt = stmt.where(c.state == state.value)
                if after is not None:
                    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=after.created_us)
                    stmt = stmt.where(
                        or_(c.created_at < at, and_(c.created_at == at, c.job_id < after.job_id))
                    )
                stmt = stmt.order_by(c.created_at.desc(), c.job_id.desc()).limit(size + 1)
                rows = conn.execute(stmt).all()
            conn.rollback()
        jobs = tuple(_job(r) for r in rows[:size])
        more = len(rows) > size
        return jobs, JobCursor.of(jobs[-1]) if more and jobs else None
