"""Independent parts of a plan problem, solved apart (in parallel through an executor), merged.

Two classes are *linked* when options of both use a resource that couples them: a facility
whose capacity can bind (all the units that could go there exceed it) or that has a positive
fixed cost, or a lane with a positive dispatch cost. A union-find over classes through those
resources gives the **parts**; no plan of one part changes the cost or the feasibility of
another, so the optimum of the whole is the sum of the parts' optima, and the sum of their
lower bounds is a lower bound of the whole. A class linked to nothing takes its cheapest option
outright (that is optimal and proven). Resources that cannot bind are copied, at full capacity,
into every part that uses them: the parts together still cannot exceed them.

Parts are solved through :mod:`routing.plan.executor` (a spawned process pool by default, Ray for
clusters); parts are packed largest-first into at most ``workers`` bundles so that small parts
share one process start, and a small problem or a single part is solved in this process. The
time limit is shared: every part finishes by the same deadline, and inside a bundle each part
gets a share of the time left proportional to its size (a part that finishes early leaves its
time to the next). Progress is aggregated: a part not yet finished counts with its greedy plan
and its trivial bound (every unit at its cheapest option; fixed costs are never negative).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from routing.plan.executor import Executor
from routing.solver.problem import (
    Assignment,
    ClassOption,
    PlanProblem,
    PlanResult,
    Progress,
    ReturnClass,
    Status,
    relative_gap,
)

# Below this many option variables in all parts together, the parts are solved in this
# process: a spawned worker pays 1-2 s of start-up (imports of ortools and numpy, pickling), more
# than such a solve saves. Measured on 20k generated returns (10k options in 3 parts, a loaded
# 2-core machine): parts one after another 1.9-4.2 s, in 2 spawned workers 5.4 s (3.0 s warm).
PARALLEL_MIN_OPTIONS = 20_000
MIN_PART_S = 0.1  # a part always gets this long, even past the deadline (its greedy plan)

SolveFn = Callable[..., PlanResult]


@dataclass(frozen=True, slots=True)
class Part:
    """A sub-problem and the indices, in the whole problem, of its classes."""

    problem: PlanProblem
    classes: tuple[int, ...]

    @property
    def size(self) -> int:
        return sum(len(c.options) for c in self.problem.classes)


@dataclass(frozen=True, slots=True)
class Split:
    """The parts (largest first) and the classes linked to nothing, with their best option."""

    parts: tuple[Part, ...]
    fixed: tuple[tuple[int, int], ...]  # (class index, option index)
    fixed_cost: int


def _linking(problem: PlanProblem) -> tuple[list[bool], list[bool]]:
    could = [0] * len(problem.facilities)
    for cls in problem.classes:
        for f in {o.facility for o in cls.options if o.facility is not None}:
            could[f] += cls.count * cls.demand
    facilities = [
        (row.fixed_cost_minor or 0) > 0 or could[i] > row.capacity
        for i, row in enumerate(problem.facilities)
    ]
    lanes = [lane.fixed_cost_minor > 0 for lane in problem.lanes]
    return facilities, lanes


def split(problem: PlanProblem) -> Split:
    """The independent parts of ``problem`` (see the module docstring)."""
    fac_links, lane_links = _linking(problem)
    n = len(problem.classes)
    parent = list(range(n))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    first_user: dict[tuple[str, int], int] = {}
    linked = [False] * n
    for k, cls in enumerate(problem.classes):
        for opt in cls.options:
            keys = []
            if opt.facility is not None and fac_links[opt.facility]:
                keys.append(("f", opt.facility))
            if opt.lane is not None and lane_links[opt.lane]:
                keys.append(("l", opt.lane))
            for key in keys:
                linked[k] = True
                other = first_user.setdefault(key, k)
                a, b = find(k), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    fixed: list[tuple[int, int]] = []
    fixed_cost = 0
    for k, cls in enumerate(problem.classes):
        if linked[k]:
            groups.setdefault(find(k), []).append(k)
        else:
            o = min(range(len(cls.options)), key=lambda i: cls.options[i].cost_minor)
            fixed.append((k, o))
            fixed_cost += cls.options[o].cost_minor * cls.count
    parts = [_part(problem, tuple(ks), j) for j, ks in enumerate(groups.values())]
    parts.sort(key=lambda p: -p.size)
    return Split(tuple(parts), tuple(fixed), fixed_cost)


def _part(problem: PlanProblem, classes: tuple[int, ...], j: int) -> Part:
    fac_map: dict[int, int] = {}
    lane_map: dict[int, int] = {}
    for k in classes:
        for opt in problem.classes[k].options:
            if opt.facility is not None:
                fac_map.setdefault(opt.facility, len(fac_map))
            if opt.lane is not None:
                lane_map.setdefault(opt.lane, len(lane_map))
    sub_classes = []
    for k in classes:
        cls = problem.classes[k]
        options = tuple(
            ClassOption(
                cost_minor=opt.cost_minor,
                facility=None if opt.facility is None else fac_map[opt.facility],
                lane=None if opt.lane is None else lane_map[opt.lane],
                lane_load=opt.lane_load,
            )
            for opt in cls.options
        )
        sub_classes.append(ReturnClass(count=cls.count, demand=cls.demand, options=options))
    sub = PlanProblem(
        classes=tuple(sub_classes),
        facilities=tuple(problem.facilities[i] for i in fac_map),
        lanes=tuple(problem.lanes[i] for i in lane_map),
        name=f"{problem.name}#part{j}" if problem.name else f"part{j}",
    )
    return Part(sub, classes)


# -- solving --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bundle:
    """Parts solved one after another in one worker; plain data, so it pickles."""

    problems: tuple[PlanProblem, ...]
    deadline: float  # time.time() (comparable across processes and machines with NTP)
    solve: SolveFn
    hints: tuple[Assignment | None, ...]  # per problem: a warm start, or none


def _slice(deadline: float, sizes: Sequence[int], i: int) -> float:
    left = deadline - time.time()
    return max(MIN_PART_S, left * sizes[i] / max(1, sum(sizes[i:])))


def _run_bundle(bundle: _Bundle) -> tuple[PlanResult, ...]:
    sizes = [sum(len(c.options) for c in p.classes) for p in bundle.problems]
    return tuple(
        bundle.solve(p, time_limit_s=_slice(bundle.deadline, sizes, i), **_hint(bundle.hints[i]))
        for i, p in enumerate(bundle.problems)
    )


def _hint(hint: Assignment | None) -> dict[str, Assignment]:
    """The warm-start keyword for ``solve`` (absent without one, so any solve function works)."""
    return {} if hint is None else {"hint": hint}


def _bundles(parts: Sequence[Part], count: int) -> list[list[int]]:
    """Longest-processing-time packing of the parts (largest first) into ``count`` bundles."""
    bins: list[list[int]] = [[] for _ in range(min(count, len(parts)))]
    loads = [0] * len(bins)
    for j, part in enumerate(parts):
        b = loads.index(min(loads))
        bins[b].append(j)
        loads[b] += part.size
    return [b for b in bins if b]


class _Aggregate:
    """Incumbent and bound of the whole from each part's latest values."""

    def __init__(
        self,
        on_progress: Callable[[Progress], None] | None,
        split_: Split,
        t0: float,
        greedy_plans: bool,
    ) -> None:
        self.on_progress = on_progress
        self.split = split_
        self.t0 = t0
        self.done = 0
        self.incumbents: list[int | None] = []
        self.bounds: list[int | None] = []
        for part in split_.parts:
            self.incumbents.append(_greedy_cost(part.problem) if greedy_plans else None)
            self.bounds.append(
                sum(c.count * min(o.cost_minor for o in c.options) for c in part.problem.classes)
            )

    def part_progress(self, j: int, p: Progress) -> None:
        if p.incumbent is not None:
            self.incumbents[j] = p.incumbent
        if p.bound is not None:
            self.bounds[j] = p.bound
        self.emit(p.backend)

    def part_done(self, j: int, r: PlanResult) -> None:
        self.done += 1
        self.incumbents[j] = r.objective
        if r.bound is not None:
            self.bounds[j] = r.bound
        self.emit(r.backend)

    def emit(self, backend: str) -> None:
        if self.on_progress is None:
            return
        base = self.split.fixed_cost
        inc = None if None in self.incumbents else base + sum(i or 0 for i in self.incumbents)
        bound = None if None in self.bounds else base + sum(b or 0 for b in self.bounds)
        if inc is not None and bound is not None:
            bound = min(bound, inc)
        n = len(self.split.parts)
        label = backend if n == 1 else f"{backend} [{self.done}/{n} parts done]"
        self.on_progress(
            Progress(
                incumbent=inc,
                bound=bound,
                gap=relative_gap(inc, bound),
                elapsed_s=time.monotonic() - self.t0,
                backend=label,
            )
        )


def _greedy_cost(problem: PlanProblem) -> int | None:
    from routing.solver import greedy

    ev = problem.evaluate(greedy(problem))
    return ev.cost_minor if ev.feasible else None


def solve_parts(
    problem: PlanProblem,
    *,
    time_limit_s: float,
    solve: SolveFn,
    executor: Executor | None = None,
    workers: int = 1,
    on_progress: Callable[[Progress], None] | None = None,
    parallel_min_options: int = PARALLEL_MIN_OPTIONS,
    hint: Assignment | None = None,
) -> PlanResult:
    """Solve ``problem`` part by part with ``solve`` (``routing.solver.solve`` or any function
    of the same keywords; module-level, so that it pickles, when ``executor`` is used).

    The parts run through ``executor`` in at most ``workers`` bundles, or in this process when
    there is no executor, one worker, one part or fewer than ``parallel_min_options`` options.
    ``hint``, a plan of the whole problem, warm-starts each part with its share.
    """
    if not time_limit_s > 0:
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    t0 = time.monotonic()
    deadline = time.time() + time_limit_s
    if hint is not None:
        problem.check_assignment(hint)
    sp = split(problem)
    parts = sp.parts
    hints = [None if hint is None else tuple(hint[k] for k in p.classes) for p in parts]
    size = sum(p.size for p in parts)
    in_process = executor is None or workers == 1 or len(parts) <= 1
    in_process = in_process or size < parallel_min_options
    agg = _Aggregate(on_progress, sp, t0, greedy_plans=on_progress is not None and len(parts) > 1)
    results: list[PlanResult | None] = [None] * len(parts)
    if in_process:
        sizes = [p.size for p in parts]
        for j, part in enumerate(parts):

            def report(p: Progress, j: int = j) -> None:
                agg.part_progress(j, p)

            results[j] = solve(
                part.problem,
                time_limit_s=_slice(deadline, sizes, j),
                on_progress=report if on_progress is not None else None,
                **_hint(hints[j]),
            )
            agg.part_done(j, results[j])  # type: ignore[arg-type]
    else:
        assert executor is not None
        bins = _bundles(parts, workers)
        bundles = [
            _Bundle(tuple(parts[j].problem for j in b), deadline, solve, tuple(hints[j] for j in b))
            for b in bins
        ]
        for b, got in executor.map_unordered(_run_bundle, bundles):
            for j, r in zip(bins[b], got, strict=True):
                results[j] = r
                agg.part_done(j, r)
    done = [r for r in results if r is not None]
    assert len(done) == len(parts)
    merged = _merge(problem, sp, done, time.monotonic() - t0)
    if on_progress is not None and not parts:  # nothing was solved: say so once
        agg.emit(merged.backend)
    return merged


def _merge(
    problem: PlanProblem, sp: Split, results: Sequence[PlanResult], wall: float
) -> PlanResult:
    backends = sorted({r.backend for r in results if r.backend}) or ["fixed"]
    label = "+".join(backends)
    if len(sp.parts) > 1:
        label += f" x{len(sp.parts)} parts"
    notes = [f"part {j}: {r.message}" for j, r in enumerate(results) if r.message][:5]
    message = "; ".join(notes)
    statuses = {r.status for r in results}
    bounds = [r.bound for r in results]
    bound = None if None in bounds else sp.fixed_cost + sum(b or 0 for b in bounds)
    if Status.INFEASIBLE in statuses or Status.UNKNOWN in statuses:
        status = Status.INFEASIBLE if Status.INFEASIBLE in statuses else Status.UNKNOWN
        return PlanResult(
            status=status,
            objective=None,
            bound=None if status is Status.INFEASIBLE else bound,
            wall_time_s=wall,
            assignment=None,
            backend=label,
            message=message,
        )
    per_class: list[tuple[tuple[int, int], ...] | None] = [None] * len(problem.classes)
    for k, o in sp.fixed:
        per_class[k] = ((o, problem.classes[k].count),)
    for part, r in zip(sp.parts, results, strict=True):
        assert r.assignment is not None
        for k, pairs in zip(part.classes, r.assignment, strict=True):
            per_class[k] = pairs
    assignment: Assignment = tuple(p for p in per_class if p is not None)
    ev = problem.evaluate(assignment)
    expected = sp.fixed_cost + sum(r.objective or 0 for r in results)
    if ev.cost_minor != expected or not ev.feasible:  # the parts were not independent: a bug
        raise AssertionError(
            f"merged plan costs {ev.cost_minor} (feasible: {ev.feasible}), parts say {expected}"
        )
    if bound is not None:
        bound = min(bound, ev.cost_minor)
    return PlanResult(
        status=Status.OPTIMAL if bound == ev.cost_minor else Status.FEASIBLE,
        objective=ev.cost_minor,
        bound=bound,
        wall_time_s=wall,
        assignment=assignment,
        dispatches=ev.dispatches,
        opened=ev.opened,
        backend=label,
        message=message,
    )
