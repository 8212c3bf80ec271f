"""Cover cuts on the capacity knapsacks (routing.solver.backends): valid for every plan, checked
by brute force on small random instances, and they tighten the LP."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from routing.solver import CapacityRow, ClassOption, PlanProblem, ReturnClass, solve
from routing.solver.arrays import _compile
from routing.solver.backends import _cover_cut_lp, _separate_covers


def instance(seed: int, m: int = 3, n: int = 6) -> PlanProblem:
    """Tight capacities (about 1.3x the demand in all), fixed costs that matter."""
    rng = np.random.default_rng(seed)
    demand = rng.integers(3, 12, size=n)
    cap = np.maximum(demand.max(), (1.3 * demand.sum() / m * rng.uniform(0.7, 1.3, m)).astype(int))
    return PlanProblem(
        classes=tuple(
            ReturnClass(
                1,
                int(demand[j]),
                tuple(ClassOption(int(rng.integers(1, 60)), facility=i) for i in range(m)),
            )
            for j in range(n)
        ),
        facilities=tuple(
            CapacityRow(int(cap[i]), fixed_cost_minor=int(rng.integers(20, 90))) for i in range(m)
        ),
    )


def feasible_plans(problem: PlanProblem) -> list[tuple[int, ...]]:
    m = len(problem.facilities)
    out = []
    for plan in itertools.product(range(m), repeat=len(problem.classes)):
        load = [0] * m
        for j, i in enumerate(plan):
            load[i] += problem.classes[j].demand
        if all(load[i] <= problem.facilities[i].capacity for i in range(m)):
            out.append(plan)
    return out


@pytest.mark.parametrize("seed", range(25))
def test_cover_cuts_never_cut_off_a_plan(seed: int) -> None:
    """Every cut the LP rounds add holds for every feasible plan (brute force over all 3**6
    assignments), the optimal ones included; the LP with the cuts stays a lower bound on the
    optimum that the planner proves."""
    problem = instance(seed)
    arr = _compile(problem)
    m = arr.n_facilities
    keep = arr.opt_ub > 0
    lp, cuts = _cover_cut_lp(
        arr, keep, np.zeros(m, dtype=np.int64), np.ones(m, dtype=np.int64), rounds=30,
        deadline=float("inf"),
    )  # fmt: skip
    plans = feasible_plans(problem)
    assert plans
    for plan in plans:
        x = np.zeros(arr.n_options)
        for j, i in enumerate(plan):
            x[int(arr.start[j]) + i] = 1  # option i of class j is facility i
        y = np.zeros(m)
        y[list(set(plan))] = 1
        for i, members, coefficient in cuts:
            assert x[list(members)].sum() <= coefficient * y[i] + 1e-9, (plan, i, members)
    best = solve(problem, time_limit_s=20)
    assert best.proven
    costs = [problem.evaluate(tuple(((i, 1),) for i in plan)).cost_minor for plan in plans]
    assert best.objective == min(costs)
    assert lp is not None
    assert lp <= best.objective + 1e-6


def test_separation_finds_the_violated_cover_of_a_fractional_point() -> None:
    """Three customers of demand 6 at a facility of capacity 10, each half assigned there with
    the facility open to 0.75: the cover {any two} gives x_a + x_b + x_c <= 1 * y (extended to
    all three, equal demands), violated (1.5 > 0.75); the linking x <= y holds."""
    problem = PlanProblem(
        classes=tuple(
            ReturnClass(1, 6, (ClassOption(1, facility=0), ClassOption(5, facility=1)))
            for _ in range(3)
        ),
        facilities=(CapacityRow(10, fixed_cost_minor=10), CapacityRow(30, fixed_cost_minor=10)),
    )
    arr = _compile(problem)
    xv = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    yv = np.array([0.75, 1.0])
    cuts = _separate_covers(arr, arr.opt_ub > 0, xv, yv)
    assert (0, (0, 2, 4), 1) in cuts
    assert all(len(members) > 1 for _, members, _ in cuts)  # no linking cut: x <= y holds


def test_cuts_are_found_and_raise_the_lp_bound() -> None:
    """On the same small instances the rounds find cover cuts (not only linking ones) and, on
    some, lift the LP bound above the plain LP (one round, no cuts added yet)."""
    covers = raised = 0
    for seed in range(25):
        arr = _compile(instance(seed))
        m = arr.n_facilities
        bounds = (np.zeros(m, dtype=np.int64), np.ones(m, dtype=np.int64))
        keep = arr.opt_ub > 0
        plain, _ = _cover_cut_lp(arr, keep, *bounds, rounds=1, deadline=1e12)
        strong, cuts = _cover_cut_lp(arr, keep, *bounds, rounds=30, deadline=1e12)
        assert plain is not None
        assert strong is not None
        covers += sum(1 for _, members, _ in cuts if len(members) > 1)
        raised += strong > plain + 1e-6
    assert covers > 0
    assert raised > 0
