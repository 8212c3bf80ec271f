"""A routing decision on the wire: a domain Decision to ``reroute.v1.RouteDecision`` and back.

The wire form carries derived summaries (labels, totals, net costs, option-level days and
CO2e, the loss guard) that parsing does not read: the domain objects recompute them.
RouteReturn stores a decision and answers it, so the encoded bytes of recent decisions are kept
(:func:`decision_bytes`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Final

from reroute.v1 import routing_pb2
from routing.decide.domain import (
    CostTerm,
    Decision,
    Exclusion,
    ItemAllocation,
    Leg,
    Option,
    Shipment,
    Term,
)
from routing.decide.replay import Difference
from routing.rpc.wire.customs import AssessmentReader, AssessmentWriter
from routing.rpc.wire.enums import DESTINATION_KINDS, DISPOSITIONS, LEG_KINDS, MODES, TERMS
from routing.rpc.wire.returns import return_to_proto
from routing.rpc.wire.scalars import date_to_proto
from routing.rpc.wire.violations import raise_capped

__all__ = [
    "decision_bytes",
    "decision_from_proto",
    "decision_to_proto",
    "explanation_to_proto",
]

# The wire bytes of recent decisions, by decision id: RouteReturn stores a decision and answers
# it, and converting a decision (~0.25 ms for six options) dominates parsing its bytes (~15 us).
_ENCODED: OrderedDict[str, bytes] = OrderedDict()
_ENCODED_MAX = 512
_ENCODED_LOCK = threading.Lock()


def decision_bytes(d: Decision) -> bytes:
    """``decision_to_proto(d)`` serialized, converted once per decision id (decisions are
    immutable and their ids unique) and kept for the last few hundred decisions."""
    with _ENCODED_LOCK:
        found = _ENCODED.get(d.decision_id)
        if found is not None:
            _ENCODED.move_to_end(d.decision_id)
            return found
    blob = decision_to_proto(d).SerializeToString()
    with _ENCODED_LOCK:
        _ENCODED[d.decision_id] = blob
        while len(_ENCODED) > _ENCODED_MAX:
            _ENCODED.popitem(last=False)
    return blob


def decision_to_proto(d: Decision) -> routing_pb2.RouteDecision:
    """The wire form of a decision, with the derived summaries (label, totals, net cost) set."""
    msg = routing_pb2.RouteDecision(
        decision_id=d.decision_id,
        idempotency_key=d.idempotency_key,
        currency=d.currency,
        options_evaluated=d.options_evaluated,
        network_name=d.network_name,
        return_date=date_to_proto(d.return_date),
        network_version=d.network_version,
        rules_version=d.rules_version,
    )
    g = d.loss_guard
    if g is not None:
        msg.loss_guard.CopyFrom(
            routing_pb2.LossGuard(
                loss_minor=g.loss_minor,
                threshold_minor=g.threshold_minor,
                excluded_label=g.excluded_label,
                excluded_net_cost_minor=g.excluded_net_cost_minor,
                excluded_because=g.excluded_because,
            )
        )
    w = _DecisionWriter()
    w.option(d.chosen, msg.chosen)
    for o in d.alternatives:
        w.option(o, msg.alternatives.add())
    add_excluded = msg.excluded.add
    for x in d.excluded:
        add_excluded(option=x.option, reason=x.reason, subject=x.subject, description=x.description)
    return msg


def explanation_to_proto(
    stored: Decision,
    replayed: Decision,
    differences: Sequence[Difference],
    *,
    truncated: bool,
) -> routing_pb2.ExplainDecisionResponse:
    """ExplainDecision's answer: both decisions, the fields that differ, the request replayed."""
    msg = routing_pb2.ExplainDecisionResponse(identical=not differences, truncated=truncated)
    msg.stored.MergeFromString(decision_bytes(stored))
    msg.replayed.CopyFrom(decision_to_proto(replayed))
    for d in differences:
        msg.differences.add(path=d.path, stored=d.stored, replayed=d.replayed)
    if replayed.request is not None:
        msg.request.CopyFrom(return_to_proto(replayed.request))
    return msg


_TERM_NUMBERS: Final = {t: TERMS.to_proto(t) for t in Term}


class _DecisionWriter(AssessmentWriter):
    """Builds the wire decision in place (``add()`` rather than copied sub-messages, on the
    RouteReturn hot path); the customs assessments its options share are converted once."""

    def option(self, o: Option, msg: routing_pb2.RouteOption) -> None:
        msg.label = o.label
        msg.net_cost_minor = o.net_cost_minor
        add_total = msg.totals.add
        for term, amount in sorted(o.totals().items(), key=lambda ta: _TERM_NUMBERS[ta[0]]):
            add_total(term=_TERM_NUMBERS[term], amount_minor=amount)
        for s in o.shipments:
            self.shipment(s, msg.shipments.add())
        msg.days_to_refund = o.days_to_refund
        if o.days_to_resale is not None:
            msg.days_to_resale = o.days_to_resale
        msg.co2e_g = o.co2e_g
        msg.reason_codes.extend(o.reason_codes)

    def shipment(self, s: Shipment, msg: routing_pb2.Shipment) -> None:
        msg.destination_id = s.destination_id
        msg.destination_kind = DESTINATION_KINDS.to_proto(s.destination_kind)
        msg.destination_country = s.destination_country
        for a in s.items:
            msg.items.add(
                sku=a.sku,
                quantity=a.quantity,
                disposition=DISPOSITIONS.to_proto(a.disposition),
                recovery_minor=a.recovery_minor,
            )
        for leg in s.legs:
            msg.legs.add(
                kind=LEG_KINDS.to_proto(leg.kind),
                service_id=leg.service_id,
                carrier=leg.carrier,
                service_name=leg.service_name,
                mode=MODES.to_proto(leg.mode),
                from_country=leg.from_country,
                to_country=leg.to_country,
                to_facility_id=leg.to_facility,
                distance_km=leg.distance_km,
                transit_days=leg.transit_days,
                billable_weight_g=leg.billable_weight_g,
                charge_minor=leg.charge_minor,
            )
        add_term = msg.terms.add
        for t in s.terms:
            add_term(term=_TERM_NUMBERS[t.term], amount_minor=t.amount_minor, detail=t.detail)
        for c in s.customs:
            msg.customs.add().CopyFrom(self.assessment(c))
        msg.net_cost_minor = s.net_cost_minor
        msg.days_to_refund = s.days_to_refund
        if s.days_to_resale is not None:
            msg.days_to_resale = s.days_to_resale
        msg.co2e_g = s.co2e_g


class _DecisionReader(AssessmentReader):
    """Reads a RouteDecision, collecting a violation per unusable field (enums, dates, options).

    Derived fields (labels, totals, net costs, option-level days and CO2e, reclaimable_minor)
    are not read: the domain objects recompute them.
    """

    def decision(self, msg: routing_pb2.RouteDecision, path: str) -> Decision:
        if not msg.HasField("chosen"):
            self.v.add(f"{path}.chosen", "is required")
        chosen = self.option(msg.chosen, f"{path}.chosen")
        alternatives = tuple(
            self.option(o, f"{path}.alternatives[{i}]") for i, o in enumerate(msg.alternatives)
        )
        return Decision(
            decision_id=msg.decision_id,
            idempotency_key=msg.idempotency_key,
            currency=msg.currency,
            chosen=chosen,
            alternatives=alternatives,
            options_evaluated=msg.options_evaluated,
            network_name=msg.network_name,
            return_date=self.date(f"{path}.return_date", msg, "return_date"),
            excluded=tuple(
                Exclusion(x.option, x.reason, x.subject, x.description) for x in msg.excluded
            ),
            network_version=msg.network_version,
            rules_version=msg.rules_version,
        )

    def option(self, msg: routing_pb2.RouteOption, path: str) -> Option:
        if not msg.shipments:
            self.v.add(f"{path}.shipments", "at least one shipment is required")
        return Option(
            shipments=tuple(
                self.shipment(s, f"{path}.shipments[{i}]") for i, s in enumerate(msg.shipments)
            ),
            reason_codes=tuple(msg.reason_codes),
        )

    def shipment(self, msg: routing_pb2.Shipment, path: str) -> Shipment:
        return Shipment(
            destination_id=msg.destination_id,
            destination_kind=self.enum(
                DESTINATION_KINDS, f"{path}.destination_kind", msg.destination_kind
            ),
            destination_country=msg.destination_country,
            items=tuple(
                ItemAllocation(
                    sku=a.sku,
                    quantity=a.quantity,
                    disposition=self.enum(
                        DISPOSITIONS, f"{path}.items[{i}].disposition", a.disposition
                    ),
                    recovery_minor=a.recovery_minor,
                )
                for i, a in enumerate(msg.items)
            ),
            legs=tuple(self.leg(leg, f"{path}.legs[{i}]") for i, leg in enumerate(msg.legs)),
            terms=tuple(
                CostTerm(
                    term=self.enum(TERMS, f"{path}.terms[{i}].term", t.term),
                    amount_minor=t.amount_minor,
                    detail=t.detail,
                )
                for i, t in enumerate(msg.terms)
            ),
            customs=tuple(
                self.assessment(a, f"{path}.customs[{i}]") for i, a in enumerate(msg.customs)
            ),
            days_to_refund=msg.days_to_refund,
            days_to_resale=msg.days_to_resale if msg.HasField("days_to_resale") else None,
            co2e_g=msg.co2e_g,
        )

    def leg(self, msg: routing_pb2.Leg, path: str) -> Leg:
        return Leg(
            kind=self.enum(LEG_KINDS, f"{path}.kind", msg.kind),
            service_id=msg.service_id,
            carrier=msg.carrier,
            service_name=msg.service_name,
            mode=self.enum(MODES, f"{path}.mode", msg.mode),
            from_country=msg.from_country,
            to_country=msg.to_country,
            to_facility=msg.to_facility_id,
            distance_km=msg.distance_km,
            transit_days=msg.transit_days,
            billable_weight_g=msg.billable_weight_g,
            charge_minor=msg.charge_minor,
        )


def decision_from_proto(msg: routing_pb2.RouteDecision, *, path: str = "decision") -> Decision:
    """The domain Decision of a wire RouteDecision (for clients and tests).

    Raises :class:`InvalidInput` naming every unusable field: an enum left UNSPECIFIED or
    unknown to this build, a missing or impossible date, an option without shipments.
    """
    parser = _DecisionReader()
    decision = parser.decision(msg, path)
    raise_capped(parser.v, path)
    return decision
