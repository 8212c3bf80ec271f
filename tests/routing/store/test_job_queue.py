"""The plan job queue in SQL (SQLite and PostgreSQL): a job waits with its batch in the database,
is claimed by exactly one of several processes, keeps its claim by renewing a lease, is failed
as interrupted when its owner stops renewing; idempotency keys and per-tenant queue limits are
checked in the submission's transaction; a tenant lists only its own jobs, newest first."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, inspect, select

from routing.errors import IdempotencyConflict, LimitReached
from routing.plan.jobs import Job, JobState, PlanBatch, PlanSpec, QueueLimits
from routing.plan.planner import PlanConfig
from routing.store.database import make_engine
from routing.store.jobs import SqlJobStore
from routing.store.tables import PlanJobRow
from tests.routing.fakes import a_return, item

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def a_batch(n: int, sku: str = "SKU-1") -> PlanBatch:
    return PlanBatch(tuple((f"r{i}", a_return(item(sku))) for i in range(n)))


def queued(job_id: str, returns: int = 3, tenant: str = "acme", at: datetime = T0) -> Job:
    spec = PlanSpec(PlanConfig(horizon_days=1))
    return Job(job_id, JobState.QUEUED, spec, returns, at, tenant=tenant)


def test_the_batch_waits_in_the_database_and_is_dropped_when_the_job_ends(engine: Engine) -> None:
    """The batch reads back equal from another store (another process); get() and list() do not
    load it; once the job ends its batch is gone."""
    store = SqlJobStore(engine)
    batch = a_batch(3)
    store.create(queued("a"), batch)
    assert SqlJobStore(engine).batch("a") == batch
    store.mark_cancelled("a")
    assert store.batch("a") is None
    with engine.connect() as conn:
        assert conn.execute(select(PlanJobRow.batch)).scalar_one() is None


def test_claim_takes_the_oldest_queued_job_once(engine: Engine) -> None:
    """claim() turns the oldest QUEUED job RUNNING for its owner; a cancelled job is never
    claimed; with nothing queued it answers None."""
    store = SqlJobStore(engine)
    store.create(queued("new", at=T0 + timedelta(seconds=2)), a_batch(1))
    store.create(queued("old", at=T0), a_batch(1))
    store.create(queued("gone", at=T0 + timedelta(seconds=1)), a_batch(1))
    store.mark_cancelled("gone")
    first = store.claim("p1", 30)
    assert first is not None
    assert (first.job_id, first.state) == ("old", JobState.RUNNING)
    second = store.claim("p2", 30)
    assert second is not None
    assert second.job_id == "new"
    assert store.claim("p1", 30) is None


def test_concurrent_claimers_never_share_a_job(database_url: str, engine: Engine) -> None:
    """Four claimers, each on its own engine (its own connections, as separate server
    processes would have), race for 40 queued jobs: every job is claimed exactly once."""
    store = SqlJobStore(engine)
    for i in range(40):
        store.create(queued(f"j{i:02d}", at=T0 + timedelta(milliseconds=i)), a_batch(1))
    taken: dict[str, list[str]] = {}
    go = threading.Barrier(4)

    def claimer(name: str) -> None:
        eng = make_engine(database_url)
        mine = SqlJobStore(eng)
        got = taken.setdefault(name, [])
        go.wait()
        while (job := mine.claim(name, 30)) is not None:
            got.append(job.job_id)
        eng.dispose()

    threads = [threading.Thread(target=claimer, args=(f"p{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    every = [j for got in taken.values() for j in got]
    assert sorted(every) == [f"j{i:02d}" for i in range(40)]  # each once, none lost
    assert all(store.get(j).state is JobState.RUNNING for j in every)


def test_a_lease_not_renewed_ends_the_job_as_interrupted(engine: Engine) -> None:
    """The owner's renew() keeps its claim; once the lease runs out, expire() (any process)
    fails the job UNAVAILABLE, retryable, and the owner's next renew() is refused. A job
    renewed in time is not expired, and another owner cannot renew it."""
    store = SqlJobStore(engine)
    store.create(queued("a"), a_batch(1))
    store.create(queued("b", at=T0 + timedelta(seconds=1)), a_batch(1))
    assert store.claim("p1", 0.2) is not None
    assert store.claim("p2", 60) is not None
    assert store.renew("a", "p1", 0.2)
    assert not store.renew("a", "p2", 60)
    time.sleep(0.4)
    assert SqlJobStore(engine).expire() == ("a",)
    got = store.get("a")
    assert got.state is JobState.FAILED
    assert got.error is not None
    assert got.error.code == "UNAVAILABLE"
    assert "interrupted" in got.error.message
    assert not store.renew("a", "p1", 30)
    assert store.batch("a") is None
    assert store.get("b").state is JobState.RUNNING


def test_an_idempotency_key_answers_the_job_it_created(engine: Engine) -> None:
    """The same tenant, key, spec and batch answer the first job (nothing new stored); the key
    with another batch is IdempotencyConflict naming the key; another tenant's key is its own."""
    store = SqlJobStore(engine)
    first = store.create(queued("a"), a_batch(3), key="k-1")
    again = store.create(queued("b"), a_batch(3), key="k-1")
    assert again.job_id == first.job_id == "a"
    with pytest.raises(IdempotencyConflict, match="'k-1'"):
        store.create(queued("c"), a_batch(3, sku="SKU-2"), key="k-1")
    other = store.create(queued("d", tenant="globex"), a_batch(3), key="k-1")
    assert other.job_id == "d"
    assert {j.job_id for j in store.list()} == {"a", "d"}


def test_queue_limits_count_the_tenants_own_jobs(engine: Engine) -> None:
    """Over max_queued_jobs (QUEUED jobs) or max_queued_returns (returns of QUEUED and RUNNING
    jobs) a submission is LimitReached with a retry delay and the quota it passed; another
    tenant is not affected; a claimed job frees a queue place but its returns still count;
    an ended job counts for nothing."""
    store = SqlJobStore(engine)
    limits = QueueLimits(max_queued_jobs=2, max_queued_returns=10, retry_after_s=7)
    store.create(queued("a", 4), a_batch(1), limits=limits)
    store.create(queued("b", 4, at=T0 + timedelta(seconds=1)), a_batch(1), limits=limits)
    with pytest.raises(LimitReached, match="2 plan jobs queued") as jobs:
        store.create(queued("c", 1), a_batch(1), limits=limits)
    assert jobs.value.retry_after_s == 7
    assert jobs.value.quota[0][0] == "tenant:acme"
    store.create(queued("x", 4, tenant="globex"), a_batch(1), limits=limits)
    assert store.claim("p1", 30) is not None  # a: RUNNING, its 4 returns still count
    with pytest.raises(LimitReached, match="8 returns") as returns:
        store.create(queued("c", 3), a_batch(1), limits=limits)
    assert "at most 10 returns" in returns.value.quota[0][1]
    store.create(queued("c", 2, at=T0 + timedelta(seconds=2)), a_batch(1), limits=limits)
    store.mark_cancelled("a")
    store.create(queued("d", 4, at=T0 + timedelta(seconds=3)), a_batch(1), limits=QueueLimits())


def test_a_tenant_pages_through_its_own_jobs(engine: Engine) -> None:
    """page() lists one tenant's jobs newest first, in pages that join without gap or overlap,
    optionally in one state, without their plans."""
    store = SqlJobStore(engine)
    for i in range(7):
        store.create(queued(f"a{i}", at=T0 + timedelta(seconds=i)), a_batch(1))
    store.create(queued("same-time", at=T0 + timedelta(seconds=3)), a_batch(1))
    store.create(queued("g0", tenant="globex"), a_batch(1))
    store.mark_cancelled("a2")
    seen: list[str] = []
    cursor = None
    while True:
        jobs, cursor = store.page("acme", size=3, after=cursor, state=None)
        seen.extend(j.job_id for j in jobs)
        if cursor is None:
            break
    assert seen == ["a6", "a5", "a4", "same-time", "a3", "a2", "a1", "a0"]
    cancelled, more = store.page("acme", size=10, after=None, state=JobState.CANCELLED)
    assert [j.job_id for j in cancelled] == ["a2"]
    assert more is None
    assert store.page("nobody", size=5, after=None, state=None) == ((), None)


def test_migration_0006_goes_down_and_up_again(engine: Engine) -> None:
    """Downgrading 0006 drops the queue columns (jobs kept), upgrading again restores them; a
    job left QUEUED across it (no batch) is failed as interrupted by the first claim."""
    from tests.routing.store.test_stored_form_migrations import _alembic

    store = SqlJobStore(engine)
    store.create(queued("a"), a_batch(1), key="k")
    _alembic(engine, "0005", down=True)
    with engine.connect() as conn:
        assert "batch" not in {c["name"] for c in inspect(conn).get_columns("plan_jobs")}
    _alembic(engine, "head")
    assert store.get("a").state is JobState.QUEUED
    assert store.claim("p1", 30) is None
    got = store.get("a")
    assert got.state is JobState.FAILED
    assert got.error is not None
    assert "interrupted" in got.error.message
