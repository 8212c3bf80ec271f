"""A plan problem compiled to flat numpy arrays, and what every algorithm computes from them.

:class:`_Arrays` is a :class:`~routing.solver.problem.PlanProblem` flattened (options of class
``k`` are ``start[k]:start[k + 1]``); a plan is ``units``, one integer per option. Here too:
the loads a plan puts on facilities and lanes, its exact cost (the fewest dispatches), the
capacity the facilities with a fixed cost must open, and the rounding of a float bound to a
valid integer one. Every other solver module works on these arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routing.solver.problem import Assignment, PlanProblem, relative_gap

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_EPS = 1e-6


@dataclass(frozen=True)
class _Arrays:
    """A PlanProblem flattened: options of class k are ``start[k]:start[k + 1]``."""

    count: IntArray  # (K,)
    demand: IntArray  # (K,)
    start: IntArray  # (K + 1,)
    opt_class: IntArray  # (O,)
    opt_fac: IntArray  # (O,) facility or -1
    opt_lane: IntArray  # (O,) lane or -1
    opt_cost: IntArray  # (O,)
    opt_load: IntArray  # (O,) lane load per unit
    opt_ub: IntArray  # (O,) most units the option can take (capacity of its facility)
    cap: IntArray  # (M,)
    fixed: IntArray  # (M,) fixed cost (0 when none)
    has_fixed: BoolArray  # (M,)
    lane_cap: IntArray  # (L,)
    lane_fixed: IntArray  # (L,)
    covered: BoolArray  # (K,) every option of the class uses a facility

    @property
    def n_classes(self) -> int:
        return len(self.count)

    @property
    def n_options(self) -> int:
        return len(self.opt_class)

    @property
    def n_facilities(self) -> int:
        return len(self.cap)


def _compile(problem: PlanProblem) -> _Arrays:
    rows: list[tuple[int, int, int, int, int]] = []
    start = [0]
    for k, cls in enumerate(problem.classes):
        for opt in cls.options:
            rows.append(
                (
                    k,
                    -1 if opt.facility is None else opt.facility,
                    -1 if opt.lane is None else opt.lane,
                    opt.cost_minor,
                    opt.lane_load,
                )
            )
        start.append(len(rows))
    table = np.array(rows, dtype=np.int64).reshape(-1, 5)
    count = np.array([c.count for c in problem.classes], dtype=np.int64)
    demand = np.array([c.demand for c in problem.classes], dtype=np.int64)
    cap = np.array([f.capacity for f in problem.facilities], dtype=np.int64)
    fixed = np.array([f.fixed_cost_minor or 0 for f in problem.facilities], dtype=np.int64)
    has_fixed = np.array([f.fixed_cost_minor is not None for f in problem.facilities], dtype=bool)
    opt_class, opt_fac = table[:, 0], table[:, 1]
    opt_ub = count[opt_class].copy()
    at_fac = opt_fac >= 0
    dem = demand[opt_class]
    limited = at_fac & (dem > 0)
    opt_ub[limited] = np.minimum(opt_ub[limited], cap[opt_fac[limited]] // dem[limited])
    # a class is covered when every one of its options uses a facility
    covered = np.minimum.reduceat(opt_fac >= 0, np.array(start[:-1], dtype=np.int64))
    return _Arrays(
        count=count,
        demand=demand,
        start=np.array(start, dtype=np.int64),
        opt_class=opt_class,
        opt_fac=opt_fac,
        opt_lane=table[:, 2],
        opt_cost=table[:, 3],
        opt_load=table[:, 4],
        opt_ub=opt_ub,
        cap=cap,
        fixed=fixed,
        has_fixed=has_fixed,
        lane_cap=np.array([ln.capacity for ln in problem.lanes], dtype=np.int64),
        lane_fixed=np.array([ln.fixed_cost_minor for ln in problem.lanes], dtype=np.int64),
        covered=covered.astype(bool),
    )


def _to_assignment(arr: _Arrays, units: IntArray) -> Assignment:
    out: list[tuple[tuple[int, int], ...]] = []
    for k in range(arr.n_classes):
        lo, hi = int(arr.start[k]), int(arr.start[k + 1])
        out.append(tuple((g - lo, int(units[g])) for g in range(lo, hi) if units[g] > 0))
    return tuple(out)


def _from_assignment(arr: _Arrays, assignment: Assignment) -> IntArray:
    units = np.zeros(arr.n_options, dtype=np.int64)
    for k, pairs in enumerate(assignment):
        for o, n in pairs:
            units[int(arr.start[k]) + o] += n
    return units


def _facility_loads(arr: _Arrays, units: IntArray) -> IntArray:
    """Capacity used at each facility by a plan."""
    at = arr.opt_fac >= 0
    return np.bincount(
        arr.opt_fac[at],
        weights=(arr.demand[arr.opt_class[at]] * units[at]).astype(np.float64),
        minlength=arr.n_facilities,
    ).astype(np.int64)


def _lane_loads(arr: _Arrays, units: IntArray) -> IntArray:
    """Load carried on each lane by a plan."""
    on = arr.opt_lane >= 0
    return np.bincount(
        arr.opt_lane[on],
        weights=(arr.opt_load[on] * units[on]).astype(np.float64),
        minlength=len(arr.lane_cap),
    ).astype(np.int64)


def _plan_cost(arr: _Arrays, units: IntArray) -> tuple[int, bool]:
    """Cost of a plan with the fewest dispatches, and whether it respects every capacity."""
    cost = int(arr.opt_cost @ units)
    at = arr.opt_fac >= 0
    used = np.bincount(
        arr.opt_fac[at], weights=units[at].astype(np.float64), minlength=arr.n_facilities
    )
    cost += int(arr.fixed[(used > 0) & arr.has_fixed].sum())
    if len(arr.lane_cap):
        cost += int((-(-_lane_loads(arr, units) // arr.lane_cap) * arr.lane_fixed).sum())
    return cost, bool((_facility_loads(arr, units) <= arr.cap).all())


def _cover_rhs(arr: _Arrays) -> int:
    """Capacity that facilities with a fixed cost must open: covered demand minus the rest."""
    need = int((arr.demand * arr.count)[arr.covered].sum())
    return need - int(arr.cap[~arr.has_fixed].sum())


def _ceil(bound: float) -> int:
    """A float lower bound on an integer objective, rounded up with a tolerance."""
    return math.ceil(bound - _EPS * max(1.0, abs(bound)))


def _close_enough(incumbent: int | None, bound: int, gap_limit: float) -> bool:
    """Proven optimal, or within the asked relative gap."""
    if incumbent is None:
        return False
    return bound >= incumbent or (gap_limit > 0 and relative_gap(incumbent, bound) <= gap_limit)
