"""Plan jobs in SQL: ``SqlJobStore`` implements ``routing.plan.jobs.JobStore``.

A job belongs to a tenant (``tenant_id``, like decisions; the tenant row is created on the
first job of a tenant without one). A job survives the server: after a restart (a crash
included, kill -9) ``recover()`` marks every job still QUEUED or RUNNING as FAILED with a
retryable error (UNAVAILABLE: "interrupted ... submit the batch again"; the batch itself is
not kept). A final state is never left: updates of a final job are no-ops (the WHERE clause
checks the state), so the first final state wins also across processes.

Spec, progress, error and plan are kept in the store's own versioned form
(:mod:`routing.store.codec`), one blob per column.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from routing.errors import UnknownResource
from routing.observe import Metrics
from routing.plan.jobs import Job, JobError, JobState, check_finish
from routing.plan.planner import BatchPlan
from routing.solver.problem import Progress
from routing.store.codec import JOB_ERRORS, JOB_PLANS, JOB_PROGRESS, JOB_SPECS, StoredForm
from routing.store.database import writer
from routing.store.sql import tenant_id
from routing.store.tables import PlanJobRow, Tenant

_JOBS: Table = PlanJobRow.__table__  # type: ignore[assignment]
_FINAL = tuple(s.value for s in JobState if s.final)
_SELECT = select(_JOBS, Tenant.name.label("tenant")).join(Tenant, Tenant.id == _JOBS.c.tenant_id)


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

    def create(self, job: Job) -> None:
        now = datetime.now(UTC)
        try:
            self._insert(job, now)
        except IntegrityError as exc:
            raise ValueError(f"job {job.job_id!r} exists") from exc

    def _insert(self, job: Job, now: datetime) -> None:
        with self._writer.begin() as conn:
            tid = tenant_id(conn, job.tenant, create=True)
            conn.execute(
                insert(_JOBS).values(
                    job_id=job.job_id,
                    tenant_id=tid,
                    state=job.state.value,
                    returns=job.returns,
                    created_at=job.created_at,
                    updated_at=now,
                    spec=JOB_SPECS.encode(job.spec),
                    progress=_dump(JOB_PROGRESS, job.progress),
                    plan=_dump(JOB_PLANS, job.plan),
                    error=_dump(JOB_ERRORS, job.error),
                )
            )

    def get(self, job_id: str) -> Job:
        with self.engine.connect() as conn:
            row = conn.execute(_SELECT.where(_JOBS.c.job_id == job_id)).one_or_none()
            conn.rollback()
        if row is None:
            raise UnknownResource(f"plan job {job_id[:64]!r}")
        return _job(row)

    def _set(self, job_id: str, **values: Any) -> Job:
        values["updated_at"] = datetime.now(UTC)
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

    def recover(self) -> tuple[str, ...]:
        """Mark the jobs a previous server left QUEUED or RUNNING as FAILED (interrupted,
        retryable); returns their ids. Call once at start, before taking jobs."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(_JOBS.c.job_id, _JOBS.c.state).where(_JOBS.c.state.not_in(_FINAL))
            ).all()
            conn.rollback()
        for job_id, state in rows:
            error = JobError.interrupted(state)
            self._set(job_id, state=JobState.FAILED.value, error=JOB_ERRORS.encode(error))
        return tuple(r[0] for r in rows)
