"""Progress of a solve: the best plan and bound seen, reported as they improve.

:class:`_Reporter` keeps the best incumbent and bound any part of a solve has reported (solver
callbacks may call it from their own threads) and forwards each improvement to the caller's
``on_progress`` as a :class:`~routing.solver.problem.Progress`; :class:`_Incumbent` keeps the
best feasible plan an algorithm has found and reports it; :func:`_scip_log` and
:func:`_highs_log` read incumbents and bounds from a MIP solver's log lines as it runs.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from routing.solver.arrays import IntArray, _Arrays, _ceil, _plan_cost
from routing.solver.problem import Progress, relative_gap


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

    def update(
        self,
        incumbent: float | None = None,
        bound: float | None = None,
        *,
        elapsed_s: float | None = None,
    ) -> None:
        """An incumbent or bound seen now, or ``elapsed_s`` after the start of the solve (read
        afterwards from a solver's log)."""
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
                self._emit(elapsed_s)

    def finish(self, incumbent: int, bound: int | None) -> None:
        """The result's exact values: reported last unless the last report already said so."""
        with self._lock:
            same = (self.incumbent, self.bound) == (incumbent, bound)
            self.incumbent, self.bound = incumbent, bound
            if self.on_progress is not None and not (same and self._emitted):
                self._emit()

    def _emit(self, elapsed_s: float | None = None) -> None:
        assert self.on_progress is not None
        self._emitted = True
        self.on_progress(
            Progress(
                incumbent=self.incumbent,
                bound=self.bound,
                gap=relative_gap(self.incumbent, self.bound),
                elapsed_s=time.monotonic() - self.t0 if elapsed_s is None else elapsed_s,
                backend=self.backend,
            )
        )


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


# -- reading progress from solver logs ------------------------------------------------------


def _printed(value: float) -> float:
    """One unit of the 7th significant digit of a value printed by a solver log (%.6e)."""
    return 0.0 if value == 0 else 10.0 ** (math.floor(math.log10(abs(value))) - 6)


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
