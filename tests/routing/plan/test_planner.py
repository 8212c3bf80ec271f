"""The batch planner on the small test network: classes, capacities, dispatches, overflow.

The solver is injected; here an exhaustive one (the plan is tiny) so the planner's own logic
is checked against the true optimum. The real OR-Tools solvers are checked in test_solver.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubs.model import Facility
from routing.decide.router import Router
from routing.errors import NoFeasibleOption
from routing.plan.planner import PlanConfig, build_problem, plan_batch
from routing.solver import solve
from routing.solver.problem import PlanProblem, PlanResult, Status
from tests.routing.fakes import FakeCustoms, FakeFx, a_return, item, small_network


def exhaustive(problem: PlanProblem, **_: Any) -> PlanResult:
    """Every way to send each class's units to one option (classes of count 1 or small)."""
    t0 = time.perf_counter()
    best = None
    per_class = []
    for cls in problem.classes:
        per_class.append(
            [
                tuple((o, n) for o, n in enumerate(split) if n)
                for split in itertools.product(range(cls.count + 1), repeat=len(cls.options))
                if sum(split) == cls.count
            ]
        )
    for assignment in itertools.product(*per_class):
        e = problem.evaluate(assignment)
        if e.feasible and (best is None or e.cost_minor < best[0]):
            best = (e.cost_minor, assignment, e)
    if best is None:
        return PlanResult(Status.INFEASIBLE, None, None, time.perf_counter() - t0, None)
    cost, assignment, e = best
    return PlanResult(
        Status.OPTIMAL,
        cost,
        cost,
        time.perf_counter() - t0,
        assignment,
        dispatches=e.dispatches,
        backend="exhaustive",
    )


def router(capacity_3pl: int = 1000) -> Router:
    net = small_network()
    tpl = net.facilities["tpl_fr"]
    facilities: dict[str, Facility] = {
        **net.facilities,
        "tpl_fr": replace(tpl, capacity_units_per_day=capacity_3pl),
    }
    return Router(
        replace(net, facilities=facilities), FakeCustoms(), FakeFx(), compiled_on=date(2026, 11, 1)
    )


def batch(n: int, **kw: Any) -> list[tuple[str, Any]]:
    return [(f"r{i}", a_return(item(**kw))) for i in range(n)]


def test_identical_returns_aggregate_into_one_class() -> None:
    """Returns with the same options and costs become one class with an integer count."""
    built = build_problem(router(), batch(5), PlanConfig())
    assert len(built.problem.classes) == 1
    assert built.problem.classes[0].count == 5
    other = [*batch(3), ("x", a_return(item(value_minor=77_000)))]
    assert len(build_problem(router(), other, PlanConfig()).problem.classes) == 2


def test_plan_matches_single_return_choice_without_capacity_pressure() -> None:
    """With ample capacity every return gets the option RouteReturn would choose, except
    that a plan may share dispatches; the plan is never dearer than routing one by one."""
    r = router()
    returns = batch(3)
    plan = plan_batch(r, returns, PlanConfig(), solve=exhaustive)
    single = sum(r.route(ret).chosen.net_cost_minor for _, ret in returns)
    assert plan.result.objective is not None
    assert plan.result.objective <= single
    assert {a.return_id for a in plan.assignments} == {"r0", "r1", "r2"}


def test_capacity_moves_returns_to_their_next_best_option() -> None:
    """Squeeze the busiest facility of an unconstrained plan to one unit: the new plan keeps
    it within capacity, uses no overflow, and costs at least as much as before."""
    returns = batch(3, value_minor=40_000)
    free = plan_batch(router(), returns, PlanConfig(horizon_days=1), solve=exhaustive)
    busiest = max(free.facilities, key=lambda f: f.load_units)
    assert busiest.load_units >= 2
    net = small_network()
    squeezed = replace(net.facilities[busiest.facility_id], capacity_units_per_day=1)
    facilities = {**net.facilities, busiest.facility_id: squeezed}
    r = Router(
        replace(net, facilities=facilities), FakeCustoms(), FakeFx(), compiled_on=date(2026, 11, 1)
    )
    plan = plan_batch(r, returns, PlanConfig(horizon_days=1), solve=exhaustive)
    loads = {f.facility_id: f.load_units for f in plan.facilities}
    assert loads[busiest.facility_id] <= 1
    assert all(f.load_units <= f.capacity_units for f in plan.facilities)
    assert plan.overflow_units == 0
    assert plan.result.objective is not None
    assert free.result.objective is not None
    assert plan.result.objective >= free.result.objective


def test_overflow_refused_then_priced() -> None:
    """When no capacity anywhere can take the batch, the plan names the shortfall; with
    allow_overflow it plans the extra units at the overflow price."""
    net = small_network()
    tight = {k: replace(f, capacity_units_per_day=1) for k, f in net.facilities.items()}
    r = Router(
        replace(net, facilities=tight), FakeCustoms(), FakeFx(), compiled_on=date(2026, 11, 1)
    )
    returns = batch(6, value_minor=40_000)
    with pytest.raises(NoFeasibleOption) as err:
        plan_batch(r, returns, PlanConfig(horizon_days=1), solve=exhaustive)
    v = err.value.violations
    assert v[0].type == "CAPACITY_SHORT"
    assert "short by" in v[0].description
    plan = plan_batch(r, returns, PlanConfig(horizon_days=1, allow_overflow=True), solve=exhaustive)
    # three facilities of one unit each: at least three units overflow; more when overflow
    # (the best option plus the price) is cheaper than a worse facility
    assert plan.overflow_units >= 3
    best = min(c.cost_minor for c in r.plan_choices(returns[0][1]) if c.facility_id)
    over = [a for a in plan.assignments if a.option.startswith("overflow:")]
    assert len(over) == plan.overflow_units
    assert all(a.cost_minor == best + PlanConfig().overflow_price_minor for a in over)


def test_unroutable_returns_are_listed_not_dropped() -> None:
    """A return nothing can carry is listed with its reason; the others are planned."""
    returns = [*batch(2), ("heavy", a_return(item(weight_g=25_000, value_minor=90_000)))]
    plan = plan_batch(router(), returns, PlanConfig(), solve=exhaustive)
    assert [rid for rid, _ in plan.unroutable] == ["heavy"]
    assert {a.return_id for a in plan.assignments} == {"r0", "r1"}


@settings(max_examples=15, deadline=None)
@given(
    values=st.lists(st.integers(500, 90_000), min_size=2, max_size=5),
    capacity=st.integers(1, 3),
    country=st.sampled_from(["DE", "FR", "GB"]),
)
def test_dropping_dominated_options_keeps_the_optimum(
    values: list[int], capacity: int, country: str
) -> None:
    """The optimum with dominated options dropped equals the optimum over every option
    (CP-SAT, both proven), with capacities tight enough to bind."""
    net = small_network()
    facilities = {k: replace(f, capacity_units_per_day=capacity) for k, f in net.facilities.items()}
    r = Router(
        replace(net, facilities=facilities), FakeCustoms(), FakeFx(), compiled_on=date(2026, 11, 1)
    )
    returns = [
        (f"r{i}", a_return(item(value_minor=v), country=country)) for i, v in enumerate(values)
    ]
    config = PlanConfig(horizon_days=1, allow_overflow=True)
    results = []
    for prune in (True, False):
        built = build_problem(r, returns, config, prune=prune)
        results.append(solve(built.problem, time_limit_s=20))
    assert all(res.status is Status.OPTIMAL for res in results)
    assert results[0].objective == results[1].objective


def test_a_batch_with_no_routable_return_names_each_return() -> None:
    """Nothing to plan is NO_ROUTABLE_RETURN per return (with why), not an internal error."""
    from hubs import default_network
    from routing.batches.examples import sample_return
    from routing.rpc.app import RoutingApp

    router = RoutingApp(default_network()).router
    ret = sample_return(date(2026, 11, 2))
    heavy = replace(ret, items=(replace(ret.items[0], weight_g=1_000_000),))
    with pytest.raises(NoFeasibleOption) as err:
        build_problem(router, [("r-heavy", heavy)], PlanConfig())
    (violation,) = err.value.violations
    assert violation.type == "NO_ROUTABLE_RETURN"
    assert violation.subject == "return:r-heavy"


def test_a_return_beyond_the_plan_model_range_is_unroutable_not_a_crash() -> None:
    """A value the wire accepts (1e11 minor x 100 units) costs more than a plan can carry:
    that return is listed as unroutable with the reason; the rest of the batch is planned."""
    from hubs import default_network
    from routing.batches.examples import sample_return
    from routing.rpc.app import RoutingApp

    router = RoutingApp(default_network()).router
    ret = sample_return(date(2026, 11, 2))
    small = replace(
        ret.items[0], value_minor=10**11, quantity=100, weight_g=1, dims_mm=(10, 10, 10)
    )
    dear = replace(ret, items=(small,))
    built = build_problem(router, [("ok", ret), ("dear", dear)], PlanConfig())
    assert [rid for rid, _ in built.unroutable] == ["dear"]
    assert "minor units a plan can carry" in built.unroutable[0][1]
    assert built.returns == 2
    assert len(built.problem.classes) == 1
