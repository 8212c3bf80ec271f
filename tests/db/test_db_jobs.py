"""Plan jobs in SQL (SQLite and PostgreSQL): the JobStore contract, plans read back equal
from a new store, and jobs interrupted by a restart become FAILED with a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from routing.db.jobs import SqlJobStore
from routing.engine import Router
from routing.errors import NotFound, PreconditionViolation
from routing.jobs import Job, JobError, JobState, PlanSpec
from routing.plan_model import Progress
from routing.planner import PlanConfig, plan_batch
from routing.solver import solve
from tests.routing.fakes import FakeCustoms, FakeFx, a_return, item, small_network


def job(job_id: str) -> Job:
    return Job(job_id, JobState.QUEUED, PlanSpec(PlanConfig()), 3, datetime.now(UTC))


def test_contract(engine: Engine) -> None:
    """Unknown ids are NotFound; ids are unique; the first final state wins (a late finish
    or progress changes nothing); finish checks what it carries."""
    store = SqlJobStore(engine)
    with pytest.raises(NotFound):
        store.get("nope")
    with pytest.raises(NotFound):
        store.update("nope", state=JobState.RUNNING)
    store.create(job("a"))
    with pytest.raises(ValueError, match="exists"):
        store.create(job("a"))
    p = Progress(incumbent=10, bound=5, gap=0.5, elapsed_s=1.0, backend="x")
    assert store.update("a", state=JobState.RUNNING, progress=p).progress == p
    assert store.mark_cancelled("a").state is JobState.CANCELLED
    err = JobError("FAILED_PRECONDITION", "short", (PreconditionViolation("T", "s", "d"),))
    after = store.finish("a", JobState.FAILED, error=err)
    assert after.state is JobState.CANCELLED
    assert after.error is None
    assert store.update("a", progress=Progress(9, 9, 0.0, 2.0, "x")).progress == p
    with pytest.raises(ValueError, match="SUCCEEDED"):
        store.finish("a", JobState.SUCCEEDED)
    assert [j.job_id for j in store.list()] == ["a"]


def test_plan_reads_back_equal(engine: Engine) -> None:
    """A SUCCEEDED job's plan, progress and spec read back equal from another store."""
    router = Router(small_network(), FakeCustoms(), FakeFx(), compiled_on=date(2026, 11, 1))
    batch = [(f"r{i}", a_return(item(quantity=1 + i % 3))) for i in range(6)]
    plan = plan_batch(router, batch, PlanConfig(time_limit_s=10), solve=solve)
    store = SqlJobStore(engine)
    store.create(job("p"))
    final = Progress(plan.result.objective, plan.result.bound, plan.result.gap, 0.1, "highs")
    store.finish("p", JobState.SUCCEEDED, plan=plan, progress=final)
    again = SqlJobStore(engine).get("p")
    assert again.state is JobState.SUCCEEDED
    assert again.plan == plan
    assert again.progress == final
    assert again.spec == job("p").spec


def test_restart_fails_interrupted_jobs_with_a_reason(engine: Engine) -> None:
    """recover() marks QUEUED and RUNNING jobs FAILED, saying they were interrupted and can be
    submitted again; finished jobs are untouched."""
    store = SqlJobStore(engine)
    for job_id in ("queued", "running", "done"):
        store.create(job(job_id))
    store.update("running", state=JobState.RUNNING)
    store.mark_cancelled("done")
    assert sorted(SqlJobStore(engine).recover()) == ["queued", "running"]
    for job_id in ("queued", "running"):
        got = store.get(job_id)
        assert got.state is JobState.FAILED
        assert got.error is not None
        assert "interrupted" in got.error.message
        assert "submit the batch again" in got.error.message
    assert store.get("done").state is JobState.CANCELLED
    assert SqlJobStore(engine).recover() == ()
