"""Every call into a solver library: the one place that imports OR-Tools and PuLP.

Each function builds one model from plain data (numpy arrays, tuples of ints), solves it and
returns plain data; nothing of a solver library leaves this module. The batch planner's MIP
(:class:`_Spec` says which part of the problem it covers) through every backend:

- ``Backend.SCIP`` / ``Backend.HIGHS``: OR-Tools MathOpt (weak capacity rows, the aggregate
  capacity-cover row; SCIP branches on facilities first), :func:`_solve_mathopt`;
- ``Backend.CPSAT``: CP-SAT with the disaggregated linking ``x <= y`` and the cover row,
  :func:`_solve_cpsat`;
- ``Backend.CBC``: the textbook model a planner writes by hand in PuLP, solved by CBC,
  :func:`_solve_cbc`. PuLP and its CBC binary are the optional ``cbc`` extra
  (``pip install 'reroute[cbc]'``): :func:`require_backend` says so when they are missing;
- ``Backend.AUTO`` is no library of its own but a strategy over these (:mod:`routing.solver.auto`).

Beside the MIP: the LP relaxation by GLOP (:func:`_lp_bound`, the bound of a backend that
reports none), cover cuts on the capacity knapsacks separated on a GLOP LP
(:func:`_cover_cut_lp`; :class:`_Spec` carries them into a MIP), the priced path's
cutting-plane master LP by GLOP (:func:`_box_master`), and the
multi-item split of one return by CP-SAT (:func:`solve_split`, called by
``routing.decide.split``). Solver logs are read here too, to report progress while a MIP runs.

Libraries are imported where a model is built, not when this module is: a process pays only
for the solvers it uses (a spawned worker that runs HiGHS never loads CP-SAT), and PuLP may be
absent altogether.
"""

from __future__ import annotations

import datetime
import enum
import math
import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from routing.errors import SolverNotInstalled
from routing.solver.arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    _Arrays,
    _ceil,
    _cover_rhs,
    _plan_cost,
)
from routing.solver.progress import _highs_log, _Reporter, _scip_log

_SCIP_SEPARATING: str | None = None  # gSCIP meta setting for cuts (None: SCIP's default)
_SEED = 0  # MathOpt solvers' random seed
# CBC's log line for each better plan: "Integer solution of 45476 found by ... (12.3 seconds)"
_CBC_SOLUTION = re.compile(r"Integer solution of ([-+.\deE]+) found.*\(([\d.]+) seconds\)")


def _cbc_solution(line: str) -> tuple[float, float] | None:
    """(objective, seconds since CBC started) of a log line announcing a better plan: the
    classic "Integer solution of ..." line, or cbcbox's table rows marked with a star (a
    heuristic row ends "BestSol Time", a branch-and-bound row "Nodes OnTree Depth BestSol
    Method BestBound Gap% Time")."""
    found = _CBC_SOLUTION.search(line)
    if found:
        return float(found.group(1)), float(found.group(2))
    tokens = line.split()
    if not tokens or tokens[0] != "\u2605":
        return None
    try:
        if any(t.endswith("%") for t in tokens):
            return float(tokens[4]), float(tokens[-1])
        return float(tokens[-2]), float(tokens[-1])
    except (IndexError, ValueError):
        return None


CBC_MISSING = (
    "the CBC backend needs PuLP and its CBC binary (the optional 'cbc' extra), which this "
    "installation lacks: pip install 'reroute[cbc]'"
)


class Backend(enum.Enum):
    AUTO = "auto"  # Lagrangian bound + fixing + sparse/pierced SCIP solves (the default)
    CPSAT = "cpsat"
    SCIP = "scip"  # MathOpt gSCIP
    HIGHS = "highs"  # MathOpt HiGHS
    CBC = "cbc"  # PuLP + CBC (the cbcbox binary): the textbook reference


def require_backend(backend: Backend) -> None:
    """Raise :class:`~routing.errors.SolverNotInstalled` when ``backend``'s solver library is
    not installed (only CBC is optional: PuLP and cbcbox come with ``reroute[cbc]``)."""
    if backend is Backend.CBC:
        _pulp()


def _pulp() -> tuple[Any, Any]:
    """The ``pulp`` and ``cbcbox`` modules; :class:`SolverNotInstalled` (saying how to install
    them) when either is missing."""
    try:
        import cbcbox
        import pulp
    except ImportError as exc:
        raise SolverNotInstalled(CBC_MISSING) from exc
    return pulp, cbcbox


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
    cuts: tuple[tuple[int, tuple[int, ...], int], ...] = ()  # rows sum x <= coefficient * y_i


def _full_spec(arr: _Arrays, hint: IntArray | None, gap_limit: float = 0.0) -> _Spec:
    m = arr.n_facilities
    return _Spec(
        keep=arr.opt_ub > 0,
        y_lo=np.zeros(m, dtype=np.int64),
        y_hi=np.ones(m, dtype=np.int64),
        hint=hint,
        gap_limit=gap_limit,
    )


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
    for i, members, coefficient in spec.cuts:
        terms = [x[g] for g in members if g in x]
        if len(terms) > coefficient:  # fewer than that many terms: the row cannot bind
            model.add_linear_constraint(
                mathopt.fast_sum(terms) - coefficient * y[i] <= 0
                if i in y
                else mathopt.fast_sum(terms) <= coefficient
            )
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
    pulp, cbcbox = _pulp()
    kept, by_fac, by_lane = _rows(arr, spec)
    if not _classes_covered(arr, kept):
        return _Raw(infeasible=True, message="a class has no usable option")
    prob = pulp.LpProblem("plan", pulp.LpMinimize)

    def var(name: str, ub: int) -> Any:  # a pulp.LpVariable
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
        started = time.monotonic()
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
        found = _cbc_solution(line)
        if found is not None:  # each better plan and when CBC found it: for time-to-target
            reporter.update(found[0], None, elapsed_s=started - reporter.t0 + found[1])
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


# -- cover cuts on the capacity knapsacks ---------------------------------------------------

# A cut: sum of x over ``options`` <= ``coefficient`` * y of ``facility`` (or * 1 without one)
Cut = tuple[int, tuple[int, ...], int]


def _separate_covers(
    arr: _Arrays, keep: BoolArray, xv: FloatArray, yv: FloatArray, tol: float = 1e-4
) -> list[Cut]:
    """Cuts violated by the LP point (``xv`` per option, ``yv`` per facility, 1 for a facility
    without a fixed cost) on count-1 problems (binary x): the linking ``x_g <= y_i`` and
    extended cover inequalities of the knapsack ``sum_j d_j x_ij <= s_i y_i``.

    A cover C (its demands exceed s_i; built greedily by increasing (y_i - x_g) / d_g, then
    made minimal) gives ``sum_{g in E(C)} x_g <= (|C| - 1) y_i``, E(C) = C plus every option at
    i of demand at least C's largest (lifted: any |C| of them weigh at least as much as C).
    Valid for every plan: with y_i = 0 nothing goes to i; with y_i = 1 at most |C| - 1 of C's
    customers fit, and no |C| of E(C) fit either."""
    cuts: list[Cut] = []
    dem = arr.demand[arr.opt_class]
    for i in range(arr.n_facilities):
        mine = np.nonzero(keep & (arr.opt_fac == i) & (arr.opt_ub > 0))[0]
        if len(mine) == 0:
            continue
        y = float(yv[i])
        over = mine[xv[mine] > y + tol]
        cuts.extend((i, (int(g),), 1) for g in over)
        positive = mine[(xv[mine] > tol) & (dem[mine] > 0)]
        if y <= tol or len(positive) < 2:
            continue
        cap = int(arr.cap[i])
        order = positive[np.argsort((y - xv[positive]) / dem[positive], kind="stable")]
        weight, chosen = 0, []
        for g in order:
            chosen.append(int(g))
            weight += int(dem[g])
            if weight > cap:
                break
        if weight <= cap:
            continue  # the options in the LP's support fit: no cover among them
        # minimal: drop the members of least x while the rest still exceeds the capacity
        for g in sorted(chosen, key=lambda g: xv[g]):
            if weight - int(dem[g]) > cap and len(chosen) > 2:
                chosen.remove(g)
                weight -= int(dem[g])
        heaviest = max(int(dem[g]) for g in chosen)
        extended = set(chosen) | {int(g) for g in mine if dem[g] >= heaviest}
        coefficient = len(chosen) - 1
        if float(xv[list(extended)].sum()) > coefficient * y + tol:
            cuts.append((i, tuple(sorted(extended)), coefficient))
    return cuts


def _cover_cut_lp(
    arr: _Arrays, keep: BoolArray, y_lo: IntArray, y_hi: IntArray, *, rounds: int, deadline: float
) -> tuple[float | None, list[Cut]]:
    """The LP relaxation over the kept options (GLOP) strengthened by rounds of
    :func:`_separate_covers`: its value (None when GLOP fails or the time runs out first; a
    bound on plans within ``keep`` and the y bounds) and every cut added."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None, []
    kept = [int(g) for g in np.nonzero(keep & (arr.opt_ub > 0))[0]]
    x = {g: solver.NumVar(0, float(arr.opt_ub[g]), "") for g in kept}
    y = {
        i: solver.NumVar(float(y_lo[i]), float(y_hi[i]), "")
        for i in range(arr.n_facilities)
        if arr.has_fixed[i]
    }
    for k in range(arr.n_classes):
        terms = [x[g] for g in range(int(arr.start[k]), int(arr.start[k + 1])) if g in x]
        if not terms:
            return None, []
        solver.Add(solver.Sum(terms) == int(arr.count[k]))
    for i in range(arr.n_facilities):
        opts = [g for g in kept if arr.opt_fac[g] == i]
        if opts:
            used = solver.Sum([int(arr.demand[arr.opt_class[g]]) * x[g] for g in opts])
            solver.Add(used <= int(arr.cap[i]) * y.get(i, 1))
    if y and _cover_rhs(arr) > 0:
        solver.Add(solver.Sum([int(arr.cap[i]) * v for i, v in y.items()]) >= _cover_rhs(arr))
    solver.Minimize(
        solver.Sum([int(arr.opt_cost[g]) * v for g, v in x.items()])
        + solver.Sum([int(arr.fixed[i]) * v for i, v in y.items()])
    )
    cuts: list[Cut] = []
    value: float | None = None
    for _ in range(rounds):
        solver.SetTimeLimit(max(1, int(1000 * min(3600.0, deadline - time.monotonic()))))
        if time.monotonic() >= deadline or solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None, cuts
        value = solver.Objective().Value()
        xv = np.zeros(arr.n_options)
        for g, v in x.items():
            xv[g] = v.solution_value()
        yv = np.ones(arr.n_facilities)
        for i, v in y.items():
            yv[i] = v.solution_value()
        found = _separate_covers(arr, keep, xv, yv)
        if not found:
            break
        for i, members, coefficient in found:
            lhs = solver.Sum([x[g] for g in members])
            solver.Add(lhs <= coefficient * y.get(i, 1))
        cuts.extend(found)
    return value, cuts


# -- the priced path's master LP ------------------------------------------------------------


def _box_master(
    cuts: Sequence[tuple[float, FloatArray, FloatArray]],
    center: FloatArray,
    radius: float,
    best: float,
) -> tuple[FloatArray | None, float]:
    """The best point of the cuts ``(L(mu_j), mu_j, g_j)`` in the box around ``center``, as
    mu = center + radius * d, d in [-1, 1] (and mu >= 0), with every row scaled to coefficients
    of at most one; and the value the cuts promise there. (None, -inf) when GLOP fails."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None, -math.inf
    r = radius
    lows = np.maximum(-1.0, -center / r)
    d = [solver.NumVar(float(lo), 1.0, "") for lo in lows]
    scale = max(1.0, max(r * float(np.abs(g).max(initial=0.0)) for _, _, g in cuts))
    gain = solver.NumVar(-solver.infinity(), solver.infinity(), "")
    for value, point, g in cuts:
        # gain <= value - best + g . (center - point) + r g . d, all over scale
        rhs = (value - best + float(g @ (center - point))) / scale
        coeffs = (r / scale) * g
        solver.Add(gain - solver.Sum(float(c) * v for c, v in zip(coeffs, d, strict=True)) <= rhs)
    solver.Maximize(gain)
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None, -math.inf
    step = np.array([v.solution_value() for v in d], dtype=np.float64)
    return np.maximum(center + r * step, 0.0), best + scale * gain.solution_value()


# -- the multi-item split of one return -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class SplitParcel:
    """The parcel a split candidate ships when it is used: ``fixed_cost`` once, plus
    ``break_cost[k]`` for the weight break ``k`` (upper bound ``breaks_g[k]``) that holds both
    the parcel's actual and its volumetric weight (per unit of each item line:
    ``weight_g[i]``, ``volumetric_g[i]``)."""

    fixed_cost: int
    breaks_g: tuple[int, ...]
    break_cost: tuple[int, ...]
    weight_g: tuple[int, ...]
    volumetric_g: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SplitCandidate:
    """Where some units of a multi-item return may go: ``unit_cost[i]`` per unit of item line
    ``i`` (None: line ``i`` cannot go there), and the parcel it ships when used (None for the
    returnless refund, which ships nothing)."""

    unit_cost: tuple[int | None, ...]
    parcel: SplitParcel | None = None


def solve_split(
    quantities: Sequence[int],
    candidates: Sequence[SplitCandidate],
    *,
    time_limit_s: float,
) -> dict[tuple[int, int], int] | None:
    """The cheapest assignment of every unit of each item line (``quantities[i]`` units) to the
    candidates, by CP-SAT on one worker: the units per (line, candidate), in model order, only
    where there are some; None when no assignment was found within ``time_limit_s``.

    Variables: n[i,p] units of line i sent to candidate p; y[p] = candidate p ships its parcel;
    z[p,k] = that parcel falls in weight break k. Parcel prices are exact per weight break,
    the rest is linear per unit.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    n: dict[tuple[int, int], Any] = {}
    objective: list[Any] = []
    for p, cand in enumerate(candidates):
        parcel = cand.parcel
        if parcel is None:
            for i, c in enumerate(cand.unit_cost):
                if c is not None:
                    n[i, p] = model.new_int_var(0, quantities[i], f"n_{i}_{p}")
                    objective.append(c * n[i, p])
            continue
        used = model.new_bool_var(f"y_{p}")
        z = [model.new_bool_var(f"z_{p}_{k}") for k in range(len(parcel.breaks_g))]
        model.add(sum(z) == used)
        actual = []
        volumetric = []
        for i, c in enumerate(cand.unit_cost):
            if c is None:
                continue
            var = model.new_int_var(0, quantities[i], f"n_{i}_{p}")
            n[i, p] = var
            model.add(var <= quantities[i] * used)
            objective.append(c * var)
            actual.append(parcel.weight_g[i] * var)
            volumetric.append(parcel.volumetric_g[i] * var)
        capacity = sum(b * zk for b, zk in zip(parcel.breaks_g, z, strict=True))
        model.add(sum(actual) <= capacity)
        model.add(sum(volumetric) <= capacity)
        objective.append(parcel.fixed_cost * used)
        for price, zk in zip(parcel.break_cost, z, strict=True):
            objective.append(price * zk)
    for i, q in enumerate(quantities):
        model.add(sum(v for (ii, _), v in n.items() if ii == i) == q)
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out: dict[tuple[int, int], int] = {}
    for key, var in n.items():
        q = int(solver.value(var))
        if q:
            out[key] = q
    return out
