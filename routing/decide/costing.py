"""Integer costing of one shipment: every term named, all in the network's base currency.

net = parcel carriage + fuel + carrier fees + line-haul share + handling + disposition cost
      + duties and import VAT due at each border - duty/VAT reclaimable - recovery value
      + refund-delay and resale-delay prices + priced CO2e.

Two steps, so the hot path stays cheap: ``evaluate`` computes the numbers of a route (plain
integers, no objects for the answer), and ``build`` (:mod:`routing.decide.shipments`) turns an
evaluation into the Shipment with its legs, named terms and customs summary, only for the
options a decision returns.

This module owns the :class:`Evaluation` of a route and its steps: ``evaluate_base`` (the base
costs, :mod:`routing.decide.base_costs`), then ``add_customs`` (the borders,
:mod:`routing.decide.customs_terms`). What is costed, the units and their parcel, is
:mod:`routing.decide.parcels`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from customs.api import Assessment
from routing.decide.base_costs import BaseNumbers, base_numbers
from routing.decide.compiled import DispositionChoice, Route
from routing.decide.customs_terms import CustomsCharges, route_customs_charges
from routing.decide.parcels import Context, Parcel, Unit
from routing.errors import PreconditionViolation


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
    days_to_refund: int  # on the merchant's refund trigger
    parcels: int  # parcels (or pallets) of the first leg
    lane_billable_g: int  # what the line-haul bills per kg on

    @property
    def units(self) -> tuple[Unit, ...]:
        return self.parcel.units


def evaluate(
    ctx: Context, route: Route, p: Parcel, unit_share_bp: int
) -> Evaluation | PreconditionViolation:
    """The numbers of the parcel sent on ``route`` (``unit_share_bp`` = its share of all the
    return's units), or why the route cannot take it."""
    base = evaluate_base(ctx, route, p, unit_share_bp)
    return base if isinstance(base, PreconditionViolation) else add_customs(ctx, base)


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
            days_to_refund=b.days_to_refund,
            parcels=b.parcels,
            lane_billable_g=b.lane_billable_g,
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
        days_to_refund=b.days_to_refund,
        parcels=b.parcels,
        lane_billable_g=b.lane_billable_g,
    )


def customs_charges(ctx: Context, e: Evaluation) -> CustomsCharges | PreconditionViolation:
    """Assess each border of the route of ``e`` (its cost is ``e.net_cost_minor`` plus
    ``net_minor``); the batch planner needs only this, not a new Evaluation."""
    return route_customs_charges(ctx, e.route, e.parcel)


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
