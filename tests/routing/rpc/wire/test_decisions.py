"""The Decision converter: lossless round trips, derived summaries, bad fields by their path."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings

from hubs.model import Disposition, Mode
from reroute.v1 import common_pb2, routing_pb2
from routing.decide.domain import (
    CostTerm,
    Decision,
    DestinationKind,
    ItemAllocation,
    Leg,
    LegKind,
    Option,
    Shipment,
    Term,
)
from routing.errors import InvalidInput
from routing.rpc.wire.decisions import decision_from_proto, decision_to_proto
from routing.rpc.wire.enums import TERMS
from tests.strategies import decisions


def sample_decision() -> Decision:
    leg = Leg(
        kind=LegKind.PARCEL,
        service_id="dhl_parcel_de",
        carrier="DHL",
        service_name="DHL Paket",
        mode=Mode.VAN,
        from_country="DE",
        to_country="DE",
        to_facility="DE-3PL-BER",
        distance_km=12,
        transit_days=2,
        billable_weight_g=800,
        charge_minor=499,
    )
    shipment = Shipment(
        destination_id="DE-3PL-BER",
        destination_kind=DestinationKind.LOCAL_3PL,
        destination_country="DE",
        items=(ItemAllocation("SKU-1", 2, Disposition.RESELL_LOCAL, 4200),),
        legs=(leg,),
        terms=(
            CostTerm(Term.PARCEL_CARRIAGE, 450, "zone 1, 1 kg"),
            CostTerm(Term.HANDLING, 300),
            CostTerm(Term.RECOVERY_VALUE, -4200),
            CostTerm(Term.PARCEL_CARRIAGE, 49, "second parcel"),
        ),
        customs=(),
        days_to_refund=5,
        days_to_resale=9,
        co2e_g=310,
    )
    return Decision(
        decision_id="dec-1",
        idempotency_key="order-42-rma-1",
        currency="EUR",
        chosen=Option(shipments=(shipment,), reason_codes=("CHEAPEST",)),
        alternatives=(),
        options_evaluated=7,
        network_name="default",
        return_date=date(2026, 11, 20),
    )


# -- round trips ----------------------------------------------------------------------------


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(decisions())
def test_decision_round_trip(d: Decision) -> None:
    """Every domain Decision survives to_proto -> bytes -> from_proto unchanged."""
    wire = decision_to_proto(d).SerializeToString()
    assert decision_from_proto(routing_pb2.RouteDecision.FromString(wire)) == d


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(decisions())
def test_decision_summaries_match_the_domain(d: Decision) -> None:
    """The derived summaries on the wire equal what the domain computes from the shipments."""
    msg = decision_to_proto(d)
    for o, m in zip((d.chosen, *d.alternatives), (msg.chosen, *msg.alternatives), strict=True):
        assert m.label == o.label
        assert m.net_cost_minor == o.net_cost_minor
        assert {TERMS.from_proto(t.term): t.amount_minor for t in m.totals} == o.totals()
        assert [t.term for t in m.totals] == sorted(t.term for t in m.totals)
        assert m.days_to_refund == o.days_to_refund
        assert (m.days_to_resale if m.HasField("days_to_resale") else None) == o.days_to_resale
        assert m.co2e_g == o.co2e_g
        for s, sm in zip(o.shipments, m.shipments, strict=True):
            assert sm.net_cost_minor == s.net_cost_minor
            for a, am in zip(s.customs, sm.customs, strict=True):
                assert am.reclaimable_minor == a.reclaimable_minor


def test_sample_decision_totals() -> None:
    """Totals add up repeated terms and come in Term order."""
    msg = decision_to_proto(sample_decision())
    assert [(t.term, t.amount_minor) for t in msg.chosen.totals] == [
        (routing_pb2.TERM_PARCEL_CARRIAGE, 499),
        (routing_pb2.TERM_HANDLING, 300),
        (routing_pb2.TERM_RECOVERY_VALUE, -4200),
    ]
    assert msg.chosen.net_cost_minor == -3401
    assert msg.chosen.label == "DE-3PL-BER/resell_local/dhl_parcel_de"


# -- decision parsing -----------------------------------------------------------------------


def test_decision_with_unspecified_enum_is_rejected_at_its_path() -> None:
    """A leg mode left UNSPECIFIED (or unknown) is reported by its path in the decision."""
    msg = decision_to_proto(sample_decision())
    msg.chosen.shipments[0].legs[0].mode = common_pb2.TRANSPORT_MODE_UNSPECIFIED
    msg.chosen.shipments[0].items[0].disposition = 42  # type: ignore[assignment]  # unknown value
    with pytest.raises(InvalidInput) as exc:
        decision_from_proto(msg)
    assert [(v.field, v.description) for v in exc.value.violations] == [
        ("decision.chosen.shipments[0].items[0].disposition", "unknown Disposition value 42"),
        ("decision.chosen.shipments[0].legs[0].mode", "is required (TransportMode unspecified)"),
    ]


def test_decision_without_chosen_option_or_date_is_rejected() -> None:
    """A decision needs a chosen option with at least one shipment, and a return date."""
    msg = decision_to_proto(sample_decision())
    msg.ClearField("chosen")
    msg.ClearField("return_date")
    with pytest.raises(InvalidInput) as exc:
        decision_from_proto(msg)
    assert [v.field for v in exc.value.violations] == [
        "decision.chosen",
        "decision.chosen.shipments",
        "decision.return_date",
    ]


def test_decision_bytes_are_the_decision_on_the_wire_converted_once() -> None:
    """The bytes RouteReturn stores and answers parse back to the same decision; a second call
    for the same decision does not convert again."""
    from datetime import date

    from hubs import default_network
    from reroute.v1 import routing_pb2
    from routing.batches.examples import sample_return
    from routing.rpc.app import RoutingApp
    from routing.rpc.wire.decisions import (
        decision_bytes,
        decision_from_proto,
        decision_to_proto,
    )

    decision = RoutingApp(default_network()).router.route(sample_return(date(2026, 11, 2)))
    blob = decision_bytes(decision)
    assert routing_pb2.RouteDecision.FromString(blob) == decision_to_proto(decision)
    # everything but the request, which the store keeps and the wire does not carry
    on_the_wire = decision_from_proto(routing_pb2.RouteDecision.FromString(blob))
    assert on_the_wire == dataclasses.replace(decision, request=None)
    assert on_the_wire.excluded
    assert on_the_wire.network_version
    assert on_the_wire.rules_version
    assert decision_bytes(decision) is blob
