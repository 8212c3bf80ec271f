"""Split a multi-item return across destinations when that is cheaper: a small CP-SAT model.

The candidates are the cheapest whole-return routes (and the returnless refund); each becomes
plain numbers for ``routing.solver.solve_split``, which owns the model: n[i,p] units of item
line i sent on candidate p; y[p] = candidate p ships a parcel; z[p,k] = its parcel falls in
weight break k. The parcel price is exact per weight break (billable = max(actual,
volumetric)); per-unit terms (handling, line-haul share, disposition, recovery, time, customs
allocated by value) are linear. The solution is then re-costed exactly by
``routing.decide.costing`` (de minimis and other per-consignment rules included) and only kept
when that exact cost beats every whole option.

Shipments of a split whose routes share the parcel leg (the same service to the same first
facility, e.g. one part liquidated at a hub and the rest forwarded on its line-haul) travel as
one shipment and are split there: their units are packed and priced together once, the first
stop receives (and charges for) one consignment, and the other shipments' parcel-leg terms
say where they travel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from hubs.model import RefundTrigger
from routing.decide.base_costs import base_numbers, best_disposition
from routing.decide.compiled import LocalOptions
from routing.decide.costing import Evaluation, evaluate
from routing.decide.domain import CostTerm, Option, Shipment, Term
from routing.decide.parcels import Context, Unit, parcel
from routing.decide.shipments import build, local_disposal, local_unit_credit, returnless
from routing.errors import PreconditionViolation
from routing.solver import SplitCandidate, SplitParcel, solve_split

MAX_CANDIDATES = 12  # cheapest whole-return candidates offered to the split model
TIME_LIMIT_S = 0.5


def _unit_cost(ctx: Context, e: Evaluation, u: Unit, total_units: int) -> int | None:
    """Linear cost of one unit of ``u`` on ``e.route`` (everything but the parcel's own price)."""
    route = e.route
    best = best_disposition(ctx.policy, route, u)
    if best is None:
        return None
    _choice, _recovery, credit = best
    cost = route.handling_per_unit_minor + route.lane_share_per_unit_minor - credit
    cost += math.ceil(u.item.weight_g * route.lane_per_kg_minor / 1000)
    # customs of the whole-return evaluation, allocated by value
    customs_net = e.duty_due + e.vat_due - e.reclaim_duty - e.reclaim_vat
    if ctx.value_base_minor:
        cost += customs_net * u.value_base_minor // ctx.value_base_minor
    cost += ctx.policy.refund_delay_per_day_minor * e.days_to_refund // max(total_units, 1)
    return cost


_LOCAL = "local"  # the local disposal candidate of the split model


def _local_candidate(
    ctx: Context, local: LocalOptions, units: Sequence[Unit], total_units: int
) -> SplitCandidate:
    """Local disposal as the split model's numbers: the drop-off fee once (a parcel of no
    weight), per unit the partner's inspection less what the unit earns, and its refund delay."""
    days = local.processing_days if ctx.trigger is RefundTrigger.GRADED else 0
    delay = ctx.policy.refund_delay_per_day_minor * days // max(total_units, 1)
    costs: list[int | None] = []
    for u in units:
        credit = local_unit_credit(ctx, local, u)
        costs.append(None if credit is None else local.handling_per_unit_minor - credit + delay)
    zero = tuple(0 for _ in units)
    drop_off = SplitParcel(
        fixed_cost=local.handling_per_parcel_minor,
        breaks_g=(1,),
        break_cost=(0,),
        weight_g=zero,
        volumetric_g=zero,
    )
    return SplitCandidate(tuple(costs), drop_off)


def _candidate(
    ctx: Context, e: Evaluation | None, units: Sequence[Unit], total_units: int
) -> SplitCandidate:
    """A whole-return evaluation (None: the returnless refund) as the split model's numbers."""
    if e is None:  # no parcel; a unit may go when its value is under the policy's cap
        cap = ctx.keep_it_cap_minor
        return SplitCandidate(tuple(0 if u.value_base_minor <= cap else None for u in units))
    route = e.route
    card = route.card
    breaks = [b for b in card.weight_upper_g if b <= route.service.max_weight_g] or [
        card.weight_upper_g[0]
    ]
    unit_cost: list[int | None] = []
    for u in units:
        c = _unit_cost(ctx, e, u, total_units)
        unit_cost.append(None if max(u.item.dims_mm) > route.service.max_length_mm else c)
    prices = card.prices_minor[route.path.zone]
    parcel = SplitParcel(
        fixed_cost=route.handling_per_parcel_minor + card.per_parcel_fee_minor,
        breaks_g=tuple(breaks),
        break_cost=tuple(
            prices[k] + prices[k] * card.fuel_surcharge_bp // 10_000 for k in range(len(breaks))
        ),
        weight_g=tuple(u.item.weight_g for u in units),
        volumetric_g=tuple(
            math.ceil(u.item.volume_cm3 * 1000 / card.volumetric_divisor_cm3_per_kg) for u in units
        ),
    )
    return SplitCandidate(tuple(unit_cost), parcel)


def best_split(
    ctx: Context,
    candidates: Sequence[Evaluation],
    units: Sequence[Unit],
    *,
    allow_returnless: bool,
    time_limit_s: float | None = None,
    local: LocalOptions | None = None,
) -> Option | None:
    """The cheapest split into >= 2 shipments, exactly costed; None when no split helps.

    ``candidates`` are the feasible whole-return evaluations; the returnless refund is a
    candidate per unit (under the policy's value cap) when allowed, and so is local disposal
    (``local``: its partners, when the policy allows it).
    """
    ranked: list[Evaluation | str | None] = list(
        sorted(candidates, key=lambda e: e.net_cost_minor)[:MAX_CANDIDATES]
    )
    if allow_returnless:
        ranked.append(None)
    if local is not None:
        ranked.append(_LOCAL)
    if len(ranked) < 2:
        return None
    total_units = sum(u.quantity for u in units)
    offered = [
        _local_candidate(ctx, local, units, total_units)
        if isinstance(e, str) and local is not None
        else _candidate(ctx, e if isinstance(e, Evaluation) else None, units, total_units)
        for e in ranked
    ]
    limit = min(TIME_LIMIT_S, time_limit_s or TIME_LIMIT_S)
    sent = solve_split([u.quantity for u in units], offered, time_limit_s=limit)
    if sent is None:
        return None
    groups: dict[int, list[Unit]] = {}
    for (i, p), q in sent.items():
        u = units[i]
        groups.setdefault(p, []).append(Unit(u.index, u.item, q, u.value_base_minor))
    if len(groups) < 2:
        return None
    parts: list[Shipment | Evaluation] = []
    for p, group in sorted(groups.items()):
        e = ranked[p]
        share_bp = 10_000 * sum(g.quantity for g in group) // total_units
        got: Shipment | Evaluation | PreconditionViolation
        if e is None:
            got = returnless(ctx, group)
        elif isinstance(e, str):
            got = local_disposal(ctx, local, group, share_bp)
        else:
            got = evaluate(ctx, e.route, parcel(ctx, group), share_bp)
        if isinstance(got, PreconditionViolation):
            return None
        parts.append(got)
    shipments, codes = _one_first_leg(ctx, parts)
    return Option(shipments, ("SPLIT_CHEAPER", *codes))


def _one_first_leg(
    ctx: Context, parts: list[Shipment | Evaluation]
) -> tuple[tuple[Shipment, ...], tuple[str, ...]]:
    """The shipments of ``parts`` in order; evaluations sharing a parcel leg (service and first
    stop) travel as one consignment, priced once on the first of them and split at the stop."""
    out: list[Shipment | None] = [p if isinstance(p, Shipment) else None for p in parts]
    by_leg: dict[tuple[str, str], list[int]] = {}
    for i, p in enumerate(parts):
        if isinstance(p, Evaluation):
            by_leg.setdefault((p.route.service.id, p.route.first_stop.id), []).append(i)
    codes: list[str] = []
    for (_service, stop), where in by_leg.items():
        group = [parts[i] for i in where]
        assert all(isinstance(e, Evaluation) for e in group)
        evals = [e for e in group if isinstance(e, Evaluation)]
        together = None
        if len(evals) > 1:
            head = evals[0]
            units = [u for e in evals for u in e.units]
            got = base_numbers(ctx, head.route, parcel(ctx, units), head.unit_share_bp)
            fewer = not isinstance(got, PreconditionViolation) and got.parcels < sum(
                e.parcels for e in evals
            )
            together = got if fewer and not isinstance(got, PreconditionViolation) else None
        if together is None:  # alone, or packed together they need as many parcels: apart
            for i, e in zip(where, evals, strict=True):
                out[i] = build(ctx, e)
            continue
        codes.append(f"ONE_PARCEL_SPLIT_AT:{stop}")
        first_pp = head.route.first_handling_per_parcel_minor
        for n, (i, e) in enumerate(zip(where, evals, strict=True)):
            own = first_pp * e.parcels  # what this part paid the first stop per parcel alone
            if n == 0:
                moved = replace(
                    e,
                    billable_g=together.billable_g,
                    carriage=together.carriage,
                    fuel=together.fuel,
                    fees=together.fees,
                    handling=e.handling - own + first_pp * together.parcels,
                    parcels=together.parcels,
                )
                out[i] = build(ctx, moved)
                continue
            moved = replace(e, billable_g=0, carriage=0, fuel=0, fees=0, handling=e.handling - own)
            out[i] = _rides_along(build(ctx, moved), head, stop)
    return tuple(s for s in out if s is not None), tuple(codes)


def _rides_along(s: Shipment, head: Evaluation, stop: str) -> Shipment:
    """A shipment whose goods travel in the parcel of ``head`` to ``stop``: its parcel-leg
    terms say so."""
    note = (
        f"in one consignment with {head.route.destination.id}'s goods on"
        f" {head.route.service.id} to {stop}, split there (priced on that shipment)"
    )
    terms = tuple(
        CostTerm(t.term, t.amount_minor, note)
        if t.term in (Term.PARCEL_CARRIAGE, Term.FUEL_SURCHARGE, Term.CARRIER_FEES)
        else t
        for t in s.terms
    )
    return replace(s, terms=terms)
