"""The in-memory decision store keeps the DecisionStore contract the SQL one keeps
(tests/routing/store/test_sql_store.py): idempotency per tenant, atomic capacity holds,
tenant isolation, newest-first pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from routing.errors import IdempotencyConflict, NotPermitted, UnknownResource
from routing.rpc.app import RoutingApp
from routing.store.decisions import CapacityTaken, MemoryDecisionStore, holds_of
from tests.routing.fakes import FakeCustoms, FakeFx, a_return, item, small_network

DAY = date(2026, 11, 2)


def app() -> RoutingApp:
    return RoutingApp(
        small_network(), customs_assessor=FakeCustoms(), fx=FakeFx(), compiled_on=date(2026, 11, 1)
    )


def test_idempotency_and_holds() -> None:
    """A key answers its decision and holds once; another request under it is a IdempotencyConflict;
    keys are per tenant."""
    a = app()
    ret = replace(a_return(item(quantity=3)), idempotency_key="k")
    first = a.route_return(ret, tenant="acme")
    assert a.route_return(ret, tenant="acme") == first
    assert sum(a.store.reserved(DAY).values()) == 3
    with pytest.raises(IdempotencyConflict):
        a.route_return(replace(ret, items=(item(quantity=2),)), tenant="acme")
    assert a.route_return(ret, tenant="globex").decision_id != first.decision_id


def test_a_hold_beyond_capacity_stores_nothing() -> None:
    """put refuses a hold over capacity with CapacityTaken and stores nothing."""
    a = app()
    store = a.store
    assert isinstance(store, MemoryDecisionStore)
    d = a.router.route(a_return(item(quantity=2)))
    cap = {h.facility_id: 3 for h in holds_of(d)}
    store.put("t", "", "fp", d, holds_of(d), cap)
    d2 = a.router.route(a_return(item(quantity=2)))
    with pytest.raises(CapacityTaken):
        store.put("t", "", "fp", d2, holds_of(d2), cap)
    with pytest.raises(UnknownResource):
        store.find("t", d2.decision_id)
    assert len(store) == 1


def test_tenants_and_pages() -> None:
    """Another tenant's decision is NotPermitted; pages are newest first, each once."""
    a = app()
    mine = [a.route_return(a_return(), tenant="acme").decision_id for _ in range(5)]
    theirs = a.route_return(a_return(), tenant="globex").decision_id
    with pytest.raises(NotPermitted):
        a.get_decision(theirs, tenant="acme")
    seen: list[str] = []
    token = ""
    while True:
        page, token = a.list_decisions(tenant="acme", page_size=2, page_token=token)
        seen.extend(s.decision.decision_id for s in page.items)
        if not token:
            break
    assert seen == mine[::-1]
