"""Customs along a route: the borders the goods cross, what each charges and what it reclaims.

A route is walked stop by stop (:class:`Hop`: the customer's place, then the first stop by the
route's parcel channel, then, on a line-haul, the destination by freight). Every hop that
changes place is assessed through the customs engine's one entry point (``assess``, or its
``amounts`` without the explanation), the one the customs quote uses:

- **export with its reclaim**: the goods carry the record of the duty and VAT paid where they
  last entered (the original import into the customer's country, or an entry charged on the
  way). That record goes with every crossing that leaves from inside the customs area where it
  was paid, so its reclaim is credited where the goods leave that area, wherever on the route
  that falls: a French return consolidated at a Dutch hub and sent on to the US reclaims its
  French import VAT on the hub's export, as a direct parcel from France would. Once credited,
  a duty or VAT share is not offered again; once the goods leave the area, what was not
  reclaimed there is lost;
- **transit through a bonded hub**: entering a bonded facility charges nothing (the goods stay
  under customs supervision), so the goods carry no new record onward;
- **re-entry with returned-goods relief**: a hop into the customs area the goods were first
  exported from is a re-entry (``Crossing.reentry``), never bonded.

``route_customs_charges`` sums the assessments into :class:`CustomsCharges`;
``customs_net_minor`` is the same net from the engine's amounts only, what the batch planner
needs of every route. Assessments, amounts and customs areas are memoized per request (on the
:class:`~routing.decide.parcels.Context`), nets per parcel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple, TypeVar

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

__all__ = [
    "CustomsCharges",
    "Hop",
    "crossings",
    "customs_net_minor",
    "hops_of",
    "reentry",
    "route_customs_charges",
    "walk_amounts",
    "walk_assessments",
]


class Hop(NamedTuple):
    """One move of the goods: to a place (country, territory, bonded or not) by a channel."""

    country: str
    territory: str
    bonded: bool  # the place is a customs warehouse (no duty/VAT due on entry)
    channel: Channel
    facility_id: str  # who to name when the tables do not cover the hop


def hops_of(route: Route) -> tuple[Hop, ...]:
    """The route's moves after the customer's place: the parcel leg, and the line-haul."""
    first, dest = route.first_stop, route.destination
    out = [Hop(first.country, first.territory, first.bonded, route.channel, first.id)]
    if route.lane is not None:
        out.append(Hop(dest.country, dest.territory, dest.bonded, Channel.FREIGHT, dest.id))
    return tuple(out)


def area(ctx: Context, country: str, territory: str) -> str:
    """The customs area of a place on the return date (memoized per request)."""
    key = ("area", country, territory)
    found = ctx.areas.get(key)
    if found is None:
        found = ctx.customs.customs_area(country, territory, ctx.ret.return_date)
        ctx.areas[key] = found
    return found


def reentry(ctx: Context, country: str, territory: str) -> bool:
    """Do goods entering this place re-enter the customs territory they were exported from?"""
    return area(ctx, country, territory) == ctx.origin_area


# The goods' export date from the origin is not in the request; the import into the customer's
# country stands for it. That understates the time since export by the outbound transit days,
# so a returned-goods relief near its limit may be granted a few days too long.

R = TypeVar("R", Assessment, Amounts)


def _walk(
    ctx: Context,
    hops: Sequence[Hop],
    p: Parcel,
    probe: Callable[[Crossing, tuple[object, ...]], R],
    amounts_of: Callable[[R], Amounts],
) -> list[R]:
    """Assess every hop that changes place, carrying the record of what was paid (see the
    module docstring). ``probe`` answers one crossing (memoized on the key it is given)."""
    r = ctx.ret
    out: list[R] = []
    here: tuple[str, str] = (r.customer_country, r.customer_territory)
    record: ImportRecord | None = p.original_import
    paid_area = area(ctx, *here)
    for hop in hops:
        there: tuple[str, str] = (hop.country, hop.territory)
        if there == here:
            continue
        from_area, to_area = area(ctx, *here), area(ctx, *there)
        back = to_area == ctx.origin_area
        bonded = hop.bonded and not back
        given = record if record is not None and from_area == paid_area else None
        crossing = Crossing(
            export_country=here[0],
            import_country=there[0],
            goods_origin_country=ctx.goods_origin_country,
            channel=hop.channel,
            reason=p.reason,
            export_territory=here[1],
            import_territory=there[1],
            reentry=back,
            bonded_destination=bonded,
            original_import=given,
            export_date=r.import_date,  # left the origin about when it entered A (see note)
        )
        key = (*here, *there, hop.channel, back, bonded, given, p.key)
        got = probe(crossing, key)
        out.append(got)
        a = amounts_of(got)
        if given is not None and (a.reclaim_duty_minor or a.reclaim_vat_minor):
            # credited once: the shares reclaimed here are not offered again
            record = replace(
                given,
                duty_paid_minor=0 if a.reclaim_duty_minor else given.duty_paid_minor,
                vat_paid_minor=0 if a.reclaim_vat_minor else given.vat_paid_minor,
            )
            if record.duty_paid_minor == record.vat_paid_minor == 0:
                record = None
        if to_area != paid_area:
            record = None  # left the area where it was paid: what was not reclaimed is lost
        if a.duty_due_minor or a.vat_due_minor:  # paid on this entry: reclaimable on leaving
            record = ImportRecord(
                country=there[0],
                import_date=r.return_date,
                duty_paid_minor=a.duty_due_minor,
                vat_paid_minor=a.vat_due_minor,
                currency=ctx.currency,
            )
            paid_area = to_area
        here = there
    return out


def walk_assessments(ctx: Context, hops: Sequence[Hop], p: Parcel) -> list[Assessment]:
    """The full assessment of every crossing along ``hops`` (raises CustomsNotCovered)."""

    def probe(crossing: Crossing, key: tuple[object, ...]) -> Assessment:
        found = ctx.assessments.get(key)
        if found is None:
            found = ctx.customs.assess(
                crossing, p.customs_items, ctx.ret.return_date, currency=ctx.currency
            )
            ctx.assessments[key] = found
        return found

    return _walk(ctx, hops, p, probe, Amounts.of)


def walk_amounts(ctx: Context, hops: Sequence[Hop], p: Parcel) -> list[Amounts]:
    """``Amounts.of`` each of ``walk_assessments`` (the same crossings, built cheaper)."""

    def probe(crossing: Crossing, key: tuple[object, ...]) -> Amounts:
        found = ctx.amounts.get(key)
        if found is None:
            found = ctx.customs.amounts(
                crossing, p.customs_items, ctx.ret.return_date, currency=ctx.currency
            )
            ctx.amounts[key] = found
        return found

    return _walk(ctx, hops, p, probe, _same)


def _same(a: Amounts) -> Amounts:
    return a


def crossings(ctx: Context, route: Route, p: Parcel) -> tuple[Assessment, ...]:
    """Assess each border the route crosses (none when it stays in the customer's place)."""
    return tuple(walk_assessments(ctx, hops_of(route), p))


def _not_covered(route: Route, exc: CustomsNotCovered) -> PreconditionViolation:
    return PreconditionViolation(
        "CUSTOMS_NOT_COVERED", f"facility:{route.first_stop.id}", f"{exc.field}: {exc.reason}"
    )


def customs_net_minor(ctx: Context, route: Route, p: Parcel) -> int | PreconditionViolation:
    """``route_customs_charges(...).net_minor`` of the parcel on ``route`` from the assessor's
    amounts (no documents or explanations built): what the batch planner needs of each route.
    Memoized per parcel on what of the route its crossings read (``Route.customs_sig``)."""
    got = p.nets.get(route.customs_sig_id)
    if got is None:
        try:
            got = sum(
                a.duty_due_minor + a.vat_due_minor - a.reclaim_duty_minor - a.reclaim_vat_minor
                for a in walk_amounts(ctx, hops_of(route), p)
            )
        except CustomsNotCovered as exc:
            got = exc
        p.nets[route.customs_sig_id] = got
    if isinstance(got, CustomsNotCovered):  # as route_customs_charges
        return _not_covered(route, got)
    return got


@dataclass(frozen=True, slots=True)
class CustomsCharges:
    """What a route's borders add: duties and import VAT due on each entry, and the reclaims
    of duty and VAT paid earlier, credited where the goods leave the area they were paid in."""

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
        return _not_covered(route, exc)
    duty_due = vat_due = reclaim_duty = reclaim_vat = 0
    for a in assessments:
        duty_due += a.duty_due_minor
        vat_due += a.vat_due_minor
        # the routes customs lists are cumulative (a customs route plus the seller's VAT
        # route); only a crossing given a record of what was paid lists any
        for claim in a.reclaims:
            reclaim_duty += claim.duty_minor
            reclaim_vat += claim.vat_minor
    return CustomsCharges(assessments, duty_due, vat_due, reclaim_duty, reclaim_vat)
