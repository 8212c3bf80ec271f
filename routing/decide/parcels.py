"""What one shipment carries: the return's units, the per-request context, and their parcel.

A :class:`Unit` is an item line (or part of one) valued in the network's base currency; the
:class:`Context` is what costing any route of the request reads besides the route (the return,
the policy, the customs assessor, per-request memos); a :class:`Parcel` packs units once, with
what every route's costing reads of them (weights, the size of a box packing them, its customs
lines and its share of the original import), and ``size_violation`` says when a service cannot
take it.
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
from hubs.model import ConditionGrade, Policy
from routing.decide.compiled import Route
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
