"""Properties of decisions over generated returns (issue 12 item 8), on the default network with
the real customs engine: the chosen option is never dearer than an allowed alternative; adding
an intra-union leg never loses a reclaim; a parcel never exceeds its service's limits; every
option the router dropped is listed with why."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

import customs
from hubs import default_network
from hubs.model import Disposition
from routing.batches.generate import generate_returns
from routing.decide.domain import Constraints, Decision, Option, Return, Shipment, Term
from routing.decide.router import Router
from routing.decide.shipments import LOCAL_KEY
from routing.errors import NoFeasibleOption

DAY = date(2026, 11, 2)


@cache
def router() -> Router:
    return Router(
        default_network(), customs.default_engine(), customs.default_fx(), compiled_on=DAY
    )


@cache
def _pool() -> tuple[Return, ...]:
    """2,000 generated returns (one generator run: drawing from it is cheap)."""
    made = generate_returns(2_000, seed=12, network=default_network(), start=DAY)
    return tuple(ret for _, ret in made)


@st.composite
def generated(draw: st.DrawFn) -> Return:
    """One realistic return of the batch generator (countries, categories, values, grades and
    reasons from the logistics fact base), with constraints drawn on top."""
    ret = draw(st.sampled_from(_pool()))
    limit = draw(st.one_of(st.none(), st.integers(2, 20)))
    return replace(
        ret,
        constraints=Constraints(
            max_days_to_refund=limit,
            allow_returnless=draw(st.booleans()),
            allow_split=False,  # the split model has a time limit: properties stay exact
            max_alternatives=50,
        ),
    )


def _route(ret: Return, **kw: object) -> Decision | None:
    try:
        return router().route(ret, time_limit_s=0, **kw)  # type: ignore[arg-type]
    except NoFeasibleOption:
        return None


@settings(max_examples=80, deadline=None)
@given(ret=generated(), full=st.sets(st.sampled_from(sorted(default_network().facilities))))
def test_no_chosen_option_is_dearer_than_an_allowed_alternative(
    ret: Return, full: set[str]
) -> None:
    """Whatever the SLA, returnless permission and full facilities: the chosen option costs no
    more than any alternative, meets the SLA, never uses a full facility, and is returnless
    only when that is allowed; every alternative meets the same rules."""
    d = _route(ret, full_facilities=frozenset(full))
    if d is None:
        return
    limit = ret.constraints.max_days_to_refund
    for o in (d.chosen, *d.alternatives):
        assert d.chosen.net_cost_minor <= o.net_cost_minor
        assert limit is None or o.days_to_refund <= limit
        assert ret.constraints.allow_returnless or not any(_returnless(s) for s in o.shipments)
        assert not {s.legs[0].to_facility for s in o.shipments if s.legs} & full


def _returnless(s: Shipment) -> bool:
    """A keep-it refund (local disposal ships nothing either, but is not returnless)."""
    return not s.legs and all(i.disposition is Disposition.RETURNLESS for i in s.items)


def _leaves_union(ret: Return, o: Option) -> bool:
    engine = customs.default_engine()
    home = engine.customs_area(ret.customer_country, ret.customer_territory, DAY)
    return any(
        engine.customs_area(leg.to_country, "", DAY) != home for s in o.shipments for leg in s.legs
    )


def _reclaimed(o: Option) -> int:
    t = o.totals()
    return -(t.get(Term.DUTY_RECLAIM, 0) + t.get(Term.VAT_RECLAIM, 0))


EU_CUSTOMERS = ("AT", "BE", "CZ", "DE", "DK", "ES", "FI", "FR", "IE", "IT", "NL", "PL", "PT", "SE")


@settings(max_examples=60, deadline=None)
@given(
    ret=generated(),
    country=st.sampled_from(EU_CUSTOMERS),
    duty=st.integers(0, 4_000),
    vat=st.integers(0, 9_000),
    at_checkout=st.booleans(),
)
def test_no_reclaim_is_lost_by_an_intra_union_leg(
    ret: Return, country: str, duty: int, vat: int, at_checkout: bool
) -> None:
    """For an EU customer sending to the US origin, every option that leaves the EU credits
    the same reclaim, whether it exits straight from the customer's country or first goes to
    a hub in another member state (the Venlo leg inside the union loses nothing)."""
    ret = replace(
        ret,
        customer_country=country,
        customer_territory="",
        origin_facility_id="origin_us_pa",
        duty_paid_minor=duty,
        vat_paid_minor=vat,
        paid_currency="EUR",
        vat_collected_at_checkout=at_checkout,
        constraints=replace(ret.constraints, max_days_to_refund=None),
    )
    d = _route(ret)
    if d is None:
        return
    leaving = [o for o in (d.chosen, *d.alternatives) if _leaves_union(ret, o)]
    via_hub = [o for o in leaving if o.shipments[0].legs[0].to_country != "US"]
    direct = [o for o in leaving if o.shipments[0].legs[0].to_country == "US"]
    credited = {_reclaimed(o) for o in leaving}
    assert len(credited) <= 1, {o.label: _reclaimed(o) for o in leaving}
    assert not (via_hub and direct) or _reclaimed(via_hub[0]) == _reclaimed(direct[0])


@settings(max_examples=80, deadline=None)
@given(ret=generated())
def test_a_parcel_never_exceeds_its_services_limits(ret: Return) -> None:
    """Every parcel leg of every option carries only units its service takes: no unit heavier
    than the service's maximum weight or longer than its maximum length. (Several units are
    packed into as many parcels as the limits need; that every packed parcel is within them
    is tests/routing/decide/test_issue12_parcels_disposal.py's packing property.)"""
    d = _route(replace(ret, constraints=replace(ret.constraints, max_days_to_refund=None)))
    if d is None:
        return
    services = router().network.services
    by_sku = {i.sku: i for i in ret.items}
    for o in (d.chosen, *d.alternatives):
        for s in o.shipments:
            if not s.legs:
                continue
            svc = services[s.legs[0].service_id]
            for a in s.items:
                item = by_sku[a.sku]
                assert item.weight_g <= svc.max_weight_g, (o.label, item.weight_g)
                assert max(item.dims_mm) <= svc.max_length_mm, (o.label, item.dims_mm)


@settings(max_examples=60, deadline=None)
@given(ret=generated())
def test_every_dropped_option_is_listed_with_why(ret: Return) -> None:
    """The answer accounts for every candidate route: each is costed (chosen, an alternative,
    or dearer than the last alternative) or listed as excluded with a reason, a subject and
    figures; returnless, when allowed and not offered, is listed too."""
    d = _route(ret)
    if d is None:
        return
    offered = {o.label for o in (d.chosen, *d.alternatives)}
    excluded = {x.option for x in d.excluded}
    for x in d.excluded:
        assert all((x.reason, x.subject, x.description)), x
    routes = router().compiled.routes(ret.customer_country, ret.origin_facility_id)
    assert excluded <= {r.key for r in routes} | {"returnless", LOCAL_KEY}
    if ret.constraints.allow_returnless and not any(
        _returnless(s) for o in (d.chosen, *d.alternatives) for s in o.shipments
    ):
        assert "returnless" in excluded or len(offered) == 51
