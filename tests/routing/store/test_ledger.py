"""The reclaim ledger on a real database: claims opened from stored decisions, their lifecycle,
expiry, tenants kept apart, paging and filters (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from customs.api import Claimant, Confidence, Reclaim, RuleRef
from routing.decide.domain import Decision
from routing.errors import InvalidInput, NotPermitted, UnknownResource
from routing.store.claims import ClaimAction, ClaimRefused, ClaimState, ClaimUpdate
from routing.store.ledger import ClaimFilter, SqlClaimLedger
from routing.store.sql import SqlDecisionStore
from routing.store.tenants import register_network
from tests.routing.store.test_codec import golden_decision

TODAY = date(2026, 11, 23)


def _reclaim(
    rule_id: str, route: str, duty: int, vat: int, deadline: date, **kw: object
) -> Reclaim:
    rule = RuleRef(rule_id, "test basis", ("S04",), date(2021, 7, 1), None, Confidence.LOW)
    return Reclaim(
        route,
        duty,
        vat,
        deadline,
        Claimant.IMPORTER_OF_RECORD,
        (),
        ("original_import_entry",),
        rule,
        **kw,  # type: ignore[arg-type]
    )


def drawback_and_vat(decision_id: str) -> Decision:
    """A decision whose chosen option recovers a US drawback on one crossing and an EU VAT
    reclaim on another, plus a route listed at 0 (no claim for it)."""
    d = golden_decision()
    hub = d.chosen.shipments[0]
    base = hub.customs[0]
    us = replace(
        base,
        export_country="US",
        reclaims=(
            _reclaim(
                "reclaim.US.1313j",
                "US drawback",
                2945,
                0,
                date(2031, 10, 10),
                export_by=date(2031, 10, 10),
            ),
            _reclaim("reclaim.US.1313c", "US retail returns", 0, 0, date(2031, 10, 10)),
        ),
    )
    eu = replace(
        base,
        export_country="FR",
        reclaims=(
            _reclaim("reclaim.EU.invalidation", "EU invalidation", 0, 2400, date(2027, 1, 31)),
        ),
    )
    chosen = replace(d.chosen, shipments=(replace(hub, customs=(us, eu)), *d.chosen.shipments[1:]))
    return replace(d, decision_id=decision_id, idempotency_key=decision_id, chosen=chosen)


def _store(engine: Engine) -> SqlDecisionStore:
    return SqlDecisionStore(engine, register_network(engine, "test", "# test network"))


def _put(store: SqlDecisionStore, tenant: str, d: Decision) -> None:
    store.put(tenant, d.idempotency_key or "", "fp-" + d.decision_id, d, (), {})


def test_a_decision_opens_a_claim_per_route_with_an_amount(engine: Engine) -> None:
    store, ledger = _store(engine), SqlClaimLedger(engine)
    _put(store, "acme", drawback_and_vat("dec-a"))
    page = ledger.page("acme", ClaimFilter(), today=TODAY, size=10)
    assert [(c.rule_id, c.amount_minor, c.deadline) for c in page.items] == [
        ("reclaim.EU.invalidation", 2400, date(2027, 1, 31)),  # by deadline
        ("reclaim.US.1313j", 2945, date(2031, 10, 10)),
    ]
    drawback = page.items[1]
    assert drawback.export_by == date(2031, 10, 10)
    assert drawback.claimant is Claimant.IMPORTER_OF_RECORD
    assert drawback.required_evidence == (
        "original_import_entry",
        "carrier_tracking",
        "commercial_invoice",
    )
    assert all(c.state_on(TODAY) is ClaimState.ELIGIBLE for c in page.items)
    assert "fact base" in drawback.cash_note
    assert drawback.expected_cash_date is None
    assert ledger.catch_up() == 0  # opened once
    _put(store, "acme", drawback_and_vat("dec-a"))  # the same key: no second decision
    assert len(ledger.page("acme", ClaimFilter(), today=TODAY, size=10).items) == 2


def test_the_lifecycle_to_the_cash(engine: Engine) -> None:
    store, ledger = _store(engine), SqlClaimLedger(engine)
    _put(store, "acme", drawback_and_vat("dec-b"))
    claim_id = "dec-b-c1"  # the drawback: first in decision order
    with pytest.raises(ClaimRefused, match="evidence missing: original_import_entry"):
        ledger.update("acme", claim_id, ClaimUpdate(action=ClaimAction.FILE), today=TODAY)
    evidence = {
        "original_import_entry": "ENTRY-123",
        "carrier_tracking": "1Z999",
        "commercial_invoice": "INV-9",
    }
    claim = ledger.update("acme", claim_id, ClaimUpdate(evidence=evidence), today=TODAY)
    assert claim.stored_state is ClaimState.EVIDENCE_COMPLETE
    claim = ledger.update("acme", claim_id, ClaimUpdate(action=ClaimAction.FILE), today=TODAY)
    assert (claim.stored_state, claim.filed_on) == (ClaimState.FILED, TODAY)
    with pytest.raises(ClaimRefused, match="before the claim is filed"):
        ledger.update(
            "acme", claim_id, ClaimUpdate(evidence={"carrier_tracking": "x"}), today=TODAY
        )
    paid = ClaimUpdate(
        action=ClaimAction.MARK_PAID, received_minor=2900, received_currency="EUR", on=TODAY
    )
    early = replace(paid, on=TODAY - timedelta(days=1))  # before it was filed
    with pytest.raises(InvalidInput, match="before the claim was filed"):
        ledger.update("acme", claim_id, early, today=TODAY)
    claim = ledger.update("acme", claim_id, paid, today=TODAY)
    assert (claim.stored_state, claim.received_minor) == (ClaimState.PAID, 2900)
    again = ledger.get("acme", claim_id)
    assert (again.stored_state, again.received_minor, again.evidence) == (
        ClaimState.PAID,
        2900,
        evidence,
    )


def test_a_claim_past_its_deadline_reads_expired_and_cannot_be_filed(engine: Engine) -> None:
    store, ledger = _store(engine), SqlClaimLedger(engine)
    _put(store, "acme", drawback_and_vat("dec-c"))
    late = date(2027, 2, 1)  # the invalidation's deadline was 2027-01-31
    expired = ledger.page("acme", ClaimFilter(state=ClaimState.EXPIRED), today=late, size=10)
    assert [c.rule_id for c in expired.items] == ["reclaim.EU.invalidation"]
    assert expired.items[0].state_on(late) is ClaimState.EXPIRED
    eligible = ledger.page("acme", ClaimFilter(state=ClaimState.ELIGIBLE), today=late, size=10)
    assert [c.rule_id for c in eligible.items] == ["reclaim.US.1313j"]
    with pytest.raises(ClaimRefused, match="deadline 2027-01-31 has passed"):
        ledger.update("acme", "dec-c-c2", ClaimUpdate(action=ClaimAction.FILE), today=late)


def test_tenants_are_kept_apart(engine: Engine) -> None:
    store, ledger = _store(engine), SqlClaimLedger(engine)
    _put(store, "acme", drawback_and_vat("dec-d"))
    assert ledger.page("globex", ClaimFilter(), today=TODAY, size=10).items == ()
    with pytest.raises(NotPermitted):
        ledger.get("globex", "dec-d-c1")
    with pytest.raises(NotPermitted):
        ledger.update("globex", "dec-d-c1", ClaimUpdate(evidence={}), today=TODAY)
    with pytest.raises(UnknownResource):
        ledger.get("acme", "dec-nope-c1")


def test_bad_updates_name_the_field(engine: Engine) -> None:
    store, ledger = _store(engine), SqlClaimLedger(engine)
    _put(store, "acme", drawback_and_vat("dec-e"))
    bad = ClaimUpdate(
        evidence={"passport": "x"},
        action=ClaimAction.MARK_PAID,
        received_minor=-1,
        on=TODAY + timedelta(days=1),
    )
    with pytest.raises(InvalidInput) as raised:
        ledger.update("acme", "dec-e-c1", bad, today=TODAY)
    assert {v.field for v in raised.value.violations} == {"evidence[passport]", "on", "received"}
    with pytest.raises(InvalidInput, match="page_token"):
        ledger.page("acme", ClaimFilter(), today=TODAY, size=10, token="!!")


def test_paging_and_filters(engine: Engine) -> None:
    store, ledger = _store(engine), SqlClaimLedger(engine)
    for n in range(3):
        _put(store, "acme", drawback_and_vat(f"dec-p{n}"))
    seen: list[str] = []
    token = ""
    while True:
        page = ledger.page("acme", ClaimFilter(), today=TODAY, size=4, token=token)
        seen += [c.claim_id for c in page.items]
        if not page.next_token:
            break
        token = page.next_token
    assert len(seen) == len(set(seen)) == 6
    us = ledger.page("acme", ClaimFilter(export_country="US"), today=TODAY, size=10)
    assert {c.rule_id for c in us.items} == {"reclaim.US.1313j"}
    soon = ClaimFilter(deadline_before=date(2027, 12, 31))
    assert {c.rule_id for c in ledger.page("acme", soon, today=TODAY, size=10).items} == {
        "reclaim.EU.invalidation"
    }
    by_route = ClaimFilter(rule_id="reclaim.US.1313j")
    assert len(ledger.page("acme", by_route, today=TODAY, size=10).items) == 3
