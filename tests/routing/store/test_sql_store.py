"""The SQL decision store on a real database: migrations, idempotency under concurrency,
capacity holds, tenant isolation, paging."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, select

from routing.errors import (
    IdempotencyConflict,
    InvalidInput,
    NoFeasibleOption,
    NotPermitted,
    UnknownResource,
)
from routing.rpc.app import RoutingApp
from routing.store.database import DatabaseConfigError, current_revision, make_engine, upgrade
from routing.store.decisions import CapacityTaken, Hold, holds_of
from routing.store.sql import SqlDecisionStore
from routing.store.tables import Base, DecisionRow, FacilityDay, Reservation
from routing.store.tenants import register_network
from tests.routing.fakes import FakeCustoms, FakeFx, a_return, item, small_network

DAY = date(2026, 11, 2)


def app_on(engine: Engine, *, capacity: dict[str, int] | None = None) -> RoutingApp:
    net = small_network()
    if capacity:
        facilities = {
            k: replace(f, capacity_units_per_day=capacity.get(k, f.capacity_units_per_day))
            for k, f in net.facilities.items()
        }
        net = replace(net, facilities=facilities)
    store = SqlDecisionStore(engine, register_network(engine, net.name, "# test network"))
    return RoutingApp(
        net, customs_assessor=FakeCustoms(), fx=FakeFx(), store=store, compiled_on=date(2026, 11, 1)
    )


def test_migrations_match_the_models(engine: Engine) -> None:
    """After `upgrade`, the schema is exactly what the ORM models declare (no autogenerate
    diff), and upgrading again is a no-op."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert current_revision(engine) is not None
    upgrade(engine)


def test_bad_urls_name_the_problem() -> None:
    """Unusable URLs fail with a message saying what is wrong, not a driver traceback."""
    for url, words in [
        ("nonsense", "cannot parse"),
        ("mysql://x/y", "not supported"),
        ("postgresql+asyncpg://x/y", r"use postgresql\+psycopg"),
        ("sqlite://", "in-memory"),
    ]:
        with pytest.raises(DatabaseConfigError, match=words):
            make_engine(url)


def test_idempotent_decision_survives_a_new_store(engine: Engine) -> None:
    """The same key answers the same decision, also from a new process (a new store on the same
    database), and holds capacity once; another request under the key is a IdempotencyConflict."""
    app = app_on(engine)
    ret = replace(a_return(item(quantity=3)), idempotency_key="k-1")
    first = app.route_return(ret, tenant="acme")
    again = app_on(engine).route_return(ret, tenant="acme")
    assert again == first
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(Reservation.units))).scalar_one() == 3
    with pytest.raises(IdempotencyConflict):
        app.route_return(replace(ret, items=(item(quantity=2),)), tenant="acme")
    other = app.route_return(ret, tenant="globex")  # keys are per tenant
    assert other.decision_id != first.decision_id


def test_concurrent_identical_requests_hold_capacity_once(engine: Engine) -> None:
    """Eight threads sending the same keyed request at once all get one decision, and one
    hold is taken."""
    app = app_on(engine)
    ret = replace(a_return(item(quantity=2)), idempotency_key="race")
    got: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def call() -> None:
        try:
            start.wait()
            got.append(app.route_return(ret, tenant="acme").decision_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(got)) == 1
    assert len(got) == 8
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DecisionRow)).scalar_one() == 1
        assert conn.execute(select(func.sum(Reservation.units))).scalar_one() == 2


def test_full_facility_is_excluded_and_named(engine: Engine) -> None:
    """Decisions consume the receiving facility's daily capacity; once it cannot take a
    return, the next decision goes elsewhere and says why (CAPACITY_FULL:<facility>); when
    every facility is full, the answer is a CAPACITY_FULL precondition failure."""
    app = app_on(engine, capacity={"tpl_fr": 3, "hub_nl": 0, "origin_de": 0})
    ret = a_return(item(quantity=2, value_minor=4000))  # under the returnless cap
    no_returnless = replace(ret.constraints, allow_returnless=False, allow_split=False)
    first = app.route_return(replace(ret, constraints=no_returnless))
    assert first.chosen.shipments[0].legs[0].to_facility == "tpl_fr"
    with pytest.raises(NoFeasibleOption) as info:
        app.route_return(replace(ret, constraints=no_returnless))
    assert {v.type for v in info.value.violations} == {"CAPACITY_FULL"}
    assert "facility:tpl_fr" in {v.subject for v in info.value.violations}
    allowed = app.route_return(ret)  # returnless stays possible
    assert "CAPACITY_FULL:tpl_fr" in allowed.chosen.reason_codes
    with engine.connect() as conn:
        used = conn.execute(
            select(FacilityDay.reserved_units).where(FacilityDay.facility_id == "tpl_fr")
        ).scalar_one()
    assert used == 2 <= 3


def test_put_refuses_a_hold_that_no_longer_fits(engine: Engine) -> None:
    """A hold beyond capacity stores nothing and raises CapacityTaken."""
    app = app_on(engine)
    store = app.store
    d = app.router.route(a_return(item(quantity=2)))
    holds = holds_of(d)
    assert holds
    assert all(h.day == DAY for h in holds)
    cap = {h.facility_id: 3 for h in holds}
    store.put("acme", "", "fp", d, holds, cap)
    d2 = app.router.route(a_return(item(quantity=2)))
    with pytest.raises(CapacityTaken):
        store.put("acme", "", "fp", d2, holds_of(d2), cap)
    with pytest.raises(UnknownResource):
        store.find("acme", d2.decision_id)
    assert store.reserved(DAY) == {h.facility_id: 2 for h in holds}
    assert Hold("x", DAY, 1).units == 1


def test_tenants_are_isolated_and_pages_are_newest_first(engine: Engine) -> None:
    """A tenant reads its own decisions (PERMISSION_DENIED for another's), newest first, page
    by page with tokens, each decision exactly once."""
    app = app_on(engine)
    mine = [app.route_return(a_return(), tenant="acme").decision_id for _ in range(5)]
    theirs = app.route_return(a_return(), tenant="globex")
    assert app.get_decision(mine[0], tenant="acme").decision.decision_id == mine[0]
    with pytest.raises(NotPermitted):
        app.get_decision(theirs.decision_id, tenant="acme")
    with pytest.raises(UnknownResource):
        app.get_decision("nope", tenant="acme")
    seen: list[str] = []
    token = ""
    while True:
        page, token = app.list_decisions(tenant="acme", page_size=2, page_token=token)
        assert len(page.items) <= 2
        seen.extend(s.decision.decision_id for s in page.items)
        if not token:
            break
    assert seen == mine[::-1]
    with pytest.raises(InvalidInput, match="page_token"):
        app.list_decisions(tenant="acme", page_token="garbage!")
    with pytest.raises(InvalidInput, match="page_size"):
        app.list_decisions(tenant="acme", page_size=-1)
    page, _ = app.list_decisions(tenant="nobody")
    assert page.items == ()


def test_a_page_decodes_no_more_than_its_byte_budget(engine: Engine) -> None:
    """With ``max_bytes`` a page stops before the stored forms it would decode weigh more (one
    decision at least), and its cursor goes on from the last one kept: every decision is
    listed once, whatever the budget."""
    app = app_on(engine)
    ids = [
        app.route_return(
            replace(a_return(item()), idempotency_key=f"k{i}"), tenant="acme"
        ).decision_id
        for i in range(5)
    ]
    store = app.store
    assert isinstance(store, SqlDecisionStore)
    with engine.connect() as conn:
        weights = [len(b) for (b,) in conn.execute(select(DecisionRow.decision_blob))]
    one = max(weights)
    seen: list[str] = []
    before = None
    while True:
        page = store.page("acme", size=50, before=before, max_bytes=2 * one)
        assert 1 <= len(page.items) <= 2
        seen += [s.decision.decision_id for s in page.items]
        if page.next_before is None:
            break
        before = page.next_before
    assert sorted(seen) == sorted(ids)
    assert len(store.page("acme", size=50, before=None, max_bytes=1).items) == 1
