"""``solve()`` over every backend against brute force, on tiny problems where the optimum is
known (routing.solver.auto).

Every backend (AUTO's Lagrangian cut-and-solve, CP-SAT, SCIP and HiGHS through MathOpt, the
PuLP/CBC textbook model) must return the brute-force optimum, a plan within capacities whose
dispatches cover the lane loads, and a valid bound; it respects time limits, hints and gap
limits, reports monotone progress, and refuses bad arguments with precise messages.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.solver import (
    Assignment,
    Backend,
    CapacityRow,
    ClassOption,
    DispatchLane,
    PlanProblem,
    PlanResult,
    Progress,
    ReturnClass,
    Status,
    load_optima,
    load_sscflp,
    solve,
)
from tests.strategies import plan_problems

ROOT = Path(__file__).resolve().parents[3]
HOLMBERG = ROOT / "tests" / "data" / "sscflp_holmberg"  # the instances the tests use
ALL_BACKENDS = list(Backend)


# -- brute force and checks -----------------------------------------------------------------


def brute_force(problem: PlanProblem) -> int | None:
    """The optimum over every split of every class's units among its options (None: none)."""
    per_class = []
    for cls in problem.classes:
        per_class.append(
            [
                tuple((o, n) for o, n in enumerate(split) if n)
                for split in itertools.product(range(cls.count + 1), repeat=len(cls.options))
                if sum(split) == cls.count
            ]
        )
    best = None
    for assignment in itertools.product(*per_class):
        e = problem.evaluate(assignment)
        if e.feasible and (best is None or e.cost_minor < best):
            best = e.cost_minor
    return best


def check_plan(problem: PlanProblem, result: PlanResult) -> None:
    """A returned plan: exact units, within capacities, dispatches covering lane loads, the
    objective recomputed from it, and a bound below it."""
    assert result.assignment is not None
    assert result.objective is not None
    problem.check_assignment(result.assignment)
    e = problem.evaluate(result.assignment)
    assert e.cost_minor == result.objective
    for load, row in zip(e.facility_loads, problem.facilities, strict=True):
        assert load <= row.capacity
    for n, load, lane in zip(result.dispatches, e.lane_loads, problem.lanes, strict=True):
        assert n * lane.capacity >= load
    assert result.bound is None or result.bound <= result.objective


# -- tiny problems ----------------------------------------------------------------------------


def tiny_problems(*, lanes: bool = True) -> st.SearchStrategy[PlanProblem]:
    """Small enough for brute force."""
    return plan_problems(max_lanes=1 if lanes else 0)


@st.composite
def tiny_location_problems(draw: st.DrawFn) -> PlanProblem:
    """Facilities with fixed costs and no lanes: the shape AUTO solves by Lagrangian relaxation."""
    m = draw(st.integers(1, 3))
    facilities = tuple(
        CapacityRow(capacity=draw(st.integers(0, 8)), fixed_cost_minor=draw(st.integers(0, 25)))
        for _ in range(m)
    )
    classes = []
    for _ in range(draw(st.integers(1, 4))):
        facs = draw(st.lists(st.integers(0, m - 1), min_size=1, max_size=3))
        options = [ClassOption(cost_minor=draw(st.integers(0, 30)), facility=i) for i in facs]
        if draw(st.booleans()):
            options.append(ClassOption(cost_minor=draw(st.integers(20, 60))))  # no facility
        classes.append(
            ReturnClass(
                count=draw(st.integers(1, 2)),
                demand=draw(st.integers(0, 4)),
                options=tuple(options),
            )
        )
    return PlanProblem(classes=tuple(classes), facilities=facilities)


def agrees_with_brute_force(problem: PlanProblem, backend: Backend) -> None:
    optimum = brute_force(problem)
    result = solve(problem, time_limit_s=20, backend=backend, workers=1)
    if optimum is None:
        assert result.status is Status.INFEASIBLE, (backend, result)
        return
    assert result.status is Status.OPTIMAL, (backend, result)
    assert result.objective == optimum, (backend, result)
    assert result.bound == optimum
    assert result.gap == 0
    check_plan(problem, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_every_backend_finds_the_brute_force_optimum(problem: PlanProblem) -> None:
    """On tiny problems with capacities, fixed costs, counts, free options and dispatch lanes,
    every backend proves the optimum found by enumeration (or proves infeasibility)."""
    for backend in ALL_BACKENDS:
        agrees_with_brute_force(problem, backend)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_location_problems())
def test_lagrangian_strategy_finds_the_brute_force_optimum(problem: PlanProblem) -> None:
    """AUTO's Lagrangian bound, variable fixing and cut-and-solve never cut off the optimum."""
    agrees_with_brute_force(problem, Backend.AUTO)


def test_dispatches_cover_lane_loads_at_least_cost() -> None:
    """Five units, 10 each on a lane (4 per dispatch at 8) or 15 each direct: four ride one
    dispatch and the fifth goes direct rather than pay a second dispatch (63 < 66)."""
    problem = PlanProblem(
        classes=(
            ReturnClass(
                count=5,
                demand=1,
                options=(ClassOption(cost_minor=10, lane=0, lane_load=1), ClassOption(15)),
            ),
        ),
        lanes=(DispatchLane(fixed_cost_minor=8, capacity=4),),
    )
    assert brute_force(problem) == 63
    for backend in ALL_BACKENDS:
        result = solve(problem, time_limit_s=10, backend=backend)
        assert result.objective == 63, backend
        assert result.assignment == (((0, 4), (1, 1)),)
        assert result.dispatches == (1,)
        check_plan(problem, result)


# -- infeasibility ----------------------------------------------------------------------------


def packing_problem() -> PlanProblem:
    """Total capacity 10 >= demand 9, yet three items of 3 fit two bins of 5 only twice."""
    options = (ClassOption(1, facility=0), ClassOption(1, facility=1))
    return PlanProblem(
        classes=tuple(ReturnClass(count=1, demand=3, options=options) for _ in range(3)),
        facilities=(CapacityRow(5, fixed_cost_minor=4), CapacityRow(5, fixed_cost_minor=4)),
    )


@pytest.mark.parametrize(
    "problem",
    [
        PlanProblem(
            classes=(ReturnClass(count=2, demand=3, options=(ClassOption(1, facility=0),)),),
            facilities=(CapacityRow(5),),
        ),
        PlanProblem(
            classes=(ReturnClass(count=1, demand=9, options=(ClassOption(1, facility=0),)),),
            facilities=(CapacityRow(5, fixed_cost_minor=3),),
        ),
        packing_problem(),
    ],
    ids=["over-capacity", "fits-no-option", "bin-packing"],
)
@pytest.mark.parametrize("backend", ALL_BACKENDS, ids=lambda b: b.value)
def test_infeasible_problems_are_reported_infeasible(
    problem: PlanProblem, backend: Backend
) -> None:
    """No plan within capacities: INFEASIBLE, with neither plan nor bound."""
    result = solve(problem, time_limit_s=10, backend=backend)
    assert result.status is Status.INFEASIBLE
    assert result.assignment is None
    assert result.objective is None


# -- time limit, hints, progress ----------------------------------------------------------------


@pytest.mark.parametrize("backend", ALL_BACKENDS, ids=lambda b: b.value)
def test_time_limit_cut_short_returns_a_plan_with_a_valid_bound(backend: Backend) -> None:
    """Holmberg p58 takes seconds to prove: stopped after 1 s, every backend returns a feasible
    plan (FEASIBLE) and a bound strictly below the published optimum."""
    problem = load_sscflp(HOLMBERG / "p58")
    optimum = load_optima(HOLMBERG / "os")[57]
    result = solve(problem, time_limit_s=1.0, backend=backend)
    assert result.status is Status.FEASIBLE
    check_plan(problem, result)
    assert result.objective is not None
    assert result.objective >= optimum
    assert result.bound is not None
    assert result.bound < optimum
    assert result.gap == pytest.approx((result.objective - result.bound) / result.objective)


@functools.cache
def optimal_plan(name: str) -> Assignment:
    result = solve(load_sscflp(HOLMBERG / name), time_limit_s=60)
    assert result.status is Status.OPTIMAL
    assert result.assignment is not None
    return result.assignment


@pytest.mark.parametrize("backend", ALL_BACKENDS, ids=lambda b: b.value)
def test_a_warm_start_hint_is_never_lost(backend: Backend) -> None:
    """Given the optimal plan as a hint and almost no time, a backend returns a plan no dearer."""
    problem = load_sscflp(HOLMBERG / "p30")
    hint = optimal_plan("p30")
    cost = problem.evaluate(hint).cost_minor
    result = solve(problem, time_limit_s=0.3, backend=backend, hint=hint)
    assert result.objective is not None
    assert result.objective <= cost
    check_plan(problem, result)


@pytest.mark.parametrize("backend", [Backend.AUTO, Backend.CPSAT, Backend.SCIP])
def test_progress_is_monotone_and_ends_at_the_result(backend: Backend) -> None:
    """Reports come with an improving incumbent, a rising bound below it, and elapsed time;
    the last one matches the result."""
    problem = load_sscflp(HOLMBERG / "p25")
    seen: list[Progress] = []
    result = solve(problem, time_limit_s=30, backend=backend, on_progress=seen.append)
    assert result.status is Status.OPTIMAL
    assert seen
    incumbents = [p.incumbent for p in seen if p.incumbent is not None]
    bounds = [p.bound for p in seen if p.bound is not None]
    assert incumbents == sorted(incumbents, reverse=True)
    assert bounds == sorted(bounds)
    assert all(p.bound <= p.incumbent for p in seen if p.bound is not None and p.incumbent)
    assert [p.elapsed_s for p in seen] == sorted(p.elapsed_s for p in seen)
    assert seen[-1].incumbent == result.objective
    assert seen[-1].bound == result.bound
    assert seen[-1].gap == 0


def test_highs_progress_bounds_stay_below_the_optimum_on_a_planner_batch() -> None:
    """HiGHS first completes the greedy hint in a restricted sub-MIP whose printed bound is not
    a bound of the whole problem: no reported bound may exceed the proven optimum."""
    from datetime import date

    from hubs import default_network
    from routing.batches.generate import generate_returns
    from routing.plan.planner import PlanConfig, build_problem
    from routing.rpc.app import RoutingApp

    network = default_network()
    router = RoutingApp(network).router
    batch = list(generate_returns(1500, seed=3, network=network, start=date(2026, 11, 2)))
    problem = build_problem(router, batch, PlanConfig()).problem
    seen: list[Progress] = []
    result = solve(problem, time_limit_s=60, backend=Backend.HIGHS, on_progress=seen.append)
    assert result.status is Status.OPTIMAL
    assert result.objective is not None
    bounds = [p.bound for p in seen if p.bound is not None]
    assert bounds
    assert max(bounds) <= result.objective


@pytest.mark.parametrize("backend", [Backend.AUTO, Backend.HIGHS, Backend.CPSAT])
def test_gap_limit_stops_within_the_gap_with_a_valid_bound(backend: Backend) -> None:
    """With a 3 % gap limit the plan is feasible, its bound is at most the published optimum,
    and the plan is within 3 % of its own bound (hence of the optimum)."""
    problem = load_sscflp(HOLMBERG / "p57")
    optimum = load_optima(HOLMBERG / "os")[56]
    result = solve(problem, time_limit_s=60, backend=backend, gap_limit=0.03)
    assert result.objective is not None
    assert result.bound is not None
    assert result.bound <= optimum <= result.objective
    assert result.gap <= 0.03
    check_plan(problem, result)


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_limit_s": 0}, "time_limit_s must be positive and finite, got 0"),
        ({"time_limit_s": math.inf}, "time_limit_s must be positive and finite, got inf"),
        ({"time_limit_s": 1, "workers": 0}, "workers must be an int >= 1, got 0"),
        ({"time_limit_s": 1, "backend": "cpsat"}, "backend must be a Backend, got 'cpsat'"),
        ({"time_limit_s": 1, "hint": (((0, 2),),)}, "class 0: 2 units assigned, count is 1"),
        ({"time_limit_s": 1, "hint": (((1, 1),),)}, "class 0: option 1 out of range"),
    ],
)
def test_bad_solve_arguments_raise_precise_errors(kwargs: dict[str, object], message: str) -> None:
    """solve refuses a bad time limit, worker count, backend or hint before any solver runs."""
    problem = PlanProblem(classes=(ReturnClass(1, 1, (ClassOption(1),)),))
    with pytest.raises(ValueError, match=re.escape(message)):
        solve(problem, **kwargs)  # type: ignore[arg-type]


def test_gap_limit_is_validated() -> None:
    problem = PlanProblem(
        classes=(ReturnClass(count=1, demand=1, options=(ClassOption(5, facility=0),)),),
        facilities=(CapacityRow(capacity=1),),
    )
    for bad in (-0.1, 1.0, math.nan, True, "0.1"):
        with pytest.raises(ValueError, match="gap_limit"):
            solve(problem, time_limit_s=1, gap_limit=bad)  # type: ignore[arg-type]
