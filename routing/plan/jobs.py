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
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import functools
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any, Protocol

from routing.decide.domain import Return
from routing.decide.router import Router
from routing.errors import (
    FieldViolation,
    InvalidInput,
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


class JobStore(Protocol):
    """Where jobs are kept. A final state (SUCCEEDED, FAILED, CANCELLED) is never left again:
    updates and finishes of a job already final are ignored (the first final state wins)."""

    def create(self, job: Job) -> None: ...

    def get(self, job_id: str) -> Job:
        """The job; raises :class:`routing.errors.NotFound` for an unknown id."""
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


class MemoryJobStore:
    """Jobs in a dict, for one server process (thread-safe). Of the jobs that have ended, the
    ``keep_finished`` last submitted are kept (a plan can be large); older ones are forgotten."""

    def __init__(self, keep_finished: int = 100) -> None:
        if keep_finished < 1:
            raise ValueError(f"keep_finished must be >= 1, got {keep_finished}")
        self.keep_finished = keep_finished
        self._jobs: dict[str, Job] = {}  # in creation order
        self._lock = threading.Lock()

    def create(self, job: Job) -> None:
        with self._lock:
            if job.job_id in self._jobs:
                raise ValueError(f"job {job.job_id!r} exists")
            finished = [k for k, j in self._jobs.items() if j.state.final]
            for k in finished[: max(0, len(finished) - self.keep_finished)]:
                del self._jobs[k]
            self._jobs[job.job_id] = job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise UnknownResource(f"plan job {job_id[:64]!r}")
        return job

    def _set(self, job_id: str, **changes: Any) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise UnknownResource(f"plan job {job_id[:64]!r}")
            if not job.state.final:
                job = self._jobs[job_id] = replace(job, **changes)
            return job

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
            return sorted(self._jobs.values(), key=lambda j: j.created_at)


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
    """

    def __init__(
        self,
        router: Router,
        store: JobStore | None = None,
        *,
        max_running: int = 1,
        workers: int = 1,
        ray_address: str | None = None,
    ) -> None:
        if max_running < 1:
            raise ValueError(f"max_running must be >= 1, got {max_running}")
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.router = router
        self.store: JobStore = store or MemoryJobStore()
        self.workers = workers
        self.ray_address = ray_address
        self._slots = asyncio.Semaphore(max_running)
        self._threads = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_running, thread_name_prefix="plan-job"
        )
        self._lock = threading.Lock()
        self._procs: dict[str, multiprocessing.process.BaseProcess] = {}
        self._cancelled: set[str] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._version: dict[str, int] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self._closed = False

    @property
    def currency(self) -> str:
        return self.router.network.currency

    async def submit(
        self,
        batch: Sequence[tuple[str, Return]],
        spec: PlanSpec,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> Job:
        if self._closed:
            raise RuntimeError("the plan job manager is closed")
        job = Job(
            job_id=uuid.uuid4().hex,
            state=JobState.QUEUED,
            spec=spec,
            returns=len(batch),
            created_at=datetime.now(UTC),
            tenant=tenant,
        )
        self.store.create(job)
        self._version[job.job_id] = 0
        work = _Work(self.router, tuple(batch), spec, self.workers, self.ray_address)
        self._tasks[job.job_id] = asyncio.create_task(self._run(job.job_id, work))
        return job

    def get(self, job_id: str, *, tenant: str = DEFAULT_TENANT) -> Job:
        """The job; UnknownResource for an unknown id, NotPermitted when another tenant's."""
        job = self.store.get(job_id)
        if job.tenant != tenant:
            raise NotPermitted(f"plan job {job_id[:64]!r} belongs to another tenant")
        return job

    async def watch(self, job_id: str, *, tenant: str = DEFAULT_TENANT) -> AsyncIterator[Job]:
        """The job now, then after each change, until (and including) a final state."""
        job = self.get(job_id, tenant=tenant)
        while True:
            seen = self._version.get(job_id, 0)
            yield job
            if job.state.final:
                return
            while self._version.get(job_id, 0) == seen:
                wake = self._wake.setdefault(job_id, asyncio.Event())
                await wake.wait()
            job = self.store.get(job_id)

    async def cancel(self, job_id: str, *, tenant: str = DEFAULT_TENANT) -> Job:
        return await self._cancel(self.get(job_id, tenant=tenant))

    async def _cancel(self, job: Job) -> Job:
        job_id = job.job_id
        if job.state.final:
            return job
        with self._lock:
            self._cancelled.add(job_id)
            proc = self._procs.get(job_id)
        if proc is not None and proc.is_alive():
            proc.terminate()
        job = self.store.mark_cancelled(job_id)
        self._notify(job_id)
        return job

    async def close(self) -> None:
        """The server stops: every job that has not ended ends FAILED with the retryable
        UNAVAILABLE error of an interrupted job (:meth:`JobError.interrupted`: submit the batch
        again, as after a crash), its process stopped and its watchers told."""
        self._closed = True
        for job in self.store.list():
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

    async def _run(self, job_id: str, work: _Work) -> None:
        try:
            async with self._slots:
                if self.store.get(job_id).state.final:  # cancelled while queued
                    return
                self.store.update(job_id, state=JobState.RUNNING)
                self._notify(job_id)
                loop = asyncio.get_running_loop()
                outcome = await loop.run_in_executor(
                    self._threads, self._supervise, job_id, work, loop
                )
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
                self.store.finish(job_id, JobState.SUCCEEDED, plan=outcome, progress=final)
            else:
                self.store.finish(job_id, JobState.FAILED, error=outcome)
        except Exception:
            log.exception("plan job %s", job_id)
            self.store.finish(
                job_id, JobState.FAILED, error=JobError("INTERNAL", "the plan job failed")
            )
        finally:
            self._notify(job_id)
            with self._lock:
                self._cancelled.discard(job_id)

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
