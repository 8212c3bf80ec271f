"""KPIs of one policy's plan: cost by term, customs, time, capacity use, CO2e, flows.

Each return's terms are the engine's own (``routing.decide.shipments.build`` of the chosen route,
the same shipment RouteReturn answers), except the line-haul: a plan pays its dispatches, not a
per-unit share, so a return keeps only the per-kg part of its line-haul term and the plan's
dispatch costs are added to the policy's ``linehaul_share`` total. A return the plan sends to
overflow carries the terms of its class's cheapest facility option plus the overflow price
(term ``overflow``), as the planner prices it. The terms therefore add up to the plan problem's
objective exactly; :func:`policy_kpis` checks that they do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from hubs.model import FacilityKind
from routing.decide.domain import DestinationKind, Return, Shipment, Term
from routing.decide.router import PlanChoice, Router
from routing.errors import RerouteError
from routing.plan.planner import Built
from routing.whatif.policies import PolicyPlan

OVERFLOW = "overflow"
TERMS: tuple[str, ...] = (*(t.value for t in Term), OVERFLOW)


@dataclass(frozen=True, slots=True)
class FacilityLoad:
    facility_id: str
    kind: str
    load_units: int
    capacity_units: int

    @property
    def utilization(self) -> float:
        return self.load_units / self.capacity_units if self.capacity_units else 0.0


@dataclass(frozen=True, slots=True)
class LaneLoad:
    lane_id: str
    load_units: int
    dispatches: int
    capacity_units_per_dispatch: int
    fixed_cost_minor: int


@dataclass(frozen=True, slots=True)
class Flow:
    country: str
    first_stop: str  # "" for returnless
    destination: str
    lane: str
    returns: int
    overflow: bool = False


@dataclass(frozen=True, slots=True)
class PolicyKpis:
    policy: str
    currency: str
    returns: int
    units: int
    total_cost_minor: int
    terms: tuple[tuple[str, int], ...]  # TERMS order; they add up to total_cost_minor
    duties_paid_minor: int  # duty + import VAT due at the borders crossed
    reclaimed_minor: int  # duty + VAT of the original import reclaimed
    days_to_refund_p50: int
    days_to_refund_p90: int
    days_to_resale_p50: int | None  # over the returns resold
    days_to_resale_p90: int | None
    co2e_g: int
    returnless_returns: int
    overflow_units: int
    facilities: tuple[FacilityLoad, ...]
    lanes: tuple[LaneLoad, ...]
    flows: tuple[Flow, ...]
    fallbacks: int = 0
    solver: str = ""  # the optimized plan: status, backend, gap, time
    optimal: bool | None = None

    @property
    def per_return_cost_minor(self) -> float:
        return self.total_cost_minor / self.returns if self.returns else 0.0

    @property
    def returnless_share(self) -> float:
        return self.returnless_returns / self.returns if self.returns else 0.0

    @property
    def dispatch_fill(self) -> float | None:
        cap = sum(lane.dispatches * lane.capacity_units_per_dispatch for lane in self.lanes)
        return sum(lane.load_units for lane in self.lanes) / cap if cap else None

    @property
    def max_hub_utilization(self) -> float:
        used = [f.utilization for f in self.facilities if f.kind != FacilityKind.ORIGIN.value]
        return max(used, default=0.0)

    def term(self, name: str) -> int:
        return dict(self.terms)[name]


class ShipmentCache:
    """The engine's shipment for (return, route key), built once per return signature."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._shipments: dict[tuple[Return, str], Shipment] = {}

    def shipment(self, ret: Return, choice: PlanChoice) -> Shipment:
        sig = replace(ret, customer_postal_code="0", idempotency_key="")
        got = self._shipments.get((sig, choice.key))
        if got is None:
            try:  # the engine's own costing, never re-implemented here
                got = self.router.shipment(sig, choice.key)
            except RerouteError as exc:  # the planner costed it: it cannot fail now
                raise RuntimeError(f"costing {choice.key} again failed: {exc}") from exc
            self._shipments[(sig, choice.key)] = got
        return got


def _priced(built: Built, k: int, o: int) -> tuple[PlanChoice, int]:
    """The choice a plan's (class, option) stands for, and the overflow price above it (an
    overflow option carries the terms of the class's cheapest facility option)."""
    choice = built.choices[k][o]
    if choice is not None:
        return choice, 0
    real = [c for c in built.choices[k] if c is not None and c.facility_id]
    cheapest = min(real, key=lambda c: c.cost_minor)
    return cheapest, built.problem.classes[k].options[o].cost_minor - cheapest.cost_minor


def _lane_share(router: Router, ret: Return, choice: PlanChoice) -> int:
    if choice.lane_id is None:
        return 0
    routes = router.compiled.routes(ret.customer_country, ret.origin_facility_id)
    route = next(r for r in routes if r.key == choice.key)
    return route.lane_share_per_unit_minor * choice.units


def _pct(values: Sequence[int], q: float) -> int | None:
    if not values:
        return None
    return int(np.percentile(np.asarray(values), q, method="inverted_cdf"))


def policy_kpis(
    router: Router,
    built: Built,
    batch: Sequence[tuple[str, Return]],
    plan: PolicyPlan,
    cache: ShipmentCache,
) -> PolicyKpis:
    """The KPIs of ``plan``; raises RuntimeError if its terms do not add up to its cost."""
    problem = built.problem
    evaluation = problem.evaluate(plan.assignment)
    network = router.network
    terms: dict[str, int] = dict.fromkeys(TERMS, 0)
    duties = reclaimed = co2e = returnless_n = overflow_units = units_total = returns = 0
    refund_days: list[int] = []
    resale_days: list[int] = []
    flows: Counter[tuple[str, str, str, str, bool]] = Counter()
    for index, pick in enumerate(plan.picks):
        if pick is None:
            continue
        k, o = pick
        ret = batch[index][1]
        cls = problem.classes[k]
        choice = built.choices[k][o]
        returns += 1
        units_total += cls.demand
        overflow = choice is None
        choice, extra = _priced(built, k, o)
        if overflow:  # the overflow twin of the class's cheapest facility option
            terms[OVERFLOW] += extra
            overflow_units += cls.demand
        s = cache.shipment(ret, choice)
        share = _lane_share(router, ret, choice)
        if s.net_cost_minor - share != choice.cost_minor:
            raise RuntimeError(
                f"{batch[index][0]}: shipment costs {s.net_cost_minor - share},"
                f" the planner's option {choice.cost_minor}"
            )
        for t in s.terms:
            terms[t.term.value] += t.amount_minor
        terms[Term.LINEHAUL_SHARE.value] -= share
        duties += sum(a.duty_due_minor + a.vat_due_minor for a in s.customs)
        reclaimed -= sum(
            t.amount_minor for t in s.terms if t.term in (Term.DUTY_RECLAIM, Term.VAT_RECLAIM)
        )
        co2e += s.co2e_g
        refund_days.append(s.days_to_refund)
        if s.days_to_resale is not None:
            resale_days.append(s.days_to_resale)
        if s.destination_kind is DestinationKind.NONE:
            returnless_n += 1
        first = s.legs[0].to_facility if s.legs else ""
        flows[(ret.customer_country, first, s.destination_id, choice.lane_id or "", overflow)] += 1
    lanes: list[LaneLoad] = []
    for i, lane_id in enumerate(built.lane_ids):
        lane = problem.lanes[i]
        n = evaluation.dispatches[i]
        terms[Term.LINEHAUL_SHARE.value] += n * lane.fixed_cost_minor
        lanes.append(
            LaneLoad(lane_id, evaluation.lane_loads[i], n, lane.capacity, lane.fixed_cost_minor)
        )
    total = sum(terms.values())
    if total != evaluation.cost_minor:
        raise RuntimeError(
            f"{plan.policy}: terms add up to {total}, the plan costs {evaluation.cost_minor}"
        )
    facilities = tuple(
        FacilityLoad(
            fid,
            network.facilities[fid].kind.value,
            evaluation.facility_loads[i],
            problem.facilities[i].capacity,
        )
        for i, fid in enumerate(built.facility_ids)
        if not fid.startswith("overflow:")
    )
    result = plan.result
    solver = ""
    if result is not None:
        gap = "n/a" if result.gap == float("inf") else f"{100 * result.gap:.3f} %"
        solver = f"{result.status.value}, {result.backend}, gap {gap}, {result.wall_time_s:.2f} s"
    return PolicyKpis(
        policy=plan.policy,
        currency=network.currency,
        returns=returns,
        units=units_total,
        total_cost_minor=total,
        terms=tuple((t, terms[t]) for t in TERMS),
        duties_paid_minor=duties,
        reclaimed_minor=reclaimed,
        days_to_refund_p50=_pct(refund_days, 50) or 0,
        days_to_refund_p90=_pct(refund_days, 90) or 0,
        days_to_resale_p50=_pct(resale_days, 50),
        days_to_resale_p90=_pct(resale_days, 90),
        co2e_g=co2e,
        returnless_returns=returnless_n,
        overflow_units=overflow_units,
        facilities=facilities,
        lanes=tuple(lanes),
        flows=tuple(Flow(c, f, d, lane, n, ov) for (c, f, d, lane, ov), n in sorted(flows.items())),
        fallbacks=plan.fallbacks,
        solver=solver,
        optimal=None if result is None else result.proven,
    )


@dataclass(frozen=True, slots=True)
class Diversion:
    """Returns one plan sends to ``destination`` that another plan (the rule compared) sends to
    ``instead_of``: how many, from where, and what each cost term adds up to, plan minus rule,
    summed over those returns (line-haul dispatches shared by units), so the difference can be
    explained by the terms that make it. ``""`` is no shipment (a returnless refund)."""

    destination: str
    instead_of: str
    returns: int
    countries: tuple[tuple[str, int], ...]  # customer country, returns; most first
    term_deltas_minor: tuple[tuple[str, int], ...]  # TERMS order; plan minus rule
    dispositions: tuple[tuple[str, int], ...] = ()  # the plan's, per item; most first
    instead_dispositions: tuple[tuple[str, int], ...] = ()  # the rule's

    @property
    def net_delta_minor(self) -> int:
        return sum(v for _, v in self.term_deltas_minor)


def _return_terms(
    router: Router,
    built: Built,
    batch: Sequence[tuple[str, Return]],
    plan: PolicyPlan,
    cache: ShipmentCache,
) -> list[tuple[str, dict[str, float], tuple[str, ...]] | None]:
    """Per batch index: the first stop (``""`` returnless), the return's terms (its line-haul
    the per-kg part plus its units' share of the plan's dispatches on its lane) and the
    disposition of each item."""
    problem = built.problem
    evaluation = problem.evaluate(plan.assignment)
    per_unit = {
        lane_id: evaluation.dispatches[i] * problem.lanes[i].fixed_cost_minor / load
        for i, lane_id in enumerate(built.lane_ids)
        if (load := evaluation.lane_loads[i])
    }
    out: list[tuple[str, dict[str, float], tuple[str, ...]] | None] = []
    for index, pick in enumerate(plan.picks):
        if pick is None:
            out.append(None)
            continue
        k, o = pick
        ret = batch[index][1]
        choice, extra = _priced(built, k, o)
        s = cache.shipment(ret, choice)
        terms: dict[str, float] = dict.fromkeys(TERMS, 0.0)
        for t in s.terms:
            terms[t.term.value] += t.amount_minor
        terms[Term.LINEHAUL_SHARE.value] += per_unit.get(choice.lane_id or "", 0.0) * (
            choice.units
        ) - _lane_share(router, ret, choice)
        terms[OVERFLOW] += extra
        kinds = tuple(a.disposition.value for a in s.items)
        out.append((s.legs[0].to_facility if s.legs else "", terms, kinds))
    return out


# per (plan's stop, rule's stop): countries, term deltas, the plan's and the rule's dispositions
_Group = tuple[Counter[str], dict[str, float], Counter[str], Counter[str]]


def diversions(
    router: Router,
    built: Built,
    batch: Sequence[tuple[str, Return]],
    plan: PolicyPlan,
    rule: PolicyPlan,
    cache: ShipmentCache,
) -> tuple[Diversion, ...]:
    """Where ``plan`` sends returns to another first stop than ``rule`` does, grouped by
    (plan's stop, rule's stop), the most returns first."""
    mine = _return_terms(router, built, batch, plan, cache)
    theirs = _return_terms(router, built, batch, rule, cache)
    groups: dict[tuple[str, str], _Group] = {}
    for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        if a is None or b is None or a[0] == b[0]:
            continue
        countries, deltas, kinds_a, kinds_b = groups.setdefault(
            (a[0], b[0]), (Counter(), dict.fromkeys(TERMS, 0.0), Counter(), Counter())
        )
        countries[batch[index][1].customer_country] += 1
        kinds_a.update(a[2])
        kinds_b.update(b[2])
        for t in TERMS:
            deltas[t] += a[1][t] - b[1][t]
    found = [
        Diversion(
            destination=dest,
            instead_of=was,
            returns=sum(countries.values()),
            countries=_most_first(countries),
            term_deltas_minor=tuple((t, round(deltas[t])) for t in TERMS),
            dispositions=_most_first(kinds_a),
            instead_dispositions=_most_first(kinds_b),
        )
        for (dest, was), (countries, deltas, kinds_a, kinds_b) in groups.items()
    ]
    return tuple(sorted(found, key=lambda d: (-d.returns, d.destination, d.instead_of)))


def _most_first(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda x: (-x[1], x[0])))
