"""Batch-plan options (``Router.plan_choices``) cost what RouteReturn costs, memos included.

``plan_choices`` takes a cheaper path than RouteReturn: customs amounts without documents
(``CustomsAssessor.amounts``), per-request memos keyed on what a route's crossings read
(``Route.customs_sig``), the parcel's aggregates worked out once. ``Router.shipment`` costs one
option from scratch through the full path (a fresh request context, full assessments, the
Shipment's named terms), so it is the reference each choice is checked against.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import customs
from hubs import default_network
from hubs.model import FacilityKind, Network
from routing.batches.generate import generate_returns
from routing.decide.domain import Return
from routing.decide.router import PlanChoice, Router
from tests.routing.fakes import a_return, facility, item, small_network

ON = date(2026, 11, 22)
# the reference costs come from an engine of their own: no memo shared with the one tested
REFERENCE_ENGINE = customs.CustomsEngine(customs.default_engine().rulebook, customs.default_fx())


def _reference(router: Router) -> Router:
    """The same network on the reference engine."""
    return Router(router.network, REFERENCE_ENGINE, router.fx, compiled_on=ON)


def _check_against_shipments(
    router: Router,
    reference: Router,
    ret: Return,
    choices: tuple[PlanChoice, ...],
    *,
    cold: bool = False,
) -> None:
    """Each choice costs what ``reference.shipment`` costs (memos of the reference engine
    emptied first when ``cold``)."""
    routes = {
        r.key: r for r in router.compiled.routes(ret.customer_country, ret.origin_facility_id)
    }
    for choice in choices:
        if cold:
            REFERENCE_ENGINE._memoize()  # an engine new to every crossing
        shipment = reference.shipment(ret, choice.key)
        share = 0
        if choice.key not in ("returnless", "local"):
            route = routes[choice.key]
            share = route.lane_share_per_unit_minor * choice.units if route.lane else 0
            assert choice.facility_id == route.first_stop.id
            assert choice.lane_id == (route.lane.id if route.lane else None)
        assert choice.cost_minor == shipment.net_cost_minor - share, choice
        assert choice.days_to_refund == shipment.days_to_refund


def test_plan_choices_cost_what_a_fresh_shipment_costs_on_generated_returns() -> None:
    """Every choice of generated returns on the default network (real customs engine) equals
    the option costed through the full path: no memo of a request leaks between routes
    (different first stops, channels, bonds, line-hauls) or between returns."""
    network = default_network()
    router = Router(network, customs.default_engine(), customs.default_fx(), compiled_on=ON)
    reference = _reference(router)
    batch = generate_returns(150, seed=3, network=network, start=date(2026, 11, 2))
    checked = 0
    for _, ret in batch:
        choices = router.plan_choices(ret)
        _check_against_shipments(router, reference, ret, choices)
        checked += len(choices)
    assert checked > 1000  # the batch exercised many routes


def _gb_hubs() -> Network:
    """The small network plus two hubs in Great Britain alike but for the bond."""
    network = small_network()
    plain = facility("hub_gb", FacilityKind.HUB, "GB", 52.48, -1.89)
    bonded = dataclasses.replace(
        facility("hub_gb_b", FacilityKind.HUB, "GB", 52.48, -1.89), bonded=True
    )
    return dataclasses.replace(
        network, facilities={**network.facilities, plain.id: plain, bonded.id: bonded}
    )


def _router() -> Router:
    return Router(_gb_hubs(), customs.default_engine(), customs.default_fx(), compiled_on=ON)


def test_routes_differing_only_in_a_bonded_stop_get_their_own_customs() -> None:
    """Two hubs alike but for the bond: goods from France entering the plain one owe UK import
    VAT, entering the bonded one nothing. The per-request customs memo must keep them apart (a
    memo key without the bond would give both the same cost)."""
    router = _router()
    ret = a_return(item(value_minor=40_000))
    choices = {c.key: c for c in router.plan_choices(ret)}
    plain, bonded = choices["exp_intl:hub_gb"], choices["exp_intl:hub_gb_b"]
    assert plain.cost_minor > bonded.cost_minor
    _check_against_shipments(router, _reference(router), ret, (plain, bonded), cold=True)


def test_returns_differing_only_in_amounts_get_their_own_customs() -> None:
    """Consecutive returns alike but for the item value: the import VAT of each (plain hub
    minus bonded hub) follows its own value; no memo answers one with the other's amounts."""
    router = _router()
    reference = _reference(router)
    vat = []
    for value in (40_000, 40_100, 90_000, 40_000):
        ret = a_return(item(value_minor=value))
        choices = router.plan_choices(ret)
        _check_against_shipments(router, reference, ret, choices, cold=True)
        by_key = {c.key: c.cost_minor for c in choices}
        vat.append(by_key["exp_intl:hub_gb"] - by_key["exp_intl:hub_gb_b"])
    assert vat[0] < vat[1] < vat[2]
    assert vat[3] == vat[0]
