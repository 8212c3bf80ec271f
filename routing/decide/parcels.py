"""What one shipment carries: the return's units, the per-request context, and their parcel.

A :class:`Unit` is an item line (or part of one) valued in the network's base currency; the
:class:`Context` is what costing any route of the request reads besides the route (the return,
the policy, the customs assessor, per-request memos); a :class:`Parcel` packs units once, with
what every route's costing reads of them (weights, the size of a box packing them, its customs
lines and its share of the original import), and ``size_violation`` says when a service cannot
take it.

When the whole parcel is over a service's weight, length or girth limit, ``pack`` packs its
units into several parcels (or pallets) that each fit, and each is priced on its own billable
weight. The packing is first-fit decreasing by billable weight (FFD: Johnson 1973, at most
11/9 OPT + 6/9 bins for one dimension), run once per weight break of the rate card as the bin
capacity, keeping the cheapest. Why a heuristic and not a packing model: a return has a handful
of unit lines, FFD is within a bin or two of optimal on those, and it runs in microseconds on
the hot path where a CP-SAT model per route would cost milliseconds; trying every weight break
as the capacity fixes FFD's blind spot, that fewer parcels are not always cheaper (two 20 kg
parcels can cost less than 31.5 kg + 8.5 kg). Sizes follow the single parcel's model: a box of
the pieces' volume on a square cross-section, as long as its longest piece.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from customs.api import (
    Amounts,
    Assessment,
    CustomsAssessor,
    CustomsItem,
    CustomsNotCovered,
    ImportRecord,
    ReturnReason,
)
from hubs.model import CarrierService, ConditionGrade, Policy, RefundTrigger
from routing.decide.compiled import CompiledRateCard, Route
from routing.decide.domain import Item, Return
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
    # the merchant policy resolved against the network's defaults (base currency)
    trigger: RefundTrigger = RefundTrigger.GRADED
    keep_it_cap_minor: int = 0  # per unit value
    local_cap_minor: int | None = None  # per unit value; None: no cap
    max_loss_bp: int = 10_000
    allow_local: bool = True


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
    # memo of ``pack`` per (service id, zone)
    packs: dict[tuple[str, int], Packing | PreconditionViolation] = field(
        default_factory=dict, compare=False, repr=False
    )


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
class Packing:
    """Units packed into several parcels of one service: each parcel's billable weight and
    price (base currency, before fuel), and their sums."""

    billable_g: tuple[int, ...]  # per parcel
    prices_minor: tuple[int, ...]  # per parcel, from the rate card
    actual_g: tuple[int, ...]  # per parcel

    @property
    def parcels(self) -> int:
        return len(self.billable_g)

    @property
    def carriage_minor(self) -> int:
        return sum(self.prices_minor)


class _Bin:
    __slots__ = ("actual_g", "longest_mm", "volume_cm3", "volume_mm3")

    def __init__(self) -> None:
        self.actual_g = self.volume_cm3 = self.volume_mm3 = self.longest_mm = 0


def _girth(longest_mm: int, volume_mm3: int) -> int:
    return math.ceil(longest_mm + 4 * math.sqrt(volume_mm3 / longest_mm))


def pack(
    p: Parcel, svc: CarrierService, card: CompiledRateCard, zone: int
) -> Packing | PreconditionViolation:
    """The cheapest FFD packing of the parcel's units into parcels ``svc`` takes (see the
    module's docstring), or why it takes some unit in no parcel at all."""
    key = (svc.id, zone)
    got = p.packs.get(key)
    if got is None:
        got = p.packs[key] = _pack(p, svc, card, zone)
    return got


def _pack(
    p: Parcel, svc: CarrierService, card: CompiledRateCard, zone: int
) -> Packing | PreconditionViolation:
    divisor = card.volumetric_divisor_cm3_per_kg
    limit_g = min(svc.max_weight_g, card.weight_upper_g[-1])
    lines = []  # (billable g per piece, actual g, volume cm3, volume mm3, longest mm, count)
    for u in p.units:
        item = u.item
        longest = max(item.dims_mm)
        vol_mm3 = item.dims_mm[0] * item.dims_mm[1] * item.dims_mm[2]
        billable = max(item.weight_g, math.ceil(item.volume_cm3 * 1000 / divisor))
        if longest > svc.max_length_mm or _girth(longest, vol_mm3) > svc.max_length_plus_girth_mm:
            return PreconditionViolation(
                "OVER_MAX_SIZE",
                f"service:{svc.id}",
                f"one unit of {item.sku[:64]} ({item.dims_mm[0]} x {item.dims_mm[1]} x"
                f" {item.dims_mm[2]} mm) is over the service's size limits",
            )
        if billable > limit_g:
            return PreconditionViolation(
                "OVER_MAX_WEIGHT",
                f"service:{svc.id}",
                f"one unit of {item.sku[:64]} weighs {billable} g billable > {limit_g} g",
            )
        lines.append((billable, item.weight_g, item.volume_cm3, vol_mm3, longest, u.quantity))
    lines.sort(key=lambda line: line[0], reverse=True)
    heaviest = lines[0][0]
    best: Packing | None = None
    for cap in card.weight_upper_g:
        if cap < heaviest:
            continue
        cap = min(cap, limit_g)
        bins = _ffd(lines, cap, svc, divisor)
        weights = tuple(max(b.actual_g, math.ceil(b.volume_cm3 * 1000 / divisor)) for b in bins)
        prices = [card.price(zone, g) for g in weights]
        if any(price is None for price in prices):
            continue
        packing = Packing(
            weights,
            tuple(x for x in prices if x is not None),
            tuple(b.actual_g for b in bins),
        )
        if best is None or packing.carriage_minor < best.carriage_minor:
            best = packing
        if cap == limit_g:
            break
    if best is None:
        return PreconditionViolation(
            "OVER_MAX_WEIGHT", f"service:{svc.id}", f"no packing within {limit_g} g per parcel"
        )
    return best


def _ffd(
    lines: Sequence[tuple[int, int, int, int, int, int]],
    cap_g: int,
    svc: CarrierService,
    divisor: int,
) -> list[_Bin]:
    """First-fit decreasing: each line's pieces (heaviest billable first) into the first
    parcel with room, as many at a time as fit (a line of many identical pieces is placed in
    bulk, not piece by piece)."""
    bins: list[_Bin] = []
    max_len, max_girth = svc.max_length_mm, svc.max_length_plus_girth_mm

    def fits(b: _Bin, n: int, actual: int, cm3: int, mm3: int, longest: int) -> bool:
        a = b.actual_g + n * actual
        if a > cap_g or math.ceil((b.volume_cm3 + n * cm3) * 1000 / divisor) > cap_g:
            return False
        length = max(b.longest_mm, longest)
        return length <= max_len and _girth(length, b.volume_mm3 + n * mm3) <= max_girth

    for _billable, actual, cm3, mm3, longest, count in lines:
        left = count
        for b in bins:
            if left == 0:
                break
            if not fits(b, 1, actual, cm3, mm3, longest):
                continue
            lo, hi = 1, left  # the most pieces that fit (fitting is monotone in n)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if fits(b, mid, actual, cm3, mm3, longest):
                    lo = mid
                else:
                    hi = mid - 1
            _add(b, lo, actual, cm3, mm3, longest)
            left -= lo
        while left:
            b = _Bin()
            bins.append(b)
            lo, hi = 1, left
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if fits(b, mid, actual, cm3, mm3, longest):
                    lo = mid
                else:
                    hi = mid - 1
            _add(b, lo, actual, cm3, mm3, longest)
            left -= lo
    return bins


def _add(b: _Bin, n: int, actual: int, cm3: int, mm3: int, longest: int) -> None:
    b.actual_g += n * actual
    b.volume_cm3 += n * cm3
    b.volume_mm3 += n * mm3
    b.longest_mm = max(b.longest_mm, longest)


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


def _share(total_minor: int, units: Sequence[Unit], whole_value_minor: int) -> int:
    """The part of an amount paid for the whole return that these units carry, by value."""
    part = sum(u.value_base_minor * u.quantity for u in units)
    if total_minor == 0 or part >= whole_value_minor:
        return total_minor
    return total_minor * part // whole_value_minor


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
