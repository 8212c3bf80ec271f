"""The decision engine: options for one return, costed, the cheapest feasible one chosen.

Flow: candidate routes (precomputed per customer country and origin) x the return's units
-> one costed Shipment per route (or the reason it is infeasible) -> returnless refund as
one more option -> SLA filter -> least net cost. Multi-item returns also get a split
option from a small CP-SAT model (``routing.split``) when that is cheaper.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

from customs.api import CustomsAssessor, CustomsError
from hubs.model import FacilityKind, Network
from routing.compiled import CompiledNetwork, FxConverter, Route
from routing.costing import Context, Unit, cost_shipment, returnless
from routing.domain import Decision, Option, Return, Shipment
from routing.errors import FieldViolation, InvalidArgument, NoFeasibleOption, PreconditionViolation
from routing.split import best_split


class Router:
    """Routes returns on one network. Thread-safe: holds only read-only precomputed tables."""

    def __init__(
        self, network: Network, customs: CustomsAssessor, fx: FxConverter, *, compiled_on: date
    ) -> None:
        self.network = network
        self.customs = customs
        self.fx = fx
        self.compiled = CompiledNetwork(network, fx, on=compiled_on)
        self._recovery_cost = {
            d: self.compiled.to_base(c, network.recovery.currency)
            for d, c in network.recovery.cost_per_unit_minor.items()
        }

    def route(self, ret: Return, *, time_limit_s: float | None = None) -> Decision:
        origin = self.network.facilities.get(ret.origin_facility_id)
        if origin is None or origin.kind is not FacilityKind.ORIGIN:
            raise InvalidArgument.one(
                "customer_return.origin_facility_id",
                f"unknown origin facility {ret.origin_facility_id[:64]!r}; known: "
                + ", ".join(sorted(k for k, f in self.network.facilities.items() if f.kind is FacilityKind.ORIGIN)),
            )
        units = self._units(ret)
        ctx = Context(
            ret=ret,
            currency=self.network.currency,
            goods_origin_country=origin.country,
            policy=self.network.policy,
            recovery=self.network.recovery,
            recovery_cost_base=self._recovery_cost,
            customs=self.customs,
            value_base_minor=sum(u.value_base_minor * u.quantity for u in units),
            assessments={},
        )
        routes = self.compiled.routes(ret.customer_country, origin.id)
        violations: list[PreconditionViolation] = []
        if not routes:
            violations.append(
                PreconditionViolation(
                    "NO_CARRIER_ON_LANE",
                    f"lane:{ret.customer_country}->{origin.id}",
                    f"no carrier service picks up in {ret.customer_country} for any destination",
                )
            )
        whole: list[tuple[Route | None, Shipment]] = []
        try:
            for route in routes:
                got = cost_shipment(ctx, route, units, 10_000)
                if isinstance(got, PreconditionViolation):
                    violations.append(got)
                else:
                    whole.append((route, got))
            if ret.constraints.allow_returnless:
                kept = returnless(ctx, units)
                if isinstance(kept, PreconditionViolation):
                    violations.append(kept)
                else:
                    whole.append((None, kept))
        except CustomsError as exc:  # a valid ISO currency the FX table lacks, a date before every rule
            raise InvalidArgument([FieldViolation(_customs_field(exc.field), exc.reason)]) from exc

        limit = ret.constraints.max_days_to_refund
        feasible: list[Option] = []
        for _, shipment in whole:
            if limit is not None and shipment.days_to_refund > limit:
                violations.append(
                    PreconditionViolation(
                        "SLA_EXCEEDED",
                        f"destination:{shipment.destination_id or 'returnless'}",
                        f"{shipment.days_to_refund} days to refund > max {limit}",
                    )
                )
                continue
            feasible.append(Option((shipment,), _reasons(shipment)))
        if not feasible:
            raise NoFeasibleOption(_dedupe(violations))
        feasible.sort(key=_rank)

        options_evaluated = len(whole)
        may_split = len(units) > 1 or any(u.quantity > 1 for u in units)
        if ret.constraints.allow_split and may_split and time_limit_s != 0:
            candidates = [
                (r, s) for r, s in whole if r is not None and (limit is None or s.days_to_refund <= limit)
            ]
            split = best_split(
                ctx,
                candidates,
                units,
                allow_returnless=ret.constraints.allow_returnless,
                time_limit_s=time_limit_s,
            )
            if split is not None:
                options_evaluated += 1
                if split.net_cost_minor < feasible[0].net_cost_minor:
                    feasible.insert(0, split)
        chosen = feasible[0]
        chosen = Option(chosen.shipments, (*chosen.reason_codes, "LEAST_NET_COST"))
        return Decision(
            decision_id=uuid.uuid4().hex,
            idempotency_key=ret.idempotency_key,
            currency=self.network.currency,
            chosen=chosen,
            alternatives=tuple(feasible[1 : 1 + ret.constraints.max_alternatives]),
            options_evaluated=options_evaluated,
            network_name=self.network.name,
            return_date=ret.return_date,
        )

    def _units(self, ret: Return) -> list[Unit]:
        units = []
        for i, item in enumerate(ret.items):
            try:
                value = self.fx.convert(item.value_minor, item.currency, self.network.currency, ret.return_date)
            except CustomsError as exc:
                raise InvalidArgument.one(f"customer_return.items[{i}].declared_value.currency", exc.reason) from exc
            units.append(Unit(i, item, item.quantity, value.amount_to_minor))
        return units


def _rank(option: Option) -> tuple[int, int, str]:
    return (option.net_cost_minor, option.days_to_refund, option.label)


def _reasons(shipment: Shipment) -> tuple[str, ...]:
    codes = [f"DESTINATION_{shipment.destination_kind.name}"]
    for a in shipment.customs:
        if a.border:
            codes.append(f"BORDER_{a.export_country}_{a.import_country}")
        if a.relief:
            codes.append("RETURNED_GOODS_RELIEF")
        if a.reclaims:
            codes.append("DUTY_VAT_RECLAIMABLE")
    return tuple(codes)


def _dedupe(violations: list[PreconditionViolation]) -> list[PreconditionViolation]:
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for v in violations:
        key = (v.type, v.subject, v.description)
        if not seen[key]:
            out.append(v)
        seen[key] += 1
    return out


def _customs_field(field: str) -> str:
    return field if field.startswith("customer_return.") else f"customer_return.{field}"
