"""Batch plan jobs: where they are kept (:class:`JobStore`) and how they run (:class:`PlanJobs`).

A job belongs to the tenant that submitted it: :class:`PlanJobs` answers
:class:`routing.errors.PermissionDenied` when another tenant reads, watches or cancels it. It is
submitted with a validated batch, waits for a solver slot (QUEUED), plans (RUNNING) and
ends SUCCEEDED with a :class:`routing.plan.planner.BatchPlan`, FAILED with a :class:`JobError`, or
CANCELLED. Each plan runs in its own spawned process: option generation is Python and would
hold the GIL, so the server's event loop (and RouteReturn) stays responsive only when the work
is elsewhere, and a cancelled plan is stopped at once by ending its process (the solvers have no
stop hook). The process streams progress (incumbent, bound, gap) back through a pipe; a thread
per running job relays it to the event loop, where watchers are woken.

The store is a small protocol, so that a database-backed store can replace
:class:`MemoryJobStore`; the manager keeps only what cannot be stored (processes, wake-ups).
The store is also the queue: a job waits there with its batch, and whichever process sharing
the store claims it runs it (``JobStore.claim``, a lease the owner renews; see
``routing.store.jobs``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import functools
import hashlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import threading
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any, Final, Protocol

from routing.decide.domain import Return
from routing.decide.router import Router
from routing.errors import (
    FieldViolation,
    IdempotencyConflict,
    InvalidInput,
    LimitReached,
    NoFeasibleOption,
    NotPermitted,
    PreconditionViolation,
    TemporarilyUnavailable,
    UnknownResource,
)
from routing.plan.planner import BatchPlan, PlanConfig
from routing.solver import Backend
from routing.solver.problem import Progress

log = logging.getLogger("reroute.jobs")
PROGRESS_EVERY_S = 0.1  # a plan process sends at most this often (the final result always)


DEFAULT_TENANT = "default"  # the tenant of calls on a server without authentication


class JobState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


JOB_ERROR_CODES = ("FAILED_PRECONDITION", "INVALID_ARGUMENT", "UNAVAILABLE", "INTERNAL")
INTERRUPTED_REASON = "PLAN_JOB_INTERRUPTED"  # google.rpc.ErrorInfo reason of an interrupted job


@dataclass(frozen=True, slots=True)
class JobError:
    """Why a job failed: a gRPC status code name, a message and the violations behind it.

    UNAVAILABLE: the job was interrupted (the server stopped) and submitting the batch again
    can succeed; INTERNAL: the plan itself failed (logged by the server, no internals here).
    """

    code: str  # one of JOB_ERROR_CODES
    message: str
    preconditions: tuple[PreconditionViolation, ...] = ()
    fields: tuple[FieldViolation, ...] = ()

    def __post_init__(self) -> None:
        if self.code not in JOB_ERROR_CODES:
            raise ValueError(f"JobError code must be one of {JOB_ERROR_CODES}, got {self.code!r}")

    @classmethod
    def interrupted(cls, state: str) -> JobError:
        """The error of a job a server stop left ``state`` (queued, running): retryable."""
        return cls(
            "UNAVAILABLE",
            f"interrupted: the server stopped while this job was {state}; nothing was planned,"
            " submit the batch again",
        )

    def to_exception(self) -> Exception:
        """The domain exception this error stands for (``routing.rpc.status`` maps it)."""
        if self.code == "FAILED_PRECONDITION" and self.preconditions:
            return NoFeasibleOption(list(self.preconditions))
        if self.code == "INVALID_ARGUMENT" and self.fields:
            return InvalidInput(list(self.fields))
        if self.code == "UNAVAILABLE":
            return TemporarilyUnavailable(self.message, reason=INTERRUPTED_REASON)
        return RuntimeError(self.message)


@dataclass(frozen=True, slots=True)
class PlanSpec:
    """How to plan a batch: the planner's configuration and the solver backend."""

    config: PlanConfig
    backend: Backend = Backend.AUTO


@dataclass(frozen=True, slots=True)
class PlanBatch:
    """The returns a job plans, each with the id its assignment refers to it by (kept by the
    store while the job waits, loaded only to run it)."""

    returns: tuple[tuple[str, Return], ...]


@dataclass(frozen=True, slots=True)
class Job:
    job_id: str
    state: JobState
    spec: PlanSpec
    returns: int
    created_at: datetime
    progress: Progress | None = None
    plan: BatchPlan | None = None  # when SUCCEEDED
    error: JobError | None = None  # when FAILED
    tenant: str = DEFAULT_TENANT  # who submitted it: only this tenant may read or cancel it


def check_finish(state: JobState, plan: BatchPlan | None, error: JobError | None) -> None:
    """What every JobStore.finish checks: a final state, a plan exactly when SUCCEEDED, an
    error exactly when FAILED."""
    if not state.final:
        raise ValueError(f"finish() needs a final state, got {state.name}")
    if (state is JobState.SUCCEEDED) != (plan is not None):
        raise ValueError("a SUCCEEDED job, and only one, carries a plan")
    if (state is JobState.FAILED) != (error is not None):
        raise ValueError("a FAILED job, and only one, carries an error")


@dataclass(frozen=True, slots=True)
class QueueLimits:
    """Per-tenant limits on waiting work, server settings (``reroute serve --plan-max-queued-jobs``,
    ``--plan-max-queued-returns``): a submission that would pass one is refused
    (:class:`routing.errors.LimitReached`, RESOURCE_EXHAUSTED) with ``retry_after_s``."""

    max_queued_jobs: int = 10  # jobs QUEUED per tenant
    max_queued_returns: int = 200_000  # returns of the tenant's QUEUED and RUNNING jobs
    retry_after_s: float = 10.0  # the RetryInfo delay of a refusal

    def __post_init__(self) -> None:
        if self.max_queued_jobs < 1:
            raise ValueError(f"max_queued_jobs must be >= 1, got {self.max_queued_jobs}")
        if self.max_queued_returns < 1:
            raise ValueError(f"max_queued_returns must be >= 1, got {self.max_queued_returns}")
        if not self.retry_after_s > 0:
            raise ValueError(f"retry_after_s must be > 0, got {self.retry_after_s}")

    def check(self, tenant: str, queued_jobs: int, pending_returns: int, returns: int) -> None:
        """Raise LimitReached when one more job of ``returns`` returns does not fit beside the
        tenant's ``queued_jobs`` and the ``pending_returns`` of its queued and running jobs."""
        if queued_jobs + 1 > self.max_queued_jobs:
            raise LimitReached(
                f"tenant {tenant!r} has {queued_jobs} plan jobs queued, the limit is"
                f" {self.max_queued_jobs}: wait for one to start, or cancel one",
                retry_after_s=self.retry_after_s,
                quota=((f"tenant:{tenant}", f"at most {self.max_queued_jobs} queued plan jobs"),),
            )
        if pending_returns + returns > self.max_queued_returns:
            raise LimitReached(
                f"tenant {tenant!r} has {pending_returns} returns in queued and running plan"
                f" jobs; {returns} more would pass the limit of {self.max_queued_returns}",
                retry_after_s=self.retry_after_s,
                quota=(
                    (
                        f"tenant:{tenant}",
                        f"at most {self.max_queued_returns} returns in queued and running plan"
                        " jobs",
                    ),
                ),
            )


DEFAULT_QUEUE_LIMITS: Final = QueueLimits()  # reroute serve's defaults


def idempotent_job(job: Job, stored_fingerprint: str | None, fingerprint: str, key: str) -> Job:
    """The job stored under ``key``, when it was created by the same request; else
    IdempotencyConflict (as RouteReturn's keys)."""
    if stored_fingerprint != fingerprint:
        raise IdempotencyConflict(
            f"idempotency key {key[:64]!r} was already used for a different request"
        )
    return job


def now_ms() -> int:
    """Epoch milliseconds (UTC), the unit of a job's lease."""
    return time.time_ns() // 1_000_000


class JobStore(Protocol):
    """Where jobs are kept. A final state (SUCCEEDED, FAILED, CANCELLED) is never left again:
    updates and finishes of a job already final are ignored (the first final state wins).

    A job waits QUEUED with its batch in the store; ``claim`` takes the oldest one for one
    ``owner`` (QUEUED -> RUNNING, atomically: two processes never take the same job) with a
    lease the owner ``renew``s while it runs; ``expire`` fails the RUNNING jobs whose lease
    ran out (their owner stopped) as interrupted. A job's batch is dropped when it ends."""

    def create(
        self,
        job: Job,
        batch: PlanBatch | None = None,
        *,
        key: str = "",
        limits: QueueLimits | None = None,
    ) -> Job:
        """Store a new job and the batch it plans; returns it. With ``key``: the job the
        tenant created under that key before when it was for the same spec and batch (nothing
        new is stored), IdempotencyConflict when not. LimitReached when ``limits`` refuse it."""
        ...

    def get(self, job_id: str) -> Job:
        """The job; raises :class:`routing.errors.NotFound` for an unknown id."""
        ...

    def batch(self, job_id: str) -> PlanBatch | None:
        """The batch of a job that has not ended (None once it has, or when never stored)."""
        ...

    def claim(self, owner: str, lease_s: float) -> Job | None:
        """The oldest QUEUED job, now RUNNING for ``owner`` until ``lease_s`` from now; None
        when none is queued. A queued job without a batch is failed as interrupted."""
        ...

    def renew(self, job_id: str, owner: str, lease_s: float) -> bool:
        """Extend ``owner``'s lease on a RUNNING job; False when the job is not (or no longer)
        RUNNING for ``owner`` (cancelled, or failed after its lease ran out)."""
        ...

    def expire(self) -> tuple[str, ...]:
        """Fail every RUNNING job whose lease has run out as interrupted; their ids."""
        ...

    def update(
        self, job_id: str, *, state: JobState | None = None, progress: Progress | None = None
    ) -> Job: ...

    def finish(
        self,
        job_id: str,
        state: JobState,
        *,
        plan: BatchPlan | None = None,
        error: JobError | None = None,
        progress: Progress | None = None,
    ) -> Job: ...

    def mark_cancelled(self, job_id: str) -> Job: ...

    def list(self) -> list[Job]: ...

    def page(
        self, tenant: str, *, size: int, after: JobCursor | None, state: JobState | None
    ) -> tuple[tuple[Job, ...], JobCursor | None]:
        """``tenant``'s jobs newest first (``state`` only, when given), at most ``size`` after
        ``after``, without their plan; and the cursor of the next page (None: last page)."""
        ...


@dataclass(frozen=True, slots=True, order=True)
class JobCursor:
    """Where a page of jobs ends: newest first by (created_at, job_id)."""

    created_us: int  # created_at in epoch microseconds (UTC)
    job_id: str

    @classmethod
    def of(cls, job: Job) -> JobCursor:
        return cls(_epoch_us(job.created_at), job.job_id)


def _epoch_us(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass
class _Kept:
    job: Job
    batch: PlanBatch | None = None
    key: str = ""
    fingerprint: str = ""
    owner: str = ""
    lease_ms: int = 0


class MemoryJobStore:
    """Jobs in a dict, for one server process (thread-safe). Of the jobs that have ended, the
    ``keep_finished`` last submitted are kept (a plan can be large); older ones are forgotten.
    Queued batches are kept in memory too: a server with a database keeps them there."""

    def __init__(self, keep_finished: int = 100) -> None:
        if keep_finished < 1:
            raise ValueError(f"keep_finished must be >= 1, got {keep_finished}")
        self.keep_finished = keep_finished
        self._jobs: dict[str, _Kept] = {}  # in creation order
        self._lock = threading.Lock()

    def create(
        self,
        job: Job,
        batch: PlanBatch | None = None,
        *,
        key: str = "",
        limits: QueueLimits | None = None,
    ) -> Job:
        fingerprint = hashlib.sha256(repr((job.spec, batch)).encode()).hexdigest() if key else ""
        with self._lock:
            if key:
                for kept in self._jobs.values():
                    if kept.job.tenant == job.tenant and kept.key == key:
                        return idempotent_job(kept.job, kept.fingerprint, fingerprint, key)
            if job.job_id in self._jobs:
                raise ValueError(f"job {job.job_id!r} exists")
            if limits is not None:
                mine = [k.job for k in self._jobs.values() if k.job.tenant == job.tenant]
                limits.check(
                    job.tenant,
                    sum(1 for j in mine if j.state is JobState.QUEUED),
                    sum(j.returns for j in mine if not j.state.final),
                    job.returns,
                )
            finished = [k for k, j in self._jobs.items() if j.job.state.final]
            for k in finished[: max(0, len(finished) - self.keep_finished)]:
                del self._jobs[k]
            self._jobs[job.job_id] = _Kept(job, batch, key, fingerprint)
            return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            kept = self._jobs.get(job_id)
        if kept is None:
            raise UnknownResource(f"plan job {job_id[:64]!r}")
        return kept.job

    def batch(self, job_id: str) -> PlanBatch | None:
        with self._lock:
            kept = self._jobs.get(job_id)
        return None if kept is None else kept.batch

    def claim(self, owner: str, lease_s: float) -> Job | None:
        with self._lock:
            for kept in self._jobs.values():
                if kept.job.state is not JobState.QUEUED:
                    continue
                if kept.batch is None:
                    kept.job = replace(
                        kept.job, state=JobState.FAILED, error=JobError.interrupted("queued")
                    )
                    continue
                kept.job = replace(kept.job, state=JobState.RUNNING)
                kept.owner, kept.lease_ms = owner, now_ms() + int(lease_s * 1000)
                return kept.job
        return None

    def renew(self, job_id: str, owner: str, lease_s: float) -> bool:
        with self._lock:
            kept = self._jobs.get(job_id)
            if kept is None or kept.job.state is not JobState.RUNNING or kept.owner != owner:
                return False
            kept.lease_ms = now_ms() + int(lease_s * 1000)
            return True

    def expire(self) -> tuple[str, ...]:
        now = now_ms()
        out = []
        with self._lock:
            for kept in self._jobs.values():
                if kept.job.state is JobState.RUNNING and kept.lease_ms < now:
                    error = JobError.interrupted("running")
                    kept.job = replace(kept.job, state=JobState.FAILED, error=error)
                    kept.batch = None
                    out.append(kept.job.job_id)
        return tuple(out)

    def _set(self, job_id: str, **changes: Any) -> Job:
        with self._lock:
            kept = self._jobs.get(job_id)
            if kept is None:
                raise UnknownResource(f"plan job {job_id[:64]!r}")
            if not kept.job.state.final:
                kept.job = replace(kept.job, **changes)
                if kept.job.state.final:
                    kept.batch = None
            return kept.job

    def update(
        self, job_id: str, *, state: JobState | None = None, progress: Progress | None = None
    ) -> Job:
        changes: dict[str, Any] = {}
        if state is not None:
            if state.final:
                raise ValueError("use finish() or mark_cancelled() for a final state")
            changes["state"] = state
        if progress is not None:
            changes["progress"] = progress
        return self._set(job_id, **changes)

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
        changes: dict[str, Any] = {"state": state, "plan": plan, "error": error}
        if progress is not None:
            changes["progress"] = progress
        return self._set(job_id, **changes)

    def mark_cancelled(self, job_id: str) -> Job:
        return self._set(job_id, state=JobState.CANCELLED)

    def list(self) -> list[Job]:
        with self._lock:
            return sorted((k.job for k in self._jobs.values()), key=lambda j: j.created_at)

    def page(
        self, tenant: str, *, size: int, after: JobCursor | None, state: JobState | None
    ) -> tuple[tuple[Job, ...], JobCursor | None]:
        with self._lock:
            jobs = [k.job for k in self._jobs.values() if k.job.tenant == tenant]
        jobs = [j for j in jobs if state is None or j.state is state]
        jobs.sort(key=JobCursor.of, reverse=True)
        if after is not None:
            jobs = [j for j in jobs if JobCursor.of(j) < after]
        page = tuple(replace(j, plan=None) for j in jobs[:size])
        more = len(jobs) > size
        return page, JobCursor.of(page[-1]) if more and page else None


# -- the plan process -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Work:
    """Everything a plan process needs, as plain data (it is pickled to a spawned process)."""

    router: Router
    batch: tuple[tuple[str, Return], ...]
    spec: PlanSpec
    workers: int
    ray_address: str | None


def _plan_process(conn: Connection, work: _Work) -> None:
    """The body of a plan process: plan, send progress and then one outcome, exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when plans stop
    parent = multiprocessing.parent_process()
    if parent is not None:  # a server killed outright must not leave its plans running

        def orphaned() -> None:
            multiprocessing.connection.wait([parent.sentinel])
            os._exit(1)

        threading.Thread(target=orphaned, daemon=True).start()
    from routing.plan.executor import Executor, make_executor
    from routing.plan.planner import plan_batch
    from routing.solver import solve

    lock = threading.Lock()  # progress may come from solver threads
    last = [0.0]

    def progress(p: Progress) -> None:
        now = time.monotonic()
        with lock:
            if now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                conn.send(("progress", p))

    executor: Executor | None = None
    try:
        if work.workers > 1 or work.ray_address:
            executor = make_executor(work.workers, work.ray_address)
        plan = plan_batch(
            work.router,
            work.batch,
            work.spec.config,
            solve=functools.partial(solve, backend=work.spec.backend),
            on_progress=progress,
            executor=executor,
            workers=work.workers,
        )
        outcome: tuple[str, object] = ("done", plan)
    except NoFeasibleOption as exc:
        outcome = ("error", JobError("FAILED_PRECONDITION", str(exc), exc.violations))
    except InvalidInput as exc:
        outcome = ("error", JobError("INVALID_ARGUMENT", str(exc), fields=exc.violations))
    except Exception:
        traceback.print_exc()
        outcome = ("error", JobError("INTERNAL", "the plan failed (see the server log)"))
    finally:
        if executor is not None:
            executor.close()
    with lock:
        conn.send(outcome)
    conn.close()


# -- the manager ----------------------------------------------------------------------------


class PlanJobs:
    """Runs plan jobs: at most ``max_running`` plan processes at once, the rest queued.

    ``workers`` and ``ray_address`` say how each plan solves its independent parts (see
    :mod:`routing.plan.decompose`; 1 worker = in the plan's own process).

    A submitted job waits in the store with its batch. A runner task (:meth:`start`; the first
    submit starts it too) takes queued jobs with ``store.claim`` as ``owner`` while a slot is
    free: when a submission here wakes it, and every ``poll_s`` for jobs submitted through
    another process sharing the store. The batch is loaded only then. While a plan runs its
    lease is renewed every ``min(poll_s, lease_s / 3)``; a renewal refused (the job was
    cancelled through another process, or failed after the lease ran out) stops the plan. Each
    poll also expires the jobs of owners that stopped renewing (``store.expire``). Watchers
    are woken by changes made here at once, by changes made elsewhere within ``poll_s``.
    """

    def __init__(
        self,
        router: Router,
        store: JobStore | None = None,
        *,
        max_running: int = 1,
        workers: int = 1,
        ray_address: str | None = None,
        limits: QueueLimits | None = None,
        lease_s: float = 30.0,
        poll_s: float = 1.0,
        owner: str | None = None,
    ) -> None:
        if max_running < 1:
            raise ValueError(f"max_running must be >= 1, got {max_running}")
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if not poll_s > 0:
            raise ValueError(f"poll_s must be > 0, got {poll_s}")
        if not lease_s > 0:  # renewed every min(poll_s, lease_s / 3): three times a lease
            raise ValueError(f"lease_s must be > 0, got {lease_s}")
        self.router = router
        self.store: JobStore = store or MemoryJobStore()
        self.workers = workers
        self.ray_address = ray_address
        self.max_running = max_running
        self.limits = limits
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.owner = owner or f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._threads = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_running, thread_name_prefix="plan-job"
        )
        self._lock = threading.Lock()
        self._procs: dict[str, multiprocessing.process.BaseProcess] = {}
        self._cancelled: set[str] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}  # the jobs this process runs
        self._version: dict[str, int] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self._kick: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def currency(self) -> str:
        return self.router.network.currency

    def start(self) -> None:
        """Start taking queued jobs (on the running event loop); idempotent."""
        if self._runner is None and not self._closed:
            self._kick = asyncio.Event()
            self._runner = asyncio.create_task(self._take_jobs(), name="plan-jobs-runner")

    async def submit(
        self,
        batch: Sequence[tuple[str, Return]],
        spec: PlanSpec,
        *,
        tenant: str = DEFAULT_TENANT,
        key: str = "",
    ) -> Job:
        """Queue a job for ``batch``; with ``key``, the job ``tenant`` submitted under it
        before (IdempotencyConflict for another request). LimitReached over the limits."""
        if self._closed:
            raise TemporarilyUnavailable("the server is stopping: submit the plan again")
        job = Job(
            job_id=uuid.uuid4().hex,
            state=JobState.QUEUED,
            spec=spec,
            returns=len(batch),
            created_at=datetime.now(UTC),
            tenant=tenant,
        )
        # stored in a thread: a large batch takes a while to encode and write
        stored = await asyncio.to_thread(
            self.store.create, job, PlanBatch(tuple(batch)), key=key, limits=self.limits
        )
        if stored.job_id == job.job_id:
            self.start()
            if self._kick is not None:
                self._kick.set()
        return stored

    def get(self, job_id: str, *, tenant: str = DEFAULT_TENANT) -> Job:
        """The job; UnknownResource for an unknown id, NotPermitted when another tenant's."""
        job = self.store.get(job_id)
        if job.tenant != tenant:
            raise NotPermitted(f"plan job {job_id[:64]!r} belongs to another tenant")
        return job

    def page(
        self,
        *,
        tenant: str = DEFAULT_TENANT,
        size: int,
        after: JobCursor | None = None,
        state: JobState | None = None,
    ) -> tuple[tuple[Job, ...], JobCursor | None]:
        """A page of ``tenant``'s jobs, newest first (see ``JobStore.page``)."""
        return self.store.page(tenant, size=size, after=after, state=state)

    async def watch(self, job_id: str, *, tenant: str = DEFAULT_TENANT) -> AsyncIterator[Job]:
        """The job now, then after each change, until (and including) a final state."""
        last = self.get(job_id, tenant=tenant)
        seen = self._version.get(job_id, 0)
        yield last
        while not last.state.final:
            if self._version.get(job_id, 0) == seen:
                wake = self._wake.setdefault(job_id, asyncio.Event())
                with contextlib.suppress(TimeoutError):  # changed by another process?
                    await asyncio.wait_for(wake.wait(), self.poll_s)
            seen = self._version.get(job_id, 0)
            job = self.store.get(job_id)
            if (job.state, job.progress, job.error) != (last.state, last.progress, last.error):
                last = job
                yield job

    async def cancel(self, job_id: str, *, tenant: str = DEFAULT_TENANT) -> Job:
        return await self._cancel(self.get(job_id, tenant=tenant))

    async def _cancel(self, job: Job) -> Job:
        job_id = job.job_id
        if job.state.final:
            return job
        self._stop(job_id)
        job = self.store.mark_cancelled(job_id)  # a plan run elsewhere: its owner stops it
        self._notify(job_id)
        return job

    def _stop(self, job_id: str) -> None:
        """Stop this process's plan of ``job_id``, if it runs one."""
        if job_id not in self._tasks:
            return
        with self._lock:
            self._cancelled.add(job_id)
            proc = self._procs.get(job_id)
        if proc is not None and proc.is_alive():
            proc.terminate()

    async def close(self) -> None:
        """The server stops: it takes no more jobs; each job it runs ends FAILED with the
        retryable UNAVAILABLE error of an interrupted job (:meth:`JobError.interrupted`: submit
        the batch again, as after a crash), its process stopped and its watchers told. Queued
        jobs stay QUEUED in the database: another process sharing it, or this server's next
        start, runs them."""
        self._closed = True
        if self._runner is not None:
            # not cancelled mid-claim (a job claimed and never run would wait out its lease):
            # woken, it ends after its current claim, whose job is then interrupted below
            if self._kick is not None:
                self._kick.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._runner), timeout=10)
            except TimeoutError:
                self._runner.cancel()
        for job_id in list(self._tasks):
            try:
                job = self.store.get(job_id)
            except UnknownResource:
                continue
            if not job.state.final:
                await self._interrupt(job)
        tasks = [t for t in self._tasks.values() if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        self._threads.shutdown(wait=False, cancel_futures=True)

    # -- internals ---------------------------------------------------------------------------

    async def _interrupt(self, job: Job) -> None:
        job_id = job.job_id
        with self._lock:
            self._cancelled.add(job_id)  # its run ends without writing an outcome
            proc = self._procs.get(job_id)
        if proc is not None and proc.is_alive():
            proc.terminate()
        self.store.finish(job_id, JobState.FAILED, error=JobError.interrupted(job.state.value))
        self._notify(job_id)

    def _notify(self, job_id: str) -> None:
        self._version[job_id] = self._version.get(job_id, 0) + 1
        wake = self._wake.pop(job_id, None)
        if wake is not None:
            wake.set()

    def _on_progress(self, job_id: str, progress: Progress) -> None:
        self.store.update(job_id, progress=progress)
        self._notify(job_id)

    async def _take_jobs(self) -> None:
        """The runner: claim queued jobs while a slot is free, expire dead owners' jobs."""
        assert self._kick is not None
        while not self._closed:
            self._kick.clear()
            try:
                for job_id in await asyncio.to_thread(self.store.expire):
                    log.warning("plan job %s: its owner stopped renewing its lease", job_id)
                    self._notify(job_id)
                while len(self._tasks) < self.max_running and not self._closed:
                    job = await asyncio.to_thread(self.store.claim, self.owner, self.lease_s)
                    if job is None:
                        break
                    self._tasks[job.job_id] = asyncio.create_task(self._run(job.job_id))
                    self._notify(job.job_id)
            except Exception:  # the database is away: try again at the next poll
                log.exception("taking plan jobs")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self.poll_s)

    async def _heartbeat(self, job_id: str) -> None:
        """Renew the lease of a job this process runs; stop its plan when refused."""
        every = min(self.poll_s, self.lease_s / 3)
        while True:
            await asyncio.sleep(every)
            try:
                ours = await asyncio.to_thread(self.store.renew, job_id, self.owner, self.lease_s)
            except Exception:  # the database is away: the lease may still hold, try again
                log.exception("plan job %s: renewing its lease", job_id)
                continue
            if not ours:  # cancelled through another process, or expired
                self._stop(job_id)
                self._notify(job_id)
                return

    async def _run(self, job_id: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            batch = await asyncio.to_thread(self.store.batch, job_id)
            job = self.store.get(job_id)
            if batch is None or job.state is not JobState.RUNNING:  # ended meanwhile
                return
            work = _Work(self.router, batch.returns, job.spec, self.workers, self.ray_address)
            del batch
            heartbeat = asyncio.create_task(self._heartbeat(job_id))
            try:
                outcome = await loop.run_in_executor(
                    self._threads, self._supervise, job_id, work, loop
                )
            finally:
                heartbeat.cancel()
            del work  # the batch is not kept past its run
            if outcome is None:  # the process ended without an outcome: cancelled or died
                if job_id not in self._cancelled:
                    self.store.finish(
                        job_id,
                        JobState.FAILED,
                        error=JobError("INTERNAL", "the plan process ended unexpectedly"),
                    )
            elif isinstance(outcome, BatchPlan):
                r = outcome.result
                final = Progress(r.objective, r.bound, r.gap, r.wall_time_s, r.backend)
                await asyncio.to_thread(
                    self.store.finish, job_id, JobState.SUCCEEDED, plan=outcome, progress=final
                )
            else:
                self.store.finish(job_id, JobState.FAILED, error=outcome)
        except Exception:
            log.exception("plan job %s", job_id)
            self.store.finish(
                job_id, JobState.FAILED, error=JobError("INTERNAL", "the plan job failed")
            )
        finally:
            self._tasks.pop(job_id, None)
            self._notify(job_id)
            with self._lock:
                self._cancelled.discard(job_id)
            if self._kick is not None:
                self._kick.set()  # a slot is free

    def _supervise(
        self, job_id: str, work: _Work, loop: asyncio.AbstractEventLoop
    ) -> BatchPlan | JobError | None:
        """In a thread: start the plan process, relay its progress, return its outcome."""
        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        # not a daemon: a plan may start its own worker pool; close() stops it
        proc = ctx.Process(target=_plan_process, args=(send, work), name=f"plan-{job_id[:8]}")
        with self._lock:
            if job_id in self._cancelled:
                return None
            self._procs[job_id] = proc
        # not under the lock: a spawn blocks until the child has read the work (~1 s of its
        # start-up), and _cancel takes the lock on the event loop
        proc.start()
        with self._lock:
            cancelled = job_id in self._cancelled  # cancelled while starting: not terminated
        if cancelled:
            proc.terminate()
        send.close()
        outcome: BatchPlan | JobError | None = None
        try:
            while True:
                try:
                    kind, value = receive.recv()
                except (EOFError, OSError):
                    break
                if kind == "progress":
                    with contextlib.suppress(RuntimeError):  # the loop closed: nobody watches
                        loop.call_soon_threadsafe(self._on_progress, job_id, value)
                else:
                    outcome = value
        finally:
            receive.close()
            proc.join()
            with self._lock:
                self._procs.pop(job_id, None)
        return outcome
