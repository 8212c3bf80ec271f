"""Shipments with their named terms: of an evaluated route, and of the returnless refund.

``build`` turns an :class:`~routing.decide.costing.Evaluation` into the Shipment a decision
returns: the parcel leg and the line-haul leg, the item allocations with their dispositions,
one :class:`~routing.decide.domain.CostTerm` per term of the net cost with its detail, and the
customs assessments. ``returnless`` is the refund without a shipment (the customer keeps the
goods), offered while no unit is over the policy's keep-it cap; ``local_disposal`` the refund
when the customer drops the goods at a partner in their own country (donate, recycle,
liquidate), offered while no unit is over the policy's local-disposal cap.
"""

from __future__ import annotations

from collections.abc import Sequence

from hubs.model import Disposition, RefundTrigger, ServiceKind
from routing.decide.compiled import LocalOptions, Route
from routing.decide.costing import Evaluation, evaluate
from routing.decide.domain import (
    CostTerm,
    DestinationKind,
    ItemAllocation,
    Leg,
    LegKind,
    Shipment,
    Term,
)
from routing.decide.parcels import Context, Unit, parcel
from routing.errors import PreconditionViolation


def build(ctx: Context, e: Evaluation) -> Shipment:
    """The Shipment of an evaluation: legs, allocations, named terms with their details."""
    route, svc, dest = e.route, e.route.service, e.route.destination
    legs = [
        Leg(
            kind=LegKind.PARCEL,
            service_id=svc.id,
            carrier=svc.carrier,
            service_name=svc.name,
            mode=svc.mode,
            from_country=ctx.ret.customer_country,
            to_country=route.first_stop.country,
            to_facility=route.first_stop.id,
            distance_km=route.path.distance_km,
            transit_days=route.path.transit_days,
            billable_weight_g=e.billable_g,
            charge_minor=e.carriage + e.fuel + e.fees,
        )
    ]
    lane = route.lane
    if lane is not None:
        legs.append(
            Leg(
                kind=LegKind.LINEHAUL,
                service_id=lane.id,
                carrier=lane.carrier,
                service_name=f"{lane.dispatch_unit} every {lane.cadence_days} d",
                mode=lane.mode,
                from_country=route.first_stop.country,
                to_country=dest.country,
                to_facility=dest.id,
                distance_km=lane.distance_km,
                transit_days=lane.transit_days,
                billable_weight_g=e.lane_billable_g,
                charge_minor=e.linehaul,
            )
        )
    allocations = tuple(
        ItemAllocation(
            u.item.sku,
            u.quantity,
            c.disposition,
            u.value_base_minor * c.recovery_bp // 10_000 * u.quantity,
        )
        for u, c in zip(e.units, e.choices, strict=True)
    )
    # wherever on the route the goods leave the area the duty/VAT was paid in
    claims = tuple(c for a in e.assessments for c in a.reclaims)
    claim = "; ".join(f"{c.route}, claim by {c.deadline.isoformat()}" for c in claims)
    n_units = sum(u.quantity for u in e.units)
    packed = (
        f" in {e.parcels} {'pallets' if svc.kind is ServiceKind.FREIGHT else 'parcels'}"
        " (packed within the service's limits)"
        if e.parcels > 1
        else ""
    )
    terms = (
        CostTerm(
            Term.PARCEL_CARRIAGE,
            e.carriage,
            f"{svc.id}, zone {route.path.zone}, {e.billable_g} g billable{packed}",
        ),
        CostTerm(
            Term.FUEL_SURCHARGE, e.fuel, f"{route.card.fuel_surcharge_bp / 100:.2f} % of carriage"
        ),
        CostTerm(Term.CARRIER_FEES, e.fees, "per-parcel fees of the rate card"),
        CostTerm(Term.LINEHAUL_SHARE, e.linehaul, _lane_detail(route, n_units, e)),
        CostTerm(
            Term.HANDLING,
            e.handling,
            f"{route.first_stop.id}"
            + (f" + {dest.id}" if lane else "")
            + f", {n_units} unit(s)"
            + (f", {e.parcels} parcels" if e.parcels > 1 else ""),
        ),
        CostTerm(
            Term.DISPOSITION_COST,
            e.disposition_cost,
            ", ".join(sorted({c.disposition.value for c in e.choices})),
        ),
        CostTerm(
            Term.DUTY_DUE,
            e.duty_due,
            "; ".join(a.de_minimis for a in e.assessments if a.de_minimis),
        ),
        CostTerm(
            Term.IMPORT_VAT_DUE, e.vat_due, "; ".join(a.relief for a in e.assessments if a.relief)
        ),
        CostTerm(Term.DUTY_RECLAIM, -e.reclaim_duty, claim),
        CostTerm(Term.VAT_RECLAIM, -e.reclaim_vat, claim),
        CostTerm(Term.RECOVERY_VALUE, -e.recovery, f"at {dest.id}"),
        CostTerm(
            Term.REFUND_DELAY,
            e.refund_delay,
            f"{e.days_to_refund} d to refund ({_TRIGGER[ctx.trigger]})",
        ),
        CostTerm(Term.RESALE_DELAY, e.resale_delay, f"{route.days_to_resale} d to resale"),
        CostTerm(Term.CO2E, e.co2e_cost, f"{e.co2e_g} g CO2e"),
    )
    resold = any(c.resold for c in e.choices)
    return Shipment(
        destination_id=dest.id,
        destination_kind=route.destination_kind,
        destination_country=dest.country,
        items=allocations,
        legs=tuple(legs),
        terms=terms,
        customs=e.assessments,
        days_to_refund=e.days_to_refund,
        days_to_resale=route.days_to_resale if resold else None,
        co2e_g=e.co2e_g,
    )


_TRIGGER = {
    RefundTrigger.FIRST_SCAN: "refund on the carrier's first scan",
    RefundTrigger.RECEIPT: "refund on receipt at the first facility",
    RefundTrigger.GRADED: "refund after grading at the first facility",
}


def _lane_detail(route: Route, n_units: int, e: Evaluation) -> str:
    lane = route.lane
    if lane is None:
        return ""
    on = (
        f"{e.lane_billable_g} g chargeable (volume / {route.lane_volumetric_divisor})"
        if route.lane_volumetric_divisor and e.lane_billable_g > e.actual_g
        else f"{e.actual_g} g"
    )
    source = (
        "the lane's planning fill"
        if route.lane_expected_fill == lane.planning_units_per_dispatch
        else "from the day's observed volume"
    )
    return (
        f"{lane.id}: {n_units} x {route.lane_share_per_unit_minor} per unit "
        f"(dispatch cost / expected fill {route.lane_expected_fill} of"
        f" {lane.capacity_units} units, {source}) + per kg on {on}"
    )


def cost_shipment(
    ctx: Context, route: Route, units: Sequence[Unit], unit_share_bp: int
) -> Shipment | PreconditionViolation:
    """Evaluate and build in one go (for callers that need the whole shipment)."""
    e = evaluate(ctx, route, parcel(ctx, units), unit_share_bp)
    return e if isinstance(e, PreconditionViolation) else build(ctx, e)


def returnless(ctx: Context, units: Sequence[Unit]) -> Shipment | PreconditionViolation:
    """Refund without a shipment: the customer keeps (or donates) the goods; nothing recovered."""
    too_dear = returnless_violation(ctx, units)
    if too_dear is not None:
        return too_dear
    return Shipment(
        destination_id="",
        destination_kind=DestinationKind.NONE,
        destination_country=ctx.ret.customer_country,
        items=tuple(
            ItemAllocation(u.item.sku, u.quantity, Disposition.RETURNLESS, 0) for u in units
        ),
        legs=(),
        terms=_RETURNLESS_TERMS,
        customs=(),
        days_to_refund=0,
        days_to_resale=None,
        co2e_g=0,
    )


def returnless_violation(ctx: Context, units: Sequence[Unit]) -> PreconditionViolation | None:
    """Why the returnless refund is not offered for these units (a unit over the value cap)."""
    cap = ctx.keep_it_cap_minor
    for u in units:
        if u.value_base_minor > cap:
            return PreconditionViolation(
                "RETURNLESS_OVER_VALUE",
                f"item:{u.item.sku}",
                f"unit value {u.value_base_minor} > returnless cap {cap}"
                f" ({ctx.currency} minor units)",
            )
    return None


LOCAL_KEY = "local"  # the plan choice key of local disposal


def local_unit_credit(ctx: Context, local: LocalOptions, u: Unit) -> int | None:
    """What one unit of ``u`` earns at the best local partner (recovery less the disposition's
    cost), or None when no partner takes it (its grade, size, or the policy's cap)."""
    heaviest, longest = local.unit_limits.get(ctx.ret.customer_country, (0, 0))
    cap = ctx.local_cap_minor
    if u.item.weight_g > heaviest or max(u.item.dims_mm) > longest:
        return None
    if cap is not None and u.value_base_minor > cap:
        return None
    credits = [
        u.value_base_minor * c.recovery_bp // 10_000 - c.cost_minor
        for c in local.choices.get(u.item.grade, ())
    ]
    return max(credits) if credits else None


def local_disposal(
    ctx: Context, local: LocalOptions | None, units: Sequence[Unit], unit_share_bp: int = 10_000
) -> Shipment | PreconditionViolation:
    """Refund when the customer drops the goods at a partner in their own country, who
    donates, recycles or liquidates them (the best of those per unit): the partner's handling,
    the disposition's cost and recovery, the refund delay on the merchant's trigger (for
    ``unit_share_bp`` of the return's units, as a shipment's)."""
    if local is None:
        return PreconditionViolation(
            "NO_LOCAL_DISPOSAL",
            f"country:{ctx.ret.customer_country}",
            "the network has no local disposal partners",
        )
    country = ctx.ret.customer_country
    heaviest, longest = local.unit_limits.get(country, (0, 0))
    for u in units:
        if u.item.weight_g > heaviest or max(u.item.dims_mm) > longest:
            return PreconditionViolation(
                "OVER_MAX_SIZE",
                f"local:{country}",
                f"one unit of {u.item.sku[:64]} is heavier or longer than any parcel a customer"
                f" in {country} can hand over ({heaviest} g, {longest} mm)",
            )
    cap = ctx.local_cap_minor
    n_units = 0
    cost = recovery = 0
    allocations: list[ItemAllocation] = []
    for u in units:
        if cap is not None and u.value_base_minor > cap:
            return PreconditionViolation(
                "LOCAL_DISPOSAL_OVER_VALUE",
                f"item:{u.item.sku}",
                f"unit value {u.value_base_minor} > local disposal cap {cap}"
                f" ({ctx.currency} minor units)",
            )
        best = None
        for choice in local.choices.get(u.item.grade, ()):
            rec = u.value_base_minor * choice.recovery_bp // 10_000
            if best is None or rec - choice.cost_minor > best[1] - best[0].cost_minor:
                best = (choice, rec)
        if best is None:
            return PreconditionViolation(
                "NO_DISPOSITION",
                f"country:{ctx.ret.customer_country}",
                f"no local partner takes grade {u.item.grade.value} ({u.item.sku})",
            )
        choice, rec = best
        n_units += u.quantity
        cost += choice.cost_minor * u.quantity
        recovery += rec * u.quantity
        allocations.append(
            ItemAllocation(u.item.sku, u.quantity, choice.disposition, rec * u.quantity)
        )
    days = local.processing_days if ctx.trigger is RefundTrigger.GRADED else 0
    handling = local.handling_per_parcel_minor + local.handling_per_unit_minor * n_units
    dispositions = ", ".join(sorted({a.disposition.value for a in allocations}))
    terms = (
        CostTerm(
            Term.HANDLING,
            handling,
            f"local partner in {ctx.ret.customer_country}: drop-off + {n_units} unit(s)",
        ),
        CostTerm(Term.DISPOSITION_COST, cost, dispositions),
        CostTerm(Term.RECOVERY_VALUE, -recovery, f"{dispositions} in {ctx.ret.customer_country}"),
        CostTerm(
            Term.REFUND_DELAY,
            ctx.policy.refund_delay_per_day_minor * days * unit_share_bp // 10_000,
            f"{days} d to refund ({_TRIGGER[ctx.trigger]}: the partner's)",
        ),
    )
    return Shipment(
        destination_id="",
        destination_kind=DestinationKind.NONE,
        destination_country=ctx.ret.customer_country,
        items=tuple(allocations),
        legs=(),
        terms=terms,
        customs=(),
        days_to_refund=days,
        days_to_resale=None,
        co2e_g=0,
    )


_RETURNLESS_TERMS = (
    CostTerm(Term.RECOVERY_VALUE, 0, "goods stay with the customer"),
    CostTerm(Term.REFUND_DELAY, 0, "refund at once"),
)
RETURNLESS_NET_MINOR = sum(t.amount_minor for t in _RETURNLESS_TERMS)  # its Shipment's net cost
