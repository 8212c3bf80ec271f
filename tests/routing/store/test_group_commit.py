"""The group commit (routing.store.group_commit): decisions sharing one transaction stay
isolated from each other, on SQLite and PostgreSQL. Batches are built explicitly
(``commit_batch``), so what shares a transaction does not depend on timing."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sqlite3
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Engine, func, select

from routing.decide.domain import Constraints, Decision
from routing.errors import DeadlinePassed, IdempotencyConflict
from routing.rpc.app import INLINE_MAX_ITEM_LINES, RoutingApp, routes_inline
from routing.store import group_commit
from routing.store.codec import encode_decision
from routing.store.database import make_engine, upgrade
from routing.store.decisions import CapacityTaken, fingerprint, holds_of
from routing.store.group_commit import Put
from routing.store.sql import SqlDecisionStore
from routing.store.tables import DecisionRow, FacilityDay, Reservation
from tests.routing.fakes import a_return, item
from tests.routing.store.test_sql_store import app_on

DAY = date(2026, 11, 2)


def sql_store(app: RoutingApp) -> SqlDecisionStore:
    assert isinstance(app.store, SqlDecisionStore)
    return app.store


def put(
    app: RoutingApp,
    decision: Decision,
    *,
    key: str = "",
    fp: str = "fp",
    tenant: str = "acme",
    capacity: dict[str, int] | None = None,
) -> Put:
    store = sql_store(app)
    return Put(
        store._tenant_for_put(tenant),
        key,
        fp,
        decision,
        encode_decision(decision),
        holds_of(decision),
        app.capacity if capacity is None else capacity,
        concurrent.futures.Future(),
    )


def outcome(p: Put) -> Decision | BaseException:
    assert isinstance(p.waiter, concurrent.futures.Future)
    exc = p.waiter.exception(timeout=10)
    return exc if exc is not None else p.waiter.result()


def count(engine: Engine, what: ColumnElement[Any]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(what)).scalar_one() or 0)


def test_a_hold_that_does_not_fit_fails_only_its_own_decision(engine: Engine) -> None:
    """Three decisions in one transaction, room for two: the third is CapacityTaken and
    leaves nothing behind (no row, no hold, no reservation); the other two are stored."""
    app = app_on(engine)
    ds = [app.router.route(a_return(item(quantity=2))) for _ in range(3)]
    facility = holds_of(ds[0])[0].facility_id
    cap = {facility: 4}  # two decisions of two units
    batch = [put(app, d, capacity=cap) for d in ds]
    sql_store(app)._committer.commit_batch(batch)
    got = [outcome(p) for p in batch]
    assert got[:2] == ds[:2]
    assert isinstance(got[2], CapacityTaken)
    assert got[2].facility_id == facility
    assert count(engine, func.count(DecisionRow.seq)) == 2
    assert count(engine, func.sum(Reservation.units)) == 4
    assert count(engine, func.sum(FacilityDay.reserved_units)) == 4


def test_twins_in_one_transaction_store_one_decision(engine: Engine) -> None:
    """The same tenant and key twice in one transaction: one decision stored, capacity held
    once, both callers answered that decision; a third with another request under the key
    is a IdempotencyConflict."""
    app = app_on(engine)
    ret = replace(a_return(item(quantity=2)), idempotency_key="twin")
    first, second, other = (app.router.route(ret) for _ in range(3))
    fp = fingerprint(ret)
    batch = [
        put(app, first, key="twin", fp=fp),
        put(app, second, key="twin", fp=fp),
        put(app, other, key="twin", fp="another request"),
    ]
    sql_store(app)._committer.commit_batch(batch)
    got = [outcome(p) for p in batch]
    assert got[0] == first
    assert got[1] == first  # the stored one, not its own
    assert isinstance(got[2], IdempotencyConflict)
    assert count(engine, func.count(DecisionRow.seq)) == 1
    assert count(engine, func.sum(Reservation.units)) == 2


def test_a_twin_whose_first_is_refused_is_stored_itself(engine: Engine) -> None:
    """The first of two twins is refused (its hold does not fit) and gives its key back: the
    second, which fits elsewhere, is then stored under the key."""
    app = app_on(engine)
    ret = replace(a_return(item(quantity=2)), idempotency_key="k")
    first = app.router.route(ret)
    facility = holds_of(first)[0].facility_id
    second = app.router.route(ret, full_facilities=frozenset({facility}))
    assert holds_of(second)[0].facility_id != facility
    cap = {**app.capacity, facility: 1}
    fp = fingerprint(ret)
    batch = [put(app, first, key="k", fp=fp, capacity=cap), put(app, second, key="k", fp=fp)]
    sql_store(app)._committer.commit_batch(batch)
    assert isinstance(outcome(batch[0]), CapacityTaken)
    assert outcome(batch[1]) == second
    assert sql_store(app).get("acme", "k", fp) == second


def test_a_failing_statement_fails_only_its_own_decision(engine: Engine) -> None:
    """A decision the database refuses (here: an unknown tenant id, a foreign key violation)
    fails the shared transaction; each decision is then tried alone, so only that caller
    gets the error."""
    app = app_on(engine)
    good = [app.router.route(a_return()) for _ in range(2)]
    bad = replace(put(app, app.router.route(a_return())), tenant_id=987654)
    batch = [put(app, good[0]), bad, put(app, good[1])]
    sql_store(app)._committer.commit_batch(batch)
    assert outcome(batch[0]) == good[0]
    assert outcome(batch[2]) == good[1]
    assert not isinstance(outcome(bad), Decision)
    assert count(engine, func.count(DecisionRow.seq)) == 2


def test_put_async_is_answered_after_the_commit(engine: Engine) -> None:
    """Concurrent put_async calls on one event loop are each answered with their decision,
    which is then in the database (read through another connection)."""
    app = app_on(engine)
    store = sql_store(app)
    ds = [app.router.route(a_return()) for _ in range(20)]

    async def main() -> list[Decision]:
        return await asyncio.gather(
            *(store.put_async("acme", "", "fp", d, holds_of(d), app.capacity) for d in ds)
        )

    assert asyncio.run(main()) == ds
    for d in ds:
        assert store.find("acme", d.decision_id).decision == d
    store.close()


@pytest.mark.parametrize("alone", [True, False])
def test_route_return_async_matches_route_return(engine: Engine, alone: bool) -> None:
    """The event-loop path keeps the contract of route_return: a key replays its decision
    (also when asked concurrently), and capacity is held once."""
    app = app_on(engine)
    ret = replace(a_return(item(quantity=1)), idempotency_key="async")

    async def main() -> list[Decision]:
        if alone:
            return [await app.route_return_async(ret, tenant="acme") for _ in range(3)]
        return list(
            await asyncio.gather(*(app.route_return_async(ret, tenant="acme") for _ in range(8)))
        )

    got = asyncio.run(main())
    assert len({d.decision_id for d in got}) == 1
    assert app.route_return(ret, tenant="acme") == got[0]
    assert count(engine, func.sum(Reservation.units)) == 1


def test_only_returns_that_cannot_split_are_routed_on_the_event_loop() -> None:
    """A split runs CP-SAT for up to its time limit: such returns go to a thread."""
    one = a_return(item(quantity=1))
    two = a_return(item(quantity=2))
    assert routes_inline(one, None)
    assert not routes_inline(two, None)
    assert routes_inline(two, 0.0)  # no time for a split
    assert routes_inline(replace(two, constraints=Constraints(allow_split=False)), None)
    many = a_return(*(item(sku=f"S{i}") for i in range(INLINE_MAX_ITEM_LINES + 1)))
    assert not routes_inline(replace(many, constraints=Constraints(allow_split=False)), None)


def test_a_locked_sqlite_database_does_not_block_the_event_loop(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite, event-loop callers commit on the loop; while another connection holds the
    write lock, their decision waits in the writer thread instead, the loop keeps running,
    and the answer comes once the lock is released. Checkpoints (asked for here after every
    commit) run in the writer thread."""
    monkeypatch.setattr(group_commit, "CHECKPOINT_BYTES", 1)
    path = tmp_path / "locked.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    app = app_on(engine)
    store = sql_store(app)
    store._tenant_for_put("acme")
    first, second = (app.router.route(a_return()) for _ in range(2))
    blocker = sqlite3.connect(path, isolation_level=None)

    async def main() -> None:
        assert await store.put_async("acme", "", "fp", first, holds_of(first), app.capacity)
        blocker.execute("BEGIN IMMEDIATE")
        waiting = asyncio.ensure_future(
            store.put_async("acme", "", "fp", second, holds_of(second), app.capacity)
        )
        for _ in range(20):  # the loop turns while the decision waits for the lock
            await asyncio.sleep(0)
        assert not waiting.done()
        blocker.execute("COMMIT")
        assert await waiting == second

    with caplog.at_level(logging.WARNING, logger="reroute.db"):
        asyncio.run(main())
        store.close()
    assert store.find("acme", second.decision_id).decision == second
    assert not [r for r in caplog.records if "checkpoint" in r.getMessage()]
    blocker.close()
    engine.dispose()


def test_a_decision_past_its_deadline_is_not_stored(engine: Engine) -> None:
    """A decision whose ``commit_by`` has passed when its transaction starts is answered
    DeadlinePassed and leaves nothing; its batch mates are stored."""
    app = app_on(engine)
    ds = [app.router.route(a_return(item(quantity=2))) for _ in range(2)]
    late = replace(put(app, ds[0]), commit_by=time.monotonic() - 1.0)
    on_time = replace(put(app, ds[1]), commit_by=time.monotonic() + 60.0)
    sql_store(app)._committer.commit_batch([late, on_time])
    assert isinstance(outcome(late), DeadlinePassed)
    assert outcome(on_time) == ds[1]
    assert count(engine, func.count(DecisionRow.seq)) == 1
    assert count(engine, func.sum(Reservation.units)) == 2
    assert count(engine, func.sum(FacilityDay.reserved_units)) == 2


def test_a_deadline_passing_inside_the_transaction_gives_everything_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deadline is looked at again right before the commit: a decision whose deadline
    passes after its row and holds were written is deleted and its holds given back (the
    clock is stepped: the first look is in time, the second is not)."""
    app = app_on(engine)
    d = app.router.route(a_return(item(quantity=2)))
    looks = iter([100.0, 200.0])
    monkeypatch.setattr(group_commit, "clock", lambda: next(looks))
    p = replace(put(app, d), commit_by=150.0)
    sql_store(app)._committer.commit_batch([p])
    assert isinstance(outcome(p), DeadlinePassed)
    assert count(engine, func.count(DecisionRow.seq)) == 0
    assert count(engine, func.count(Reservation.units)) == 0
    assert count(engine, func.sum(FacilityDay.reserved_units)) == 0


def test_a_caller_gone_before_the_commit_stores_nothing(engine: Engine) -> None:
    """An event-loop caller whose future is cancelled (the call was cancelled, or its
    deadline ended it) before the transaction: nothing stored."""
    app = app_on(engine)
    d = app.router.route(a_return(item(quantity=2)))
    loop = asyncio.new_event_loop()
    try:
        fut: asyncio.Future[Decision] = loop.create_future()
        fut.cancel()
        p = replace(put(app, d), waiter=(loop, fut))
        sql_store(app)._committer.commit_batch([p])
    finally:
        loop.close()
    assert count(engine, func.count(DecisionRow.seq)) == 0
    assert count(engine, func.sum(FacilityDay.reserved_units)) == 0
