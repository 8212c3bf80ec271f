"""Customs along a route (issue 12 item 1): every exit and entry on the goods' path is assessed,
and the reclaim of what was paid is credited where the goods leave the customs area it was paid
in, wherever that falls on the route. Real customs engine, FX table and default network."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

import customs
from customs.api import Channel, ReturnReason
from hubs import default_network
from hubs.model import ConditionGrade
from routing.decide.customs_terms import Hop, walk_amounts, walk_assessments
from routing.decide.domain import Constraints, DestinationKind, Item, Return, Term
from routing.decide.router import Router

DAY = date(2026, 11, 2)
EU = ("AT", "BE", "CZ", "DE", "DK", "ES", "FI", "FR", "IE", "IT", "NL", "PL", "PT", "SE")
OUTSIDE = ("US", "GB", "CH", "CA", "JP", "AU", "NO")


@cache
def router() -> Router:
    return Router(
        default_network(), customs.default_engine(), customs.default_fx(), compiled_on=DAY
    )


def a_return(country: str, *, value_minor: int, duty: int, vat: int, **changes: object) -> Return:
    item = Item(
        sku="SKU-1",
        hs_code="620193",
        value_minor=value_minor,
        currency="EUR",
        weight_g=900,
        dims_mm=(350, 250, 80),
        quantity=1,
        grade=changes.pop("grade", ConditionGrade.A),  # type: ignore[arg-type]
        reason=changes.pop("reason", ReturnReason.WRONG_SIZE),  # type: ignore[arg-type]
    )
    ret = Return(
        items=(item,),
        customer_country=country,
        customer_postal_code="12345",
        origin_facility_id="origin_us_pa",
        import_date=date(2026, 10, 15),
        duty_paid_minor=duty,
        vat_paid_minor=vat,
        paid_currency="EUR",
        return_date=DAY,
    )
    return replace(ret, **changes)  # type: ignore[arg-type]


def _reclaimed(ret: Return, hops: list[Hop]) -> int:
    _, _, ctx, whole = router()._context(ret)
    got = walk_assessments(ctx, hops, whole)
    amounts = walk_amounts(ctx, hops, whole)
    full = sum(c.duty_minor + c.vat_minor for a in got for c in a.reclaims)
    assert full == sum(a.reclaim_duty_minor + a.reclaim_vat_minor for a in amounts)
    return full


@settings(max_examples=60, deadline=None)
@given(
    customer=st.sampled_from(EU),
    inside=st.lists(
        st.tuples(st.sampled_from(EU), st.booleans(), st.sampled_from(list(Channel))),
        max_size=3,
    ),
    exit_to=st.sampled_from(OUTSIDE),
    exit_channel=st.sampled_from(list(Channel)),
    value=st.integers(500, 60_000),
    duty=st.integers(0, 5_000),
    vat=st.integers(0, 12_000),
    reason=st.sampled_from(list(ReturnReason)),
    grade=st.sampled_from(list(ConditionGrade)),
)
def test_moving_the_export_point_inside_the_union_keeps_the_reclaim(
    customer: str,
    inside: list[tuple[str, bool, Channel]],
    exit_to: str,
    exit_channel: Channel,
    value: int,
    duty: int,
    vat: int,
    reason: ReturnReason,
    grade: ConditionGrade,
) -> None:
    """Whatever EU stops (bonded or not, by any channel) the goods pass before they leave the
    EU, the reclaim credited equals that of leaving the EU straight from the customer's
    country by the same exit channel: the union's repayment does not depend on the member
    state of exit, and no stop inside the union consumes or doubles it."""
    ret = a_return(customer, value_minor=value, duty=duty, vat=vat, reason=reason, grade=grade)
    out = Hop(exit_to, "", False, exit_channel, "exit")
    direct = _reclaimed(ret, [out])
    via = _reclaimed(
        ret, [*(Hop(c, "", b, ch, f"stop{i}") for i, (c, b, ch) in enumerate(inside)), out]
    )
    assert via == direct
    assert via <= duty + vat + 10  # never more than was paid (EUR both sides, rounding)


def test_no_reclaim_without_leaving_the_union() -> None:
    """Goods that stay inside the EU (FR customer, DE then NL) reclaim nothing: nothing left."""
    ret = a_return("FR", value_minor=9_000, duty=500, vat=1_800)
    hops = [Hop("DE", "", False, Channel.COURIER, "a"), Hop("NL", "", True, Channel.FREIGHT, "b")]
    assert _reclaimed(ret, hops) == 0


def test_the_reclaim_is_credited_once_when_the_goods_leave_and_come_back() -> None:
    """Leaving the EU and re-entering it later does not credit the original import twice."""
    ret = a_return("FR", value_minor=9_000, duty=0, vat=1_800)
    once = _reclaimed(ret, [Hop("CH", "", False, Channel.COURIER, "a")])
    assert once > 0
    there_and_back = [
        Hop("CH", "", False, Channel.COURIER, "a"),
        Hop("DE", "", True, Channel.FREIGHT, "b"),
        Hop("US", "", False, Channel.FREIGHT, "c"),
    ]
    assert _reclaimed(ret, there_and_back) == once


def _readme_return(**changes: object) -> Return:
    item = Item(
        "SKU",
        "610910",
        3500,
        "EUR",
        300,
        (300, 250, 40),
        1,
        ConditionGrade.A,
        ReturnReason.WRONG_SIZE,
    )
    ret = Return(
        (item,),
        "FR",
        "75011",
        "origin_us_pa",
        date(2026, 10, 20),
        0,
        700,
        "EUR",
        DAY,
        constraints=Constraints(max_alternatives=10),
    )
    return replace(ret, **changes)  # type: ignore[arg-type]


def test_readme_example_reclaims_on_the_hub_route() -> None:
    """The README's example (FR customer, EUR 35 T-shirt, EUR 7 import VAT, US origin): the
    route through the Venlo hub to the US origin credits the EUR 7 VAT on the hub's export,
    like a direct parcel to the US would, and so beats the Paris 3PL."""
    d = router().route(_readme_return())
    chosen = d.chosen.shipments[0]
    assert d.chosen.label.startswith("hub_nl_venlo>origin_us_pa/")
    assert d.chosen.totals()[Term.VAT_RECLAIM] == -700
    (exit_,) = [a for a in chosen.customs if a.border]
    assert (exit_.export_country, exit_.import_country) == ("NL", "US")
    assert exit_.reclaims
    assert "EU_proof_of_export" in {d.code for d in exit_.documents}
    hub_routes = [
        o
        for o in (d.chosen, *d.alternatives)
        if o.shipments[0].legs
        and o.shipments[0].legs[0].to_facility == "hub_nl_venlo"
        and o.shipments[0].destination_kind is DestinationKind.ORIGIN
    ]
    assert len(hub_routes) >= 2
    assert all(o.totals().get(Term.VAT_RECLAIM) == -700 for o in hub_routes)


def test_a_return_through_the_eu_hub_reclaims_the_german_duty_and_vat() -> None:
    """A defective German return (duty and VAT paid) sent through the Venlo hub to the US
    origin shows the duty and VAT reclaimed on the hub route, the same as straight to the US."""
    ret = a_return(
        "DE",
        value_minor=12_000,
        duty=1_440,
        vat=2_554,
        reason=ReturnReason.DEFECTIVE,
        constraints=Constraints(max_alternatives=20),
    )
    d = router().route(ret)
    options = {o.label: o for o in (d.chosen, *d.alternatives)}
    hub = [o for k, o in options.items() if k.startswith("hub_nl_venlo>origin_us_pa/")]
    direct = [o for k, o in options.items() if k.startswith("origin_us_pa/")]
    assert hub
    assert direct
    for o in hub + direct:
        t = o.totals()
        assert t[Term.DUTY_RECLAIM] + t[Term.VAT_RECLAIM] == -(1_440 + 2_554), o.label
