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
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from customs.api import (
    Amounts,
    Assessment,
    Channel,
    Crossing,
    CustomsAssessor,
    CustomsItem,
    CustomsNotCovered,
    ImportRecord,
    ReturnReason,
)
from hubs.model import ConditionGrade, Disposition, Policy
from routing.decide.compiled import DispositionChoice, Route
from routing.decide.domain import (
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
    amounts: dict[tuple[object, ...], Amounts]  # per-request memo of the same crossings' amounts
    areas: dict[tuple[str, str, str], str]  # per-request memo of customs areas


@dataclass(frozen=True, slots=True)
class Parcel:
    """Units sent together in one parcel, with what the costing of every route reads of them,
    worked out once (``parcel``) instead of once per route."""

    units: tuple[Unit, ...]
    actual_g: int
    volume_cm3: int  # for the volumetric weight
    longest_mm: int  # longest side of a box packing the units
    girth_mm: int  # its length + girth (square cross-section)
    n_units: int
    key: tuple[tuple[int, int], ...]  # (item index, quantity) per unit line: memo keys
    reason: ReturnReason  # of its crossings (see ``_reason``)
    customs_items: tuple[CustomsItem, ...]
    original_import: ImportRecord  # the units' share of the import into the customer's country
    # memo of ``customs_net_minor`` per Route.customs_sig_id
    nets: dict[int, int | CustomsNotCovered] = field(compare=False, repr=False)


def parcel(ctx: Context, units: Sequence[Unit]) -> Parcel:
    """The parcel of ``units`` (at least one) for the return of ``ctx``."""
    r = ctx.ret
    length = max(max(u.item.dims_mm) for u in units)  # >= 1: dimensions are validated
    volume_mm3 = sum(
        u.item.dims_mm[0] * u.item.dims_mm[1] * u.item.dims_mm[2] * u.quantity for u in units
    )
    return Parcel(
        units=tuple(units),
        actual_g=sum(u.item.weight_g * u.quantity for u in units),
        volume_cm3=sum(u.item.volume_cm3 * u.quantity for u in units),
        longest_mm=length,
        girth_mm=math.ceil(length + 4 * math.sqrt(volume_mm3 / length)),
        n_units=sum(u.quantity for u in units),
        key=tuple((u.index, u.quantity) for u in units),
        reason=_reason(units),
        customs_items=_customs_items(units),
        original_import=ImportRecord(
            country=r.customer_country,
            import_date=r.import_date,
            duty_paid_minor=_share(r.duty_paid_minor, units, ctx.value_base_minor),
            vat_paid_minor=_share(r.vat_paid_minor, units, ctx.value_base_minor),
            currency=r.paid_currency,
            vat_collected_at_checkout=r.vat_collected_at_checkout,
        ),
        nets={},
    )


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The numbers of one route for some units; ``build`` makes the Shipment from it."""

    route: Route
    parcel: Parcel
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
    def units(self) -> tuple[Unit, ...]:
        return self.parcel.units

    @property
    def days_to_refund(self) -> int:
        return self.route.days_to_refund


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


def _first_key(
    ctx: Context, route: Route, p: Parcel
) -> tuple[tuple[object, ...], Channel, bool, bool]:
    """The per-request memo key of a route's first crossing, its channel, re-entry and bond."""
    first = route.first_stop
    back = reentry(ctx, first.country, first.territory)
    bonded = first.bonded and not back
    key = ("in", first.country, first.territory, route.channel, back, bonded, p.key)
    return key, route.channel, back, bonded


def _first_input(
    ctx: Context, route: Route, p: Parcel, channel: Channel, back: bool, bonded: bool
) -> Crossing:
    r = ctx.ret
    first = route.first_stop
    return Crossing(
        export_country=r.customer_country,
        import_country=first.country,
        goods_origin_country=ctx.goods_origin_country,
        channel=channel,
        reason=p.reason,
        export_territory=r.customer_territory,
        import_territory=first.territory,
        reentry=back,
        bonded_destination=bonded,
        export_date=r.import_date,  # left the origin about when it entered A (see note)
        original_import=p.original_import,
    )


def _first_crossing(ctx: Context, route: Route, p: Parcel) -> Assessment:
    key, channel, back, bonded = _first_key(ctx, route, p)
    found = ctx.assessments.get(key)
    if found is None:
        crossing = _first_input(ctx, route, p, channel, back, bonded)
        found = ctx.customs.assess(
            crossing, p.customs_items, ctx.ret.return_date, currency=ctx.currency
        )
        ctx.assessments[key] = found
    return found


def _first_amounts(ctx: Context, route: Route, p: Parcel) -> Amounts:
    """The amounts of ``_first_crossing`` (the same crossing, memoized by the same key)."""
    key, channel, back, bonded = _first_key(ctx, route, p)
    found = ctx.amounts.get(key)
    if found is None:
        crossing = _first_input(ctx, route, p, channel, back, bonded)
        found = ctx.customs.amounts(
            crossing, p.customs_items, ctx.ret.return_date, currency=ctx.currency
        )
        ctx.amounts[key] = found
    return found


def _onward_key(route: Route, p: Parcel, due: tuple[int, int]) -> tuple[object, ...]:
    first, dest = route.first_stop, route.destination
    return ("on", first.country, dest.country, dest.territory, dest.bonded, due, p.key)


def _onward_input(ctx: Context, route: Route, p: Parcel, due: tuple[int, int]) -> Crossing:
    r = ctx.ret
    first, dest = route.first_stop, route.destination
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
    return Crossing(
        export_country=first.country,
        import_country=dest.country,
        goods_origin_country=ctx.goods_origin_country,
        channel=Channel.FREIGHT,
        reason=p.reason,
        export_territory=first.territory,
        import_territory=dest.territory,
        reentry=back,
        bonded_destination=dest.bonded and not back,
        original_import=original,
        export_date=r.import_date,
    )


def _onward_crossing(ctx: Context, route: Route, p: Parcel, paid: Assessment | None) -> Assessment:
    due = (paid.duty_due_minor, paid.vat_due_minor) if paid is not None else (0, 0)
    key = _onward_key(route, p, due)
    found = ctx.assessments.get(key)
    if found is None:
        crossing = _onward_input(ctx, route, p, due)
        found = ctx.customs.assess(
            crossing, p.customs_items, ctx.ret.return_date, currency=ctx.currency
        )
        ctx.assessments[key] = found
    return found


def _onward_amounts(ctx: Context, route: Route, p: Parcel, paid: Amounts | None) -> Amounts:
    """The amounts of ``_onward_crossing`` (the same crossing, memoized by the same key)."""
    due = (paid.duty_due_minor, paid.vat_due_minor) if paid is not None else (0, 0)
    key = _onward_key(route, p, due)
    found = ctx.amounts.get(key)
    if found is None:
        crossing = _onward_input(ctx, route, p, due)
        found = ctx.customs.amounts(
            crossing, p.customs_items, ctx.ret.return_date, currency=ctx.currency
        )
        ctx.amounts[key] = found
    return found


def _crosses_first(ctx: Context, route: Route) -> bool:
    first, r = route.first_stop, ctx.ret
    return first.country != r.customer_country or first.territory != r.customer_territory


def crossings(ctx: Context, route: Route, p: Parcel) -> tuple[Assessment, ...]:
    """Assess each border the route crosses (none when it stays in the customer's country)."""
    out: list[Assessment] = []
    if _crosses_first(ctx, route):
        out.append(_first_crossing(ctx, route, p))
    if route.crosses_onward:
        out.append(_onward_crossing(ctx, route, p, out[-1] if out else None))
    return tuple(out)


def customs_net_minor(ctx: Context, route: Route, p: Parcel) -> int | PreconditionViolation:
    """``customs_charges(...).net_minor`` of the parcel on ``route`` from the assessor's
    amounts (no documents or explanations built): what the batch planner needs of each route.
    Memoized per parcel on what of the route its crossings read (``Route.customs_sig``)."""
    got = p.nets.get(route.customs_sig_id)
    if got is None:
        got = _customs_net(ctx, route, p)
        p.nets[route.customs_sig_id] = got
    if isinstance(got, CustomsNotCovered):  # as customs_charges
        return PreconditionViolation(
            "CUSTOMS_NOT_COVERED", f"facility:{route.first_stop.id}", f"{got.field}: {got.reason}"
        )
    return got


def _customs_net(ctx: Context, route: Route, p: Parcel) -> int | CustomsNotCovered:
    try:
        paid = _first_amounts(ctx, route, p) if _crosses_first(ctx, route) else None
        onward = _onward_amounts(ctx, route, p, paid) if route.crosses_onward else None
    except CustomsNotCovered as exc:
        return exc
    # as customs_charges: duties and VAT of both, the reclaims of the first assessment when it
    # leaves the customer's country
    net = 0
    if paid is not None:
        net = paid.duty_due_minor + paid.vat_due_minor
        net -= paid.reclaim_duty_minor + paid.reclaim_vat_minor
    if onward is not None:
        net += onward.duty_due_minor + onward.vat_due_minor
        if paid is None and route.first_stop.country == ctx.ret.customer_country:
            net -= onward.reclaim_duty_minor + onward.reclaim_vat_minor
    return net


def size_violation(route: Route, p: Parcel) -> PreconditionViolation | None:
    """Longest side and length + girth of a box packing the parcel (square cross-section)."""
    svc = route.service
    length = p.longest_mm
    if length > svc.max_length_mm:
        return PreconditionViolation(
            "OVER_MAX_SIZE",
            f"service:{svc.id}",
            f"longest side {length} mm > {svc.max_length_mm} mm",
        )
    girth = p.girth_mm
    if girth > svc.max_length_plus_girth_mm:
        return PreconditionViolation(
            "OVER_MAX_SIZE",
            f"service:{svc.id}",
            f"length + girth {girth} mm > {svc.max_length_plus_girth_mm} mm",
        )
    return None


def evaluate(
    ctx: Context, route: Route, p: Parcel, unit_share_bp: int
) -> Evaluation | PreconditionViolation:
    """The numbers of the parcel sent on ``route`` (``unit_share_bp`` = its share of all the
    return's units), or why the route cannot take it."""
    base = evaluate_base(ctx, route, p, unit_share_bp)
    return base if isinstance(base, PreconditionViolation) else add_customs(ctx, base)


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


def base_numbers(
    ctx: Context, route: Route, p: Parcel, unit_share_bp: int
) -> BaseNumbers | PreconditionViolation:
    """The numbers of ``evaluate_base`` without the Evaluation (the batch planner's path)."""
    svc = route.service
    actual_g = p.actual_g
    if actual_g > svc.max_weight_g:
        return PreconditionViolation(
            "OVER_MAX_WEIGHT", f"service:{svc.id}", f"{actual_g} g > {svc.max_weight_g} g"
        )
    if p.longest_mm > svc.max_length_mm or p.girth_mm > svc.max_length_plus_girth_mm:
        too_big = size_violation(route, p)
        assert too_big is not None
        return too_big
    card = route.card
    billable_g = max(actual_g, math.ceil(p.volume_cm3 * 1000 / card.volumetric_divisor_cm3_per_kg))
    carriage = card.price(route.path.zone, billable_g)
    if carriage is None:
        return PreconditionViolation(
            "OVER_MAX_WEIGHT",
            f"rate_card:{card.id}",
            f"billable {billable_g} g > last weight break {card.weight_upper_g[-1]} g",
        )
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
    fees = card.per_parcel_fee_minor
    linehaul = 0
    # (integers: actual_g x distance x factor is exact whatever the grouping)
    co2e_g = math.ceil(actual_g * route.parcel_co2e_g_km_per_tkm / 1_000_000)
    if route.lane is not None:
        linehaul = route.lane_share_per_unit_minor * n_units + math.ceil(
            actual_g * route.lane_per_kg_minor / 1000
        )
        co2e_g += math.ceil(actual_g * route.lane_co2e_g_km_per_tkm / 1_000_000)
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
    )


def evaluate_base(
    ctx: Context, route: Route, p: Parcel, unit_share_bp: int
) -> Evaluation | PreconditionViolation:
    """Everything but customs (``customs_done`` false). Customs can lower the net cost by at
    most what was paid at import, so ``net_cost_minor - max reclaim`` bounds the final cost."""
    b = base_numbers(ctx, route, p, unit_share_bp)
    if isinstance(b, PreconditionViolation):
        return b
    return base_evaluation(route, p, unit_share_bp, b)


def base_evaluation(
    route: Route,
    p: Parcel,
    unit_share_bp: int,
    b: BaseNumbers,
    c: CustomsCharges | None = None,
) -> Evaluation:
    """``evaluate_base`` of the numbers ``b = base_numbers(ctx, route, p, unit_share_bp)``;
    with ``c = route_customs_charges(ctx, route, p)``, ``add_customs`` of that in one step."""
    if c is not None:
        return Evaluation(
            route=route,
            parcel=p,
            unit_share_bp=unit_share_bp,
            actual_g=p.actual_g,
            billable_g=b.billable_g,
            carriage=b.carriage,
            fuel=b.fuel,
            fees=b.fees,
            linehaul=b.linehaul,
            handling=b.handling,
            disposition_cost=b.disposition_cost,
            duty_due=c.duty_due,
            vat_due=c.vat_due,
            reclaim_duty=c.reclaim_duty,
            reclaim_vat=c.reclaim_vat,
            recovery=b.recovery,
            refund_delay=b.refund_delay,
            resale_delay=b.resale_delay,
            co2e_g=b.co2e_g,
            co2e_cost=b.co2e_cost,
            choices=b.choices,
            assessments=c.assessments,
            net_cost_minor=b.net_cost_minor + c.net_minor,
            customs_done=True,
        )
    return Evaluation(
        route=route,
        parcel=p,
        unit_share_bp=unit_share_bp,
        actual_g=p.actual_g,
        billable_g=b.billable_g,
        carriage=b.carriage,
        fuel=b.fuel,
        fees=b.fees,
        linehaul=b.linehaul,
        handling=b.handling,
        disposition_cost=b.disposition_cost,
        duty_due=0,
        vat_due=0,
        reclaim_duty=0,
        reclaim_vat=0,
        recovery=b.recovery,
        refund_delay=b.refund_delay,
        resale_delay=b.resale_delay,
        co2e_g=b.co2e_g,
        co2e_cost=b.co2e_cost,
        choices=b.choices,
        assessments=(),
        net_cost_minor=b.net_cost_minor,
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
    return route_customs_charges(ctx, e.route, e.parcel)


def route_customs_charges(
    ctx: Context, route: Route, p: Parcel
) -> CustomsCharges | PreconditionViolation:
    """``customs_charges`` of the parcel ``p`` on ``route``."""
    try:
        assessments = crossings(ctx, route, p)
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
    cap = ctx.policy.returnless_max_value_minor
    for u in units:
        if u.value_base_minor > cap:
            return PreconditionViolation(
                "RETURNLESS_OVER_VALUE",
                f"item:{u.item.sku}",
                f"unit value {u.value_base_minor} > returnless cap {cap}"
                f" ({ctx.currency} minor units)",
            )
    return None


_RETURNLESS_TERMS = (
    CostTerm(Term.RECOVERY_VALUE, 0, "goods stay with the customer"),
    CostTerm(Term.REFUND_DELAY, 0, "refund at once"),
)
RETURNLESS_NET_MINOR = sum(t.amount_minor for t in _RETURNLESS_TERMS)  # its Shipment's net cost
