"""The one adapter for every solver call, and the algorithms beside it.

The batch planner's problem and result as plain validated data (:mod:`routing.solver.problem`),
``solve()`` over every backend (:mod:`~routing.solver.core`), and the priced path for problems
too large for one MIP (:mod:`~routing.solver.priced`).

May import: ``routing.errors`` and the solver libraries (OR-Tools, PuLP). Nothing of the
product above it: a problem arrives as plain data and leaves as a :class:`PlanResult`.
"""
