"""The greedy plan (routing.solver.heuristics): every unit assigned, capacities respected when
the room allows it."""

from __future__ import annotations

from routing.solver import (
    CapacityRow,
    ClassOption,
    DispatchLane,
    PlanProblem,
    ReturnClass,
    greedy,
)


def test_greedy_respects_capacities_when_they_allow_it() -> None:
    """With room for everything at every facility, the greedy plan is feasible; when nothing
    fits, it still assigns every unit (and says so through evaluate)."""
    roomy = PlanProblem(
        classes=tuple(
            ReturnClass(
                count=k + 1,
                demand=2,
                options=(
                    ClassOption(5 + k, facility=0),
                    ClassOption(3, facility=1, lane=0, lane_load=1),
                ),
            )
            for k in range(4)
        ),
        facilities=(CapacityRow(100, fixed_cost_minor=7), CapacityRow(100)),
        lanes=(DispatchLane(fixed_cost_minor=9, capacity=3),),
    )
    plan = greedy(roomy)
    roomy.check_assignment(plan)
    assert roomy.evaluate(plan).feasible
    tight = PlanProblem(
        classes=(ReturnClass(count=3, demand=2, options=(ClassOption(1, facility=0),)),),
        facilities=(CapacityRow(3),),
    )
    plan = greedy(tight)
    tight.check_assignment(plan)
    assert not tight.evaluate(plan).feasible
