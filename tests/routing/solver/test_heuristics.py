"""The greedy plan (routing.solver.heuristics): every unit assigned, capacities respected when
the room allows it; the facility search improves plans without breaking a capacity."""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.sscflp_generate import instance_text
from routing.solver import (
    CapacityRow,
    ClassOption,
    DispatchLane,
    PlanProblem,
    ReturnClass,
    greedy,
    read_sscflp,
)
from routing.solver.arrays import _compile, _plan_cost
from routing.solver.heuristics import _dense, _facility_search, _greedy_units, _local_search


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


def test_facility_search_keeps_plans_feasible_and_never_worse(tmp_path: Path) -> None:
    """Facility moves and iterated local search on tight generated instances (the Yang-style
    generator, 8 sites x 40 customers, capacity 3x the demand): the plan stays feasible, costs
    no more than the shift/swap local search it starts from, and on some instances less."""
    better = 0
    for seed in range(6):
        path = tmp_path / f"y{seed}"
        path.write_text(instance_text(8, 40, 3, seed))
        arr = _compile(read_sscflp(path).problem)
        dense = _dense(arr)
        assert dense is not None
        start = _local_search(arr, dense, _greedy_units(arr, None), time.monotonic() + 10)
        cost0, ok0 = _plan_cost(arr, start)
        assert ok0
        found = _facility_search(arr, dense, start, time.monotonic() + 10)
        cost, ok = _plan_cost(arr, found)
        assert ok
        assert int(found.sum()) == arr.n_classes  # every customer assigned once
        assert cost <= cost0
        better += cost < cost0
    assert better > 0
