"""Running a scenario: each variant (the base included) is one task on the executor.

A task carries only the scenario's path, the variant's name and plain settings; the worker
reads the file again and rebuilds the network, the customs engine, the batch and the router
(nothing of OR-Tools pickles). Variants run in waves of at most ``workers`` tasks, so the
progress bar moves as each wave finishes.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import customs
from routing.decide.router import Router
from routing.plan.executor import Executor, SerialExecutor, make_executor
from routing.plan.planner import PlanConfig, build_problem
from routing.whatif.apply import check, prepare
from routing.whatif.kpis import Diversion, PolicyKpis, ShipmentCache, diversions, policy_kpis
from routing.whatif.policies import LOCAL_FIRST, RULES, optimized_plan, rule_plan
from routing.whatif.scenario import BASE, Scenario, load_scenario


@dataclass(frozen=True, slots=True)
class Task:
    scenario_path: str
    variant: str
    time_limit_s: float | None = None  # None: the scenario's


@dataclass(frozen=True, slots=True)
class VariantResult:
    name: str
    description: str
    changes: tuple[str, ...]
    currency: str
    returns: int  # in the batch
    unroutable: tuple[tuple[str, str], ...]
    classes: int
    options: int
    policies: tuple[PolicyKpis, ...]
    facility_points: tuple[tuple[str, str, str, float, float], ...]  # id, kind, country, lat, lon
    region_points: tuple[tuple[str, float, float], ...]  # country, lat, lon
    build_s: float
    solve_s: float
    elapsed_s: float
    # returns the optimized plan sends elsewhere than local first (today's practice), and why
    diversions: tuple[Diversion, ...] = ()

    def policy(self, name: str) -> PolicyKpis:
        return next(p for p in self.policies if p.policy == name)


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    variants: tuple[VariantResult, ...]
    executor: str
    workers: int
    elapsed_s: float
    notes: tuple[str, ...] = field(default=())

    def variant(self, name: str) -> VariantResult:
        return next(v for v in self.variants if v.name == name)


def run_variant(task: Task) -> VariantResult:
    """One variant, all policies (module-level and plain-data in and out: it pickles)."""
    t0 = time.monotonic()
    scenario = load_scenario(task.scenario_path)
    inputs = prepare(scenario, task.variant)
    network = inputs.network
    engine = inputs.customs or customs.default_engine()
    router = Router(network, engine, customs.default_fx(), compiled_on=inputs.fx_date)
    base = scenario.base
    config = PlanConfig(
        horizon_days=base.horizon_days,
        time_limit_s=task.time_limit_s or base.time_limit_s,
        allow_overflow=True,
        overflow_price_minor=base.overflow_price_minor,
    )
    batch = inputs.batch
    built = build_problem(router, batch, config, prune=False)
    t1 = time.monotonic()
    rules = [rule_plan(router, built, batch, r) for r in RULES]
    evaluations = [built.problem.evaluate(p.assignment).cost_minor for p in rules]
    best = rules[min(range(len(rules)), key=lambda i: evaluations[i])]
    optimized = optimized_plan(router, built, batch, config, best.assignment)
    t2 = time.monotonic()
    cache = ShipmentCache(router)
    kpis = tuple(policy_kpis(router, built, batch, p, cache) for p in (*rules, optimized))
    local = rules[RULES.index(LOCAL_FIRST)]
    moved = diversions(router, built, batch, optimized, local, cache)
    variant = scenario.variant(task.variant)
    return VariantResult(
        name=variant.name,
        description=variant.description if variant.name != BASE else "the base, as it is",
        changes=tuple(variant.changes.summary()),
        currency=network.currency,
        returns=len(batch),
        unroutable=built.unroutable,
        classes=len(built.problem.classes),
        options=sum(len(c.options) for c in built.problem.classes),
        policies=kpis,
        facility_points=tuple(
            (f.id, f.kind.value, f.country, f.lat, f.lon) for f in network.facilities.values()
        ),
        region_points=tuple((c, r.lat, r.lon) for c, r in network.regions.items()),
        build_s=t1 - t0,
        solve_s=t2 - t1,
        elapsed_s=time.monotonic() - t0,
        diversions=moved,
    )


class ProgressBar:
    """``[####----] 2/4 variants  12.3 s  running: a, b`` on one line (a line per change when
    the stream is not a terminal)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 24) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self.done = 0
        self.running: Sequence[str] = ()
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._draw()
        if self.tty:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self._draw()

    def update(self, done: int, running: Sequence[str]) -> None:
        with self._lock:
            self.done, self.running = done, running
        self._draw()

    def _draw(self) -> None:
        with self._lock:
            filled = self.width * self.done // max(1, self.total)
            bar = "#" * filled + "-" * (self.width - filled)
            text = f"[{bar}] {self.done}/{self.total} variants  {time.monotonic() - self.t0:6.1f} s"
            if self.running:
                text += "  running: " + ", ".join(self.running)
            if self.tty:
                self.stream.write("\r" + text[:120].ljust(120))
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def finish(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def run_scenario(
    path: str | Path,
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    time_limit_s: float | None = None,
    executor: Executor | None = None,
    on_progress: Callable[[int, Sequence[str]], None] | None = None,
) -> ScenarioResult:
    """Check every variant, then run them all (in waves of ``workers``) on the executor."""
    t0 = time.monotonic()
    scenario = load_scenario(path)
    check(scenario)
    tasks = [Task(str(scenario.path), name, time_limit_s) for name in scenario.names]
    own = executor is None
    n = workers or os.cpu_count() or 1
    ex = executor or make_executor(n if ray_address is None else workers, ray_address)
    wave = 1 if isinstance(ex, SerialExecutor) else n
    if ray_address is not None and workers is None:
        wave = len(tasks)
    results: list[VariantResult | None] = [None] * len(tasks)
    try:
        unordered = getattr(ex, "map_unordered", None)
        if unordered is not None and not isinstance(ex, SerialExecutor):
            # every variant submitted at once; the bar moves as each one finishes
            running = [t.variant for t in tasks]
            if on_progress is not None:
                on_progress(0, running[:wave])
            for done, (i, got) in enumerate(unordered(run_variant, tasks), start=1):
                results[i] = got
                running.remove(tasks[i].variant)
                if on_progress is not None:
                    on_progress(done, running[:wave])
        else:
            for start in range(0, len(tasks), wave):
                chunk = tasks[start : start + wave]
                if on_progress is not None:
                    on_progress(start, [t.variant for t in chunk])
                for i, got in enumerate(ex.map(run_variant, chunk)):
                    results[start + i] = got
            if on_progress is not None:
                on_progress(len(tasks), [])
    finally:
        if own:
            ex.close()
    return ScenarioResult(
        scenario=scenario,
        variants=tuple(r for r in results if r is not None),
        executor=ex.name,
        workers=wave,
        elapsed_s=time.monotonic() - t0,
    )
