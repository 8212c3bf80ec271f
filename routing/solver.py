"""The one module that calls solvers: ``solve(problem, *, time_limit_s, backend, ...)``.

Backends: CP-SAT (default), SCIP and HiGHS through OR-Tools MathOpt, and PuLP/CBC — the
textbook model a planner would write by hand. Every backend gets the same formulation:

    x_ko in {0..count_k}   units of class k on option o
    y_i  in {0, 1}         facility i used (only for facilities with a fixed cost)
    z_l  in {0, 1, ...}    dispatches on lane l
    sum_o x_ko = count_k;  sum demand_k x_ko <= cap_i (y_i);  x_ko <= count_k y_i;
    sum load_ko x_ko <= lanecap_l z_l

The answer is our own ``PlanResult``: the objective recomputed from the assignment, a valid
lower bound (the solver's, rounded up; when a backend has none, the LP relaxation's), the gap,
the time. The best plan found is always returned when the time limit cuts a solve short.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from datetime import timedelta

from routing.plan_model import Assignment, PlanProblem, PlanResult, Progress, Status, relative_gap

ProgressFn = Callable[[Progress], None]


class Backend(enum.Enum):
    CPSAT = "cpsat"
    SCIP = "scip"
    HIGHS = "highs"
    CBC = "cbc"  # PuLP + CBC: the hand-written reference


def greedy(problem: PlanProblem) -> Assignment | None:
    """A feasible plan when one is easy to find: classes by decreasing regret take their
    cheapest option that still fits (lanes are never full: dispatches are added). None when
    some class fits nowhere."""
    remaining = [f.capacity for f in problem.facilities]
    order = sorted(
        range(len(problem.classes)),
        key=lambda k: _regret(problem, k),
        reverse=True,
    )
    plan: list[tuple[tuple[int, int], ...]] = [() for _ in problem.classes]
    for k in order:
        cls = problem.classes[k]
        left = cls.count
        pairs: list[tuple[int, int]] = []
        for o in sorted(range(len(cls.options)), key=lambda o: cls.options[o].cost_minor):
            option = cls.options[o]
            if option.facility is None or cls.demand == 0:
                take = left
            else:
                take = min(left, remaining[option.facility] // cls.demand)
                remaining[option.facility] -= take * cls.demand
            if take:
                pairs.append((o, take))
                left -= take
            if left == 0:
                break
        if left:
            return None
        plan[k] = tuple(pairs)
    return tuple(plan)


def _regret(problem: PlanProblem, k: int) -> int:
    costs = sorted(o.cost_minor for o in problem.classes[k].options)
    return (costs[1] - costs[0]) if len(costs) > 1 else 0


def solve(
    problem: PlanProblem,
    *,
    time_limit_s: float,
    backend: Backend = Backend.CPSAT,
    workers: int = 2,
    hint: Assignment | None = None,
    on_progress: ProgressFn | None = None,
) -> PlanResult:
    """Solve ``problem`` within ``time_limit_s``; see the module docstring."""
    if not time_limit_s > 0:
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s}")
    if hint is None:
        hint = greedy(problem)
    started = time.perf_counter()
    if backend is Backend.CPSAT:
        status, assignment, bound = _cpsat(
            problem, time_limit_s, workers, hint, on_progress, started
        )
    elif backend is Backend.CBC:
        status, assignment, bound = _cbc(problem, time_limit_s, workers)
    else:
        status, assignment, bound = _mathopt(problem, time_limit_s, workers, backend, hint)
    return _result(problem, status, assignment, bound, time.perf_counter() - started, backend)


def _result(
    problem: PlanProblem,
    status: Status,
    assignment: Assignment | None,
    bound: float | None,
    wall_s: float,
    backend: Backend,
) -> PlanResult:
    if assignment is None:
        if status in (Status.OPTIMAL, Status.FEASIBLE):
            status = Status.UNKNOWN
        return PlanResult(status, None, None, wall_s, None, backend=backend.value)
    e = problem.evaluate(assignment)
    objective = e.cost_minor
    lower = None if bound is None or math.isinf(bound) else math.ceil(bound - 1e-6)
    if lower is not None:
        lower = min(lower, objective)
    if status is Status.OPTIMAL or lower == objective:
        status, lower = Status.OPTIMAL, objective
    else:
        status = Status.FEASIBLE
    return PlanResult(
        status,
        objective,
        lower,
        wall_s,
        assignment,
        dispatches=e.dispatches,
        opened=e.opened,
        backend=backend.value,
    )


def _lane_bounds(problem: PlanProblem) -> list[int]:
    loads = [0] * len(problem.lanes)
    for cls in problem.classes:
        per_lane: dict[int, int] = {}
        for option in cls.options:
            if option.lane is not None:
                per_lane[option.lane] = max(per_lane.get(option.lane, 0), option.lane_load)
        for lane, load in per_lane.items():
            loads[lane] += load * cls.count
    return [-(-load // lane.capacity) for load, lane in zip(loads, problem.lanes, strict=True)]


def _cpsat(
    problem: PlanProblem,
    time_limit_s: float,
    workers: int,
    hint: Assignment | None,
    on_progress: ProgressFn | None,
    started: float,
) -> tuple[Status, Assignment | None, float | None]:
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    objective = []
    fac_terms: list[list[object]] = [[] for _ in problem.facilities]
    lane_terms: list[list[object]] = [[] for _ in problem.lanes]
    y = {
        i: m.new_bool_var(f"y{i}")
        for i, f in enumerate(problem.facilities)
        if f.fixed_cost_minor is not None
    }
    for k, cls in enumerate(problem.classes):
        row = []
        for o, option in enumerate(cls.options):
            v = m.new_int_var(0, cls.count, f"x{k}_{o}")
            x[k, o] = v
            row.append(v)
            objective.append(option.cost_minor * v)
            if option.facility is not None:
                fac_terms[option.facility].append(cls.demand * v)
                if option.facility in y:
                    m.add(v <= cls.count * y[option.facility])  # strong linking
            if option.lane is not None:
                lane_terms[option.lane].append(option.lane_load * v)
        m.add(sum(row) == cls.count)
    for i, f in enumerate(problem.facilities):
        if fac_terms[i]:
            cap = f.capacity * y[i] if i in y else f.capacity
            m.add(sum(fac_terms[i]) <= cap)  # type: ignore[arg-type]
    for i, yi in y.items():
        objective.append((problem.facilities[i].fixed_cost_minor or 0) * yi)
    for lane_index, (lane, ub) in enumerate(zip(problem.lanes, _lane_bounds(problem), strict=True)):
        if lane_terms[lane_index]:
            z = m.new_int_var(0, ub, f"z{lane_index}")
            m.add(sum(lane_terms[lane_index]) <= lane.capacity * z)  # type: ignore[arg-type]
            objective.append(lane.fixed_cost_minor * z)
    m.minimize(sum(objective))
    if hint is not None:
        for k, pairs in enumerate(hint):
            used = dict(pairs)
            for o in range(len(problem.classes[k].options)):
                m.add_hint(x[k, o], used.get(o, 0))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = max(1, workers)

    class Callback(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
        def on_solution_callback(self) -> None:
            if on_progress is not None:
                inc = round(self.objective_value)
                bound = math.ceil(self.best_objective_bound - 1e-6)
                on_progress(
                    Progress(
                        inc, bound, relative_gap(inc, bound), time.perf_counter() - started, "cpsat"
                    )
                )

    code = solver.solve(m, Callback())
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return (Status.INFEASIBLE if code == cp_model.INFEASIBLE else Status.UNKNOWN), None, None
    assignment = tuple(
        tuple((o, solver.value(x[k, o])) for o in range(len(cls.options)) if solver.value(x[k, o]))
        for k, cls in enumerate(problem.classes)
    )
    status = Status.OPTIMAL if code == cp_model.OPTIMAL else Status.FEASIBLE
    return status, assignment, solver.best_objective_bound


def _mathopt(
    problem: PlanProblem,
    time_limit_s: float,
    workers: int,
    backend: Backend,
    hint: Assignment | None,
) -> tuple[Status, Assignment | None, float | None]:
    from ortools.math_opt.python import mathopt

    m = mathopt.Model(name="plan")
    x: dict[tuple[int, int], mathopt.Variable] = {}
    fac_terms: list[list[mathopt.LinearExpression]] = [[] for _ in problem.facilities]
    lane_terms: list[list[mathopt.LinearExpression]] = [[] for _ in problem.lanes]
    objective: list[mathopt.LinearExpression] = []
    y = {
        i: m.add_binary_variable(name=f"y{i}")
        for i, f in enumerate(problem.facilities)
        if f.fixed_cost_minor is not None
    }
    for k, cls in enumerate(problem.classes):
        row = []
        for o, option in enumerate(cls.options):
            v = m.add_integer_variable(lb=0, ub=cls.count, name=f"x{k}_{o}")
            x[k, o] = v
            row.append(v)
            objective.append(option.cost_minor * v)
            if option.facility is not None:
                fac_terms[option.facility].append(cls.demand * v)
                if option.facility in y:
                    m.add_linear_constraint(v <= cls.count * y[option.facility])
            if option.lane is not None:
                lane_terms[option.lane].append(option.lane_load * v)
        m.add_linear_constraint(mathopt.fast_sum(row) == cls.count)
    for i, f in enumerate(problem.facilities):
        if fac_terms[i]:
            cap = f.capacity * y[i] if i in y else f.capacity
            m.add_linear_constraint(mathopt.fast_sum(fac_terms[i]) <= cap)
    for i, yi in y.items():
        objective.append((problem.facilities[i].fixed_cost_minor or 0) * yi)
    for lane_index, (lane, ub) in enumerate(zip(problem.lanes, _lane_bounds(problem), strict=True)):
        if lane_terms[lane_index]:
            z = m.add_integer_variable(lb=0, ub=ub, name=f"z{lane_index}")
            m.add_linear_constraint(mathopt.fast_sum(lane_terms[lane_index]) <= lane.capacity * z)
            objective.append(lane.fixed_cost_minor * z)
    m.minimize(mathopt.fast_sum(objective))
    solver_type = mathopt.SolverType.GSCIP if backend is Backend.SCIP else mathopt.SolverType.HIGHS
    # HiGHS takes its thread count from its own globals, not from MathOpt's parameter
    threads = workers if backend is Backend.SCIP else None
    params = mathopt.SolveParameters(time_limit=timedelta(seconds=time_limit_s), threads=threads)
    model_params = None
    if hint is not None:
        values = {
            x[k, o]: float(dict(pairs).get(o, 0))
            for k, pairs in enumerate(hint)
            for o in range(len(problem.classes[k].options))
        }
        model_params = mathopt.ModelSolveParameters(
            solution_hints=[mathopt.SolutionHint(variable_values=values)]
        )
    result = mathopt.solve(m, solver_type, params=params, model_params=model_params)
    reason = result.termination.reason
    if reason is mathopt.TerminationReason.INFEASIBLE:
        return Status.INFEASIBLE, None, None
    if not result.has_primal_feasible_solution():
        return Status.UNKNOWN, None, None
    values = result.variable_values()
    assignment = tuple(
        tuple(
            (o, round(values[x[k, o]])) for o in range(len(cls.options)) if round(values[x[k, o]])
        )
        for k, cls in enumerate(problem.classes)
    )
    bound = result.termination.objective_bounds.dual_bound
    status = Status.OPTIMAL if reason is mathopt.TerminationReason.OPTIMAL else Status.FEASIBLE
    return status, assignment, bound


def _cbc_cmd(time_limit_s: float, workers: int) -> object:
    """CBC from the cbcbox package (pulp[cbc]); PuLP's bundled CBC command is deprecated."""
    import cbcbox
    import pulp

    return pulp.COIN_CMD(
        path=cbcbox.cbc_bin_path(), msg=False, timeLimit=time_limit_s, threads=workers
    )


def _cbc(
    problem: PlanProblem, time_limit_s: float, workers: int
) -> tuple[Status, Assignment | None, float | None]:
    """The model as a planner writes it by hand in PuLP, solved by CBC. CBC's own bound is not
    exposed by PuLP, so when the time limit stops it the LP relaxation gives the bound."""
    import pulp

    def build(relax: bool) -> tuple[pulp.LpProblem, dict[tuple[int, int], pulp.LpVariable]]:
        cat = "Continuous" if relax else "Integer"
        lp = pulp.LpProblem("plan", pulp.LpMinimize)
        x = {
            (k, o): lp.add_variable(f"x_{k}_{o}", 0, cls.count, cat=cat)
            for k, cls in enumerate(problem.classes)
            for o in range(len(cls.options))
        }
        y = {
            i: lp.add_variable(f"y_{i}", 0, 1, cat=cat)
            for i, f in enumerate(problem.facilities)
            if f.fixed_cost_minor is not None
        }
        ub = _lane_bounds(problem)
        z = {
            lane: lp.add_variable(f"z_{lane}", 0, ub[lane], cat=cat)
            for lane in range(len(problem.lanes))
        }
        lp += (
            pulp.lpSum(
                o.cost_minor * x[k, oi]
                for k, c in enumerate(problem.classes)
                for oi, o in enumerate(c.options)
            )
            + pulp.lpSum((problem.facilities[i].fixed_cost_minor or 0) * yi for i, yi in y.items())
            + pulp.lpSum(problem.lanes[lane].fixed_cost_minor * zl for lane, zl in z.items())
        )
        fac: list[list[object]] = [[] for _ in problem.facilities]
        lanes: list[list[object]] = [[] for _ in problem.lanes]
        for k, cls in enumerate(problem.classes):
            lp += pulp.lpSum(x[k, o] for o in range(len(cls.options))) == cls.count
            for o, option in enumerate(cls.options):
                if option.facility is not None:
                    fac[option.facility].append(cls.demand * x[k, o])
                    if option.facility in y:
                        lp += x[k, o] <= cls.count * y[option.facility]
                if option.lane is not None:
                    lanes[option.lane].append(option.lane_load * x[k, o])
        for i, f in enumerate(problem.facilities):
            if fac[i]:
                lp += pulp.lpSum(fac[i]) <= (f.capacity * y[i] if i in y else f.capacity)
        for lane, terms in enumerate(lanes):
            if terms:
                lp += pulp.lpSum(terms) <= problem.lanes[lane].capacity * z[lane]
        return lp, x

    lp, x = build(relax=False)
    lp.solve(_cbc_cmd(time_limit_s, workers))
    status_name = pulp.LpStatus[lp.status]
    if status_name == "Infeasible":
        return Status.INFEASIBLE, None, None
    if any(v.value() is None for v in x.values()):
        return Status.UNKNOWN, None, None
    assignment = tuple(
        tuple(
            (o, round(x[k, o].value())) for o in range(len(cls.options)) if round(x[k, o].value())
        )
        for k, cls in enumerate(problem.classes)
    )
    optimal = status_name == "Optimal" and lp.sol_status == pulp.LpSolutionOptimal
    if optimal:
        return Status.OPTIMAL, assignment, None
    relaxed, _ = build(relax=True)
    relaxed.solve(_cbc_cmd(time_limit_s, 1))
    bound = pulp.value(relaxed.objective) if pulp.LpStatus[relaxed.status] == "Optimal" else None
    return Status.FEASIBLE, assignment, bound
