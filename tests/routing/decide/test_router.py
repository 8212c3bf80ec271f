"""The decision engine on a small hand-built network with fake customs and FX."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubs import default_network
from hubs.model import ConditionGrade, Disposition
from routing.batches.examples import sample_return
from routing.decide.domain import Constraints, DestinationKind, Item, Option, Term
from routing.decide.router import Router
from routing.errors import InvalidInput, NoFeasibleOption
from routing.rpc.app import RoutingApp
from tests.routing.fakes import FakeCustoms, FakeFx, a_return, item, small_network


def router(customs: FakeCustoms | None = None, **policy: int) -> Router:
    return Router(
        small_network(**policy), customs or FakeCustoms(), FakeFx(), compiled_on=date(2026, 11, 1)
    )


def by_destination(options: list[Option], dest: str, service: str | None = None) -> Option:
    """The single-shipment option sent straight (one parcel leg) to ``dest``."""
    for o in options:
        s = o.shipments[0]
        if (
            len(o.shipments) == 1
            and s.destination_id == dest
            and len(s.legs) == 1
            and (service is None or s.legs[0].service_id == service)
        ):
            return o
    raise AssertionError(f"no option to {dest} via {service}")


def all_options(r: Router, *items_: Item) -> list[Option]:
    d = r.route(a_return(*items_, constraints=Constraints(max_alternatives=50)))
    return [d.chosen, *d.alternatives]


def test_chosen_is_never_dearer_than_an_alternative() -> None:
    """The chosen option has the least net cost of every option returned."""
    d = router().route(a_return(constraints=Constraints(max_alternatives=50)))
    assert d.alternatives, "the small network offers several options"
    assert all(d.chosen.net_cost_minor <= a.net_cost_minor for a in d.alternatives)
    assert "LEAST_NET_COST" in d.chosen.reason_codes


@settings(max_examples=40, deadline=None)
@given(
    value=st.integers(100, 500_000),
    weight=st.integers(50, 15_000),
    grade=st.sampled_from(list(ConditionGrade)),
    country=st.sampled_from(["DE", "FR", "GB"]),
)
def test_chosen_is_cheapest_and_net_is_sum_of_terms(
    value: int, weight: int, grade: ConditionGrade, country: str
) -> None:
    """For any single item: chosen <= every alternative; each net cost is the sum of its terms."""
    ret = a_return(
        item(value_minor=value, weight_g=weight, grade=grade),
        country=country,
        constraints=Constraints(max_alternatives=50),
    )
    d = router(refund_delay_per_day_minor=50, depreciation_bp=10).route(ret)
    for o in (d.chosen, *d.alternatives):
        assert o.net_cost_minor == sum(o.totals().values())
        assert d.chosen.net_cost_minor <= o.net_cost_minor


def test_parcel_fuel_handling_and_recovery_terms() -> None:
    """Carriage is the rate card's price for the zone and weight break; fuel is its bp share;
    handling is per parcel + per unit; recovery is value x rate for the best disposition."""
    options = all_options(router(), item(value_minor=10_000, weight_g=800))
    o = by_destination(options, "tpl_fr")
    t = o.totals()
    # FR customer -> FR 3PL: ~0 km, zone 0; 800 g actual;
    # volumetric 300x200x100 mm = 6000 cm3 / 5 = 1200 g
    assert o.shipments[0].legs[0].billable_weight_g == 1200
    assert t[Term.PARCEL_CARRIAGE] == 800  # zone 0, break <= 5000 g
    assert t[Term.FUEL_SURCHARGE] == 80  # 10 %
    assert t[Term.HANDLING] == 200 + 100
    assert o.shipments[0].items[0].disposition is Disposition.RESELL_LOCAL
    assert t[Term.RECOVERY_VALUE] == -7000  # 70 % of 100.00 EUR
    assert o.net_cost_minor == 800 + 80 + 300 - 7000


def test_linehaul_share_is_dispatch_cost_over_planned_fill_plus_per_kg() -> None:
    """Via the hub, the onward pallet costs fixed/planned-units per unit plus per-kg, and the
    resale waits half a cadence plus line-haul transit plus origin processing."""
    options = all_options(router(), item(weight_g=2000))
    o = by_destination(options, "origin_de", "post_intl")
    via_hub = [x for x in options if len(x.shipments[0].legs) == 2]
    assert via_hub, "a hub path with an onward lane exists"
    h = via_hub[0]
    assert h.totals()[Term.LINEHAUL_SHARE] == math.ceil(30000 / 200) + math.ceil(2.0 * 10)
    s = h.shipments[0]
    assert s.destination_id == "origin_de"
    assert s.legs[1].kind.value == "linehaul"
    assert s.days_to_resale == s.days_to_refund + 2 + 2 + 2  # cadence/2 + transit + processing
    assert o.shipments[0].days_to_resale == o.shipments[0].days_to_refund


def test_duty_due_and_reclaim_terms_follow_customs() -> None:
    """Duty due on entry and the reclaimable amount on exit come from the customs assessment."""
    customs = FakeCustoms(duty_bp=1000, reclaim_minor=700)
    d = router(customs).route(
        a_return(
            item(value_minor=10_000), country="GB", constraints=Constraints(max_alternatives=50)
        )
    )
    options = [d.chosen, *d.alternatives]
    to_origin = by_destination(options, "origin_de", "post_intl")
    t = to_origin.totals()
    assert t[Term.DUTY_DUE] == 0  # re-entry into the origin country: relief
    assert t[Term.DUTY_RECLAIM] == -700
    via_hub = [o for o in options if len(o.shipments[0].legs) == 2]
    assert via_hub
    # NL is in the origin's customs territory (EU): entering the hub is already a re-entry
    assert all(o.totals()[Term.DUTY_DUE] == 0 for o in via_hub)
    assert any(c.import_country == "NL" and c.reentry for c in customs.calls)
    # a customer inside the EU pays no duty and reclaims nothing on the way to the 3PL
    fr = router(customs).route(a_return(item(value_minor=10_000), country="FR"))
    assert fr.chosen.totals().get(Term.DUTY_RECLAIM, 0) == 0


def test_refund_delay_priced_per_day() -> None:
    """The refund-delay term is days to refund x the policy's price per day."""
    options = all_options(router(refund_delay_per_day_minor=100), item())
    for o in options:
        assert o.totals().get(Term.REFUND_DELAY, 0) == 100 * o.days_to_refund


def test_returnless_when_cheaper_than_every_shipment() -> None:
    """A cheap item is refunded without shipment; above the policy cap it never is."""
    d = router().route(a_return(item(value_minor=500)))
    assert d.chosen.shipments[0].destination_kind is DestinationKind.NONE
    assert d.chosen.net_cost_minor == 0
    assert all(a.net_cost_minor >= 0 for a in d.alternatives)
    d2 = router().route(a_return(item(value_minor=6000, grade=ConditionGrade.D)))
    assert d2.chosen.shipments[0].destination_kind is not DestinationKind.NONE


def test_no_carrier_on_lane_is_infeasible_with_reason() -> None:
    """A country no service picks up in gets NoFeasibleOption naming NO_CARRIER_ON_LANE."""
    with pytest.raises(NoFeasibleOption) as err:
        router().route(
            a_return(
                item(value_minor=9000),
                country="IS",
                constraints=Constraints(allow_returnless=False),
            )
        )
    assert [v.type for v in err.value.violations] == ["NO_CARRIER_ON_LANE"]


def test_over_max_weight_is_infeasible_with_reason() -> None:
    """An item heavier than every service's limit gets OVER_MAX_WEIGHT."""
    with pytest.raises(NoFeasibleOption) as err:
        router().route(a_return(item(weight_g=25_000, value_minor=90_000)))
    assert {v.type for v in err.value.violations} >= {"OVER_MAX_WEIGHT"}
    assert "RETURNLESS_OVER_VALUE" in {v.type for v in err.value.violations}


def test_sla_excludes_slow_options() -> None:
    """With max_days_to_refund, every returned option meets it; too tight gives SLA_EXCEEDED."""
    d = router().route(
        a_return(
            item(value_minor=9000),
            constraints=Constraints(
                max_days_to_refund=3, allow_returnless=False, max_alternatives=50
            ),
        )
    )
    assert all(o.days_to_refund <= 3 for o in (d.chosen, *d.alternatives))
    with pytest.raises(NoFeasibleOption) as err:
        router().route(
            a_return(
                item(value_minor=9000),
                constraints=Constraints(max_days_to_refund=0, allow_returnless=False),
            )
        )
    assert {v.type for v in err.value.violations} == {"SLA_EXCEEDED"}


def test_a_date_before_the_rules_names_the_return_date() -> None:
    """A return dated before the customs and FX tables start is INVALID_ARGUMENT on
    customer_return.return_date (customs calls it ``on``; no such request field exists)."""
    sample = sample_return(date(2026, 11, 2))
    ret = replace(  # in the network's currency: no FX row is needed before customs is asked
        sample,
        items=tuple(replace(i, currency="EUR") for i in sample.items),
        paid_currency="EUR",
        import_date=date(2001, 1, 1),
        return_date=date(2001, 1, 2),
    )
    with pytest.raises(InvalidInput) as err:
        RoutingApp(default_network()).router.route(ret)
    assert [v.field for v in err.value.violations] == ["customer_return.return_date"]
    assert "before the rule and FX tables start" in err.value.violations[0].description


def test_unknown_origin_names_the_field() -> None:
    """An origin id the network lacks is INVALID_ARGUMENT on customer_return.origin_facility_id."""
    with pytest.raises(InvalidInput) as err:
        router().route(a_return(origin="nowhere"))
    assert err.value.violations[0].field == "customer_return.origin_facility_id"


def test_split_when_cheaper_than_any_whole_option() -> None:
    """A cheap item kept by the customer plus a valuable one restocked at the origin beats
    sending both to one place; the split is exactly costed and cheaper than the best whole."""
    cheap = item("CHEAP", value_minor=900, weight_g=15_000, dims_mm=(400, 300, 300))
    dear = item("DEAR", value_minor=60_000, weight_g=500, dims_mm=(200, 100, 50))
    r = router()
    split = r.route(a_return(cheap, dear, constraints=Constraints(max_alternatives=50)))
    whole = r.route(
        a_return(cheap, dear, constraints=Constraints(allow_split=False, max_alternatives=50))
    )
    assert len(split.chosen.shipments) == 2
    assert "SPLIT_CHEAPER" in split.chosen.reason_codes
    assert split.chosen.net_cost_minor < whole.chosen.net_cost_minor
    kept = {a.sku: s.destination_kind for s in split.chosen.shipments for a in s.items}
    assert kept["CHEAP"] is DestinationKind.NONE


def test_split_respects_every_unit() -> None:
    """Every unit of the return is allocated exactly once in the chosen option."""
    items = (item("A", quantity=3, value_minor=4000), item("B", value_minor=30_000, weight_g=3000))
    d = router().route(a_return(*items))
    got: dict[str, int] = {}
    for s in d.chosen.shipments:
        for a in s.items:
            got[a.sku] = got.get(a.sku, 0) + a.quantity
    assert got == {"A": 3, "B": 1}


def test_foreign_currency_values_are_converted() -> None:
    """An item priced in GBP is valued in the network currency (EUR) through FX."""
    d = router().route(
        a_return(
            item(value_minor=10_000, currency="GBP"), constraints=Constraints(max_alternatives=50)
        )
    )
    o = by_destination([d.chosen, *d.alternatives], "tpl_fr")
    assert o.totals()[Term.RECOVERY_VALUE] == -(12_000 * 7000 // 10_000)


def test_import_vat_and_vat_reclaim_terms_follow_customs() -> None:
    """Duty and import VAT due at each border entry and the VAT part of a reclaim each get
    their own term, with the amounts customs assessed."""
    customs = FakeCustoms(
        entry_duty_minor=111, entry_vat_minor=222, reclaim_minor=700, reclaim_vat_minor=300
    )
    d = router(customs).route(
        a_return(
            item(value_minor=10_000), country="GB", constraints=Constraints(max_alternatives=50)
        )
    )
    t = by_destination([d.chosen, *d.alternatives], "origin_de", "post_intl").totals()
    assert t[Term.DUTY_DUE] == 111
    assert t[Term.IMPORT_VAT_DUE] == 222
    assert t[Term.DUTY_RECLAIM] == -700
    assert t[Term.VAT_RECLAIM] == -300


def test_resale_delay_is_value_times_depreciation_times_days() -> None:
    """Resale delay = unit value x depreciation bp/day x days to resale, for resold goods."""
    r = router(depreciation_bp=10)
    for o in all_options(r, item(value_minor=20_000)):
        s = o.shipments[0]
        if s.days_to_resale is None:
            assert o.totals().get(Term.RESALE_DELAY, 0) == 0
        else:
            assert o.totals()[Term.RESALE_DELAY] == 20_000 * 10 * s.days_to_resale // 10_000


def test_carrier_fees_and_priced_co2e() -> None:
    """Per-parcel fees of the rate card, and CO2e priced per tonne when the policy says so:
    grams = kg x km x g/tkm (road 100 g/tkm here), cost = grams x price / 10^6."""
    net = small_network(co2e_price_per_tonne_minor=10_000_000, intl_fee_minor=300)
    r = Router(net, FakeCustoms(), FakeFx(), compiled_on=date(2026, 11, 1))
    options = all_options(r, item(weight_g=2000))
    o = by_destination(options, "origin_de", "post_intl")
    s = o.shipments[0]
    assert o.totals()[Term.CARRIER_FEES] == 300
    assert s.co2e_g == math.ceil(2000 * s.legs[0].distance_km * 100 / 1_000_000)
    assert o.totals()[Term.CO2E] == s.co2e_g * 10_000_000 // 1_000_000
    local = by_destination(options, "tpl_fr")
    assert local.totals().get(Term.CARRIER_FEES, 0) == 0


def test_disposition_cost_for_refurbishment() -> None:
    """A grade C item refurbished at the origin pays the refurbishment cost per unit."""
    options = all_options(router(), item(value_minor=50_000, grade=ConditionGrade.C, quantity=2))
    o = by_destination(options, "origin_de", "post_intl")
    assert {a.disposition for a in o.shipments[0].items} == {Disposition.REFURBISH}
    assert o.totals()[Term.DISPOSITION_COST] == 2 * 500
