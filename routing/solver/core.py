"""The one adapter module that owns solver calls for the batch planner.

``solve(problem, *, time_limit_s, backend, ...)`` takes a
:class:`routing.solver.problem.PlanProblem` and returns a
:class:`routing.solver.problem.PlanResult` whatever the backend:

- ``Backend.AUTO`` (default, chosen by measurement on the Holmberg SSCFLP set, see
  ``benchmarks/sscflp.py``): a Lagrangian relaxation of the assignment rows (per-facility
  knapsacks, an exact knapsack over the opened capacity, subgradient on the multipliers) gives a
  bound, a Lagrangian heuristic gives plans, and Lagrangian penalties fix variables. An exact
  SCIP solve (MathOpt) on the *sparse* problem (options whose penalty is within a small margin
  of the bound) usually finds the optimum; a second SCIP solve over the remaining options,
  restricted by a *piercing* row to plans outside the sparse set and by the incumbent's cost,
  proves it (cut-and-solve). Every fixing is justified by a Lagrangian bound, so the bound
  reported stays valid.
- ``Backend.SCIP`` / ``Backend.HIGHS``: one MIP through OR-Tools MathOpt (weak capacity rows,
  the aggregate capacity-cover row; SCIP branches on facilities first).
- ``Backend.CPSAT``: CP-SAT with the disaggregated linking ``x <= y`` and the cover row.
- ``Backend.CBC``: the textbook model through PuLP/CBC, the reference a planner writes by hand.

Every result is recomputed from the plan (never from a solver's float objective); the bound
is rounded up to an integer (every plan's cost is one) and is a valid lower bound: the
solver's own bound, or the LP relaxation when the backend reports none.
"""

from __future__ import annotations

import datetime
import enum
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routing.solver.problem import (
    Assignment,
    PlanProblem,
    PlanResult,
    Progress,
    Status,
    relative_gap,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_DP_LIMIT = 4_000_000  # cells of one knapsack dynamic programme (items x capacity)
_SPARSE_MARGIN = 0.005  # stage 1 keeps options whose penalty is within 0.5 % of the bound
_SCIP_SEPARATING: str | None = None  # gSCIP meta setting for cuts (None: SCIP's default)
_EPS = 1e-6
_SEED = 0  # MathOpt solvers' random seed
_HEURISTIC_AT = frozenset((0, 5, 10, 20, 30, 40))  # Lagrangian heuristic, then every 50


class Backend(enum.Enum):
    AUTO = "auto"  # Lagrangian bound + fixing + sparse/pierced SCIP solves (the default)
    CPSAT = "cpsat"
    SCIP = "scip"  # MathOpt gSCIP
    HIGHS = "highs"  # MathOpt HiGHS
    CBC = "cbc"  # PuLP + CBC (the cbcbox binary): the textbook reference


# -- the problem as arrays ------------------------------------------------------------------


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


# -- greedy and local search ----------------------------------------------------------------


def greedy(problem: PlanProblem) -> Assignment:
    """A quick plan: classes by decreasing total demand, each to its cheapest options by
    marginal cost per unit (fixed costs and new dispatches included) among those with room.

    Capacities are respected whenever the remaining room allows it; a class that fits nowhere
    goes to its cheapest option regardless (check ``problem.evaluate(plan).feasible``).
    """
    arr = _compile(problem)
    return _to_assignment(arr, _greedy_units(arr, None))


def _greedy_units(
    arr: _Arrays, open_mask: BoolArray | None, prefer: BoolArray | None = None
) -> IntArray:
    """Greedy by marginal cost per unit; ``open_mask`` restricts facilities with a fixed cost
    while room lasts, ``prefer`` marks options tried first (a relaxation's choice)."""
    units = np.zeros(arr.n_options, dtype=np.int64)
    load = np.zeros(arr.n_facilities, dtype=np.int64)
    used = np.zeros(arr.n_facilities, dtype=bool)
    lane_load = np.zeros(len(arr.lane_cap), dtype=np.int64)
    cost, fac, lane = arr.opt_cost.tolist(), arr.opt_fac.tolist(), arr.opt_lane.tolist()
    opt_load, cap, fixed = arr.opt_load.tolist(), arr.cap.tolist(), arr.fixed.tolist()
    has_fixed = arr.has_fixed.tolist()
    order = np.argsort(-(arr.demand * arr.count), kind="stable").tolist()
    for k in order:
        dem, remaining = int(arr.demand[k]), int(arr.count[k])
        options = range(int(arr.start[k]), int(arr.start[k + 1]))
        for restrict in (True, False, None):
            while remaining > 0:
                best, best_fit, best_rate = -1, 0, math.inf
                for g in options:
                    i = fac[g]
                    if i >= 0:
                        if restrict and open_mask is not None and has_fixed[i] and not open_mask[i]:
                            continue
                        room = cap[i] - int(load[i])
                        fit = remaining if dem == 0 else min(remaining, room // dem)
                        if restrict is None:
                            fit = remaining  # nothing fits anywhere: overflow, cheapest option
                        if fit <= 0:
                            continue
                        extra = fixed[i] if has_fixed[i] and not used[i] else 0
                    else:
                        fit, extra = remaining, 0
                    ln = lane[g]
                    if ln >= 0:
                        before = -(-int(lane_load[ln]) // int(arr.lane_cap[ln]))
                        after = -(
                            -(int(lane_load[ln]) + opt_load[g] * fit) // int(arr.lane_cap[ln])
                        )
                        extra += int(arr.lane_fixed[ln]) * (after - before)
                    rate = cost[g] + extra / fit
                    if prefer is not None and prefer[g]:
                        rate -= _BIG
                    if rate < best_rate:
                        best, best_fit, best_rate = g, fit, rate
                if best < 0:
                    break
                units[best] += best_fit
                remaining -= best_fit
                i = fac[best]
                if i >= 0:
                    load[i] += dem * best_fit
                    used[i] = True
                if lane[best] >= 0:
                    lane_load[lane[best]] += opt_load[best] * best_fit
            if remaining == 0:
                break
    return units


@dataclass(frozen=True)
class _Dense:
    """Count-1, lane-free problems as matrices (facility x class) for local search."""

    cost: IntArray  # (M, K), huge where the class has no option at the facility
    option: IntArray  # (M, K) global option id or -1


_BIG = 10**15


def _dense(arr: _Arrays) -> _Dense | None:
    if (arr.count != 1).any() or (arr.opt_lane >= 0).any() or (arr.opt_fac < 0).any():
        return None
    m, k = arr.n_facilities, arr.n_classes
    cost = np.full((m, k), _BIG, dtype=np.int64)
    option = np.full((m, k), -1, dtype=np.int64)
    for g in range(arr.n_options - 1, -1, -1):  # the first option wins on duplicates
        i, c = int(arr.opt_fac[g]), int(arr.opt_class[g])
        if arr.opt_ub[g] >= 1 and arr.opt_cost[g] <= cost[i, c]:
            cost[i, c], option[i, c] = arr.opt_cost[g], g
    return _Dense(cost, option)


def _local_search(arr: _Arrays, dense: _Dense, units: IntArray, deadline: float) -> IntArray:
    """Shift and swap moves (best improvement) on a count-1, lane-free plan."""
    c, d, s = dense.cost, arr.demand, arr.cap
    f = np.where(arr.has_fixed, arr.fixed, 0)
    m, n = c.shape
    cols = np.arange(n)
    a = np.empty(n, dtype=np.int64)
    for g in np.nonzero(units)[0]:
        a[arr.opt_class[g]] = arr.opt_fac[g]
    load = np.bincount(a, weights=d.astype(np.float64), minlength=m).astype(np.int64)
    cnt = np.bincount(a, minlength=m)
    for _ in range(100 * n):
        if time.monotonic() > deadline:
            break
        cur = c[a, cols]
        open_cost = np.where(cnt > 0, 0, f)[:, None]
        close_gain = np.where(cnt[a] == 1, f[a], 0)[None, :]
        delta = (c - cur[None, :] + open_cost - close_gain).astype(np.float64)
        delta[load[:, None] + d[None, :] > s[:, None]] = np.inf
        delta[a, cols] = np.inf
        flat = int(np.argmin(delta))
        i, j = divmod(flat, n)
        if delta[i, j] < 0:
            o = a[j]
            a[j] = i
            load[o] -= d[j]
            load[i] += d[j]
            cnt[o] -= 1
            cnt[i] += 1
            continue
        at = c[a, :]
        swap = (at + at.T - cur[:, None] - cur[None, :]).astype(np.float64)
        slack = s[a] - load[a]
        ok = (slack[:, None] + d[:, None] - d[None, :] >= 0) & (
            slack[None, :] + d[None, :] - d[:, None] >= 0
        )
        swap[~ok | (a[:, None] == a[None, :])] = np.inf
        flat = int(np.argmin(swap))
        j1, j2 = divmod(flat, n)
        if swap[j1, j2] >= 0:
            break
        i1, i2 = a[j1], a[j2]
        a[j1], a[j2] = i2, i1
        load[i1] += d[j2] - d[j1]
        load[i2] += d[j1] - d[j2]
    out = np.zeros(arr.n_options, dtype=np.int64)
    out[dense.option[a, cols]] = 1
    return out


# -- progress -------------------------------------------------------------------------------


class _Reporter:
    """Keeps the best incumbent and bound seen and forwards improvements to the callback."""

    def __init__(
        self, on_progress: Callable[[Progress], None] | None, backend: str, t0: float
    ) -> None:
        self.on_progress = on_progress
        self.backend = backend
        self.t0 = t0
        self.incumbent: int | None = None
        self.bound: int | None = None
        self._emitted = False
        self._lock = threading.Lock()

    def update(self, incumbent: float | None = None, bound: float | None = None) -> None:
        with self._lock:
            changed = False
            if incumbent is not None and math.isfinite(incumbent):
                value = round(incumbent)
                if self.incumbent is None or value < self.incumbent:
                    self.incumbent, changed = value, True
            if bound is not None and math.isfinite(bound):
                value = _ceil(bound)
                if self.incumbent is not None:
                    value = min(value, self.incumbent)
                if self.bound is None or value > self.bound:
                    self.bound, changed = value, True
            if changed and self.on_progress is not None:
                self._emit()

    def finish(self, incumbent: int, bound: int | None) -> None:
        """The result's exact values: reported last unless the last report already said so."""
        with self._lock:
            same = (self.incumbent, self.bound) == (incumbent, bound)
            self.incumbent, self.bound = incumbent, bound
            if self.on_progress is not None and not (same and self._emitted):
                self._emit()

    def _emit(self) -> None:
        assert self.on_progress is not None
        self._emitted = True
        self.on_progress(
            Progress(
                incumbent=self.incumbent,
                bound=self.bound,
                gap=relative_gap(self.incumbent, self.bound),
                elapsed_s=time.monotonic() - self.t0,
                backend=self.backend,
            )
        )


def _printed(value: float) -> float:
    """One unit of the 7th significant digit of a value printed by a solver log (%.6e)."""
    return 0.0 if value == 0 else 10.0 ** (math.floor(math.log10(abs(value))) - 6)


def _ceil(bound: float) -> int:
    """A float lower bound on an integer objective, rounded up with a tolerance."""
    return math.ceil(bound - _EPS * max(1.0, abs(bound)))


def _scip_log(reporter: _Reporter, global_bound: bool) -> Callable[[Sequence[str]], None]:
    """SCIP's node table: ``time | node | ... | dualbound | primalbound | gap | compl.``"""

    def on_lines(lines: Sequence[str]) -> None:
        for line in lines:
            cells = line.split("|")
            if len(cells) < 10:
                continue
            try:
                dual, primal = float(cells[-4]), float(cells[-3])
            except ValueError:
                continue  # the header
            # the log prints 7 significant digits: widen by one unit of the last one
            reporter.update(
                primal + _printed(primal) if abs(primal) < 1e19 else None,
                dual - _printed(dual) if global_bound and abs(dual) < 1e19 else None,
            )

    return on_lines


def _highs_log(reporter: _Reporter) -> Callable[[Sequence[str]], None]:
    """HiGHS's node table: ``... Expl.% | BestBound BestSol Gap | ...``. Before the main
    solve, HiGHS may complete a partial MIP start in a sub-MIP whose table prints the bound of
    that restricted model: its solutions count, its bounds do not."""
    main = False

    def on_lines(lines: Sequence[str]) -> None:
        nonlocal main
        for line in lines:
            if line.startswith("Solving MIP model with"):
                main = True
                continue
            toks = line.split()
            pct = [i for i, t in enumerate(toks) if t.endswith("%")]
            if len(pct) < 2 or pct[0] + 2 >= len(toks):
                continue
            try:
                bound = float(toks[pct[0] + 1])
                best = float(toks[pct[0] + 2])
            except ValueError:
                continue
            reporter.update(best + _printed(best), bound - _printed(bound) if main else None)

    return on_lines


# -- one MIP, any backend -------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """Which part of the problem a MIP covers."""

    keep: BoolArray  # (O,) options that may be used
    y_lo: IntArray  # (M,) bounds of the open variables (facilities with a fixed cost)
    y_hi: IntArray
    pierce: tuple[BoolArray, BoolArray, BoolArray] | None = None  # (keep1, closed1, forced1)
    cutoff: int | None = None  # objective <= cutoff (a row)
    hint: IntArray | None = None  # units per option
    gap_limit: float = 0.0  # stop once (incumbent - bound) / |incumbent| is at most this


def _full_spec(arr: _Arrays, hint: IntArray | None, gap_limit: float = 0.0) -> _Spec:
    m = arr.n_facilities
    return _Spec(
        keep=arr.opt_ub > 0,
        y_lo=np.zeros(m, dtype=np.int64),
        y_hi=np.ones(m, dtype=np.int64),
        hint=hint,
        gap_limit=gap_limit,
    )


def _close_enough(incumbent: int | None, bound: int, gap_limit: float) -> bool:
    """Proven optimal, or within the asked relative gap."""
    if incumbent is None:
        return False
    return bound >= incumbent or (gap_limit > 0 and relative_gap(incumbent, bound) <= gap_limit)


@dataclass
class _Raw:
    """What one MIP solve produced, in the MIP's own terms."""

    units: IntArray | None = None  # best plan found
    bound: int | None = None  # valid lower bound for the MIP's own feasible set
    infeasible: bool = False  # proven: the MIP has no feasible plan
    message: str = ""
    failed: bool = False  # the solver reported an error instead of a result


def _lane_ub(arr: _Arrays, keep: BoolArray) -> dict[int, int]:
    out: dict[int, int] = {}
    for g in np.nonzero(keep & (arr.opt_lane >= 0))[0]:
        ln = int(arr.opt_lane[g])
        out[ln] = out.get(ln, 0) + int(arr.opt_load[g] * arr.opt_ub[g])
    return {ln: -(-load // int(arr.lane_cap[ln])) for ln, load in out.items()}


def _cover_rhs(arr: _Arrays) -> int:
    """Capacity that facilities with a fixed cost must open: covered demand minus the rest."""
    need = int((arr.demand * arr.count)[arr.covered].sum())
    return need - int(arr.cap[~arr.has_fixed].sum())


def _rows(
    arr: _Arrays, spec: _Spec
) -> tuple[list[int], dict[int, list[int]], dict[int, list[int]]]:
    """Kept options; options per facility; options per lane."""
    kept = [int(g) for g in np.nonzero(spec.keep & (arr.opt_ub > 0))[0]]
    by_fac: dict[int, list[int]] = {}
    by_lane: dict[int, list[int]] = {}
    for g in kept:
        if arr.opt_fac[g] >= 0:
            by_fac.setdefault(int(arr.opt_fac[g]), []).append(g)
        if arr.opt_lane[g] >= 0:
            by_lane.setdefault(int(arr.opt_lane[g]), []).append(g)
    return kept, by_fac, by_lane


def _classes_covered(arr: _Arrays, kept: list[int]) -> bool:
    have = np.zeros(arr.n_classes, dtype=bool)
    have[arr.opt_class[kept]] = True
    return bool(have.all())


def _solve_mathopt(
    arr: _Arrays,
    spec: _Spec,
    *,
    scip: bool,
    time_limit_s: float,
    reporter: _Reporter | None,
    global_bound: bool,
) -> _Raw:
    from ortools.math_opt.python import mathopt

    entered = time.monotonic()  # building the model counts against the time limit
    kept, by_fac, by_lane = _rows(arr, spec)
    if not _classes_covered(arr, kept):
        return _Raw(infeasible=True, message="a class has no usable option")
    model = mathopt.Model()
    x = {
        g: (
            model.add_binary_variable()
            if arr.opt_ub[g] == 1
            else model.add_integer_variable(lb=0, ub=int(arr.opt_ub[g]))
        )
        for g in kept
    }
    y = {
        i: model.add_integer_variable(lb=int(spec.y_lo[i]), ub=int(spec.y_hi[i]))
        for i in range(arr.n_facilities)
        if arr.has_fixed[i]
    }
    z = {ln: model.add_integer_variable(lb=0, ub=ub) for ln, ub in _lane_ub(arr, spec.keep).items()}
    for k in range(arr.n_classes):
        terms = [x[g] for g in range(int(arr.start[k]), int(arr.start[k + 1])) if g in x]
        model.add_linear_constraint(mathopt.fast_sum(terms) == int(arr.count[k]))
    for i, opts in by_fac.items():
        used = mathopt.fast_sum(int(arr.demand[arr.opt_class[g]]) * x[g] for g in opts)
        if i in y:
            model.add_linear_constraint(used - int(arr.cap[i]) * y[i] <= 0)
            for g in opts:  # units of zero demand open the facility too
                if arr.demand[arr.opt_class[g]] == 0:
                    model.add_linear_constraint(x[g] - int(arr.opt_ub[g]) * y[i] <= 0)
        else:
            model.add_linear_constraint(used <= int(arr.cap[i]))
    rhs = _cover_rhs(arr)
    if y and rhs > 0:
        model.add_linear_constraint(
            mathopt.fast_sum(int(arr.cap[i]) * v for i, v in y.items()) >= rhs
        )
    for ln, opts in by_lane.items():
        load = mathopt.fast_sum(int(arr.opt_load[g]) * x[g] for g in opts)
        model.add_linear_constraint(load - int(arr.lane_cap[ln]) * z[ln] <= 0)
    objective = (
        mathopt.fast_sum(int(arr.opt_cost[g]) * v for g, v in x.items())
        + mathopt.fast_sum(int(arr.fixed[i]) * v for i, v in y.items())
        + mathopt.fast_sum(int(arr.lane_fixed[ln]) * v for ln, v in z.items())
    )
    model.minimize(objective)
    if spec.pierce is not None:
        keep1, closed1, forced1 = spec.pierce
        outside = [x[g] for g in kept if not keep1[g]]
        outside += [v for i, v in y.items() if closed1[i] and spec.y_hi[i] == 1]
        reopen = [v for i, v in y.items() if forced1[i] and spec.y_lo[i] == 0]
        model.add_linear_constraint(
            mathopt.fast_sum(outside) - mathopt.fast_sum(reopen) >= 1 - len(reopen)
        )
    if spec.cutoff is not None:
        model.add_linear_constraint(objective <= spec.cutoff)
    hints = []
    usable = (
        spec.hint is not None
        and bool(np.all(spec.hint <= arr.opt_ub))  # HiGHS rejects a hint outside the bounds
        and all(spec.hint[g] == 0 or g in x for g in np.nonzero(spec.hint)[0])
    )
    if usable and spec.hint is not None:
        values = {v: float(spec.hint[g]) for g, v in x.items()}
        fac_used = np.zeros(arr.n_facilities, dtype=bool)
        fac_used[arr.opt_fac[(spec.hint > 0) & (arr.opt_fac >= 0)]] = True
        values.update({v: float(fac_used[i]) for i, v in y.items()})
        hints.append(mathopt.SolutionHint(variable_values=values))
    model_params = mathopt.ModelSolveParameters(
        solution_hints=hints,
        branching_priorities=dict.fromkeys(y.values(), 10) if scip and y else None,
    )
    params = mathopt.SolveParameters(
        random_seed=_SEED,
        time_limit=datetime.timedelta(
            seconds=max(0.01, time_limit_s - (time.monotonic() - entered))
        ),
        relative_gap_tolerance=spec.gap_limit,
        absolute_gap_tolerance=0.99,  # the objective is an integer
    )
    if scip:
        from ortools.math_opt.solvers.gscip import gscip_pb2

        gscip = gscip_pb2.GScipParameters()
        gscip.presolve = gscip_pb2.GScipParameters.FAST
        if _SCIP_SEPARATING is not None:
            gscip.separating = gscip_pb2.GScipParameters.MetaParamValue.Value(_SCIP_SEPARATING)
        params.gscip = gscip
    solver = mathopt.SolverType.GSCIP if scip else mathopt.SolverType.HIGHS
    msg_cb = None
    if reporter is not None and reporter.on_progress is not None:
        msg_cb = _scip_log(reporter, global_bound) if scip else _highs_log(reporter)
    try:
        result = mathopt.solve(
            model, solver, params=params, model_params=model_params, msg_cb=msg_cb
        )
    except (AttributeError, RuntimeError, ValueError) as exc:
        # ortools 9.15's MathOpt raises AttributeError while converting some solver errors
        # ('StatusNotOk' has no attribute 'canonical_code'): report the solver's own error.
        return _Raw(message=f"{solver.name} failed: {exc.__context__ or exc}", failed=True)
    reason = result.termination.reason
    if reason == mathopt.TerminationReason.INFEASIBLE:
        return _Raw(infeasible=True, message="infeasible")
    raw = _Raw(message=reason.name.lower())
    if result.has_primal_feasible_solution():
        values = result.variable_values()
        raw.units = np.zeros(arr.n_options, dtype=np.int64)
        for g, v in x.items():
            raw.units[g] = round(values[v])
    dual = result.termination.objective_bounds.dual_bound
    if math.isfinite(dual):
        raw.bound = _ceil(dual)
    # OPTIMAL means within the tolerances: exact only when no relative gap was allowed
    if reason == mathopt.TerminationReason.OPTIMAL and raw.units is not None and not spec.gap_limit:
        cost = _plan_cost(arr, raw.units)[0]
        raw.bound = cost if raw.bound is None else max(raw.bound, cost)
    return raw


def _solve_cpsat(
    arr: _Arrays, spec: _Spec, *, time_limit_s: float, workers: int, reporter: _Reporter
) -> _Raw:
    from ortools.sat.python import cp_model

    kept, by_fac, by_lane = _rows(arr, spec)
    if not _classes_covered(arr, kept):
        return _Raw(infeasible=True, message="a class has no usable option")
    model = cp_model.CpModel()
    x = {
        g: model.new_bool_var(f"x{g}")
        if arr.opt_ub[g] == 1
        else model.new_int_var(0, int(arr.opt_ub[g]), f"x{g}")
        for g in kept
    }
    y = {
        i: model.new_int_var(int(spec.y_lo[i]), int(spec.y_hi[i]), f"y{i}")
        for i in range(arr.n_facilities)
        if arr.has_fixed[i]
    }
    z = {ln: model.new_int_var(0, ub, f"z{ln}") for ln, ub in _lane_ub(arr, spec.keep).items()}
    for k in range(arr.n_classes):
        terms = [x[g] for g in range(int(arr.start[k]), int(arr.start[k + 1])) if g in x]
        if arr.count[k] == 1:
            model.add_exactly_one(terms)
        else:
            model.add(sum(terms) == int(arr.count[k]))
    for i, opts in by_fac.items():
        used = sum(int(arr.demand[arr.opt_class[g]]) * x[g] for g in opts)
        if i in y:
            model.add(used <= int(arr.cap[i]) * y[i])
            for g in opts:  # disaggregated linking: x <= ub * y
                model.add(x[g] <= int(arr.opt_ub[g]) * y[i])
        else:
            model.add(used <= int(arr.cap[i]))
    rhs = _cover_rhs(arr)
    if y and rhs > 0:
        model.add(sum(int(arr.cap[i]) * v for i, v in y.items()) >= rhs)
    for ln, opts in by_lane.items():
        model.add(sum(int(arr.opt_load[g]) * x[g] for g in opts) <= int(arr.lane_cap[ln]) * z[ln])
    objective = (
        sum(int(arr.opt_cost[g]) * v for g, v in x.items())
        + sum(int(arr.fixed[i]) * v for i, v in y.items())
        + sum(int(arr.lane_fixed[ln]) * v for ln, v in z.items())
    )
    model.minimize(objective)
    if spec.hint is not None:
        for g, v in x.items():
            model.add_hint(v, int(spec.hint[g]))
        fac_used = np.zeros(arr.n_facilities, dtype=bool)
        fac_used[arr.opt_fac[(spec.hint > 0) & (arr.opt_fac >= 0)]] = True
        for i, v in y.items():
            model.add_hint(v, int(fac_used[i]))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.relative_gap_limit = spec.gap_limit

    class _OnSolution(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
        def on_solution_callback(self) -> None:
            reporter.update(self.objective_value, self.best_objective_bound)

    solver.best_bound_callback = lambda b: reporter.update(None, b)
    status = solver.solve(model, _OnSolution())
    if status == cp_model.INFEASIBLE:
        return _Raw(infeasible=True, message="infeasible")
    raw = _Raw(message=solver.status_name(status).lower())
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raw.units = np.zeros(arr.n_options, dtype=np.int64)
        for g, v in x.items():
            raw.units[g] = solver.value(v)
        raw.bound = _ceil(solver.best_objective_bound)
    return raw


def _solve_cbc(
    arr: _Arrays, spec: _Spec, *, time_limit_s: float, workers: int, reporter: _Reporter
) -> _Raw:
    """The textbook model a planner writes by hand in PuLP: binaries, weak linking, CBC."""
    import cbcbox
    import pulp

    kept, by_fac, by_lane = _rows(arr, spec)
    if not _classes_covered(arr, kept):
        return _Raw(infeasible=True, message="a class has no usable option")
    prob = pulp.LpProblem("plan", pulp.LpMinimize)

    def var(name: str, ub: int) -> pulp.LpVariable:
        cat = "Binary" if ub == 1 else "Integer"
        return prob.add_variable(name, 0, ub, cat=cat)

    x = {g: var(f"x{g}", int(arr.opt_ub[g])) for g in kept}
    y = {i: var(f"y{i}", 1) for i in range(arr.n_facilities) if arr.has_fixed[i]}
    z = {ln: var(f"z{ln}", ub) for ln, ub in _lane_ub(arr, spec.keep).items()}
    prob += (
        pulp.lpSum(int(arr.opt_cost[g]) * v for g, v in x.items())
        + pulp.lpSum(int(arr.fixed[i]) * v for i, v in y.items())
        + pulp.lpSum(int(arr.lane_fixed[ln]) * v for ln, v in z.items())
    )
    for k in range(arr.n_classes):
        terms = [x[g] for g in range(int(arr.start[k]), int(arr.start[k + 1])) if g in x]
        prob += pulp.lpSum(terms) == int(arr.count[k])
    for i, opts in by_fac.items():
        used = pulp.lpSum(int(arr.demand[arr.opt_class[g]]) * x[g] for g in opts)
        prob += used <= int(arr.cap[i]) * y.get(i, 1)
        for g in opts:  # units of zero demand open the facility too
            if i in y and arr.demand[arr.opt_class[g]] == 0:
                prob += x[g] <= int(arr.opt_ub[g]) * y[i]
    for ln, opts in by_lane.items():
        prob += (
            pulp.lpSum(int(arr.opt_load[g]) * x[g] for g in opts) <= int(arr.lane_cap[ln]) * z[ln]
        )
    if spec.hint is not None:
        for g, v in x.items():
            v.setInitialValue(int(spec.hint[g]))
        fac_used = np.zeros(arr.n_facilities, dtype=bool)
        fac_used[arr.opt_fac[(spec.hint > 0) & (arr.opt_fac >= 0)]] = True
        for i, v in y.items():
            v.setInitialValue(int(fac_used[i]))
    fd, log_path = tempfile.mkstemp(suffix=".cbc.log")
    os.close(fd)
    try:
        # CBC from the cbcbox package (pulp[cbc]): PuLP 3.3 deprecates its bundled binary
        cbc = pulp.COIN_CMD(
            path=cbcbox.cbc_bin_path(),
            msg=False,
            timeLimit=max(0.05, time_limit_s),
            threads=max(1, workers),
            warmStart=spec.hint is not None,
            logPath=log_path,
            gapRel=spec.gap_limit if spec.gap_limit > 0 else None,
        )
        prob.solve(cbc)
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
    finally:
        os.unlink(log_path)
    if prob.status == pulp.LpStatusInfeasible:
        return _Raw(infeasible=True, message="infeasible")
    raw = _Raw(message=pulp.LpStatus[prob.status].lower())
    if prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        raw.units = np.zeros(arr.n_options, dtype=np.int64)
        for g, v in x.items():
            raw.units[g] = round(v.value() or 0)
    for line in log.splitlines():
        if line.startswith("Lower bound:"):
            raw.bound = _ceil(float(line.split(":", 1)[1]))
    if "Result - Optimal solution found" in log and raw.units is not None and not spec.gap_limit:
        raw.bound = _plan_cost(arr, raw.units)[0]
    if raw.units is not None:
        reporter.update(_plan_cost(arr, raw.units)[0], raw.bound)
    return raw


def _lp_bound(arr: _Arrays) -> int | None:
    """The LP relaxation (disaggregated linking and cover row included), by GLOP."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    kept = np.nonzero(arr.opt_ub > 0)[0]
    x = {int(g): solver.NumVar(0, float(arr.opt_ub[g]), "") for g in kept}
    y = {i: solver.NumVar(0, 1, "") for i in range(arr.n_facilities) if arr.has_fixed[i]}
    z = {ln: solver.NumVar(0, solver.infinity(), "") for ln in range(len(arr.lane_cap))}
    for k in range(arr.n_classes):
        terms = [x[g] for g in range(int(arr.start[k]), int(arr.start[k + 1])) if g in x]
        if not terms:
            return None
        solver.Add(solver.Sum(terms) == int(arr.count[k]))
    for i in range(arr.n_facilities):
        opts = [g for g in x if arr.opt_fac[g] == i]
        used = solver.Sum([int(arr.demand[arr.opt_class[g]]) * x[g] for g in opts])
        solver.Add(used <= int(arr.cap[i]) * y.get(i, 1))
        if i in y:
            for g in opts:
                solver.Add(x[g] <= int(arr.opt_ub[g]) * y[i])
    if y and _cover_rhs(arr) > 0:
        solver.Add(solver.Sum([int(arr.cap[i]) * v for i, v in y.items()]) >= _cover_rhs(arr))
    for ln in range(len(arr.lane_cap)):
        opts = [g for g in x if arr.opt_lane[g] == ln]
        load = solver.Sum([int(arr.opt_load[g]) * x[g] for g in opts])
        solver.Add(load <= int(arr.lane_cap[ln]) * z[ln])
    solver.Minimize(
        solver.Sum([int(arr.opt_cost[g]) * v for g, v in x.items()])
        + solver.Sum([int(arr.fixed[i]) * v for i, v in y.items()])
        + solver.Sum([int(arr.lane_fixed[ln]) * v for ln, v in z.items()])
    )
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return _ceil(solver.Objective().Value())


# -- the Lagrangian relaxation of the assignment rows ----------------------------------------


@dataclass
class _Lagrangian:
    """Relaxes sum_o x_ko = count_k with multipliers u_k; lanes are dropped (costs >= 0).

    L(u) = sum_k u_k count_k + sum_{free o} count_k min(0, c_o - u_k)
           - sum_{i, no fixed cost} K_i(u) + min_{y covers} sum_{i, fixed cost} (f_i - K_i(u)) y_i
    where K_i(u) is the best knapsack of options at facility i with profit u_k - c_o per unit,
    and "y covers" means the opened capacity holds the demand that needs a facility.
    """

    arr: _Arrays

    def __post_init__(self) -> None:
        arr = self.arr
        self.fac_opts = np.nonzero((arr.opt_fac >= 0) & (arr.opt_ub > 0))[0]
        self.free_opts = np.nonzero(arr.opt_fac < 0)[0]
        self.unit_w = arr.demand[arr.opt_class[self.fac_opts]]
        self.n_units = arr.opt_ub[self.fac_opts]
        self.fi = arr.opt_fac[self.fac_opts]
        self.fixed_ids = np.nonzero(arr.has_fixed)[0]
        self.cover_need = max(0, _cover_rhs(arr))
        self.cover_exact = self.cover_need * max(1, len(self.fixed_ids)) <= _DP_LIMIT
        self.int_ok = all(
            int(arr.cap[i]) * max(1, int((self.fi == i).sum())) <= _DP_LIMIT // 4
            for i in range(arr.n_facilities)
        )

    # fractional knapsacks for every facility at once
    def knapsacks(
        self, u: FloatArray, curves: bool = False
    ) -> tuple[FloatArray, FloatArray, list[tuple[FloatArray, FloatArray]]]:
        """Fractional knapsacks: value and units per facility option, and (when ``curves``)
        each facility's value as a piecewise-linear function of capacity (breakpoints)."""
        arr = self.arr
        m = arr.n_facilities
        p = u[arr.opt_class[self.fac_opts]] - arr.opt_cost[self.fac_opts]
        pos = p > 0
        w = self.unit_w.astype(np.float64)
        cand = np.nonzero(pos)[0]
        ratio = np.where(w[cand] > 0, p[cand] / np.maximum(w[cand], 1e-300), np.inf)
        order = cand[np.lexsort((-ratio, self.fi[cand]))]
        fi, wt = self.fi[order], (w * self.n_units)[order]
        pt = (p * self.n_units)[order]
        cw = np.cumsum(wt)
        starts = np.searchsorted(fi, np.arange(m))
        base = np.concatenate([[0.0], cw])[starts]
        cw_local = cw - base[fi]
        prev = cw_local - wt
        capf = arr.cap[fi].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(wt > 0, (capf - prev) / wt, 1.0)
        take = np.clip(np.where(cw_local <= capf, 1.0, frac), 0.0, 1.0)
        value = np.bincount(fi, weights=take * pt, minlength=m).astype(np.float64)
        units = np.zeros(len(self.fac_opts))
        units[order] = take * self.n_units[order]
        out: list[tuple[FloatArray, FloatArray]] = []
        if curves:
            for i in range(m):
                sl = slice(starts[i], starts[i + 1] if i + 1 < m else len(order))
                out.append((cw_local[sl], np.cumsum(pt[sl])))
        return value, units, out

    def cover(self, r: FloatArray, forced: int = -1, banned: int = -1) -> tuple[float, BoolArray]:
        """min sum r_i y_i over facilities with a fixed cost s.t. sum cap_i y_i >= need."""
        ids = self.fixed_ids
        caps = self.arr.cap[ids]
        y = np.zeros(len(ids), dtype=bool)
        need = self.cover_need
        if not self.cover_exact:  # LP relaxation of the cover (greedy by ratio): still a bound
            base = (r < 0) | (np.arange(len(ids)) == forced)
            if banned >= 0:
                base[banned] = False
            value = float(r[base].sum())
            rest = need - int(caps[base].sum())
            if rest > 0:
                cand = [
                    i for i in np.argsort(r / np.maximum(caps, 1)) if not base[i] and i != banned
                ]
                for i in cand:
                    take = min(1.0, rest / max(int(caps[i]), 1))
                    value += take * float(r[i])
                    base[i] = True
                    rest -= int(caps[i])
                    if rest <= 0:
                        break
                if rest > 0:
                    return math.inf, base
            return value, base
        g = np.full(need + 1, np.inf)
        g[0] = 0.0
        keeps = []
        for t in range(len(ids)):
            c = int(caps[t])
            shifted = np.empty(need + 1)
            if c >= need + 1:
                shifted[:] = g[0]
            else:
                shifted[:c] = g[0]
                shifted[c:] = g[: need + 1 - c]
            cand = shifted + r[t]
            if t == banned:
                keep = np.zeros(need + 1, dtype=bool)
            elif t == forced:
                keep = np.ones(need + 1, dtype=bool)
            else:
                keep = cand < g
            keeps.append(keep)
            g = np.where(keep, cand, g)
        if not math.isfinite(g[need]):
            return math.inf, y
        c = need
        for t in range(len(ids) - 1, -1, -1):
            if keeps[t][c]:
                y[t] = True
                c = max(0, c - int(caps[t]))
        return float(g[need]), y

    def base(self, u: FloatArray, value_k: FloatArray) -> float:
        """L(u) without the cover term: multipliers, free options, always-open facilities."""
        arr = self.arr
        total = float(u @ arr.count)
        pf = u[arr.opt_class[self.free_opts]] - arr.opt_cost[self.free_opts]
        total -= float((np.maximum(pf, 0) * arr.count[arr.opt_class[self.free_opts]]).sum())
        return total - float(value_k[~arr.has_fixed].sum())

    def assemble(self, u: FloatArray, value_k: FloatArray) -> tuple[float, BoolArray]:
        """L(u) from the knapsack values, and the facilities open in the relaxation."""
        r = self.arr.fixed[self.fixed_ids] - value_k[self.fixed_ids]
        cov, y_fixed = self.cover(r)
        opened = ~self.arr.has_fixed
        opened[self.fixed_ids[y_fixed]] = True
        return self.base(u, value_k) + cov, opened

    def evaluate(self, u: FloatArray) -> tuple[float, FloatArray, BoolArray]:
        """L(u), units per facility option (fractional knapsacks), open facilities."""
        value_k, units, _ = self.knapsacks(u)
        value, opened = self.assemble(u, value_k)
        return value, units, opened

    def subgradient(self, u: FloatArray, units: FloatArray, opened: BoolArray) -> FloatArray:
        arr = self.arr
        got = np.zeros(arr.n_classes)
        on = opened[self.fi]
        np.add.at(got, arr.opt_class[self.fac_opts[on]], units[on])
        pf = u[arr.opt_class[self.free_opts]] - arr.opt_cost[self.free_opts]
        np.add.at(
            got,
            arr.opt_class[self.free_opts],
            np.where(pf > 0, arr.count[arr.opt_class[self.free_opts]], 0),
        )
        return arr.count - got

    def int_knapsacks(self, u: FloatArray, recover: bool) -> tuple[list[FloatArray], FloatArray]:
        """Exact bounded knapsacks (binary splitting) per facility: value tables over the
        capacity 0..cap_i, and (when ``recover``) the units each facility option takes."""
        arr = self.arr
        p = u[arr.opt_class[self.fac_opts]] - arr.opt_cost[self.fac_opts]
        units = np.zeros(len(self.fac_opts))
        tables = []
        for i in range(arr.n_facilities):
            cap = int(arr.cap[i])
            dp = np.zeros(cap + 1)
            chunks: list[tuple[int, int, BoolArray | None]] = []  # (item, units, keep)
            for t in np.nonzero((self.fi == i) & (p > 0))[0]:
                w, left, size = int(self.unit_w[t]), int(self.n_units[t]), 1
                while left > 0:
                    q = min(size, left)
                    left, size = left - q, size * 2
                    if w == 0:
                        dp += float(p[t]) * q
                        chunks.append((int(t), q, None))
                    elif w * q <= cap:
                        wq = w * q
                        cand = dp[: cap + 1 - wq] + float(p[t]) * q
                        keep = cand > dp[wq:]
                        dp[wq:] = np.where(keep, cand, dp[wq:])
                        chunks.append((int(t), q, keep))
            if recover:
                c = cap
                for item, q, kept in reversed(chunks):
                    if kept is None:
                        units[item] += q
                    else:
                        wq = int(self.unit_w[item]) * q
                        if c >= wq and kept[c - wq]:
                            units[item] += q
                            c -= wq
            tables.append(dp)
        return tables, units


@dataclass
class _Penalties:
    bound: float  # L(u)
    option: FloatArray  # (O,) bound on any plan using the option; inf when impossible
    open_: FloatArray  # (M,) bound on any plan opening the facility
    closed: FloatArray  # (M,) bound on any plan not opening it

    def keep(self, threshold: float) -> tuple[BoolArray, BoolArray, BoolArray]:
        """Options, closed facilities and forced facilities for plans of cost <= threshold."""
        tol = _EPS * max(1.0, abs(threshold))
        return (
            self.option <= threshold + tol,
            self.open_ > threshold + tol,
            self.closed > threshold + tol,
        )


def _penalties(lag: _Lagrangian, u: FloatArray, use_int: bool) -> _Penalties:
    arr = lag.arr
    m = arr.n_facilities
    value_k, _, curves = lag.knapsacks(u, curves=True)
    tables = lag.int_knapsacks(u, False)[0] if use_int else None
    if tables is not None:
        value_k = np.array([t[int(arr.cap[i])] for i, t in enumerate(tables)])
    base = lag.base(u, value_k)
    pf = u[arr.opt_class[lag.free_opts]] - arr.opt_cost[lag.free_opts]
    r = arr.fixed[lag.fixed_ids] - value_k[lag.fixed_ids]
    bound = base + lag.cover(r)[0]
    open_ = np.full(m, bound)
    closed = np.full(m, math.inf)
    for t, fac in enumerate(lag.fixed_ids):
        open_[fac] = base + lag.cover(r, forced=t)[0]
        closed[fac] = base + lag.cover(r, banned=t)[0]
    option = np.full(arr.n_options, math.inf)
    p = u[arr.opt_class[lag.fac_opts]] - arr.opt_cost[lag.fac_opts]
    for i in range(m):
        mine = np.nonzero(lag.fi == i)[0]
        if len(mine) == 0:
            continue
        room = arr.cap[i] - lag.unit_w[mine]
        if tables is not None:
            k_rest = tables[i][np.maximum(room, 0)]
        else:
            cw, cp = curves[i]
            k_rest = np.interp(
                np.maximum(room, 0), np.concatenate([[0.0], cw]), np.concatenate([[0.0], cp])
            )
        forced = open_[i] + value_k[i] - p[mine] - k_rest
        option[lag.fac_opts[mine]] = np.where(room >= 0, forced, math.inf)
    option[lag.free_opts] = bound + np.maximum(-pf, 0)
    return _Penalties(bound=bound, option=option, open_=open_, closed=closed)


# -- the AUTO strategy ------------------------------------------------------------------------


@dataclass
class _Incumbent:
    units: IntArray | None = None
    cost: int | None = None

    def offer(self, arr: _Arrays, units: IntArray | None, reporter: _Reporter) -> bool:
        if units is None:
            return False
        cost, feasible = _plan_cost(arr, units)
        if not feasible or (self.cost is not None and cost >= self.cost):
            return False
        self.units, self.cost = units.copy(), cost
        reporter.update(cost, None)
        return True


def _lagrangian_phase(
    arr: _Arrays,
    lag: _Lagrangian,
    inc: _Incumbent,
    dense: _Dense | None,
    reporter: _Reporter,
    deadline: float,
    iterations: int = 300,
) -> tuple[float, FloatArray]:
    """Subgradient on the fractional-knapsack relaxation, with a Lagrangian heuristic.

    Polyak steps towards the incumbent's cost along a deflected direction (d = g + 0.7 d'),
    the step halved after 10 iterations without a better bound: measured on the Holmberg set,
    this reaches in 200 iterations the bound plain subgradient reaches in 400.
    """
    u = np.zeros(arr.n_classes)
    for k in range(arr.n_classes):
        cs = np.sort(arr.opt_cost[int(arr.start[k]) : int(arr.start[k + 1])])
        u[k] = cs[min(1, len(cs) - 1)]  # the second cheapest option: a customer's regret
    best, best_u = -math.inf, u.copy()
    step, stall = 1.0, 0
    direction: FloatArray | None = None
    history: list[float] = []
    for it in range(iterations):
        if time.monotonic() > deadline:
            break
        value, units, opened = lag.evaluate(u)
        if not math.isfinite(value):
            return value, u  # the capacity cover is infeasible: so is the problem
        if value > best + 1e-9:
            best, best_u, stall = value, u.copy(), 0
            reporter.update(None, best)
        else:
            stall += 1
            if stall >= 10:
                step, stall = step / 2, 0
        history.append(best)
        if inc.cost is not None and best > inc.cost - 1 + _EPS * max(1.0, abs(best)):
            break
        if it >= 100 and best - history[-50] <= 1e-5 * max(1.0, abs(best)):
            break  # stalled
        if it in _HEURISTIC_AT or (it > 0 and it % 50 == 0):
            chosen = np.zeros(arr.n_options, dtype=bool)
            chosen[lag.fac_opts[units > 0.5]] = True
            plan = _greedy_units(arr, opened, chosen)
            if dense is not None and _plan_cost(arr, plan)[1]:
                plan = _local_search(arr, dense, plan, deadline)
            inc.offer(arr, plan, reporter)
        g = lag.subgradient(u, units, opened)
        direction = g if direction is None else g + 0.7 * direction
        norm = float(direction @ direction)
        if norm < 1e-12 or step < 1e-5:
            break
        target = float(inc.cost) if inc.cost is not None else value + abs(value) * 0.05 + 1.0
        u = u + step * max(target - value, 1e-6) / norm * direction
    return best, best_u


def _refine_integer(
    arr: _Arrays, lag: _Lagrangian, u: FloatArray, inc: _Incumbent, deadline: float
) -> tuple[float, FloatArray]:
    """A few subgradient steps on the integer-knapsack relaxation (a stronger bound)."""
    best, best_u = -math.inf, u.copy()
    step, stall = 0.5, 0
    for _ in range(40):
        if time.monotonic() > deadline:
            break
        tables, units = lag.int_knapsacks(u, True)
        value_k = np.array([t[int(arr.cap[i])] for i, t in enumerate(tables)])
        value, opened = lag.assemble(u, value_k)
        if value > best + 1e-9:
            best, best_u, stall = value, u.copy(), 0
        else:
            stall += 1
            if stall >= 5:
                step, stall = step / 2, 0
        if not math.isfinite(value):
            break
        if inc.cost is not None and best > inc.cost - 1 + _EPS * max(1.0, abs(best)):
            break
        g = lag.subgradient(u, units, opened)
        norm = float(g @ g)
        if norm < 1e-12:
            break
        target = 1.02 * inc.cost if inc.cost is not None else value + abs(value) * 0.02 + 1.0
        u = u + step * max(target - value, 1e-6) / norm * g
    return best, best_u


def _uses_lagrangian(arr: _Arrays) -> bool:
    """The Lagrangian strategy pays off when facilities carry fixed costs (the y decisions
    dominate: SSCFLP) and lanes do not (it relaxes lanes away). Batches of the planner (no
    fixed costs, dispatch lanes) go to HiGHS, which the plan_scale benchmark measured best."""
    return bool(arr.has_fixed.any()) and not bool((arr.opt_lane >= 0).any())


def _solve_auto(
    arr: _Arrays,
    *,
    deadline: float,
    hint: IntArray | None,
    reporter: _Reporter,
    notes: list[str],
    gap_limit: float = 0.0,
) -> tuple[IntArray | None, int | None, bool]:
    """Lagrangian bound and fixing, then cut-and-solve with SCIP (stopping early once the
    incumbent is within ``gap_limit`` of the bound).

    Returns (best plan, valid lower bound, proven infeasible). Penalties give, for each
    option and facility decision, a lower bound on every plan that uses it; hence:
    stage 1 solves the sparse set S1 (penalties <= T) exactly, and every plan outside S1
    costs > T; stage 2 looks for a plan outside S1 (piercing row) cheaper than the incumbent
    among options whose penalty allows it. Both MIPs proven: the incumbent is optimal.
    """
    started = time.monotonic()
    inc = _Incumbent()
    inc.offer(arr, hint, reporter)
    dense = _dense(arr)
    plan = _greedy_units(arr, None)
    if dense is not None and _plan_cost(arr, plan)[1]:
        plan = _local_search(arr, dense, plan, deadline)
    inc.offer(arr, plan, reporter)

    lag = _Lagrangian(arr)
    bound_f, u = _lagrangian_phase(arr, lag, inc, dense, reporter, deadline)
    if not math.isfinite(bound_f):
        notes.append("the capacity that can be opened is below the demand")
        return None, None, True
    use_int = lag.int_ok
    if use_int and (inc.cost is None or _ceil(bound_f) < inc.cost):
        bound_i, u_i = _refine_integer(arr, lag, u, inc, deadline)
        if bound_i > bound_f:
            bound_f, u = bound_i, u_i
    pen = _penalties(lag, u, use_int)
    lower = _ceil(max(bound_f, pen.bound))
    if inc.cost is not None:
        lower = min(lower, inc.cost)
    reporter.update(None, lower)
    notes.append(f"lagrangian bound {lower} after {time.monotonic() - started:.2f} s")
    if _close_enough(inc.cost, lower, gap_limit):
        return inc.units, lower, False

    def left() -> float:
        return deadline - time.monotonic()

    def stage(keep: BoolArray, closed: BoolArray, forced: BoolArray, **kw: object) -> _Raw:
        spec = _Spec(
            keep=keep & (arr.opt_ub > 0),
            y_lo=forced.astype(np.int64),
            y_hi=(~closed).astype(np.int64),
            gap_limit=gap_limit,
            **kw,  # type: ignore[arg-type]
        )
        started = time.monotonic()
        raw = _solve_mathopt(
            arr, spec, scip=True, time_limit_s=left(), reporter=reporter, global_bound=False
        )
        raw.message += f" in {time.monotonic() - started:.2f} s"
        return raw

    # stage 1: the sparse problem, options within 0.5 % of the bound
    upper = inc.cost if inc.cost is not None else math.inf
    threshold = math.floor(lower + _SPARSE_MARGIN * max(1.0, abs(lower))) + 0.5
    sparse: tuple[BoolArray, BoolArray, BoolArray] | None = None
    if threshold < upper - 1 and left() > 0:
        keep1, closed1, forced1 = pen.keep(threshold)
        raw1 = stage(keep1, closed1, forced1, hint=inc.units)
        notes.append(f"sparse {int(keep1.sum())} options: {raw1.message}")
        inc.offer(arr, raw1.units, reporter)
        best1 = None if raw1.units is None else _plan_cost(arr, raw1.units)[0]
        if raw1.infeasible:
            in_s1: float = math.inf
        elif raw1.bound is not None:
            in_s1 = raw1.bound
        else:
            in_s1 = -math.inf
        # every plan outside S1 costs more than the threshold, i.e. at least ceil(threshold)
        outside_s1 = math.ceil(threshold)
        candidate = min(in_s1, outside_s1)
        if math.isfinite(candidate) and candidate > lower:
            lower = int(candidate)
        if inc.cost is not None:
            lower = min(lower, inc.cost)
        reporter.update(None, lower)
        if _close_enough(inc.cost, lower, gap_limit):
            return inc.units, lower, False
        if raw1.infeasible or (
            best1 is not None and raw1.bound is not None and raw1.bound >= best1
        ):
            sparse = (keep1, closed1, forced1)  # S1 solved exactly: its optimum is >= upper
    if left() <= 0:
        return inc.units, lower, False
    upper = inc.cost if inc.cost is not None else math.inf
    if sparse is not None:
        # stage 2: a plan outside S1 costing at most upper - 1 uses only options whose
        # penalty is <= upper - 1; none such plan means the incumbent is optimal
        limit = upper - 0.5 if math.isfinite(upper) else math.inf
        keep2, closed2, forced2 = pen.keep(limit)
        cutoff = int(upper) - 1 if math.isfinite(upper) else None
        raw2 = stage(keep2, closed2, forced2, pierce=sparse, cutoff=cutoff)
        notes.append(f"pierced {int(keep2.sum())} options: {raw2.message}")
        inc.offer(arr, raw2.units, reporter)
        if raw2.infeasible:
            if inc.cost is None:
                return None, None, True  # S1 and everything outside it hold no plan
            return inc.units, inc.cost, False
        if raw2.bound is not None:
            # plans outside S1 cost >= min(bound of this MIP, upper); those in S1 >= upper
            lower = max(lower, int(min(raw2.bound, upper)))
        return inc.units, lower if inc.cost is None else min(lower, inc.cost), False
    # stage 2 without a proven sparse stage: every option that an optimal plan may use
    limit = upper + 0.5 if math.isfinite(upper) else math.inf
    keep2, closed2, forced2 = pen.keep(limit)
    raw2 = stage(keep2, closed2, forced2, hint=inc.units)
    notes.append(f"reduced {int(keep2.sum())} options: {raw2.message}")
    inc.offer(arr, raw2.units, reporter)
    if raw2.infeasible and inc.cost is None:
        return None, None, True  # nothing was excluded below +inf
    if raw2.bound is not None:
        # plans outside the reduced set cost more than upper + 0.5
        lower = max(lower, int(min(raw2.bound, upper + 1)))
    return inc.units, lower if inc.cost is None else min(lower, inc.cost), False


# -- the entry point ------------------------------------------------------------------------


def solve(
    problem: PlanProblem,
    *,
    time_limit_s: float,
    backend: Backend = Backend.AUTO,
    workers: int = 2,
    hint: Assignment | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    gap_limit: float = 0.0,
) -> PlanResult:
    """Solve a plan problem within ``time_limit_s`` seconds of wall time.

    Returns the best plan found with a valid lower bound: OPTIMAL when they meet, FEASIBLE when
    the time ran out first, INFEASIBLE when no plan respects the capacities, UNKNOWN when no
    plan was found in time. ``hint`` (e.g. from :func:`greedy`) warm-starts the solver;
    ``on_progress`` receives improvements of the incumbent or the bound as they happen
    (possibly from a solver thread). ``workers`` is CP-SAT's and CBC's thread count; the SCIP
    and HiGHS MIPs run on one thread. ``gap_limit`` (0 <= g < 1) stops the search once the plan
    is proven within that relative gap of the optimum (status FEASIBLE unless it is exact).
    """
    if not isinstance(problem, PlanProblem):
        raise ValueError(f"problem must be a PlanProblem, got {type(problem).__name__}")
    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, int | float):
        raise ValueError(f"time_limit_s must be a number, got {time_limit_s!r}")
    if not math.isfinite(time_limit_s) or time_limit_s <= 0:
        raise ValueError(f"time_limit_s must be positive and finite, got {time_limit_s}")
    if not isinstance(backend, Backend):
        raise ValueError(f"backend must be a Backend, got {backend!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if (
        isinstance(gap_limit, bool)
        or not isinstance(gap_limit, int | float)
        or not 0 <= gap_limit < 1
    ):
        raise ValueError(f"gap_limit must be a number in [0, 1), got {gap_limit!r}")
    if hint is not None:
        problem.check_assignment(hint)
    t0 = time.monotonic()
    deadline = t0 + time_limit_s
    arr = _compile(problem)
    reporter = _Reporter(on_progress, backend.value, t0)
    hint_units = None if hint is None else _from_assignment(arr, hint)
    notes: list[str] = []
    infeasible = False
    chosen = backend
    room = np.bincount(
        arr.opt_class, weights=arr.opt_ub.astype(np.float64), minlength=arr.n_classes
    )
    stuck = np.nonzero(room < arr.count)[0]
    if len(stuck):
        k = int(stuck[0])
        notes.append(f"class {k}: at most {int(room[k])} of its {int(arr.count[k])} units fit")
        return _result(problem, arr, None, None, True, t0, backend.value, notes, reporter)
    from routing.solver import priced as solver_large  # it builds on this module's arrays

    priced = backend is Backend.AUTO and not _uses_lagrangian(arr) and solver_large.applies(arr)

    def price(until: float) -> tuple[IntArray | None, int | None]:
        return solver_large.solve_large(
            arr,
            deadline=until,
            hint=hint_units,
            reporter=reporter,
            notes=notes,
            gap_limit=float(gap_limit),
        )

    if backend is Backend.AUTO and _uses_lagrangian(arr):
        units, bound, infeasible = _solve_auto(
            arr,
            deadline=deadline,
            hint=hint_units,
            reporter=reporter,
            notes=notes,
            gap_limit=float(gap_limit),
        )
    elif priced:
        units, bound = price(deadline)
    else:
        priced_bound: int | None = None
        if backend is Backend.AUTO:
            chosen = Backend.HIGHS
            if hint_units is None and not bool(arr.has_fixed.any()):
                # a priced plan (seconds) warm-starts the MIP: far better than the greedy one
                # when capacity is scarce; its bound is valid too and may already suffice
                hint_units, priced_bound = price(deadline - 0.75 * (deadline - time.monotonic()))
                if hint_units is not None and priced_bound is not None:
                    cost, feasible = _plan_cost(arr, hint_units)
                    if feasible and _close_enough(cost, priced_bound, gap_limit):
                        return _result(
                            problem,
                            arr,
                            hint_units,
                            priced_bound,
                            False,
                            t0,
                            "auto:priced",
                            notes,
                            reporter,
                        )
        if hint_units is None and chosen is not Backend.CBC:  # the textbook model has none
            hint_units = _greedy_units(arr, None)
        spec = _full_spec(arr, hint_units, float(gap_limit))
        left = deadline - time.monotonic()
        if chosen is Backend.CPSAT:
            raw = _solve_cpsat(arr, spec, time_limit_s=left, workers=workers, reporter=reporter)
        elif chosen is Backend.CBC:
            raw = _solve_cbc(arr, spec, time_limit_s=left, workers=workers, reporter=reporter)
        else:
            raw = _solve_mathopt(
                arr,
                spec,
                scip=chosen is Backend.SCIP,
                time_limit_s=left,
                reporter=reporter,
                global_bound=True,
            )
            if raw.failed and backend is Backend.AUTO:  # AUTO never gives up on a solver error
                notes.append(raw.message)
                chosen = Backend.SCIP
                left = deadline - time.monotonic()
                raw = _solve_mathopt(
                    arr, spec, scip=True, time_limit_s=left, reporter=reporter, global_bound=True
                )
        units, bound, infeasible = raw.units, raw.bound, raw.infeasible
        notes.append(raw.message)
        hint_cost, hint_ok = (0, False) if hint_units is None else _plan_cost(arr, hint_units)
        if hint_ok and (units is None or _plan_cost(arr, units)[0] > hint_cost):
            units = hint_units  # the solver did not beat the (feasible) hint
        if priced_bound is not None and not infeasible:
            bound = priced_bound if bound is None else max(bound, priced_bound)
        if bound is None and not infeasible:
            bound = _lp_bound(arr)
    label = backend.value
    if backend is Backend.AUTO:
        label = "auto:lagrangian+scip" if chosen is Backend.AUTO else f"auto:{chosen.value}"
        if priced:
            label = "auto:priced"
    return _result(problem, arr, units, bound, infeasible, t0, label, notes, reporter)


def _result(
    problem: PlanProblem,
    arr: _Arrays,
    units: IntArray | None,
    bound: int | None,
    infeasible: bool,
    t0: float,
    backend: str,
    notes: list[str],
    reporter: _Reporter,
) -> PlanResult:
    message = "; ".join(n for n in notes if n)
    if units is not None:
        assignment = _to_assignment(arr, units)
        ev = problem.evaluate(assignment)
        if ev.feasible:
            objective = ev.cost_minor
            if bound is not None:
                bound = min(bound, objective)
            status = Status.OPTIMAL if bound == objective else Status.FEASIBLE
            reporter.finish(objective, bound)
            return PlanResult(
                status=status,
                objective=objective,
                bound=bound,
                wall_time_s=time.monotonic() - t0,
                assignment=assignment,
                dispatches=ev.dispatches,
                opened=ev.opened,
                backend=backend,
                message=message,
            )
        message = (message + "; " if message else "") + "solver plan exceeded a capacity"
    return PlanResult(
        status=Status.INFEASIBLE if infeasible else Status.UNKNOWN,
        objective=None,
        bound=None if infeasible else bound,
        wall_time_s=time.monotonic() - t0,
        assignment=None,
        backend=backend,
        message=message,
    )
