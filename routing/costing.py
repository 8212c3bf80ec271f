"""Integer costing of one shipment: every term named, all in the network's base currency.

net = parcel carriage + fuel + carrier fees + line-haul share + handling + disposition cost
      + duties and import VAT due at each border - duty/VAT reclaimable - recovery value
      + refund-delay and resale-delay prices + priced CO2e.

Two steps, so the hot path stays cheap: ``evaluate`` computes the numbers of a route (plain
integers, no objects for the answer), and ``build`` turns an evaluation into the Shipment with
its legs, named terms and customs summary, only for the options a decision returns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from customs.api import (
    Assessment,
    Channel,
    Crossing,
    CustomsAssessor,
    CustomsItem,
    CustomsNotCovered,
    ImportRecord,
    ReturnReason,
)
from hubs.model import ConditionGrade, Disposition, Policy, ServiceKind
from routing.compiled import DispositionChoice, Route
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
    customs: CustomsAssessor
    value_base_minor: int  # the whole return's value, base currency
    origin_area: str  # customs territory of the origin (returned-goods relief on re-entry)
    assessments: dict[tuple[object, ...], Assessment]  # per-request memo
    areas: dict[tuple[str, str, str], str]  # per-request memo of customs areas


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The numbers of one route for some units; ``build`` makes the Shipment from it."""

    route: Route
    units: tuple[Unit, ...]
    unit_share_bp: int
    actual_g: int
    billable_g: int
    carriage: int
    fuel: int
    fees: int
    linehaul: int
    handling: int
    disposition_cost: int
    duty_due: int
    vat_due: int
    reclaim_duty: int
    reclaim_vat: int
    recovery: int
    refund_delay: int
    resale_delay: int
    co2e_g: int
    co2e_cost: int
    choices: tuple[DispositionChoice, ...]  # per unit line
    assessments: tuple[Assessment, ...]
    net_cost_minor: int
    customs_done: bool  # False: a base evaluation, customs not yet added

    @property
    def days_to_refund(self) -> int:
        return self.route.days_to_refund


def best_disposition(
    policy: Policy, route: Route, unit: Unit
) -> tuple[DispositionChoice, int, int] | None:
    """(choice, recovery per unit, net credit per unit) of the best disposition for the unit."""
    best: tuple[DispositionChoice, int, int] | None = None
    value = unit.value_base_minor
    days = route.days_to_resale
    for choice in route.disposition_choices.get(unit.item.grade, ()):
        recovery = value * choice.recovery_bp // 10_000
        credit = recovery - choice.cost_minor
        if choice.resold:
            credit -= resale_delay_minor(policy, value, days)
        if best is None or credit > best[2]:
            best = (choice, recovery, credit)
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


def reentry(ctx: Context, country: str, territory: str) -> bool:
    """Do goods entering this place re-enter the customs territory they were exported from?"""
    key = ("area", country, territory)
    area = ctx.areas.get(key)
    if area is None:
        area = ctx.customs.customs_area(country, territory, ctx.ret.return_date)
        ctx.areas[key] = area
    return area == ctx.origin_area


def _share(total_minor: int, units: Sequence[Unit], whole_value_minor: int) -> int:
    """The part of an amount paid for the whole return that these units carry, by value."""
    part = sum(u.value_base_minor * u.quantity for u in units)
    if total_minor == 0 or part >= whole_value_minor:
        return total_minor
    return total_minor * part // whole_value_minor


# The goods' export date from the origin is not in the request; the import into the customer's
# country stands for it. That understates the time since export by the outbound transit days,
# so a returned-goods relief near its limit may be granted a few days too long.


def _first_crossing(ctx: Context, route: Route, units: Sequence[Unit]) -> Assessment:
    r = ctx.ret
    first = route.first_stop
    channel = (
        Channel.POSTAL if route.service.kind is ServiceKind.POSTAL_ECONOMY else Channel.COURIER
    )
    back = reentry(ctx, first.country, first.territory)
    bonded = first.bonded and not back
    key = ("in", first.country, first.territory, channel, back, bonded, _unit_key(units))
    found = ctx.assessments.get(key)
    if found is None:
        crossing = Crossing(
            export_country=r.customer_country,
            import_country=first.country,
            goods_origin_country=ctx.goods_origin_country,
            channel=channel,
            reason=_reason(units),
            export_territory=r.customer_territory,
            import_territory=first.territory,
            reentry=back,
            bonded_destination=bonded,
            export_date=r.import_date,  # left the origin about when it entered A (see note)
            original_import=ImportRecord(
                country=r.customer_country,
                import_date=r.import_date,
                duty_paid_minor=_share(r.duty_paid_minor, units, ctx.value_base_minor),
                vat_paid_minor=_share(r.vat_paid_minor, units, ctx.value_base_minor),
                currency=r.paid_currency,
                vat_collected_at_checkout=r.vat_collected_at_checkout,
            ),
        )
        found = ctx.customs.assess(
            crossing, _customs_items(units), r.return_date, currency=ctx.currency
        )
        ctx.assessments[key] = found
    return found


def _onward_crossing(
    ctx: Context, route: Route, units: Sequence[Unit], paid: Assessment | None
) -> Assessment:
    r = ctx.ret
    first, dest = route.first_stop, route.destination
    due = (paid.duty_due_minor, paid.vat_due_minor) if paid is not None else (0, 0)
    key = ("on", first.country, dest.country, dest.territory, dest.bonded, due, _unit_key(units))
    found = ctx.assessments.get(key)
    if found is None:
        original = None
        if due[0] + due[1] > 0:  # duty/VAT paid at the hub may be reclaimable when it leaves
            original = ImportRecord(
                country=first.country,
                import_date=r.return_date,
                duty_paid_minor=due[0],
                vat_paid_minor=due[1],
                currency=ctx.currency,
            )
        back = reentry(ctx, dest.country, dest.territory)
        crossing = Crossing(
            export_country=first.country,
            import_country=dest.country,
            goods_origin_country=ctx.goods_origin_country,
            channel=Channel.FREIGHT,
            reason=_reason(units),
            export_territory=first.territory,
            import_territory=dest.territory,
            reentry=back,
            bonded_destination=dest.bonded and not back,
            original_import=original,
            export_date=r.import_date,
        )
        found = ctx.customs.assess(
            crossing, _customs_items(units), r.return_date, currency=ctx.currency
        )
        ctx.assessments[key] = found
    return found


def _unit_key(units: Sequence[Unit]) -> tuple[tuple[int, int], ...]:
    return tuple((u.index, u.quantity) for u in units)


def crossings(ctx: Context, route: Route, units: Sequence[Unit]) -> tuple[Assessment, ...]:
    """Assess each border the route crosses (none when it stays in the customer's country)."""
    r = ctx.ret
    first = route.first_stop
    out: list[Assessment] = []
    if first.country != r.customer_country or first.territory != r.customer_territory:
        out.append(_first_crossing(ctx, route, units))
    dest = route.destination
    if route.lane is not None and (
        dest.country != first.country or dest.territory != first.territory
    ):
        out.append(_onward_crossing(ctx, route, units, out[-1] if out else None))
    return tuple(out)


def billable_weight_g(route: Route, units: Sequence[Unit]) -> tuple[int, int]:
    """(actual grams, billable grams) of one parcel holding these units."""
    actual = sum(u.item.weight_g * u.quantity for u in units)
    volume_cm3 = sum(u.item.volume_cm3 * u.quantity for u in units)
    volumetric = math.ceil(volume_cm3 * 1000 / route.card.volumetric_divisor_cm3_per_kg)
    return actual, max(actual, volumetric)


def size_violation(route: Route, units: Sequence[Unit]) -> PreconditionViolation | None:
    """Longest side and length + girth of a box packing these units (square cross-section)."""
    svc = route.service
    length = max(max(u.item.dims_mm) for u in units)
    if length > svc.max_length_mm:
        return PreconditionViolation(
            "OVER_MAX_SIZE",
            f"service:{svc.id}",
            f"longest side {length} mm > {svc.max_length_mm} mm",
        )
    volume_mm3 = sum(
        u.item.dims_mm[0] * u.item.dims_mm[1] * u.item.dims_mm[2] * u.quantity for u in units
    )
    girth = math.ceil(length + 4 * math.sqrt(volume_mm3 / length))
    if girth > svc.max_length_plus_girth_mm:
        return PreconditionViolation(
            "OVER_MAX_SIZE",
            f"service:{svc.id}",
            f"length + girth {girth} mm > {svc.max_length_plus_girth_mm} mm",
        )
    return None


def evaluate(
    ctx: Context, route: Route, units: Sequence[Unit], unit_share_bp: int
) -> Evaluation | PreconditionViolation:
    """The numbers of ``units`` sent together on ``route`` (``unit_share_bp`` = their share of
    all the return's units), or why the route cannot take them."""
    base = evaluate_base(ctx, route, units, unit_share_bp)
    return base if isinstance(base, PreconditionViolation) else add_customs(ctx, base)


def evaluate_base(
    ctx: Context, route: Route, units: Sequence[Unit], unit_share_bp: int
) -> Evaluation | PreconditionViolation:
    """Everything but customs (``customs_done`` false). Customs can lower the net cost by at
    most what was paid at import, so ``net_cost_minor - max reclaim`` bounds the final cost."""
    svc = route.service
    actual_g, billable_g = billable_weight_g(route, units)
    if actual_g > svc.max_weight_g:
        return PreconditionViolation(
            "OVER_MAX_WEIGHT", f"service:{svc.id}", f"{actual_g} g > {svc.max_weight_g} g"
        )
    too_big = size_violation(route, units)
    if too_big is not None:
        return too_big
    carriage = route.card.price(route.path.zone, billable_g)
    if carriage is None:
        return PreconditionViolation(
            "OVER_MAX_WEIGHT",
            f"rate_card:{route.card.id}",
            f"billable {billable_g} g > last weight break {route.card.weight_upper_g[-1]} g",
        )
    policy = ctx.policy
    n_units = 0
    recovery = disposition_cost = resale_delay = 0
    choices: list[DispositionChoice] = []
    for u in units:
        best = best_disposition(policy, route, u)
        if best is None:
            return PreconditionViolation(
                "NO_DISPOSITION",
                f"facility:{route.destination.id}",
                f"cannot take grade {u.item.grade.value} ({u.item.sku})",
            )
        choice, rec, _ = best
        choices.append(choice)
        n_units += u.quantity
        recovery += rec * u.quantity
        disposition_cost += choice.cost_minor * u.quantity
        if choice.resold:
            resale_delay += (
                resale_delay_minor(policy, u.value_base_minor, route.days_to_resale) * u.quantity
            )
    fuel = carriage * route.card.fuel_surcharge_bp // 10_000
    fees = route.card.per_parcel_fee_minor
    linehaul = 0
    co2e_g = math.ceil(actual_g * route.path.distance_km * route.parcel_co2e_g_per_tkm / 1_000_000)
    if route.lane is not None:
        linehaul = route.lane_share_per_unit_minor * n_units + math.ceil(
            actual_g * route.lane_per_kg_minor / 1000
        )
        co2e_g += math.ceil(
            actual_g * route.lane.distance_km * route.lane_co2e_g_per_tkm / 1_000_000
        )
    handling = route.handling_per_parcel_minor + route.handling_per_unit_minor * n_units
    refund_delay = (
        policy.refund_delay_per_day_minor * route.days_to_refund * unit_share_bp // 10_000
    )
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
    return Evaluation(
        route=route,
        units=tuple(units),
        unit_share_bp=unit_share_bp,
        actual_g=actual_g,
        billable_g=billable_g,
        carriage=carriage,
        fuel=fuel,
        fees=fees,
        linehaul=linehaul,
        handling=handling,
        disposition_cost=disposition_cost,
        duty_due=0,
        vat_due=0,
        reclaim_duty=0,
        reclaim_vat=0,
        recovery=recovery,
        refund_delay=refund_delay,
        resale_delay=resale_delay,
        co2e_g=co2e_g,
        co2e_cost=co2e_cost,
        choices=tuple(choices),
        assessments=(),
        net_cost_minor=net,
        customs_done=False,
    )


@dataclass(frozen=True, slots=True)
class CustomsCharges:
    """What a route's borders add: duties and import VAT due, and reclaims of the original
    import's duty and VAT (when the goods leave the customer's country)."""

    assessments: tuple[Assessment, ...]
    duty_due: int
    vat_due: int
    reclaim_duty: int
    reclaim_vat: int

    @property
    def net_minor(self) -> int:
        return self.duty_due + self.vat_due - self.reclaim_duty - self.reclaim_vat


def customs_charges(ctx: Context, e: Evaluation) -> CustomsCharges | PreconditionViolation:
    """Assess each border of the route of ``e`` (its cost is ``e.net_cost_minor`` plus
    ``net_minor``); the batch planner needs only this, not a new Evaluation."""
    route = e.route
    try:
        assessments = crossings(ctx, route, e.units)
    except CustomsNotCovered as exc:  # a gap in the rule tables: drop this route, say why
        return PreconditionViolation(
            "CUSTOMS_NOT_COVERED", f"facility:{route.first_stop.id}", f"{exc.field}: {exc.reason}"
        )
    duty_due = vat_due = 0
    for a in assessments:
        duty_due += a.duty_due_minor
        vat_due += a.vat_due_minor
    # reclaims for the original import, when the goods leave the customer's country: the
    # routes customs lists are cumulative (a customs route plus the seller's VAT route)
    reclaim_duty = reclaim_vat = 0
    if assessments and assessments[0].export_country == ctx.ret.customer_country:
        for claim in assessments[0].reclaims:
            reclaim_duty += claim.duty_minor
            reclaim_vat += claim.vat_minor
    return CustomsCharges(assessments, duty_due, vat_due, reclaim_duty, reclaim_vat)


def add_customs(ctx: Context, e: Evaluation) -> Evaluation | PreconditionViolation:
    """Assess each border of the route and add duties, import VAT and reclaims to ``e``."""
    c = customs_charges(ctx, e)
    if isinstance(c, PreconditionViolation):
        return c
    return replace(
        e,
        duty_due=c.duty_due,
        vat_due=c.vat_due,
        reclaim_duty=c.reclaim_duty,
        reclaim_vat=c.reclaim_vat,
        assessments=c.assessments,
        net_cost_minor=e.net_cost_minor + c.net_minor,
        customs_done=True,
    )


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
                billable_weight_g=e.actual_g,
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
    claims = e.assessments[0].reclaims if e.reclaim_duty or e.reclaim_vat else ()
    claim = "; ".join(f"{c.route}, claim by {c.deadline.isoformat()}" for c in claims)
    n_units = sum(u.quantity for u in e.units)
    terms = (
        CostTerm(
            Term.PARCEL_CARRIAGE,
            e.carriage,
            f"{svc.id}, zone {route.path.zone}, {e.billable_g} g billable",
        ),
        CostTerm(
            Term.FUEL_SURCHARGE, e.fuel, f"{route.card.fuel_surcharge_bp / 100:.2f} % of carriage"
        ),
        CostTerm(Term.CARRIER_FEES, e.fees, "per-parcel fees of the rate card"),
        CostTerm(Term.LINEHAUL_SHARE, e.linehaul, _lane_detail(route, n_units)),
        CostTerm(
            Term.HANDLING,
            e.handling,
            f"{route.first_stop.id}" + (f" + {dest.id}" if lane else "") + f", {n_units} unit(s)",
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
        CostTerm(Term.REFUND_DELAY, e.refund_delay, f"{route.days_to_refund} d to refund"),
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
        days_to_refund=route.days_to_refund,
        days_to_resale=route.days_to_resale if resold else None,
        co2e_g=e.co2e_g,
    )


def _lane_detail(route: Route, n_units: int) -> str:
    lane = route.lane
    if lane is None:
        return ""
    return (
        f"{lane.id}: {n_units} x {route.lane_share_per_unit_minor} per unit "
        f"(dispatch cost / {lane.planning_units_per_dispatch} planned units) + per kg"
    )


def cost_shipment(
    ctx: Context, route: Route, units: Sequence[Unit], unit_share_bp: int
) -> Shipment | PreconditionViolation:
    """Evaluate and build in one go (for callers that need the whole shipment)."""
    e = evaluate(ctx, route, units, unit_share_bp)
    return e if isinstance(e, PreconditionViolation) else build(ctx, e)


def returnless(ctx: Context, units: Sequence[Unit]) -> Shipment | PreconditionViolation:
    """Refund without a shipment: the customer keeps (or donates) the goods; nothing recovered."""
    cap = ctx.policy.returnless_max_value_minor
    for u in units:
        if u.value_base_minor > cap:
            return PreconditionViolation(
                "RETURNLESS_OVER_VALUE",
                f"item:{u.item.sku}",
                f"unit value {u.value_base_minor} > returnless cap {cap}"
                f" ({ctx.currency} minor units)",
            )
    terms = (
        CostTerm(Term.RECOVERY_VALUE, 0, "goods stay with the customer"),
        CostTerm(Term.REFUND_DELAY, 0, "refund at once"),
    )
    return Shipment(
        destination_id="",
        destination_kind=DestinationKind.NONE,
        destination_country=ctx.ret.customer_country,
        items=tuple(
            ItemAllocation(u.item.sku, u.quantity, Disposition.RETURNLESS, 0) for u in units
        ),
        legs=(),
        terms=terms,
        customs=(),
        days_to_refund=0,
        days_to_resale=None,
        co2e_g=0,
    )
