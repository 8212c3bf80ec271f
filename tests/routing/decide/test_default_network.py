"""The engine on the embedded default network with the real customs engine and FX table."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import customs
from customs.api import ReturnReason
from hubs import default_network
from hubs.model import ConditionGrade, FacilityKind
from routing.decide.domain import Constraints, DestinationKind, Item, Return, Term
from routing.decide.router import Router
from routing.errors import NoFeasibleOption

DAY = date(2026, 11, 2)


@cache
def router() -> Router:
    return Router(
        default_network(), customs.default_engine(), customs.default_fx(), compiled_on=DAY
    )


def a_return(country: str, origin: str, *, value_minor: int = 12_000, **changes: object) -> Return:
    item = Item(
        sku="SKU-1",
        hs_code="620193",
        value_minor=value_minor,
        currency="EUR",
        weight_g=900,
        dims_mm=(350, 250, 80),
        quantity=1,
        grade=ConditionGrade.A,
        reason=ReturnReason.WRONG_SIZE,
    )
    ret = Return(
        items=(item,),
        customer_country=country,
        customer_postal_code="12345",
        origin_facility_id=origin,
        import_date=date(2026, 10, 15),
        duty_paid_minor=0,
        vat_paid_minor=0,
        paid_currency="EUR",
        return_date=DAY,
    )
    return replace(ret, **changes)  # type: ignore[arg-type]


ORIGINS = sorted(
    f.id for f in default_network().facilities.values() if f.kind is FacilityKind.ORIGIN
)


@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("country", sorted(default_network().regions))
def test_every_served_country_gets_a_consistent_decision(country: str, origin: str) -> None:
    """Every customer country of the default network, to each origin: a decision whose chosen
    option is no dearer than any alternative, with net costs equal to the sum of their terms."""
    d = router().route(a_return(country, origin))
    options = [d.chosen, *d.alternatives]
    assert all(d.chosen.net_cost_minor <= o.net_cost_minor for o in options)
    for o in options:
        assert o.net_cost_minor == sum(t.amount_minor for s in o.shipments for t in s.terms)
        assert sum(a.quantity for s in o.shipments for a in s.items) == 1


@settings(max_examples=25, deadline=None)
@given(
    country=st.sampled_from(sorted(default_network().regions)),
    origin=st.sampled_from(ORIGINS),
    value=st.integers(500, 300_000),
    duty=st.integers(0, 5_000),
    vat=st.integers(0, 9_000),
    weight=st.integers(100, 20_000),
)
def test_pruned_answer_equals_full_ranking(
    country: str, origin: str, value: int, duty: int, vat: int, weight: int
) -> None:
    """The engine skips customs for routes whose lower bound cannot make the answer; the
    options it returns are exactly the cheapest ones of a full evaluation of every route."""
    base = a_return(country, origin, value_minor=value, duty_paid_minor=duty, vat_paid_minor=vat)
    base = replace(base, items=(replace(base.items[0], weight_g=weight),))
    try:
        short = router().route(replace(base, constraints=Constraints(max_alternatives=2)))
    except NoFeasibleOption:
        return
    full = router().route(replace(base, constraints=Constraints(max_alternatives=50)))
    got = [o.net_cost_minor for o in (short.chosen, *short.alternatives)]
    want = [o.net_cost_minor for o in (full.chosen, *full.alternatives)][: len(got)]
    assert got == want


def test_gb_return_to_eu_origin_gets_relief_and_seller_vat_back() -> None:
    """GB -> the DE origin: duty-free re-entry (returned-goods relief) and the VAT collected at
    checkout comes back through the seller's return."""
    ret = a_return(
        "GB",
        "origin_de_hh",
        vat_paid_minor=2_000,
        paid_currency="GBP",
        vat_collected_at_checkout=True,
        constraints=Constraints(max_alternatives=50, allow_returnless=False),
    )
    d = router().route(ret)
    to_origin = [
        o
        for o in (d.chosen, *d.alternatives)
        if o.shipments[0].destination_id == "origin_de_hh" and len(o.shipments[0].legs) == 1
    ]
    assert to_origin
    t = to_origin[0].totals()
    assert t.get(Term.DUTY_DUE, 0) == 0
    assert t.get(Term.VAT_RECLAIM, 0) < 0
    crossing = to_origin[0].shipments[0].customs[0]
    assert crossing.border
    assert crossing.relief


def test_intra_eu_return_has_no_border() -> None:
    """Crossings between EU members (FR customer, NL hub, DE origin) have no border: no duty,
    no documents; and goods coming back into the EU via a non-EU hub are relieved."""
    d = router().route(a_return("FR", "origin_de_hh", constraints=Constraints(max_alternatives=50)))
    for o in (d.chosen, *d.alternatives):
        for s in o.shipments:
            if s.destination_kind is DestinationKind.NONE:
                continue
            for a in s.customs:
                if {a.export_country, a.import_country} <= {"DE", "NL", "FR"}:
                    assert not a.border
                    assert a.documents == ()
                    assert a.duty_due_minor == 0
                if a.import_country == "DE" and a.export_country not in {"DE", "NL", "FR"}:
                    assert a.duty_due_minor == 0, a.notes
                    assert a.relief
