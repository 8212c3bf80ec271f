"""The in-memory job store: lookups, the first final state wins, old finished jobs go; the
job manager keeps each job to its tenant; a job's error becomes the status it stands for."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from google.rpc import code_pb2, error_details_pb2, status_pb2

from routing.decide.router import Router
from routing.errors import NotPermitted, PreconditionViolation, UnknownResource
from routing.plan.jobs import (
    INTERRUPTED_REASON,
    Job,
    JobError,
    JobState,
    MemoryJobStore,
    PlanJobs,
    PlanSpec,
)
from routing.plan.planner import PlanConfig
from routing.rpc.wire.plans import job_to_proto
from routing.solver.problem import Progress
from tests.routing.fakes import FakeCustoms, FakeFx, small_network


def job(job_id: str, tenant: str = "default") -> Job:
    return Job(job_id, JobState.QUEUED, PlanSpec(PlanConfig()), 3, datetime.now(UTC), tenant=tenant)


def test_unknown_job_is_not_found() -> None:
    """get, update, finish and mark_cancelled of an unknown id raise UnknownResource."""
    store = MemoryJobStore()
    with pytest.raises(UnknownResource):
        store.get("nope")
    with pytest.raises(UnknownResource):
        store.update("nope", state=JobState.RUNNING)
    with pytest.raises(UnknownResource):
        store.mark_cancelled("nope")


def test_first_final_state_wins() -> None:
    """Once cancelled, a job stays cancelled: a late result or progress does not change it,
    and its last progress is kept."""
    store = MemoryJobStore()
    store.create(job("a"))
    p = Progress(incumbent=10, bound=5, gap=0.5, elapsed_s=1.0, backend="x")
    store.update("a", state=JobState.RUNNING, progress=p)
    assert store.mark_cancelled("a").state is JobState.CANCELLED
    err = JobError("FAILED_PRECONDITION", "short", (PreconditionViolation("T", "s", "d"),))
    after = store.finish("a", JobState.FAILED, error=err)
    assert after.state is JobState.CANCELLED
    assert after.error is None
    assert store.update("a", progress=Progress(9, 9, 0.0, 2.0, "x")).progress == p


def test_finish_checks_what_it_carries() -> None:
    """A final state is required; SUCCEEDED needs a plan, FAILED an error; update refuses a
    final state; creating an existing id is refused."""
    store = MemoryJobStore()
    store.create(job("a"))
    with pytest.raises(ValueError, match="final state"):
        store.finish("a", JobState.RUNNING)
    with pytest.raises(ValueError, match="SUCCEEDED"):
        store.finish("a", JobState.SUCCEEDED)
    with pytest.raises(ValueError, match="FAILED"):
        store.finish("a", JobState.FAILED)
    with pytest.raises(ValueError, match="finish"):
        store.update("a", state=JobState.CANCELLED)
    with pytest.raises(ValueError, match="exists"):
        store.create(job("a"))


def test_old_finished_jobs_are_forgotten() -> None:
    """With keep_finished=2, a third finished job pushes out the oldest finished one; jobs
    that have not ended are never dropped."""
    store = MemoryJobStore(keep_finished=2)
    store.create(job("running"))
    for name in ("f1", "f2", "f3"):
        store.create(job(name))
        store.mark_cancelled(name)
    store.create(job("new"))
    assert [j.job_id for j in store.list()] == ["running", "f2", "f3", "new"]
    with pytest.raises(UnknownResource):
        store.get("f1")


def test_jobs_are_kept_to_their_tenant() -> None:
    """Another tenant's get, watch and cancel of a job are NotPermitted and change
    nothing; the owner's work (the job is cancelled); an unknown id stays UnknownResource."""
    store = MemoryJobStore()
    store.create(job("a", tenant="acme"))
    router = Router(small_network(), FakeCustoms(), FakeFx(), compiled_on=date(2026, 11, 1))

    async def scenario() -> None:
        jobs = PlanJobs(router, store)
        with pytest.raises(NotPermitted, match="another tenant"):
            jobs.get("a", tenant="globex")
        with pytest.raises(NotPermitted):
            await anext(jobs.watch("a", tenant="globex"))
        with pytest.raises(NotPermitted):
            await jobs.cancel("a", tenant="globex")
        with pytest.raises(NotPermitted):
            jobs.get("a")  # the default tenant is a tenant like any other
        assert store.get("a").state is JobState.QUEUED
        assert jobs.get("a", tenant="acme").tenant == "acme"
        assert (await jobs.cancel("a", tenant="acme")).state is JobState.CANCELLED
        assert (await anext(jobs.watch("a", tenant="acme"))).state is JobState.CANCELLED
        with pytest.raises(UnknownResource):
            jobs.get("nope", tenant="acme")
        await jobs.close()

    asyncio.run(scenario())


def failed_status(err: JobError) -> status_pb2.Status:
    """The google.rpc.Status a job FAILED with ``err`` carries on the wire."""
    base = job("j")
    failed = Job(base.job_id, JobState.FAILED, base.spec, 3, base.created_at, error=err)
    return job_to_proto(failed, "EUR").error


def test_job_errors_become_their_status_codes() -> None:
    """An interrupted job's error is UNAVAILABLE (retryable) with ErrorInfo reason
    PLAN_JOB_INTERRUPTED and says to submit again; an internal failure stays INTERNAL with its
    message only; a precondition failure keeps its violations; unknown codes are refused."""
    st = failed_status(JobError.interrupted("running"))
    assert st.code == code_pb2.UNAVAILABLE
    assert "interrupted" in st.message
    assert "submit the batch again" in st.message
    info = error_details_pb2.ErrorInfo()
    assert [d.Unpack(info) for d in st.details] == [True]
    assert info.reason == INTERRUPTED_REASON
    st = failed_status(JobError("INTERNAL", "the plan failed (see the server log)"))
    assert (st.code, st.message, len(st.details)) == (
        code_pb2.INTERNAL,
        "the plan failed (see the server log)",
        0,
    )
    pre = JobError("FAILED_PRECONDITION", "short", (PreconditionViolation("T", "s", "d"),))
    st = failed_status(pre)
    failure = error_details_pb2.PreconditionFailure()
    assert st.code == code_pb2.FAILED_PRECONDITION
    assert [d.Unpack(failure) for d in st.details] == [True]
    assert [v.type for v in failure.violations] == ["T"]
    with pytest.raises(ValueError, match="UNAVAILABLE"):
        JobError("UNKNOWN", "?")
