"""The in-memory job store: lookups, the first final state wins, old finished jobs go."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from routing.errors import NotFound, PreconditionViolation
from routing.jobs import Job, JobError, JobState, MemoryJobStore, PlanSpec
from routing.plan_model import Progress
from routing.planner import PlanConfig


def job(job_id: str) -> Job:
    return Job(job_id, JobState.QUEUED, PlanSpec(PlanConfig()), 3, datetime.now(UTC))


def test_unknown_job_is_not_found() -> None:
    """get, update, finish and mark_cancelled of an unknown id raise NotFound."""
    store = MemoryJobStore()
    with pytest.raises(NotFound):
        store.get("nope")
    with pytest.raises(NotFound):
        store.update("nope", state=JobState.RUNNING)
    with pytest.raises(NotFound):
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
    with pytest.raises(NotFound):
        store.get("f1")
