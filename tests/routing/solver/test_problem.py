"""The planner's problem and result as validated data (routing.solver.problem): malformed
definitions and unproven results are refused with precise messages."""

from __future__ import annotations

import re

import pytest

from routing.solver import (
    CapacityRow,
    ClassOption,
    DispatchLane,
    PlanProblem,
    PlanResult,
    ReturnClass,
    Status,
)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        # wrong types on purpose: the runtime validation under test rejects them
        (lambda: ClassOption(cost_minor=1.5), "cost_minor must be an int, got float 1.5"),  # type: ignore[arg-type]
        (lambda: ClassOption(cost_minor=True), "cost_minor must be an int, got bool True"),
        (lambda: ClassOption(1, lane=0), "lane_load must be in [1, 1000000000000], got 0"),
        (lambda: ClassOption(1, lane_load=2), "lane_load must be 0 without a lane, got 2"),
        (lambda: ClassOption(1, facility=-1), "facility must be in [0, 1000000000000], got -1"),
        (lambda: ReturnClass(0, 1, (ClassOption(1),)), "count must be in [1, 1000000], got 0"),
        (lambda: ReturnClass(1, -2, (ClassOption(1),)), "demand must be in [0, 1000000000000]"),
        (lambda: ReturnClass(1, 1, ()), "a class needs at least one option"),
        (lambda: ReturnClass(1, 1, [ClassOption(1)]), "options must be a tuple, got list"),  # type: ignore[arg-type]
        (lambda: CapacityRow(-1), "capacity must be in [0, 1000000000000], got -1"),
        (lambda: CapacityRow(5, fixed_cost_minor=-3), "fixed_cost_minor must be in [0,"),
        (lambda: DispatchLane(fixed_cost_minor=5, capacity=0), "capacity must be in [1,"),
        (lambda: PlanProblem(classes=()), "a plan problem needs at least one class"),
        (
            lambda: PlanProblem(
                classes=(ReturnClass(1, 1, (ClassOption(1), ClassOption(2, facility=3))),),
                facilities=(CapacityRow(5),),
            ),
            "classes[0].options[1].facility = 3 but there are 1 facilities",
        ),
        (
            lambda: PlanProblem(
                classes=(ReturnClass(1, 1, (ClassOption(1, lane=0, lane_load=1),)),)
            ),
            "classes[0].options[0].lane = 0 but there are 0 lanes",
        ),
        (
            lambda: PlanProblem(classes=(ReturnClass(1, 1, (ClassOption(10**12),)),) * 9100),
            "exceeds 2**53",
        ),
    ],
)
def test_bad_definitions_raise_precise_errors(build: object, message: str) -> None:
    """Every malformed definition is refused at construction, naming the field and value."""
    with pytest.raises(ValueError, match=re.escape(message)):
        build()  # type: ignore[operator]


def test_result_refuses_an_unproven_optimum() -> None:
    """A result claiming OPTIMAL must have bound == objective; a bound above it is refused."""
    with pytest.raises(ValueError, match="OPTIMAL needs bound == objective, got 9 vs 10"):
        PlanResult(Status.OPTIMAL, 10, 9, 0.1, ((),))
    with pytest.raises(ValueError, match="bound 11 exceeds objective 10"):
        PlanResult(Status.FEASIBLE, 10, 11, 0.1, ((),))
