"""The batch consolidation planner: a plan for a whole batch of returns.

Each return gets the options RouteReturn would cost (``Router.plan_choices``: same routes, same
integer costs, customs included), minus the per-return share of line-haul dispatches, which
the plan prices itself: an integer number of dispatches per lane, each with its fixed cost and
capacity. Facilities have a capacity over the horizon (units per day x days). Returns with the
same options and costs are aggregated into classes with integer counts, so the model grows
with distinct classes, not with returns. ``routing.solver`` solves the resulting
``PlanProblem``; capacity that cannot be met is either refused (naming the facility and the
shortfall) or, with ``allow_overflow``, planned at a priced overflow.
"""

from __future__ import annotations

import gc
import math
import os
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from hubs.model import Network
from routing.decide.domain import MAX_VALUE_MINOR, Return
from routing.decide.router import PlanChoice, Router
from routing.errors import InvalidInput, NoFeasibleOption, PreconditionViolation
from routing.plan.decompose import solve_parts
from routing.plan.executor import Executor
from routing.solver.problem import (
    MAX_COEFFICIENT,
    Assignment,
    CapacityRow,
    ClassOption,
    DispatchLane,
    PlanProblem,
    PlanResult,
    Progress,
    ReturnClass,
)

# An overflow unit when overflow is not allowed: dearer than any real option, so a plan uses
# it only when capacity is really short, and the shortfall can be named.
SHORTFALL_PRICE_MINOR = 10**9
# The longest solve a plan may ask for (CLI, scenario files, SubmitPlan): an hour.
MAX_TIME_LIMIT_S = 3600.0
_MAX_OPTION_COST = MAX_COEFFICIENT - MAX_VALUE_MINOR  # an overflow twin adds up to MAX_VALUE_MINOR
# Below this many returns, options are generated in this process: a spawned worker pays 2-3 s
# of start-up (imports, the router's copy), about what 5-10k returns cost (~0.45 ms each).
PARALLEL_BUILD_MIN_RETURNS = 20_000


@dataclass(frozen=True, slots=True)
class PlanConfig:
    horizon_days: int = 7
    time_limit_s: float = 60.0
    allow_overflow: bool = False
    overflow_price_minor: int = 5_000  # per unit handled outside the network (e.g. a spot 3PL)

    def __post_init__(self) -> None:
        if not 1 <= self.horizon_days <= 366:
            raise ValueError(f"horizon_days must be 1..366, got {self.horizon_days}")
        if not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s must be > 0, got {self.time_limit_s}")
        if self.overflow_price_minor < 0:
            raise ValueError("overflow_price_minor must be >= 0")


@dataclass(frozen=True, slots=True)
class Member:
    """A return of a class: its id and its position in the batch."""

    return_id: str
    index: int


@dataclass(frozen=True, slots=True)
class Built:
    """A PlanProblem and the maps back to returns, facilities and lanes."""

    problem: PlanProblem
    members: tuple[tuple[Member, ...], ...]  # per class
    choices: tuple[tuple[PlanChoice | None, ...], ...]  # per class, per option (None: overflow)
    facility_ids: tuple[str, ...]  # per capacity row ("overflow:<id>" for overflow rows)
    lane_ids: tuple[str, ...]
    unroutable: tuple[tuple[str, str], ...]  # (return id, why) of returns with no option
    returns: int
    units: int


@dataclass(frozen=True, slots=True)
class Assigned:
    return_id: str
    option: str  # the route key, "returnless" or "overflow:<facility>"
    facility_id: str
    lane_id: str
    cost_minor: int
    units: int


@dataclass(frozen=True, slots=True)
class FacilityUse:
    facility_id: str
    load_units: int
    capacity_units: int


@dataclass(frozen=True, slots=True)
class LaneUse:
    lane_id: str
    load_units: int
    dispatches: int
    capacity_units_per_dispatch: int
    fixed_cost_minor: int

    @property
    def fill(self) -> float:
        cap = self.dispatches * self.capacity_units_per_dispatch
        return self.load_units / cap if cap else 0.0


@dataclass(frozen=True, slots=True)
class BatchPlan:
    result: PlanResult
    currency: str
    returns: int
    units: int
    classes: int
    assignments: tuple[Assigned, ...]
    facilities: tuple[FacilityUse, ...]
    lanes: tuple[LaneUse, ...]
    overflow_units: int
    unroutable: tuple[tuple[str, str], ...] = field(default=())


def build_problem(
    router: Router,
    batch: Sequence[tuple[str, Return]],
    config: PlanConfig,
    *,
    prune: bool = True,
    executor: Executor | None = None,
) -> Built:
    """Options per return (memoized on everything but id, postal code and key), dominated
    options dropped, identical returns aggregated into classes. With an ``executor``, a large
    batch's options are generated in parallel chunks (each worker gets a copy of the router)."""
    with gc_paused():
        return _build_problem(router, batch, config, prune, executor)


def _build_problem(
    router: Router,
    batch: Sequence[tuple[str, Return]],
    config: PlanConfig,
    prune: bool,
    executor: Executor | None,
) -> Built:
    network = router.network
    if executor is None or len(batch) < PARALLEL_BUILD_MIN_RETURNS:
        found = [_choices_for((router, batch))]
    else:
        # a few chunks per worker: each chunk carries a copy of the router (~1.5 MB)
        parallel = max(1, int(getattr(executor, "workers", 0) or os.cpu_count() or 1))
        n_chunks = max(2, min(4 * parallel, len(batch) // (PARALLEL_BUILD_MIN_RETURNS // 2)))
        size = -(-len(batch) // n_chunks)
        chunks = [batch[i : i + size] for i in range(0, len(batch), size)]
        found = executor.map(_choices_for, [(router, chunk) for chunk in chunks])
    # 1. per return its packed choices (kept packed: a million returns' choices as objects
    #    would take ~4 GB), and the units that could go to each facility
    routed: list[tuple[int, str, int, array[int], _Table]] = []
    unroutable: list[tuple[str, str]] = []
    could: dict[str, int] = {}
    index = 0
    for table, rows in found:
        for return_id, units, got in rows:
            if isinstance(got, str):
                unroutable.append((return_id, got))
            else:
                routed.append((index, return_id, units, got, table))
                for f in {table[got[i]][1] for i in range(0, len(got), 3)}:
                    if f is not None:
                        could[f] = could.get(f, 0) + units
            index += 1
    binding = frozenset(
        f
        for f, units in could.items()
        if units > network.facilities[f].capacity_units_per_day * config.horizon_days
    )
    # 2. dominated options dropped, identical returns aggregated into classes
    class_of: dict[tuple[object, ...], int] = {}
    members: list[list[Member]] = []
    class_choices: list[tuple[PlanChoice, ...]] = []
    class_units: list[int] = []
    units_total = 0
    for index, return_id, units, packed, table in routed:
        choices = _unpack(packed, table, units)
        kept = undominated(choices, binding) if prune else choices
        units_total += units
        key = (units, tuple((c.key, c.cost_minor) for c in kept))
        k = class_of.get(key)
        if k is None:
            k = class_of[key] = len(members)
            members.append([])
            class_choices.append(kept)
            class_units.append(units)
        members[k].append(Member(return_id, index))
    lane_costs = {
        lane_id: router.compiled.to_base(lane.fixed_cost_minor, lane.currency)
        for lane_id, lane in network.lanes.items()
    }
    if not members:  # a PlanProblem needs a class: say why nothing could be planned
        raise NoFeasibleOption(
            [
                PreconditionViolation("NO_ROUTABLE_RETURN", f"return:{rid[:64]}", why[:500])
                for rid, why in unroutable[:20]
            ]
            or [PreconditionViolation("NO_ROUTABLE_RETURN", "batch", "the batch is empty")]
        )
    return _assemble(
        network,
        config,
        lane_costs,
        members,
        class_choices,
        class_units,
        unroutable,
        units_total,
        len(batch),
    )


_Table = tuple[tuple[str, str | None, str | None], ...]  # route key, facility, lane


def _choices_for(
    job: tuple[Router, Sequence[tuple[str, Return]]],
) -> tuple[_Table, list[tuple[str, int, array[int] | str]]]:
    """The plan choices of a chunk of returns, packed: a table of the distinct (route key,
    facility, lane) and per return (id, units, [table index, cost, days to refund] * n as an
    int64 array), or why the return has no choice. Module-level and on plain data, so a
    process pool can run it; packed, it pickles and stays small."""
    router, chunk = job
    with gc_paused():
        return _choices_of(router, chunk)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a loop that makes millions of acyclic objects
    (tuples, arrays): each of its passes walks every live object, ~15 % of option generation
    on large batches. Reference counting still frees everything; the previous state returns."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _choices_of(
    router: Router, chunk: Sequence[tuple[str, Return]]
) -> tuple[_Table, list[tuple[str, int, array[int] | str]]]:
    slots: dict[tuple[str, str | None, str | None], int] = {}
    memo: dict[Return, array[int] | str] = {}
    rows: list[tuple[str, int, array[int] | str]] = []
    for return_id, ret in chunk:
        signature = replace(ret, customer_postal_code="0", idempotency_key="")
        got = memo.get(signature)
        if got is None:
            try:
                choices = router.plan_choices(signature)
            except InvalidInput as exc:
                got = str(exc)
            else:
                if not choices:
                    got = "no feasible option (carrier, weight, SLA)"
                elif any(not -MAX_COEFFICIENT <= c.cost_minor <= _MAX_OPTION_COST for c in choices):
                    # the plan model's range, with room for the overflow price on top
                    got = (
                        f"an option's cost is beyond the {MAX_COEFFICIENT} minor units a plan can"
                        " carry (check the declared values and quantities)"
                    )
                else:
                    got = array("q")
                    for c in choices:
                        slot = slots.setdefault((c.key, c.facility_id, c.lane_id), len(slots))
                        got.extend((slot, c.cost_minor, c.days_to_refund))
            memo[signature] = got
        rows.append((return_id, ret.units, got))
    return tuple(slots), rows


def _unpack(packed: array[int], table: _Table, units: int) -> tuple[PlanChoice, ...]:
    out = []
    for i in range(0, len(packed), 3):
        key, facility, lane = table[packed[i]]
        out.append(PlanChoice(key, packed[i + 1], facility, lane, units, packed[i + 2]))
    return tuple(out)


def undominated(choices: tuple[PlanChoice, ...], binding: frozenset[str]) -> tuple[PlanChoice, ...]:
    """Drop options no optimal plan needs. An option that rides no lane and uses no facility
    that can bind ("free") costs only its own cost, so only the cheapest free one matters;
    any other option is kept only when it is cheaper than that (it may pay off by sharing a
    dispatch or using scarce capacity), and of several on the same lane at a non-binding
    facility only the cheapest."""

    def free(c: PlanChoice) -> bool:
        return c.lane_id is None and (c.facility_id is None or c.facility_id not in binding)

    frees = [c for c in choices if free(c)]
    best_free = min(frees, key=lambda c: c.cost_minor) if frees else None
    limit = best_free.cost_minor if best_free is not None else None
    kept: list[PlanChoice] = [best_free] if best_free is not None else []
    per_lane: dict[str, PlanChoice] = {}
    for c in choices:
        if free(c) or (limit is not None and c.cost_minor >= limit):
            continue
        if c.lane_id is not None and (c.facility_id is None or c.facility_id not in binding):
            seen = per_lane.get(c.lane_id)
            if seen is None or c.cost_minor < seen.cost_minor:
                per_lane[c.lane_id] = c
            continue
        kept.append(c)
    kept.extend(per_lane.values())
    return tuple(sorted(kept, key=lambda c: (c.cost_minor, c.key)))


def _assemble(
    network: Network,
    config: PlanConfig,
    lane_costs: dict[str, int],
    members: list[list[Member]],
    class_choices: list[tuple[PlanChoice, ...]],
    class_units: list[int],
    unroutable: list[tuple[str, str]],
    units_total: int,
    n_returns: int,
) -> Built:
    used_facilities = sorted({c.facility_id for cs in class_choices for c in cs if c.facility_id})
    used_lanes = sorted({c.lane_id for cs in class_choices for c in cs if c.lane_id})
    fac_index = {f: i for i, f in enumerate(used_facilities)}
    lane_index = {lane_id: i for i, lane_id in enumerate(used_lanes)}
    rows = [
        CapacityRow(network.facilities[f].capacity_units_per_day * config.horizon_days)
        for f in used_facilities
    ]
    facility_ids = list(used_facilities)
    # overflow rows: unlimited, one per facility, so a shortfall is attributed to its facility
    overflow_row = {}
    for f in used_facilities:
        overflow_row[f] = len(rows)
        rows.append(CapacityRow(10**11))
        facility_ids.append(f"overflow:{f}")
    price = config.overflow_price_minor if config.allow_overflow else SHORTFALL_PRICE_MINOR
    lanes = []
    for lane_id in used_lanes:
        lane = network.lanes[lane_id]
        lanes.append(
            DispatchLane(fixed_cost_minor=lane_costs[lane_id], capacity=lane.capacity_units)
        )
    classes: list[ReturnClass] = []
    option_maps: list[tuple[PlanChoice | None, ...]] = []
    for k, choices in enumerate(class_choices):
        options: list[ClassOption] = []
        origin: list[PlanChoice | None] = []
        for c in choices:
            options.append(
                ClassOption(
                    cost_minor=c.cost_minor,
                    facility=fac_index[c.facility_id] if c.facility_id else None,
                    lane=lane_index[c.lane_id] if c.lane_id else None,
                    lane_load=1 if c.lane_id else 0,
                )
            )
            origin.append(c)
        # the overflow twin of the cheapest facility option: same cost plus the overflow price
        with_facility = [c for c in choices if c.facility_id]
        if with_facility:
            best = min(with_facility, key=lambda c: c.cost_minor)
            assert best.facility_id is not None
            options.append(
                ClassOption(
                    cost_minor=best.cost_minor + price, facility=overflow_row[best.facility_id]
                )
            )
            origin.append(None)
        classes.append(
            ReturnClass(count=len(members[k]), demand=class_units[k], options=tuple(options))
        )
        option_maps.append(tuple(origin))
    problem = PlanProblem(classes=tuple(classes), facilities=tuple(rows), lanes=tuple(lanes))
    return Built(
        problem=problem,
        members=tuple(tuple(m) for m in members),
        choices=tuple(option_maps),
        facility_ids=tuple(facility_ids),
        lane_ids=tuple(used_lanes),
        unroutable=tuple(unroutable),
        returns=n_returns,
        units=units_total,
    )


def loss_returns(router: Router, batch: Sequence[tuple[str, Return]], plan: BatchPlan) -> int:
    """How many returns of ``batch`` the plan sends at a loss over their merchant policy's
    threshold (``Router.loss_threshold_minor``, by default their goods' value): the option's
    cost with its share of the dispatches of the lane it rides (the plan's dispatch cost over
    the lane's load). Overflow counts at its price."""
    per_unit = {
        lane.lane_id: lane.dispatches * lane.fixed_cost_minor / lane.load_units
        for lane in plan.lanes
        if lane.load_units
    }
    returns = dict(batch)
    thresholds: dict[Return, int] = {}
    count = 0
    for a in plan.assignments:
        ret = returns[a.return_id]
        signature = replace(ret, customer_postal_code="0", idempotency_key="")
        threshold = thresholds.get(signature)
        if threshold is None:
            threshold = thresholds[signature] = router.loss_threshold_minor(signature)
        cost = a.cost_minor + math.ceil(per_unit.get(a.lane_id, 0) * a.units)
        count += cost > threshold
    return count


def plan_batch(
    router: Router,
    batch: Sequence[tuple[str, Return]],
    config: PlanConfig,
    *,
    solve: Callable[..., PlanResult],
    on_progress: Callable[[Progress], None] | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
) -> BatchPlan:
    """Plan ``batch``; ``solve`` is ``routing.solver.solve`` (injectable for tests); an
    ``executor`` generates the options of a large batch in parallel and solves the batch's
    independent parts apart (``solve`` must then pickle; see :func:`solve_built`)."""
    built = build_problem(router, batch, config, executor=executor)
    return solve_built(
        router,
        built,
        config,
        solve=solve,
        on_progress=on_progress,
        executor=executor,
        workers=workers,
    )


def solve_built(
    router: Router,
    built: Built,
    config: PlanConfig,
    *,
    solve: Callable[..., PlanResult],
    on_progress: Callable[[Progress], None] | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
    hint: Assignment | None = None,
) -> BatchPlan:
    """Solve a problem ``build_problem`` made and read the plan back (``hint``: a plan of
    ``built.problem`` to warm-start from). With an ``executor``, the
    problem's independent parts (:mod:`routing.plan.decompose`) are solved apart in up to
    ``workers`` bundles (default: the machine's cores); ``solve`` must then be module-level."""
    if not built.problem.classes:
        raise NoFeasibleOption(
            [
                PreconditionViolation(
                    "NO_ROUTABLE_RETURN", "batch", "no return of the batch can be routed"
                )
            ]
        )
    # independent parts are solved apart even in this process: a class linked to no binding
    # resource takes its cheapest option outright, and smaller MIPs solve faster
    result = solve_parts(
        built.problem,
        time_limit_s=config.time_limit_s,
        solve=solve,
        executor=executor,
        workers=workers or os.cpu_count() or 1,
        on_progress=on_progress,
        hint=hint,
    )
    if result.assignment is None:
        raise NoFeasibleOption(
            [
                PreconditionViolation(
                    "NO_PLAN", "batch", f"solver: {result.status.value} {result.message}"
                )
            ]
        )
    with gc_paused():
        return _read_plan(router, built, result, config)


def _read_plan(router: Router, built: Built, result: PlanResult, config: PlanConfig) -> BatchPlan:
    assert result.assignment is not None
    problem = built.problem
    assigned: list[Assigned] = []
    overflow: dict[str, int] = {}
    for k, pairs in enumerate(result.assignment):
        cls = problem.classes[k]
        queue = list(built.members[k])
        for o, count in pairs:
            choice = built.choices[k][o]
            option = cls.options[o]
            for _ in range(count):
                m = queue.pop()
                if choice is None:
                    facility = built.facility_ids[option.facility or 0].removeprefix("overflow:")
                    overflow[facility] = overflow.get(facility, 0) + cls.demand
                    assigned.append(
                        Assigned(
                            m.return_id,
                            f"overflow:{facility}",
                            facility,
                            "",
                            option.cost_minor,
                            cls.demand,
                        )
                    )
                else:
                    assigned.append(
                        Assigned(
                            m.return_id,
                            choice.key,
                            choice.facility_id or "",
                            choice.lane_id or "",
                            choice.cost_minor,
                            cls.demand,
                        )
                    )
    if overflow and not config.allow_overflow:
        raise NoFeasibleOption(
            [
                PreconditionViolation(
                    "CAPACITY_SHORT",
                    f"facility:{f}",
                    f"short by {units} units over {config.horizon_days} days (capacity"
                    f" {router.network.facilities[f].capacity_units_per_day} units/day);"
                    " --allow-overflow plans them at a priced overflow",
                )
                for f, units in sorted(overflow.items())
            ]
        )
    evaluation = problem.evaluate(result.assignment)
    n_real = len([f for f in built.facility_ids if not f.startswith("overflow:")])
    facilities = tuple(
        FacilityUse(
            built.facility_ids[i], evaluation.facility_loads[i], problem.facilities[i].capacity
        )
        for i in range(n_real)
    )
    lanes = tuple(
        LaneUse(
            built.lane_ids[i],
            evaluation.lane_loads[i],
            evaluation.dispatches[i],
            problem.lanes[i].capacity,
            problem.lanes[i].fixed_cost_minor,
        )
        for i in range(len(built.lane_ids))
    )
    assigned.sort(key=lambda a: a.return_id)
    return BatchPlan(
        result=result,
        currency=router.network.currency,
        returns=built.returns,
        units=built.units,
        classes=len(problem.classes),
        assignments=tuple(assigned),
        facilities=facilities,
        lanes=lanes,
        overflow_units=sum(overflow.values()),
        unroutable=built.unroutable,
    )
