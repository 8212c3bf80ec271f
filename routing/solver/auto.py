"""``solve()``: one entry point over every backend, and AUTO, the default strategy.

``solve(problem, *, time_limit_s, backend, ...)`` takes a
:class:`~routing.solver.problem.PlanProblem` and returns a
:class:`~routing.solver.problem.PlanResult` whatever the backend (the models themselves are in
:mod:`routing.solver.backends`):

- ``Backend.AUTO`` (default, chosen by measurement on the Holmberg SSCFLP set, see
  ``benchmarks/sscflp.py``): on facility-location shapes (fixed costs, no lanes), a Lagrangian
  relaxation of the assignment rows (:mod:`routing.solver.lagrangian`: per-facility
  knapsacks, an exact knapsack over the opened capacity, subgradient on the multipliers) gives
  a bound, a Lagrangian heuristic gives plans, and Lagrangian penalties fix variables. When that
  plan is more than 1 % above the bound, a facility search (close/open/swap moves and iterated
  local search, :mod:`routing.solver.heuristics`) improves it first. Where capacities bind,
  extended cover cuts on the capacity knapsacks, separated on the LP of the options a better
  plan may use (:func:`~routing.solver.backends._cover_cut_lp`), strengthen both SCIP solves.
  An exact SCIP solve (MathOpt) on the *sparse* problem (options whose penalty is within a
  small margin of the bound) usually finds the optimum; a second SCIP solve over the remaining
  options, restricted by a *piercing* row to plans outside the sparse set and by the
  incumbent's cost, proves it (cut-and-solve). Every fixing is justified by a Lagrangian
  bound, so the bound reported stays valid. Other shapes go to HiGHS, warm-started from a
  priced plan (:mod:`routing.solver.priced`), or to the priced path alone when too large for
  one MIP.
- ``Backend.SCIP`` / ``Backend.HIGHS`` / ``Backend.CPSAT`` / ``Backend.CBC``: one MIP of the
  whole problem through that solver, warm-started from the greedy plan (but CBC's).

Every result is recomputed from the plan (never from a solver's float objective); the bound
is rounded up to an integer (every plan's cost is one) and is a valid lower bound: the
solver's own bound, or the LP relaxation when the backend reports none.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from routing.solver import priced
from routing.solver.arrays import (
    BoolArray,
    IntArray,
    _Arrays,
    _ceil,
    _close_enough,
    _compile,
    _from_assignment,
    _plan_cost,
    _to_assignment,
)
from routing.solver.backends import (
    Backend,
    Cut,
    _cover_cut_lp,
    _full_spec,
    _lp_bound,
    _Raw,
    _solve_cbc,
    _solve_cpsat,
    _solve_mathopt,
    _Spec,
    require_backend,
)
from routing.solver.heuristics import _dense, _facility_search, _greedy_units, _local_search
from routing.solver.lagrangian import (
    _Lagrangian,
    _lagrangian_phase,
    _penalties,
    _refine_integer,
)
from routing.solver.problem import (
    Assignment,
    PlanProblem,
    PlanResult,
    Progress,
    Status,
)
from routing.solver.progress import _Incumbent, _Reporter

_SPARSE_MARGIN = 0.005  # stage 1 keeps options whose penalty is within 0.5 % of the bound
# cover cuts: up to 20 rounds of separation on the LP of the options a better plan may use,
# in at most a quarter of the time left; the cuts go into both SCIP stages. Only where the
# capacities bind (total capacity below 2.75x the demand): measured (CPU s, one run on a
# loaded machine) they helped Delmaire p29 (ratio 2.6: 3.3 -> 2.2), p31 (1.9: 3.4 -> 2.9) and
# Holmberg p57 (1.97: optimum reached in 60 s, 1.1 % above without) but slowed the looser
# Holmberg p30 (3.03: sparse stage unfinished at 3.7 CPU s, done in 2.3 without) and p62
# (2.96: 6.6 -> 7.4)
_CUT_ROUNDS = 20
_CUT_SHARE = 0.25
_CUT_MAX_CAPACITY_RATIO = 2.75
# facility search (close/open/swap + iterated local search) when the Lagrangian heuristic's
# plan is more than 1 % above the bound, for at most half of the time left: measured on the
# generated Yang-style instances (benchmarks/sscflp_generate.py), 0.1-2.3 % cheaper plans
_SEARCH_GAP = 0.01
_SEARCH_SHARE = 0.5


# -- the AUTO strategy ------------------------------------------------------------------------


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
    far = inc.cost is not None and inc.cost - lower > _SEARCH_GAP * max(1, abs(inc.cost))
    if far and dense is not None and inc.units is not None:
        # far from the bound: better plans first (they shrink every later MIP), then the proof
        now = time.monotonic()
        until = now + _SEARCH_SHARE * (deadline - now)
        inc.offer(arr, _facility_search(arr, dense, inc.units, until), reporter)
        notes.append(f"facility search to {inc.cost} in {time.monotonic() - now:.2f} s")
        if _close_enough(inc.cost, lower, gap_limit):
            return inc.units, lower, False

    def left() -> float:
        return deadline - time.monotonic()

    cuts: tuple[Cut, ...] = ()

    def stage(keep: BoolArray, closed: BoolArray, forced: BoolArray, **kw: object) -> _Raw:
        spec = _Spec(
            cuts=cuts,
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
        demand = float((arr.demand * arr.count).sum())
        tight = float(arr.cap[arr.has_fixed].sum()) < _CUT_MAX_CAPACITY_RATIO * demand
        if dense is not None and tight:  # covers need binary x: count-1 classes, no lanes
            now = time.monotonic()
            wide, _, _ = pen.keep(upper - 0.5)
            lp, found = _cover_cut_lp(
                arr,
                wide,
                forced1.astype(np.int64),
                (~closed1).astype(np.int64),
                rounds=_CUT_ROUNDS,
                deadline=now + _CUT_SHARE * left(),
            )
            cuts = tuple(found)
            lp_text = "-" if lp is None else f"{lp:.1f}"
            notes.append(f"{len(cuts)} cuts, LP {lp_text} in {time.monotonic() - now:.2f} s")
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
    require_backend(backend)
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
    use_priced = backend is Backend.AUTO and not _uses_lagrangian(arr) and priced.applies(arr)

    def price(until: float) -> tuple[IntArray | None, int | None]:
        return priced.solve_large(
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
    elif use_priced:
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
        if use_priced:
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
