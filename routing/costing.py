"""Integer costing of one shipment: every term named, all in the network's base currency.

net = parcel carriage + fuel + carrier fees + line-haul share + handling + disposition cost
      + duties and import VAT due at each border - duty/VAT reclaimable - recovery value
      + refund-delay and resale-delay prices + priced CO2e.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from customs.api import (
    Assessment,
    Channel,
    Crossing,
    CustomsAssessor,
    CustomsItem,
    ImportRecord,
    Reclaim,
    ReturnReason,
)
from hubs.model import ConditionGrade, Disposition, Facility, Policy, RecoveryRates, ServiceKind
from routing.compiled import Route
from routing.domain import (
    CostTerm,
    DestinationKind,
    Item,
    ItemAllocation,
    Leg,
    LegKind,
    Return,
    Shipment,
    Term,
)
from routing.errors import PreconditionViolation

RESOLD = frozenset({Disposition.RESTOCK, Disposition.RESELL_LOCAL, Disposition.REFURBISH})
UNALTERED = frozenset({ConditionGrade.A, ConditionGrade.B})


@dataclass(frozen=True, slots=True)
class Unit:
    """An item line (or part of one) in a shipment, with its value in base currency."""

    index: int  # position in Return.items
    item: Item
    quantity: int
    value_base_minor: int  # per unit


@dataclass(frozen=True, slots=True)
class Context:
    """Per-request data the coster needs besides the route."""

    ret: Return
    currency: str
    goods_origin_country: str
    policy: Policy
    recovery: RecoveryRates
    recovery_cost_base: dict[Disposition, int]
    customs: CustomsAssessor
    value_base_minor: int  # the whole return's value, base currency
    assessments: dict[tuple[object, ...], Assessment]  # per-request memo


def best_disposition(
    ctx: Context, facility: Facility, dispositions: Sequence[Disposition], unit: Unit, days_to_resale: int
) -> tuple[Disposition, int, int] | None:
    """(disposition, recovery per unit, net credit per unit) of the best allowed disposition."""
    best: tuple[Disposition, int, int] | None = None
    for disp in dispositions:
        rate = ctx.recovery.rates_bp.get((disp, unit.item.grade))
        if rate is None:
            continue
        recovery = unit.value_base_minor * rate * facility.resale_factor_bp // 100_000_000
        credit = recovery - ctx.recovery_cost_base.get(disp, 0)
        if disp in RESOLD:
            credit -= resale_delay_minor(ctx.policy, unit.value_base_minor, days_to_resale)
        if best is None or credit > best[2]:
            best = (disp, recovery, credit)
    return best


def resale_delay_minor(policy: Policy, value_minor: int, days: int) -> int:
    return value_minor * policy.resale_depreciation_per_day_bp * days // 10_000


def _reason(units: Sequence[Unit]) -> ReturnReason:
    """One reason per crossing: rejected-goods only when every unit qualifies (conservative)."""
    for u in units:
        if not u.item.reason.rejected_goods:
            return u.item.reason
    return units[0].item.reason


def _customs_items(units: Sequence[Unit]) -> tuple[CustomsItem, ...]:
    return tuple(
        CustomsItem(
            hs_code=u.item.hs_code,
            value_minor=u.item.value_minor,
            currency=u.item.currency,
            quantity=u.quantity,
            weight_g=u.item.weight_g,
            unaltered=u.item.grade in UNALTERED,
        )
        for u in units
    )


def _assess(ctx: Context, crossing: Crossing, units: Sequence[Unit]) -> Assessment:
    key = (crossing, tuple((u.index, u.quantity) for u in units))
    found = ctx.assessments.get(key)
    if found is None:
        found = ctx.customs.assess(
            crossing, _customs_items(units), ctx.ret.return_date, currency=ctx.currency
        )
        ctx.assessments[key] = found
    return found


def best_reclaim(assessment: Assessment) -> Reclaim | None:
    """Routes are alternatives, not additive: claim the most valuable one."""
    if not assessment.reclaims:
        return None
    return max(assessment.reclaims, key=lambda r: (r.duty_minor + r.vat_minor, r.route))


def crossings(ctx: Context, route: Route, units: Sequence[Unit]) -> tuple[Assessment, ...]:
    """Assess each border the route crosses (none when it stays in the customer's country)."""
    r = ctx.ret
    out: list[Assessment] = []
    first = route.first_stop
    channel = Channel.POSTAL if route.service.kind is ServiceKind.POSTAL_ECONOMY else Channel.COURIER
    reason = _reason(units)
    if first.country != r.customer_country or first.territory != r.customer_territory:
        reentry = first.country == ctx.goods_origin_country
        original = ImportRecord(
            country=r.customer_country,
            import_date=r.import_date,
            duty_paid_minor=_share(r.duty_paid_minor, units, ctx.value_base_minor),
            vat_paid_minor=_share(r.vat_paid_minor, units, ctx.value_base_minor),
            currency=r.paid_currency,
            vat_collected_at_checkout=r.vat_collected_at_checkout,
        )
        out.append(
            _assess(
                ctx,
                Crossing(
                    export_country=r.customer_country,
                    import_country=first.country,
                    goods_origin_country=ctx.goods_origin_country,
                    channel=channel,
                    reason=reason,
                    export_territory=r.customer_territory,
                    import_territory=first.territory,
                    reentry=reentry,
                    bonded_destination=first.bonded and not reentry,
                    original_import=original,
                ),
                units,
            )
        )
    if route.lane is not None:
        dest = route.destination
        if dest.country != first.country or dest.territory != first.territory:
            paid = out[-1] if out else None
            original = None
            if paid is not None and paid.duty_due_minor + paid.vat_due_minor > 0:
                original = ImportRecord(
                    country=first.country,
                    import_date=r.return_date,
                    duty_paid_minor=paid.duty_due_minor,
                    vat_paid_minor=paid.vat_due_minor,
                    currency=ctx.currency,
                )
            out.append(
                _assess(
                    ctx,
                    Crossing(
                        export_country=first.country,
                        import_country=dest.country,
                        goods_origin_country=ctx.goods_origin_country,
                        channel=Channel.FREIGHT,
                        reason=reason,
                        export_territory=first.territory,
                        import_territory=dest.territory,
                        reentry=dest.country == ctx.goods_origin_country,
                        bonded_destination=dest.bonded,
                        original_import=original,
                    ),
                    units,
                )
            )
    return tuple(out)


def _share(total_minor: int, units: Sequence[Unit], whole_value_minor: int) -> int:
    """The part of an amount paid for the whole return that these units carry, by value."""
    part = sum(u.value_base_minor * u.quantity for u in units)
    if total_minor == 0 or part >= whole_value_minor:
        return total_minor
    return total_minor * part // whole_value_minor


def billable_weight_g(route: Route, units: Sequence[Unit]) -> tuple[int, int]:
    """(actual grams, billable grams) of one parcel holding these units."""
    actual = sum(u.item.weight_g * u.quantity for u in units)
    volume_cm3 = sum(u.item.volume_cm3 * u.quantity for u in units)
    volumetric = math.ceil(volume_cm3 * 1000 / route.card.volumetric_divisor_cm3_per_kg)
    return actual, max(actual, volumetric)


def size_violation(route: Route, units: Sequence[Unit]) -> PreconditionViolation | None:
    """Longest side and length + girth of a parcel packing these units (a box around them)."""
    svc = route.service
    length = max(max(u.item.dims_mm) for u in units)
    volume_mm3 = sum(
        u.item.dims_mm[0] * u.item.dims_mm[1] * u.item.dims_mm[2] * u.quantity for u in units
    )
    side = math.sqrt(volume_mm3 / length)  # square cross-section of the packed box
    girth = math.ceil(length + 4 * side)
    if length > svc.max_length_mm:
        return PreconditionViolation(
            "OVER_MAX_SIZE", f"service:{svc.id}", f"longest side {length} mm > {svc.max_length_mm} mm"
        )
    if girth > svc.max_length_plus_girth_mm:
        return PreconditionViolation(
            "OVER_MAX_SIZE",
            f"service:{svc.id}",
            f"length + girth {girth} mm > {svc.max_length_plus_girth_mm} mm",
        )
    return None


def cost_shipment(
    ctx: Context, route: Route, units: Sequence[Unit], unit_share_bp: int
) -> Shipment | PreconditionViolation:
    """Cost ``units`` sent together on ``route``; ``unit_share_bp`` = their share of all units.

    Returns a violation (why the route cannot take them) instead of a shipment when infeasible.
    """
    svc = route.service
    actual_g, billable_g = billable_weight_g(route, units)
    if actual_g > svc.max_weight_g:
        return PreconditionViolation(
            "OVER_MAX_WEIGHT", f"service:{svc.id}", f"{actual_g} g > {svc.max_weight_g} g"
        )
    too_big = size_violation(route, units)
    if too_big is not None:
        return too_big
    base = route.card.price(route.path.zone, billable_g)
    if base is None:
        return PreconditionViolation(
            "OVER_MAX_WEIGHT",
            f"rate_card:{route.card.id}",
            f"billable {billable_g} g > last weight break {route.card.weight_upper_g[-1]} g",
        )
    n_units = sum(u.quantity for u in units)
    policy = ctx.policy
    dest = route.destination
    days_refund = route.days_to_refund
    days_resale = days_refund + route.extra_days_to_resale

    allocations: list[ItemAllocation] = []
    recovery = disposition_cost = resale_delay = 0
    for u in units:
        best = best_disposition(ctx, dest, route.dispositions, u, days_resale)
        if best is None:
            return PreconditionViolation(
                "NO_DISPOSITION",
                f"facility:{dest.id}",
                f"cannot take grade {u.item.grade.value} for {u.item.sku}",
            )
        disp, rec, _ = best
        allocations.append(ItemAllocation(u.item.sku, u.quantity, disp, rec * u.quantity))
        recovery += rec * u.quantity
        disposition_cost += ctx.recovery_cost_base.get(disp, 0) * u.quantity
        if disp in RESOLD:
            resale_delay += resale_delay_minor(policy, u.value_base_minor, days_resale) * u.quantity

    assessments = crossings(ctx, route, units)
    duty_due = sum(a.duty_due_minor for a in assessments)
    vat_due = sum(a.vat_due_minor for a in assessments)
    reclaim_duty = reclaim_vat = 0
    reclaim_detail = ""
    if assessments:
        best_claim = best_reclaim(assessments[0])
        if best_claim is not None:
            reclaim_duty, reclaim_vat = best_claim.duty_minor, best_claim.vat_minor
            reclaim_detail = f"{best_claim.route} by {best_claim.deadline.isoformat()}"

    kg = actual_g / 1000
    parcel_co2 = math.ceil(kg / 1000 * route.path.distance_km * route.parcel_co2e_g_per_tkm)
    lane_co2 = 0
    lane_charge = 0
    fuel = base * route.card.fuel_surcharge_bp // 10_000
    fees = route.card.per_parcel_fee_minor
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
            billable_weight_g=billable_g,
            charge_minor=base + fuel + fees,
        )
    ]
    if route.lane is not None:
        lane = route.lane
        lane_charge = route.lane_share_per_unit_minor * n_units + math.ceil(kg * route.lane_per_kg_minor)
        lane_co2 = math.ceil(kg / 1000 * lane.distance_km * route.lane_co2e_g_per_tkm)
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
                billable_weight_g=actual_g,
                charge_minor=lane_charge,
            )
        )
    co2e_g = parcel_co2 + lane_co2
    handling = route.handling_per_parcel_minor + route.handling_per_unit_minor * n_units
    refund_delay = policy.refund_delay_per_day_minor * days_refund * unit_share_bp // 10_000
    terms = [
        CostTerm(Term.PARCEL_CARRIAGE, base, f"{svc.id}, zone {route.path.zone}, {billable_g} g billable"),
        CostTerm(Term.FUEL_SURCHARGE, fuel, f"{route.card.fuel_surcharge_bp / 100:.2f}% of carriage"),
        CostTerm(Term.CARRIER_FEES, fees, "per-parcel fees of the rate card"),
        CostTerm(Term.LINEHAUL_SHARE, lane_charge, route.lane.id if route.lane else ""),
        CostTerm(Term.HANDLING, handling, f"{dest.id}: {n_units} unit(s)"),
        CostTerm(Term.DISPOSITION_COST, disposition_cost, ""),
        CostTerm(Term.DUTY_DUE, duty_due, "; ".join(a.de_minimis for a in assessments if a.de_minimis)),
        CostTerm(Term.IMPORT_VAT_DUE, vat_due, ""),
        CostTerm(Term.DUTY_RECLAIM, -reclaim_duty, reclaim_detail),
        CostTerm(Term.VAT_RECLAIM, -reclaim_vat, reclaim_detail),
        CostTerm(Term.RECOVERY_VALUE, -recovery, ", ".join(sorted({a.disposition.value for a in allocations}))),
        CostTerm(Term.REFUND_DELAY, refund_delay, f"{days_refund} d to refund"),
        CostTerm(Term.RESALE_DELAY, resale_delay, f"{days_resale} d to resale"),
        CostTerm(Term.CO2E, co2e_g * policy.co2e_price_per_tonne_minor // 1_000_000, f"{co2e_g} g CO2e"),
    ]
    resold = any(a.disposition in RESOLD for a in allocations)
    return Shipment(
        destination_id=dest.id,
        destination_kind=DestinationKind.of(dest.kind),
        destination_country=dest.country,
        items=tuple(allocations),
        legs=tuple(legs),
        terms=tuple(terms),
        customs=assessments,
        days_to_refund=days_refund,
        days_to_resale=days_resale if resold else None,
        co2e_g=co2e_g,
    )


def returnless(ctx: Context, units: Sequence[Unit]) -> Shipment | PreconditionViolation:
    """Refund without a shipment: the customer keeps (or donates) the goods; nothing recovered."""
    cap = ctx.policy.returnless_max_value_minor
    for u in units:
        if u.value_base_minor > cap:
            return PreconditionViolation(
                "RETURNLESS_OVER_VALUE",
                f"item:{u.item.sku}",
                f"unit value {u.value_base_minor} > returnless cap {cap} ({ctx.currency} minor units)",
            )
    terms = (
        CostTerm(Term.RECOVERY_VALUE, 0, "goods stay with the customer"),
        CostTerm(Term.REFUND_DELAY, 0, "refund at once"),
    )
    return Shipment(
        destination_id="",
        destination_kind=DestinationKind.NONE,
        destination_country=ctx.ret.customer_country,
        items=tuple(ItemAllocation(u.item.sku, u.quantity, Disposition.RETURNLESS, 0) for u in units),
        legs=(),
        terms=terms,
        customs=(),
        days_to_refund=0,
        days_to_resale=None,
        co2e_g=0,
    )
