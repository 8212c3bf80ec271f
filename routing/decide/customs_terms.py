"""Customs along a route: the borders a parcel crosses, what each charges and what it reclaims.

A route crosses at most two borders: from the customer's country to its first stop (by the
route's parcel channel) and, on a line-haul, from the first stop to the destination (freight).
``crossings`` assesses them with the customs engine (documents and explanations included) and
``route_customs_charges`` sums them into :class:`CustomsCharges`: duties and import VAT due,
and the reclaims of the original import's duty and VAT when the goods leave the customer's
country. ``customs_net_minor`` is the same net from the assessor's amounts only, what the batch
planner needs of every route. Assessments, amounts and customs areas are memoized per request
(on the :class:`~routing.decide.parcels.Context`), nets per parcel.
"""

from __future__ import annotations

from dataclasses import dataclass

from customs.api import (
    Amounts,
    Assessment,
    Channel,
    Crossing,
    CustomsNotCovered,
    ImportRecord,
)
from routing.decide.compiled import Route
from routing.decide.parcels import Context, Parcel
from routing.errors import PreconditionViolation


def reentry(ctx: Context, country: str, territory: str) -> bool:
    """Do goods entering this place re-enter the customs territory they were exported from?"""
    key = ("area", country, territory)
    area = ctx.areas.get(key)
    if area is None:
        area = ctx.customs.customs_area(country, territory, ctx.ret.return_date)
        ctx.areas[key] = area
    return area == ctx.origin_area


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
    """``route_customs_charges(...).net_minor`` of the parcel on ``route`` from the assessor's
    amounts (no documents or explanations built): what the batch planner needs of each route.
    Memoized per parcel on what of the route its crossings read (``Route.customs_sig``)."""
    got = p.nets.get(route.customs_sig_id)
    if got is None:
        got = _customs_net(ctx, route, p)
        p.nets[route.customs_sig_id] = got
    if isinstance(got, CustomsNotCovered):  # as route_customs_charges
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
    # as route_customs_charges: duties and VAT of both, the reclaims of the first assessment
    # when it leaves the customer's country
    net = 0
    if paid is not None:
        net = paid.duty_due_minor + paid.vat_due_minor
        net -= paid.reclaim_duty_minor + paid.reclaim_vat_minor
    if onward is not None:
        net += onward.duty_due_minor + onward.vat_due_minor
        if paid is None and route.first_stop.country == ctx.ret.customer_country:
            net -= onward.reclaim_duty_minor + onward.reclaim_vat_minor
    return net


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


def route_customs_charges(
    ctx: Context, route: Route, p: Parcel
) -> CustomsCharges | PreconditionViolation:
    """What the borders of ``route`` charge for the parcel ``p`` (``customs_charges`` of
    :mod:`routing.decide.costing` is this for an Evaluation)."""
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
