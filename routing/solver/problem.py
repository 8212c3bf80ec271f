"""The batch planner's problem and result, as plain validated data (no solver types).

A batch of returns is aggregated into **classes** of identical returns (``count`` units, each
using ``demand`` of a facility's capacity). Every unit of a class goes to exactly one of the
class's **options**; an option costs ``cost_minor`` per unit, consumes capacity at one facility
(or none) and may ride a consolidated line-haul **lane** (``lane_load`` per unit). A lane is
paid per **dispatch** (container, pallet, tote): an integer number of dispatches, each with a
fixed cost and a capacity, must cover the lane's load. A facility (:class:`CapacityRow`) has a
capacity and, optionally, a fixed cost charged when it is used at all ("opened").

    minimise   sum_k,o cost_ko x_ko + sum_i f_i y_i + sum_l g_l z_l
    subject to sum_o x_ko = count_k                          (every unit assigned)
               sum_{k,o at i} demand_k x_ko <= cap_i * y_i    (y_i = 1 when f_i is None)
               x_ko <= count_k * y_i  for o at i              (any unit at i opens it)
               sum_{k,o on l} load_ko x_ko  <= lanecap_l * z_l
               x_ko in {0..count_k}, y_i in {0,1}, z_l in {0,1,2,...}

With one class per customer, count 1, facilities with fixed costs and no lanes this is the
single-source capacitated facility location problem (SSCFLP); :mod:`routing.solver.instances`
reads the Holmberg instances into it, and their published optima.

Every coefficient is an integer (minor units of money, grams or units of capacity), so the
objective of any plan is an integer and a lower bound can be rounded up.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

MAX_COEFFICIENT = 10**12  # any cost, capacity, demand or count beyond this is a data error
MAX_COUNT = 10**6  # units in one class

# A plan: per class, the (option index, units) pairs it uses; units > 0 and sum to the count.
Assignment = tuple[tuple[tuple[int, int], ...], ...]


def _check_int(name: str, value: object, *, low: int, high: int = MAX_COEFFICIENT) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")


@dataclass(frozen=True, slots=True)
class ClassOption:
    """One way to serve a unit of a class: cost per unit, facility used, lane ridden."""

    cost_minor: int
    facility: int | None = None  # index into PlanProblem.facilities
    lane: int | None = None  # index into PlanProblem.lanes
    lane_load: int = 0  # load per unit on the lane (units, grams, ...)

    def __post_init__(self) -> None:
        _check_int("cost_minor", self.cost_minor, low=-MAX_COEFFICIENT)
        if self.facility is not None:
            _check_int("facility", self.facility, low=0)
        if self.lane is None:
            if self.lane_load != 0:
                raise ValueError(f"lane_load must be 0 without a lane, got {self.lane_load}")
        else:
            _check_int("lane", self.lane, low=0)
            _check_int("lane_load", self.lane_load, low=1)


@dataclass(frozen=True, slots=True)
class ReturnClass:
    """``count`` identical returns, each using ``demand`` capacity at its option's facility."""

    count: int
    demand: int
    options: tuple[ClassOption, ...]

    def __post_init__(self) -> None:
        _check_int("count", self.count, low=1, high=MAX_COUNT)
        _check_int("demand", self.demand, low=0)
        if not isinstance(self.options, tuple):
            raise ValueError(f"options must be a tuple, got {type(self.options).__name__}")
        if not self.options:
            raise ValueError("a class needs at least one option")
        for o, option in enumerate(self.options):
            if not isinstance(option, ClassOption):
                raise ValueError(f"options[{o}] must be a ClassOption, got {type(option).__name__}")


@dataclass(frozen=True, slots=True)
class CapacityRow:
    """A facility: capacity, and a fixed cost charged once if anything is assigned to it.

    ``fixed_cost_minor=None`` means the facility is always available at no fixed cost.
    """

    capacity: int
    fixed_cost_minor: int | None = None

    def __post_init__(self) -> None:
        _check_int("capacity", self.capacity, low=0)
        if self.fixed_cost_minor is not None:
            _check_int("fixed_cost_minor", self.fixed_cost_minor, low=0)


@dataclass(frozen=True, slots=True)
class DispatchLane:
    """A consolidated line-haul lane, paid per dispatch of up to ``capacity`` load."""

    fixed_cost_minor: int
    capacity: int

    def __post_init__(self) -> None:
        _check_int("fixed_cost_minor", self.fixed_cost_minor, low=0)
        _check_int("capacity", self.capacity, low=1)


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """Classes to assign, facility capacity rows and dispatch lanes; indices must resolve."""

    classes: tuple[ReturnClass, ...]
    facilities: tuple[CapacityRow, ...] = ()
    lanes: tuple[DispatchLane, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        for attr, kind in (
            ("classes", ReturnClass),
            ("facilities", CapacityRow),
            ("lanes", DispatchLane),
        ):
            items = getattr(self, attr)
            if not isinstance(items, tuple):
                raise ValueError(f"{attr} must be a tuple, got {type(items).__name__}")
            for n, item in enumerate(items):
                if not isinstance(item, kind):
                    raise ValueError(
                        f"{attr}[{n}] must be a {kind.__name__}, got {type(item).__name__}"
                    )
        if not self.classes:
            raise ValueError("a plan problem needs at least one class")
        m, lanes = len(self.facilities), len(self.lanes)
        for k, cls in enumerate(self.classes):
            for o, opt in enumerate(cls.options):
                if opt.facility is not None and opt.facility >= m:
                    raise ValueError(
                        f"classes[{k}].options[{o}].facility = {opt.facility} "
                        f"but there are {m} facilities"
                    )
                if opt.lane is not None and opt.lane >= lanes:
                    raise ValueError(
                        f"classes[{k}].options[{o}].lane = {opt.lane} but there are {lanes} lanes"
                    )
        worst = sum(
            cls.count * max(abs(o.cost_minor) for o in cls.options) for cls in self.classes
        ) + sum(f.fixed_cost_minor or 0 for f in self.facilities)
        if worst > 2**53:
            raise ValueError(f"objective magnitude up to {worst} exceeds 2**53: rescale the costs")

    @property
    def units(self) -> int:
        return sum(c.count for c in self.classes)

    def lane_loads(self, assignment: Assignment) -> tuple[int, ...]:
        loads = [0] * len(self.lanes)
        for cls, pairs in zip(self.classes, assignment, strict=True):
            for o, units in pairs:
                opt = cls.options[o]
                if opt.lane is not None:
                    loads[opt.lane] += opt.lane_load * units
        return tuple(loads)

    def facility_loads(self, assignment: Assignment) -> tuple[int, ...]:
        loads = [0] * len(self.facilities)
        for cls, pairs in zip(self.classes, assignment, strict=True):
            for o, units in pairs:
                fac = cls.options[o].facility
                if fac is not None:
                    loads[fac] += cls.demand * units
        return tuple(loads)

    def check_assignment(self, assignment: Assignment) -> None:
        """Raise ValueError naming the first class whose units are not exactly assigned."""
        if len(assignment) != len(self.classes):
            raise ValueError(
                f"assignment has {len(assignment)} classes, the problem {len(self.classes)}"
            )
        for k, (cls, pairs) in enumerate(zip(self.classes, assignment, strict=True)):
            total = 0
            for o, units in pairs:
                if not 0 <= o < len(cls.options):
                    raise ValueError(f"class {k}: option {o} out of range")
                if units <= 0:
                    raise ValueError(f"class {k}: option {o} has {units} units (must be > 0)")
                total += units
            if total != cls.count:
                raise ValueError(f"class {k}: {total} units assigned, count is {cls.count}")

    def evaluate(self, assignment: Assignment) -> Evaluation:
        """Cost and feasibility of a plan with the fewest dispatches that cover each lane."""
        self.check_assignment(assignment)
        fac_loads = self.facility_loads(assignment)
        lane_loads = self.lane_loads(assignment)
        dispatches = tuple(
            -(-load // lane.capacity) for load, lane in zip(lane_loads, self.lanes, strict=True)
        )
        used = {
            cls.options[o].facility
            for cls, pairs in zip(self.classes, assignment, strict=True)
            for o, _ in pairs
        }
        # a facility with a fixed cost is opened by any unit sent to it, even of zero demand
        opened = tuple(
            i
            for i, fac in enumerate(self.facilities)
            if fac.fixed_cost_minor is not None and i in used
        )
        cost = sum(
            cls.options[o].cost_minor * units
            for cls, pairs in zip(self.classes, assignment, strict=True)
            for o, units in pairs
        )
        cost += sum(self.facilities[i].fixed_cost_minor or 0 for i in opened)
        cost += sum(
            n * lane.fixed_cost_minor for n, lane in zip(dispatches, self.lanes, strict=True)
        )
        over = tuple(
            i
            for i, (fac, load) in enumerate(zip(self.facilities, fac_loads, strict=True))
            if load > fac.capacity
        )
        return Evaluation(cost, fac_loads, lane_loads, dispatches, opened, over)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A plan's cost and loads, as computed from the plan alone (never from a solver)."""

    cost_minor: int
    facility_loads: tuple[int, ...]
    lane_loads: tuple[int, ...]
    dispatches: tuple[int, ...]
    opened: tuple[int, ...]
    over_capacity: tuple[int, ...]  # facilities whose load exceeds their capacity

    @property
    def feasible(self) -> bool:
        return not self.over_capacity


class Status(enum.Enum):
    OPTIMAL = "optimal"  # objective == bound: proven
    FEASIBLE = "feasible"  # a plan, not proven optimal (time limit)
    INFEASIBLE = "infeasible"  # proven: no plan respects the capacities
    UNKNOWN = "unknown"  # no plan found and no proof of infeasibility


def relative_gap(objective: int | None, bound: int | None) -> float:
    """(objective - bound) / max(1, |objective|); inf without both."""
    if objective is None or bound is None:
        return math.inf
    return max(0, objective - bound) / max(1, abs(objective))


@dataclass(frozen=True, slots=True)
class Progress:
    """What a solve reports while it runs: best plan cost, best bound, their gap, time."""

    incumbent: int | None
    bound: int | None
    gap: float
    elapsed_s: float
    backend: str


@dataclass(frozen=True, slots=True)
class PlanResult:
    """The outcome of one solve; ``objective`` is recomputed from ``assignment``.

    ``bound`` is a valid lower bound on every plan's cost (rounded up to an integer, since
    every plan's cost is one); ``opened`` lists the facilities whose fixed cost is charged.
    """

    status: Status
    objective: int | None
    bound: int | None
    wall_time_s: float
    assignment: Assignment | None
    dispatches: tuple[int, ...] = ()
    opened: tuple[int, ...] = ()
    backend: str = ""
    message: str = ""
    gap: float = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.status, Status):
            raise ValueError(f"status must be a Status, got {self.status!r}")
        has_plan = self.objective is not None and self.assignment is not None
        if (self.objective is None) != (self.assignment is None):
            raise ValueError("objective and assignment must both be set or both be None")
        if self.status in (Status.OPTIMAL, Status.FEASIBLE) and not has_plan:
            raise ValueError(f"status {self.status.name} needs an objective and an assignment")
        if self.status in (Status.INFEASIBLE, Status.UNKNOWN) and has_plan:
            raise ValueError(f"status {self.status.name} cannot carry a plan")
        if self.objective is not None and self.bound is not None and self.bound > self.objective:
            raise ValueError(f"bound {self.bound} exceeds objective {self.objective}")
        if self.status is Status.OPTIMAL and self.bound != self.objective:
            raise ValueError(
                f"OPTIMAL needs bound == objective, got {self.bound} vs {self.objective}"
            )
        if self.wall_time_s < 0:
            raise ValueError(f"wall_time_s must be >= 0, got {self.wall_time_s}")
        object.__setattr__(self, "gap", relative_gap(self.objective, self.bound))

    @property
    def proven(self) -> bool:
        return self.status is Status.OPTIMAL
