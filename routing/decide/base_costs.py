"""The base costs of a route: everything but customs, as plain integers.

Carriage by the rate card (billable weight = max(actual, volumetric)), fuel surcharge and
per-parcel fees of the parcel leg; the line-haul share and handling; the best disposition of
each unit at the destination (its cost, recovery value and resale delay); the refund delay and
priced CO2e. ``base_numbers`` returns them as :class:`BaseNumbers` (a tuple: the batch planner
makes millions), or why the route's service cannot take the parcel.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from hubs.model import Policy
from routing.decide.compiled import DispositionChoice, Route, refund_days
from routing.decide.parcels import Context, Packing, Parcel, Unit, pack, size_violation
from routing.errors import PreconditionViolation


def best_disposition(
    policy: Policy, route: Route, unit: Unit
) -> tuple[DispositionChoice, int, int] | None:
    """(choice, recovery per unit, net credit per unit) of the best disposition for the unit."""
    best = _dispose(policy, route, unit)
    return None if best is None else best[:3]


def _dispose(
    policy: Policy, route: Route, unit: Unit
) -> tuple[DispositionChoice, int, int, int] | None:
    """``best_disposition`` and the unit's resale delay (0 when no choice is resold)."""
    best: tuple[DispositionChoice, int, int, int] | None = None
    value = unit.value_base_minor
    delay: int | None = None  # the resale delay, worked out for the first resold choice
    for choice in route.disposition_choices.get(unit.item.grade, ()):
        recovery = value * choice.recovery_bp // 10_000
        credit = recovery - choice.cost_minor
        if choice.resold:
            if delay is None:
                delay = resale_delay_minor(policy, value, route.days_to_resale)
            credit -= delay
        if best is None or credit > best[2]:
            best = (choice, recovery, credit, delay or 0)
    return best


def resale_delay_minor(policy: Policy, value_minor: int, days: int) -> int:
    return value_minor * policy.resale_depreciation_per_day_bp * days // 10_000


class BaseNumbers(NamedTuple):
    """The numbers of ``evaluate_base`` (a tuple: the batch planner makes millions)."""

    billable_g: int
    carriage: int
    fuel: int
    fees: int
    linehaul: int
    handling: int
    disposition_cost: int
    recovery: int
    refund_delay: int
    resale_delay: int
    co2e_g: int
    co2e_cost: int
    choices: tuple[DispositionChoice, ...]
    net_cost_minor: int
    parcels: int  # parcels (or pallets) of the first leg: 1 unless packed into several
    lane_billable_g: int  # what the line-haul bills per kg on (its volumetric weight, if any)
    days_to_refund: int  # on the merchant's refund trigger


def base_numbers(
    ctx: Context, route: Route, p: Parcel, unit_share_bp: int
) -> BaseNumbers | PreconditionViolation:
    """The numbers of ``evaluate_base`` without the Evaluation (the batch planner's path)."""
    svc = route.service
    actual_g = p.actual_g
    card = route.card
    billable_g = max(actual_g, math.ceil(p.volume_cm3 * 1000 / card.volumetric_divisor_cm3_per_kg))
    parcels = 1
    carriage = (
        card.price(route.path.zone, billable_g)
        if actual_g <= svc.max_weight_g
        and p.longest_mm <= svc.max_length_mm
        and p.girth_mm <= svc.max_length_plus_girth_mm
        else None
    )
    if carriage is None and p.n_units == 1:  # nothing to pack: why the one unit does not go
        return _unit_violation(route, p, billable_g)
    if carriage is None:  # over a limit of the service as one parcel: several parcels
        packed = pack(p, svc, card, route.path.zone)
        if isinstance(packed, PreconditionViolation):
            return packed
        parcels, carriage, billable_g = _packed(packed)
    policy = ctx.policy
    n_units = p.n_units
    recovery = disposition_cost = resale_delay = 0
    choices: list[DispositionChoice] = []
    for u in p.units:
        best = _dispose(policy, route, u)
        if best is None:
            return PreconditionViolation(
                "NO_DISPOSITION",
                f"facility:{route.destination.id}",
                f"cannot take grade {u.item.grade.value} ({u.item.sku})",
            )
        choice, rec, _, delay = best
        choices.append(choice)
        quantity = u.quantity
        recovery += rec * quantity
        disposition_cost += choice.cost_minor * quantity
        if choice.resold:
            resale_delay += delay * quantity
    fuel = carriage * card.fuel_surcharge_bp // 10_000
    fees = card.per_parcel_fee_minor * parcels
    linehaul = 0
    lane_g = actual_g
    # (integers: actual_g x distance x factor is exact whatever the grouping)
    co2e_g = math.ceil(actual_g * route.parcel_co2e_g_km_per_tkm / 1_000_000)
    if route.lane is not None:
        divisor = route.lane_volumetric_divisor
        if divisor:
            lane_g = max(actual_g, math.ceil(p.volume_cm3 * 1000 / divisor))
        linehaul = route.lane_share_per_unit_minor * n_units + math.ceil(
            lane_g * route.lane_per_kg_minor / 1000
        )
        co2e_g += math.ceil(actual_g * route.lane_co2e_g_km_per_tkm / 1_000_000)
    handling = route.handling_per_parcel_minor * parcels + route.handling_per_unit_minor * n_units
    days = refund_days(route, ctx.trigger)
    refund_delay = policy.refund_delay_per_day_minor * days * unit_share_bp // 10_000
    co2e_cost = co2e_g * policy.co2e_price_per_tonne_minor // 1_000_000
    net = (
        carriage
        + fuel
        + fees
        + linehaul
        + handling
        + disposition_cost
        - recovery
        + refund_delay
        + resale_delay
        + co2e_cost
    )
    return BaseNumbers(
        billable_g,
        carriage,
        fuel,
        fees,
        linehaul,
        handling,
        disposition_cost,
        recovery,
        refund_delay,
        resale_delay,
        co2e_g,
        co2e_cost,
        tuple(choices),
        net,
        parcels,
        lane_g,
        days,
    )


def _unit_violation(route: Route, p: Parcel, billable_g: int) -> PreconditionViolation:
    svc = route.service
    if p.actual_g > svc.max_weight_g:
        return PreconditionViolation(
            "OVER_MAX_WEIGHT", f"service:{svc.id}", f"{p.actual_g} g > {svc.max_weight_g} g"
        )
    too_big = size_violation(route, p)
    if too_big is not None:
        return too_big
    card = route.card
    return PreconditionViolation(
        "OVER_MAX_WEIGHT",
        f"rate_card:{card.id}",
        f"billable {billable_g} g > last weight break {card.weight_upper_g[-1]} g",
    )


def _packed(packed: Packing) -> tuple[int, int, int]:
    """(parcels, carriage, billable g) of a packing."""
    return packed.parcels, packed.carriage_minor, sum(packed.billable_g)
