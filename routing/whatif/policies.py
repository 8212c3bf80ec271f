"""The policies a what-if run compares, all priced on one plan problem.

Every policy is a plan of the same :class:`routing.plan.planner.Built` problem (the planner's own
options and costs for each return, not pruned, so every option a rule may pick is there):

- ``always_to_origin``: ship every return straight back to its origin warehouse (the cheapest
  parcel service that reaches it; via a hub's line-haul only when no direct service does);
- ``nearest_facility``: send it to the facility nearest the customer (the parcel distance of the
  network), processed there when it can be, else on its cheapest onward route;
- ``local_first`` (what platforms do today): a returnless refund when the network's policy
  allows one (low value), else a local 3PL in the customer's country, else a facility in the
  country, else the nearest facility;
- ``optimized``: reroute's plan, solved by the planner (``routing.plan.planner.solve_built``
  with the default solver) on the same problem, warm-started with the best rule plan.

A rule takes returns in batch order; a return that finds its facility full goes to the
facility's priced overflow, exactly as the planner prices overflow (the class's overflow
option). A rule plan is therefore a feasible plan of the planner's problem, priced by the
problem's own objective (options + dispatches + overflow), and the optimized plan, which starts
from the best of them, never costs more than any of them.

When a rule's choice does not exist for a return (no direct service to the origin, say), the
return takes its cheapest option and the rule's ``fallbacks`` counts it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hubs.model import FacilityKind
from routing.decide.compiled import Route
from routing.decide.domain import Return
from routing.decide.router import PlanChoice, Router
from routing.plan.planner import Built, PlanConfig, solve_built
from routing.solver import solve
from routing.solver.problem import Assignment, PlanResult

ALWAYS_TO_ORIGIN = "always_to_origin"
NEAREST_FACILITY = "nearest_facility"
LOCAL_FIRST = "local_first"
OPTIMIZED = "optimized"
RULES = (ALWAYS_TO_ORIGIN, NEAREST_FACILITY, LOCAL_FIRST)
POLICIES = (*RULES, OPTIMIZED)
LABELS = {
    ALWAYS_TO_ORIGIN: "always to origin",
    NEAREST_FACILITY: "nearest facility",
    LOCAL_FIRST: "local first",
    OPTIMIZED: "reroute optimized",
}

Batch = Sequence[tuple[str, Return]]
# per batch index: (class, option) of the plan, None for a return no policy can route
Picks = tuple[tuple[int, int] | None, ...]


@dataclass(frozen=True, slots=True)
class PolicyPlan:
    policy: str
    picks: Picks
    assignment: Assignment
    fallbacks: int = 0
    result: PlanResult | None = None  # the solver's, for the optimized plan


class _Routes:
    """Route objects by key, per (customer country, origin): distances, destinations, shares."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._memo: dict[tuple[str, str], dict[str, Route]] = {}

    def of(self, country: str, origin: str) -> dict[str, Route]:
        got = self._memo.get((country, origin))
        if got is None:
            routes = self.router.compiled.routes(country, origin)
            got = self._memo[(country, origin)] = {r.key: r for r in routes}
        return got


def standalone_cost(choice: PlanChoice, route: Route | None) -> int:
    """What RouteReturn would quote: the option's cost with its per-unit line-haul share."""
    if route is None or choice.lane_id is None:
        return choice.cost_minor
    return choice.cost_minor + route.lane_share_per_unit_minor * choice.units


def _cheapest(
    options: Sequence[tuple[int, PlanChoice, Route | None]],
) -> int | None:
    if not options:
        return None
    return min(options, key=lambda x: (standalone_cost(x[1], x[2]), x[1].key))[0]


def _to_origin(ret: Return, opts: Sequence[tuple[int, PlanChoice, Route | None]]) -> int | None:
    direct = [
        x
        for x in opts
        if x[2] is not None and x[2].lane is None and x[2].first_stop.id == ret.origin_facility_id
    ]
    if direct:
        return _cheapest(direct)
    return _cheapest(
        [x for x in opts if x[2] is not None and x[2].destination.id == ret.origin_facility_id]
    )


def _nearest(opts: Sequence[tuple[int, PlanChoice, Route | None]]) -> int | None:
    shipped = [x for x in opts if x[2] is not None]
    if not shipped:
        return None
    km = min(x[2].path.distance_km for x in shipped if x[2] is not None)
    near = [x for x in shipped if x[2] is not None and x[2].path.distance_km == km]
    terminal = [x for x in near if x[2] is not None and x[2].lane is None]
    return _cheapest(terminal or near)


def _local_first(ret: Return, opts: Sequence[tuple[int, PlanChoice, Route | None]]) -> int | None:
    returnless = [x for x in opts if x[1].key == "returnless"]
    if returnless:
        return returnless[0][0]
    in_country = [
        x
        for x in opts
        if x[2] is not None
        and x[2].first_stop.country == ret.customer_country
        and x[2].lane is None
    ]
    local = [
        x for x in in_country if x[2] is not None and x[2].first_stop.kind is FacilityKind.LOCAL_3PL
    ]
    return _cheapest(local) if local else (_cheapest(in_country) if in_country else _nearest(opts))


_RULES: dict[
    str, Callable[[Return, Sequence[tuple[int, PlanChoice, Route | None]]], int | None]
] = {
    ALWAYS_TO_ORIGIN: _to_origin,
    NEAREST_FACILITY: lambda ret, opts: _nearest(opts),
    LOCAL_FIRST: _local_first,
}


def rule_plan(router: Router, built: Built, batch: Batch, rule: str) -> PolicyPlan:
    """The plan a rule makes, returns taken in batch order, capacity overflow priced as the
    planner prices it."""
    choose = _RULES[rule]
    routes = _Routes(router)
    problem = built.problem
    member_class = sorted((m.index, k) for k, ms in enumerate(built.members) for m in ms)
    loads = [0] * len(problem.facilities)
    picks: list[tuple[int, int] | None] = [None] * len(batch)
    counts: list[dict[int, int]] = [{} for _ in problem.classes]
    memo: dict[tuple[int, str, str, str], tuple[int, bool]] = {}
    fallbacks = 0
    for index, k in member_class:
        ret = batch[index][1]
        key = (k, ret.customer_country, ret.origin_facility_id, ret.customer_territory)
        got = memo.get(key)
        if got is None:
            by_key = routes.of(ret.customer_country, ret.origin_facility_id)
            opts = [
                (o, c, by_key.get(c.key)) for o, c in enumerate(built.choices[k]) if c is not None
            ]
            o = choose(ret, opts)
            fell = o is None
            if o is None:
                o = _cheapest(opts)
                assert o is not None  # a class has at least one real option
            got = memo[key] = (o, fell)
        o, fell = got
        fallbacks += fell
        cls = problem.classes[k]
        row = cls.options[o].facility
        if row is not None and loads[row] + cls.demand > problem.facilities[row].capacity:
            twin = len(cls.options) - 1
            assert built.choices[k][twin] is None  # the overflow option
            o, row = twin, cls.options[twin].facility
        if row is not None:
            loads[row] += cls.demand
        picks[index] = (k, o)
        counts[k][o] = counts[k].get(o, 0) + 1
    assignment = tuple(tuple(sorted(c.items())) for c in counts)
    return PolicyPlan(rule, tuple(picks), assignment, fallbacks)


def optimized_plan(
    router: Router,
    built: Built,
    batch: Batch,
    config: PlanConfig,
    hint: Assignment | None,
) -> PolicyPlan:
    """The planner's plan of ``built`` with the default solver, warm-started with ``hint``."""
    plan = solve_built(router, built, config, solve=solve, hint=hint)
    where = {batch[m.index][0]: (k, m.index) for k, ms in enumerate(built.members) for m in ms}
    picks: list[tuple[int, int] | None] = [None] * len(batch)
    counts: list[dict[int, int]] = [{} for _ in built.problem.classes]
    for a in plan.assignments:
        k, index = where[a.return_id]
        choices = built.choices[k]
        if a.option.startswith("overflow:"):
            o = len(choices) - 1
        else:
            o = next(i for i, c in enumerate(choices) if c is not None and c.key == a.option)
        picks[index] = (k, o)
        counts[k][o] = counts[k].get(o, 0) + 1
    assignment = tuple(tuple(sorted(c.items())) for c in counts)
    assert plan.result.assignment is not None
    if assignment != tuple(tuple(sorted(p)) for p in plan.result.assignment):
        raise RuntimeError("the plan's returns do not add up to the solver's assignment")
    return PolicyPlan(OPTIMIZED, tuple(picks), assignment, 0, plan.result)
