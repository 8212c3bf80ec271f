"""The one adapter for every solver call, and the algorithms beside it.

A problem arrives as plain validated data and leaves as a :class:`PlanResult`; nothing of a
solver library crosses this package's boundary. One module per concept, each importing only
modules listed below it (no cycles, no imports deferred to dodge one):

- :mod:`~routing.solver.auto`: ``solve()``, the one entry point over every backend, and AUTO,
  the default strategy (Lagrangian cut-and-solve with SCIP, or HiGHS from a priced plan);
- :mod:`~routing.solver.priced`: price-and-repair for problems too large for one MIP;
- :mod:`~routing.solver.lagrangian`: the Lagrangian bound, its heuristic and its penalties;
- :mod:`~routing.solver.heuristics`: the greedy plan and a local search;
- :mod:`~routing.solver.backends`: every call into a solver library (MathOpt SCIP and HiGHS,
  CP-SAT, PuLP/CBC, GLOP), the multi-item split model of ``routing.decide`` included; the
  only module that imports OR-Tools or PuLP (PuLP/CBC is the optional ``reroute[cbc]`` extra);
- :mod:`~routing.solver.progress`: the best incumbent and bound reported as they improve,
  read from solver logs too;
- :mod:`~routing.solver.arrays`: a problem compiled to numpy arrays, a plan's loads and cost;
- :mod:`~routing.solver.instances`: SSCFLP instance files (Holmberg) read into plan problems,
  decimal costs scaled exactly;
- :mod:`~routing.solver.problem`: the problem, a plan's evaluation and the result, as plain
  validated data.

The names below are the public surface; underscored names are private to the package (its
modules share them, only its tests reach in).

May import: ``routing.errors`` and the solver libraries (OR-Tools, PuLP). Nothing of the
product above it.
"""

from routing.solver.auto import solve
from routing.solver.backends import (
    Backend,
    SplitCandidate,
    SplitParcel,
    require_backend,
    solve_split,
)
from routing.solver.heuristics import greedy
from routing.solver.instances import (
    InstanceFormatError,
    SscflpInstance,
    decimal_scale,
    load_optima,
    load_sscflp,
    read_sscflp,
)
from routing.solver.problem import (
    Assignment,
    CapacityRow,
    ClassOption,
    DispatchLane,
    Evaluation,
    PlanProblem,
    PlanResult,
    Progress,
    ReturnClass,
    Status,
    relative_gap,
)

__all__ = [
    "Assignment",
    "Backend",
    "CapacityRow",
    "ClassOption",
    "DispatchLane",
    "Evaluation",
    "InstanceFormatError",
    "PlanProblem",
    "PlanResult",
    "Progress",
    "ReturnClass",
    "SplitCandidate",
    "SplitParcel",
    "SscflpInstance",
    "Status",
    "decimal_scale",
    "greedy",
    "load_optima",
    "load_sscflp",
    "read_sscflp",
    "relative_gap",
    "require_backend",
    "solve",
    "solve_split",
]
