"""Issue 12 items 2-5 on the default network with the real customs engine and FX: parcels
packed within each service's limits, pallets for what no parcel service takes, local disposal
and the loss guard, the refund trigger, volumetric air line-haul; as a returns manager would
check them."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import customs
from customs.api import ReturnReason
from hubs import default_network
from hubs.model import ConditionGrade, Disposition, RefundTrigger
from routing.decide.costing import Evaluation, evaluate
from routing.decide.domain import (
    Constraints,
    DestinationKind,
    Item,
    MerchantPolicy,
    Option,
    Return,
    Term,
)
from routing.decide.parcels import Packing, pack, parcel
from routing.decide.router import Router
from routing.decide.split import _one_first_leg
from routing.errors import InvalidInput, NoFeasibleOption


@cache
def router() -> Router:
    return Router(
        default_network(),
        customs.default_engine(),
        customs.default_fx(),
        compiled_on=date(2026, 11, 22),
    )


def an_item(
    sku: str = "X",
    *,
    value: int = 8000,
    weight: int = 1000,
    dims: tuple[int, int, int] = (300, 200, 100),
    quantity: int = 1,
    grade: ConditionGrade = ConditionGrade.A,
) -> Item:
    return Item(
        sku, "940360", value, "EUR", weight, dims, quantity, grade, ReturnReason.CHANGED_MIND
    )


def a_return(
    *items: Item,
    country: str = "FR",
    origin: str = "origin_de_hh",
    policy: MerchantPolicy | None = None,
    constraints: Constraints | None = None,
) -> Return:
    return Return(
        items=items,
        customer_country=country,
        customer_postal_code="75001",
        origin_facility_id=origin,
        import_date=date(2026, 10, 1),
        duty_paid_minor=0,
        vat_paid_minor=0,
        paid_currency="EUR",
        return_date=date(2026, 11, 10),
        policy=policy or MerchantPolicy(),
        constraints=constraints or Constraints(),
    )


def options(ret: Return) -> list[Option]:
    d = router().route(replace(ret, constraints=Constraints(max_alternatives=50)), time_limit_s=0)
    return [d.chosen, *d.alternatives]


def term(o: Option, t: Term) -> int:
    return o.totals().get(t, 0)


# -- item 2: parcels -----------------------------------------------------------------------


def test_four_heavy_units_go_as_several_ground_parcels() -> None:
    """Four 10 kg units from France: the ground service packs them into parcels within its
    31.5 kg limit (two of 20 kg, cheaper than 30 + 10), priced per parcel; nothing is priced as
    one 40 kg express parcel any more when ground is cheaper."""
    ret = a_return(an_item(weight=10_000, dims=(600, 400, 300), quantity=4))
    d = router().route(ret, time_limit_s=0)
    leg = d.chosen.shipments[0].legs[0]
    assert leg.service_id == "dpd_classic_eu"
    carriage = next(t for t in d.chosen.shipments[0].terms if t.term is Term.PARCEL_CARRIAGE)
    assert "in 2 parcels" in carriage.detail
    assert carriage.amount_minor == 2 * 1935  # two 20 kg parcels of the DPD card, not 2395 + 1795
    assert d.chosen.net_cost_minor < 0  # the goods are worth bringing back
    # the express option (one 40 kg parcel) is far dearer than the ground parcels
    express = [
        o
        for o in options(ret)
        if o.shipments[0].legs and o.shipments[0].legs[0].service_id.startswith("dhl")
    ]
    assert express
    assert all(o.net_cost_minor > d.chosen.net_cost_minor + 50_000 for o in express)


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.integers(100, 30_000),  # weight g
            st.integers(50, 1700),
            st.integers(50, 900),
            st.integers(50, 600),
            st.integers(1, 12),
        ),
        min_size=1,
        max_size=4,
    ),
    service=st.sampled_from(["dpd_classic_eu", "dhl_express_worldwide", "eu_pallet_freight"]),
)
def test_a_packed_parcel_never_exceeds_its_service_limits(
    lines: list[tuple[int, int, int, int, int]], service: str
) -> None:
    """Whatever the units, every parcel of a packing is within the service's weight limit and
    its rate card's last weight break, the packing carries every gram, and each parcel is
    priced on its own billable weight; a unit no parcel of the service can take is refused."""
    r = router()
    items = tuple(
        an_item(f"S{i}", weight=w, dims=(a, b, c), quantity=q)
        for i, (w, a, b, c, q) in enumerate(lines)
    )
    ret = a_return(*items)
    _origin, _units, _ctx, whole = r._context(ret)
    route = next(x for x in r.compiled.routes("FR", "origin_de_hh") if x.service.id == service)
    svc, card = route.service, route.card
    got = pack(whole, svc, card, route.path.zone)
    if not isinstance(got, Packing):
        assert got.type in ("OVER_MAX_SIZE", "OVER_MAX_WEIGHT")
        return
    limit = min(svc.max_weight_g, card.weight_upper_g[-1])
    assert sum(got.actual_g) == whole.actual_g
    for actual, billable, price in zip(got.actual_g, got.billable_g, got.prices_minor, strict=True):
        assert actual <= limit
        assert billable <= limit
        assert price == card.price(route.path.zone, billable)


def test_a_unit_too_long_for_every_parcel_service_goes_on_a_pallet() -> None:
    """A 1.9 m item from France: every parcel service refuses it (over its size limits), the
    pallet service takes it; the pallet's price is on the rate card of the pallet network."""
    ret = a_return(an_item(value=90_000, weight=25_000, dims=(1900, 700, 600)))
    got = options(ret)
    shipped = [o for o in got if o.shipments[0].legs]
    assert shipped, "the pallet service takes what parcels do not"
    assert {o.shipments[0].legs[0].service_id for o in shipped} == {"eu_pallet_freight"}


def test_split_parts_with_one_first_leg_travel_as_one_consignment() -> None:
    """A return split between the Venlo hub's own disposition and its line-haul to Hamburg:
    both parts ride the same parcel service to Venlo, so they are priced as one consignment
    (carriage once, one receipt at the hub) and cost less than two parcels."""
    r = router()
    a = an_item("A", value=20_000, weight=3000, grade=ConditionGrade.A)
    d_ = an_item("D", value=2000, weight=3000, grade=ConditionGrade.D)
    ret = a_return(a, d_, country="ES")
    _origin, units, ctx, _whole = r._context(ret)
    routes = {x.key: x for x in r.compiled.routes("ES", "origin_de_hh")}
    hub = routes["dpd_classic_eu:hub_nl_venlo"]
    onward = routes["dpd_classic_eu:hub_nl_venlo>venlo_hamburg_road"]
    parts = [
        evaluate(ctx, onward, parcel(ctx, [units[0]]), 5000),
        evaluate(ctx, hub, parcel(ctx, [units[1]]), 5000),
    ]
    assert all(isinstance(p, Evaluation) for p in parts)
    apart = sum(p.net_cost_minor for p in parts if isinstance(p, Evaluation))
    shipments, codes = _one_first_leg(ctx, list(parts))  # type: ignore[arg-type]
    together = Option(shipments)
    assert codes == ("ONE_PARCEL_SPLIT_AT:hub_nl_venlo",)
    assert together.net_cost_minor < apart
    carriages = [t for s in shipments for t in s.terms if t.term is Term.PARCEL_CARRIAGE]
    assert [c.amount_minor > 0 for c in carriages] == [True, False]
    assert "split there" in carriages[1].detail
    # one 6 kg parcel of the DPD card (<= 10 kg), not two 3 kg ones
    assert carriages[0].amount_minor == hub.card.price(hub.path.zone, 6000)


# -- item 3: local disposal and the loss guard ----------------------------------------------

BULKY = an_item("BULKY", value=3000, weight=5000, dims=(900, 600, 500), grade=ConditionGrade.B)


def test_a_bulky_low_value_item_is_disposed_of_locally() -> None:
    """A EUR 30 bulky item in Japan: every parcel option is express at over EUR 1,800; the
    decision is to liquidate it through a local partner, with its handling and recovery terms
    named, and the express options are the alternatives."""
    d = router().route(a_return(BULKY, country="JP"), time_limit_s=0)
    s = d.chosen.shipments[0]
    assert s.destination_kind is DestinationKind.NONE
    assert not s.legs
    assert d.chosen.label == "local/liquidate"
    assert [a.disposition for a in s.items] == [Disposition.LIQUIDATE]
    assert term(d.chosen, Term.RECOVERY_VALUE) == -300  # 10 % of EUR 30
    assert term(d.chosen, Term.HANDLING) > 0
    assert {"DESTINATION_NONE", "LEAST_NET_COST"} <= set(d.chosen.reason_codes)
    assert d.loss_guard is None
    assert all(a.net_cost_minor > 100_000 for a in d.alternatives)


def test_the_loss_guard_names_the_cheapest_excluded_option() -> None:
    """When the merchant allows no local disposal, the same item must ship by express at a loss
    far over its value: the decision says so (LOSS_OVER_THRESHOLD) and names the cheapest
    option it excluded, the keep-it refund, and why (over the keep-it cap)."""
    ret = a_return(BULKY, country="JP", policy=MerchantPolicy(allow_local_disposal=False))
    d = router().route(ret, time_limit_s=0)
    assert "LOSS_OVER_THRESHOLD:3000" in d.chosen.reason_codes
    g = d.loss_guard
    assert g is not None
    assert g.loss_minor == d.chosen.net_cost_minor > g.threshold_minor == 3000  # the goods' value
    assert g.excluded_label == "returnless/returnless"
    assert g.excluded_because == "RETURNLESS_OVER_VALUE"
    assert g.excluded_net_cost_minor == 0
    assert "CHEAPEST_EXCLUDED:RETURNLESS_OVER_VALUE:0:returnless/returnless" in (
        d.chosen.reason_codes
    )


def test_keep_it_and_local_caps_are_merchant_policy_on_the_request() -> None:
    """A keep-it cap above the unit's value (the network's is EUR 20) makes the refund without
    return the answer; a local-disposal cap below it excludes local disposal, which the loss
    guard then names."""
    keep = MerchantPolicy(keep_it_max_value_minor=5000, currency="EUR")
    d = router().route(a_return(BULKY, country="JP", policy=keep), time_limit_s=0)
    assert d.chosen.label == "returnless/returnless"
    capped = MerchantPolicy(local_disposal_max_value_minor=1000, currency="EUR")
    d = router().route(a_return(BULKY, country="JP", policy=capped), time_limit_s=0)
    assert d.loss_guard is not None
    assert d.chosen.shipments[0].legs  # shipped, at a loss
    # the cap converts from the policy's currency: USD 50 is over EUR 30
    usd = MerchantPolicy(keep_it_max_value_minor=5000, currency="USD")
    d = router().route(a_return(BULKY, country="JP", policy=usd), time_limit_s=0)
    assert d.chosen.label == "returnless/returnless"


def test_a_loss_threshold_above_the_loss_lets_the_decision_pass() -> None:
    """The threshold is the merchant's: at 100x the goods' value the express loss is no
    exception to flag."""
    pol = MerchantPolicy(allow_local_disposal=False, max_loss_bp=1_000_000)
    d = router().route(a_return(BULKY, country="JP", policy=pol), time_limit_s=0)
    assert d.loss_guard is None
    assert not any(c.startswith("LOSS_OVER_THRESHOLD") for c in d.chosen.reason_codes)


def test_plan_choices_carry_local_disposal_as_route_return_costs_it() -> None:
    """The planner's options include local disposal, costed as RouteReturn costs it, and the
    shipment of that choice explains it term by term."""
    r = router()
    ret = a_return(BULKY, country="JP")
    choices = {c.key: c for c in r.plan_choices(ret)}
    assert "local" in choices
    local = r.shipment(ret, "local")
    assert choices["local"].cost_minor == local.net_cost_minor
    d = r.route(ret, time_limit_s=0)
    assert d.chosen.net_cost_minor == local.net_cost_minor
    assert r.loss_threshold_minor(ret) == 3000


def test_a_policy_cap_without_its_currency_is_refused() -> None:
    """A cap needs its currency: the error names the field."""
    with pytest.raises(InvalidInput) as err:
        MerchantPolicy(keep_it_max_value_minor=100)
    assert err.value.violations[0].field == "policy.currency"
    with pytest.raises(InvalidInput) as err:
        MerchantPolicy(max_loss_bp=-1)
    assert err.value.violations[0].field == "policy.max_loss_bp"


# -- item 4: volumetric weight on air line-haul ---------------------------------------------


def test_air_linehaul_bills_a_light_bulky_box_on_its_chargeable_weight() -> None:
    """A 1 kg box of 60 litres sent on to Hamburg by air from Hong Kong pays the air lane's
    per-kg rate on 10 kg (60,000 cm3 / 6000), not on 1 kg; by ocean it pays on actual weight.
    The breakdown says which weight and the lane's expected fill."""
    ret = a_return(an_item(value=50_000, weight=1000, dims=(500, 400, 300)), country="JP")
    got = {
        s.legs[-1].service_id: (o, s) for o in options(ret) for s in o.shipments if len(s.legs) == 2
    }
    _o, air = got["hk_hamburg_air"]
    lane = default_network().lanes["hk_hamburg_air"]
    r = router()
    route = next(
        x for x in r.compiled.routes("JP", "origin_de_hh") if x.key.endswith(">hk_hamburg_air")
    )
    share = next(t for t in air.terms if t.term is Term.LINEHAUL_SHARE)
    assert share.amount_minor == route.lane_share_per_unit_minor + math.ceil(
        10_000 * route.lane_per_kg_minor / 1000
    )
    assert air.legs[1].billable_weight_g == 10_000
    assert "chargeable (volume / 6000)" in share.detail
    assert f"expected fill {lane.planning_units_per_dispatch}" in share.detail
    _o, ocean = got["hk_hamburg_ocean"]
    assert ocean.legs[1].billable_weight_g == 1000


# -- item 5: the refund trigger -------------------------------------------------------------


def test_days_to_refund_and_the_refund_delay_follow_the_refund_trigger() -> None:
    """The same route refunds at once on the first scan, after transit on receipt, and after
    transit plus grading by default; the refund-delay term follows the days."""
    item = an_item(value=20_000)
    by: dict[RefundTrigger | None, Option] = {}
    for trigger in (None, RefundTrigger.FIRST_SCAN, RefundTrigger.RECEIPT):
        ret = a_return(item, policy=MerchantPolicy(refund_trigger=trigger))
        o = next(o for o in options(ret) if o.label == "origin_de_hh/restock/dpd_classic_eu")
        by[trigger] = o
    graded, scan, receipt = by[None], by[RefundTrigger.FIRST_SCAN], by[RefundTrigger.RECEIPT]
    transit = graded.shipments[0].legs[0].transit_days
    assert scan.days_to_refund == 0
    assert term(scan, Term.REFUND_DELAY) == 0
    assert receipt.days_to_refund == transit
    assert graded.days_to_refund == transit + 3  # the Hamburg DC grades in 3 days
    assert term(graded, Term.REFUND_DELAY) == 50 * graded.days_to_refund


def test_a_tight_sla_is_checked_against_the_refund_trigger() -> None:
    """A 1-day refund SLA: on grading no ground route meets it (only the keep-it refund could,
    and the item is over its cap); refunding on the first scan, the cheapest route does."""
    item = an_item(value=20_000)
    sla = Constraints(max_days_to_refund=1, allow_split=False)
    with pytest.raises(NoFeasibleOption) as err:
        router().route(
            a_return(item, constraints=sla, policy=MerchantPolicy(allow_local_disposal=False))
        )
    assert "SLA_EXCEEDED" in {v.type for v in err.value.violations}
    scan = MerchantPolicy(refund_trigger=RefundTrigger.FIRST_SCAN)
    d = router().route(a_return(item, constraints=sla, policy=scan))
    assert d.chosen.days_to_refund == 0
    assert d.chosen.shipments[0].legs[0].service_id == "dpd_classic_eu"


def test_units_of_a_unit_line_are_kept_whole_in_packing() -> None:
    """Packing keeps every unit of every line: the allocations of the chosen option add up to
    the return's units."""
    ret = a_return(an_item("H", weight=12_000, dims=(500, 400, 400), quantity=5))
    d = router().route(ret, time_limit_s=0)
    assert sum(a.quantity for s in d.chosen.shipments for a in s.items) == 5


def test_a_busy_day_at_the_hub_prices_the_linehaul_on_a_fuller_dispatch() -> None:
    """The line-haul share of one return assumes the lane's planning fill; when the day's
    observed volume at the hub promises a fuller dispatch, the share is priced on that fill
    (never beyond a full dispatch), and the breakdown says where the fill comes from."""
    ret = a_return(an_item(value=20_000, weight=2000), country="ES")

    def share(observed: dict[str, int] | None) -> tuple[int, str]:
        d = router().route(
            replace(ret, constraints=Constraints(max_alternatives=50)),
            time_limit_s=0,
            observed_units=observed,
        )
        o = next(
            o
            for o in (d.chosen, *d.alternatives)
            if o.label == "hub_nl_venlo>origin_de_hh/restock/dpd_classic_eu>venlo_hamburg_road"
        )
        t = next(t for t in o.shipments[0].terms if t.term is Term.LINEHAUL_SHARE)
        return t.amount_minor, t.detail

    lane = default_network().lanes["venlo_hamburg_road"]
    planned, detail = share(None)
    assert "the lane's planning fill" in detail
    assert share({"hub_nl_venlo": 10})[0] == planned  # a quiet day: the planning fill stands
    busy, detail = share({"hub_nl_venlo": 100_000})
    assert busy < planned
    assert f"expected fill {lane.capacity_units} of {lane.capacity_units}" in detail
    assert "observed volume" in detail


def test_a_bulky_item_in_a_valuable_return_is_disposed_of_locally_and_the_rest_shipped() -> None:
    """A EUR 300 watch and a bulky EUR 25 item from Japan: the split ships the watch and hands
    the bulky item to a local partner, far cheaper than the express parcel of both; the local
    part pays the drop-off once and its share of the refund delay."""
    watch = an_item("WATCH", value=30_000, weight=300, dims=(150, 100, 80))
    bulky = an_item("BULKY", value=2500, weight=6000, dims=(900, 600, 500), grade=ConditionGrade.B)
    d = router().route(a_return(watch, bulky, country="JP"), time_limit_s=2)
    assert "SPLIT_CHEAPER" in d.chosen.reason_codes
    local = [s for s in d.chosen.shipments if not s.legs]
    shipped = [s for s in d.chosen.shipments if s.legs]
    assert [a.sku for s in local for a in s.items] == ["BULKY"]
    assert [a.disposition for s in local for a in s.items] == [Disposition.LIQUIDATE]
    assert [a.sku for s in shipped for a in s.items] == ["WATCH"]
    whole = [o for o in d.alternatives if len(o.shipments) == 1 and o.shipments[0].legs]
    assert all(o.net_cost_minor > d.chosen.net_cost_minor + 100_000 for o in whole)
    delay = next(t for t in local[0].terms if t.term is Term.REFUND_DELAY)
    assert delay.amount_minor == 50 * 5 // 2  # 5 days at EUR 0.50, half the return's units
