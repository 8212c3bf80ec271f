"""Plan jobs in SQL (SQLite and PostgreSQL): the JobStore contract, plans and tenants read back
equal from a new store, jobs interrupted by a restart become FAILED with a retryable reason,
and jobs stored before tenancy (migration 0003) belong to tenant 'default'."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import (
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    String,
    column,
    insert,
    select,
    table,
)
from sqlalchemy.sql.expression import TableClause

from routing.decide.router import Router
from routing.errors import PreconditionViolation, UnknownResource
from routing.plan.jobs import Job, JobError, JobState, PlanSpec
from routing.plan.planner import PlanConfig, plan_batch
from routing.solver import solve
from routing.solver.problem import Progress
from routing.store.database import make_engine, upgrade
from routing.store.jobs import SqlJobStore
from routing.store.tables import Tenant
from tests.routing.fakes import FakeCustoms, FakeFx, a_return, item, small_network


def job(job_id: str, tenant: str = "default") -> Job:
    return Job(job_id, JobState.QUEUED, PlanSpec(PlanConfig()), 3, datetime.now(UTC), tenant=tenant)


def test_contract(engine: Engine) -> None:
    """Unknown ids are UnknownResource; ids are unique; the first final state wins (a late finish
    or progress changes nothing); finish checks what it carries."""
    store = SqlJobStore(engine)
    with pytest.raises(UnknownResource):
        store.get("nope")
    with pytest.raises(UnknownResource):
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


def test_tenant_is_kept_across_a_restart(engine: Engine) -> None:
    """A job's tenant reads back from a new store (a restarted server), in get and list and
    after expire(); a tenant's row is created with its first job, once."""
    store = SqlJobStore(engine)
    store.create(job("a1", "acme"))
    store.create(job("g1", "globex"))
    store.create(job("a2", "acme"))
    store.mark_cancelled("a2")
    again = SqlJobStore(engine)
    assert again.get("a1").tenant == "acme"
    assert again.get("g1").tenant == "globex"
    owners = {j.job_id: j.tenant for j in again.list()}
    assert owners == {"a1": "acme", "g1": "globex", "a2": "acme"}
    again.expire()
    assert SqlJobStore(engine).get("g1").tenant == "globex"
    with engine.connect() as conn:
        names = conn.execute(select(Tenant.name).order_by(Tenant.name)).scalars().all()
    assert names == ["acme", "globex"]


def plan_jobs_0002() -> TableClause:
    """plan_jobs as revision 0002 made it (less its nullable columns): no tenant."""
    return table(
        "plan_jobs",
        column("job_id", String),
        column("state", String),
        column("returns", Integer),
        column("created_at", DateTime(timezone=True)),
        column("updated_at", DateTime(timezone=True)),
        column("spec", LargeBinary),
    )


def test_jobs_from_before_tenancy_belong_to_default(database_url: str) -> None:
    """Upgrading a database at revision 0002 that holds plan jobs gives each of them tenant
    'default' (created, as the database had no tenant), keeps the rest of the row, and leaves
    new jobs their own tenant."""
    eng = make_engine(database_url)
    try:
        upgrade(eng, "0002")
        old = plan_jobs_0002()
        now = datetime.now(UTC)
        with eng.begin() as conn:
            conn.execute(
                insert(old).values(
                    job_id="old",
                    state=JobState.SUCCEEDED.value,
                    returns=3,
                    created_at=now,
                    updated_at=now,
                    spec=pickle.dumps(PlanSpec(PlanConfig())),
                )
            )
        upgrade(eng)
        store = SqlJobStore(eng)
        got = store.get("old")
        assert (got.tenant, got.state, got.returns) == ("default", JobState.SUCCEEDED, 3)
        store.create(job("new", "acme"))
        assert store.get("new").tenant == "acme"
    finally:
        eng.dispose()


def test_jobs_from_before_the_queue_fail_as_interrupted(engine: Engine) -> None:
    """A job stored without a batch (before migration 0006) or RUNNING without a lease is
    FAILED, by claim() and expire(), with a retryable UNAVAILABLE error saying it was
    interrupted and can be submitted again; finished jobs are untouched."""
    store = SqlJobStore(engine)
    for job_id in ("queued", "running", "done"):
        store.create(job(job_id))
    store.update("running", state=JobState.RUNNING)
    store.mark_cancelled("done")
    assert SqlJobStore(engine).claim("me", 30) is None
    assert SqlJobStore(engine).expire() == ("running",)
    for job_id in ("queued", "running"):
        got = store.get(job_id)
        assert got.state is JobState.FAILED
        assert got.error is not None
        assert got.error.code == "UNAVAILABLE"
        assert "interrupted" in got.error.message
        assert "submit the batch again" in got.error.message
    assert store.get("done").state is JobState.CANCELLED
    assert SqlJobStore(engine).expire() == ()
