"""``reroute plan`` (a batch of returns), ``reroute generate-returns`` (a synthetic batch) and
``reroute whatif`` (policies compared on a scenario, with a report).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from customs.fx import format_minor
from hubs.model import Network
from routing.cli.flags import (
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    out_dir,
    out_file,
    parse_date,
    parse_minor,
)
from routing.errors import SolverNotInstalled


def _network(path: str | None) -> Network:
    from hubs import default_network, load_network

    return load_network(path) if path else default_network()


def cmd_plan(a: argparse.Namespace) -> int:
    from routing.batches.io import BatchError, read_batch
    from routing.cli.plan_output import (
        ProgressPrinter,
        format_summary,
        plan_to_dict,
        shadow_prices,
        write_plan,
    )
    from routing.plan.executor import ExecutorError, make_executor
    from routing.plan.planner import PlanConfig, build_problem, loss_returns, solve_built
    from routing.rpc.app import RoutingApp
    from routing.solver import Backend, require_backend, solve

    if not a.time_limit > 0:  # also refuses NaN
        raise UsageError(f"--time-limit: must be > 0 seconds, got {a.time_limit}")
    if not 1 <= a.horizon_days <= 366:
        raise UsageError(f"--horizon-days: must be 1..366, got {a.horizon_days}")
    if not 0 <= a.gap_limit < 1:  # also refuses NaN
        raise UsageError(f"--gap-limit: must be in [0, 1), got {a.gap_limit}")
    out = out_dir("--out", a.out)
    network = _network(a.network)
    overflow_price = parse_minor("--overflow-price", a.overflow_price, network.currency)
    if overflow_price <= 0:
        raise UsageError(f"--overflow-price: must be > 0, got {a.overflow_price}")
    origins = frozenset(f.id for f in network.facilities.values() if f.kind.value == "origin")
    try:
        batch = read_batch(Path(a.returns), skip_invalid=a.skip_invalid, known_origins=origins)
    except BatchError as exc:
        if all(e.row == 0 for e in exc.errors):  # the file itself (unreadable, no rows, header)
            for e in exc.errors:
                where = f"{e.field}: " if e.field else ""
                print(f"error: {a.returns}: {where}{e.reason}", file=sys.stderr)
            return EXIT_USAGE
        print(f"error: {a.returns}: invalid rows (nothing planned):", file=sys.stderr)
        for e in exc.errors:
            print(f"  row {e.row} ({e.return_id or '-'}): {e.field}: {e.reason}", file=sys.stderr)
        return EXIT_USAGE
    for e in batch.skipped:
        print(f"skipped row {e.row} ({e.return_id or '-'}): {e.field}: {e.reason}", file=sys.stderr)
    try:
        backend = Backend[a.backend.upper()]
    except KeyError as exc:
        raise UsageError(f"--backend: one of {', '.join(b.name.lower() for b in Backend)}") from exc
    try:
        require_backend(backend)  # before any routing: CBC is an optional extra
    except SolverNotInstalled as exc:
        raise UsageError(f"--backend {a.backend}: {exc}") from exc
    config = PlanConfig(
        horizon_days=a.horizon_days,
        time_limit_s=a.time_limit,
        allow_overflow=a.allow_overflow,
        overflow_price_minor=overflow_price,
    )
    router = RoutingApp(network).router
    if a.workers is not None and a.workers < 1:
        raise UsageError(f"--workers: must be >= 1, got {a.workers}")
    try:
        executor = make_executor(a.workers, a.ray_address)
    except ExecutorError as exc:
        raise UsageError(f"--ray-address: {exc}") from exc
    printer = ProgressPrinter(currency=network.currency)
    run = functools.partial(solve, backend=backend, gap_limit=a.gap_limit)
    try:
        with executor:
            built = build_problem(router, batch.returns, config, executor=executor)
            plan = solve_built(
                router,
                built,
                config,
                solve=run,
                on_progress=printer,
                executor=executor,
                workers=a.workers,
            )
    finally:
        printer.done()
    prices = shadow_prices(plan, built)
    at_a_loss = loss_returns(router, batch.returns, plan)
    paths = write_plan(
        plan,
        out,
        returns=dict(batch.returns),
        router=router,
        prices=prices,
        loss_returns=at_a_loss,
    )
    if a.json:
        doc = {
            **plan_to_dict(plan, prices, loss_returns=at_a_loss),
            "files": [str(p) for p in paths],
        }
        print(json.dumps(doc, indent=2))
    else:
        print(format_summary(plan, prices, loss_returns=at_a_loss))
        print(f"wrote {', '.join(str(p) for p in paths)}")
    return EXIT_OK


def cmd_generate(a: argparse.Namespace) -> int:
    from routing.batches.generate import generate_returns
    from routing.batches.io import write_batch

    if a.n < 1:
        raise UsageError(f"N: must be >= 1, got {a.n}")
    start = parse_date("--start", a.start) if a.start else datetime.now(UTC).date()
    out = out_file("--out", a.out)
    if out.suffix not in (".csv", ".parquet"):
        raise UsageError(f"--out: must end in .csv or .parquet, got {out.name!r}")
    network = _network(a.network)
    count = write_batch(out, generate_returns(a.n, seed=a.seed, network=network, start=start))
    written = count if count is not None else a.n
    if a.json:
        print(json.dumps({"returns": written, "file": str(out), "seed": a.seed}))
    else:
        print(f"wrote {written} returns to {out}")
    return EXIT_OK


def cmd_whatif(a: argparse.Namespace) -> int:
    """Run a what-if scenario (docs/scenario_format.md) and write its report."""
    from routing.plan.executor import ExecutorError
    from routing.plan.planner import MAX_TIME_LIMIT_S
    from routing.whatif.headline import headline
    from routing.whatif.report import write_report
    from routing.whatif.runner import ProgressBar, run_scenario
    from routing.whatif.scenario import ScenarioError, load_scenario

    if a.workers is not None and a.workers < 1:
        raise UsageError(f"--workers: must be >= 1, got {a.workers}")
    if a.time_limit is not None and not 0 < a.time_limit <= MAX_TIME_LIMIT_S:
        raise UsageError(
            f"--time-limit: must be > 0 and <= {MAX_TIME_LIMIT_S:g}, got {a.time_limit}"
        )
    out = out_dir("--out", a.out)
    try:
        total = len(load_scenario(a.scenario).names)
        bar = ProgressBar(total)
        bar.start()
        try:
            result = run_scenario(
                a.scenario,
                workers=a.workers,
                ray_address=a.ray_address,
                time_limit_s=a.time_limit,
                on_progress=bar.update,
            )
        finally:
            bar.finish()
    except ScenarioError as exc:
        for line in exc.lines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except ExecutorError as exc:
        raise UsageError(f"--ray-address/--workers: {exc}") from exc
    paths = write_report(result, out)
    rows = []
    for v in result.variants:
        best = min(
            (p for p in v.policies if p.policy != "optimized"), key=lambda p: p.total_cost_minor
        )
        opt = v.policy("optimized")
        rows.append(
            {
                "variant": v.name,
                "currency": v.currency,
                "optimized_minor": opt.total_cost_minor,
                "solver": opt.solver,
                "best_rule": best.policy,
                "best_rule_minor": best.total_cost_minor,
            }
        )
        if not a.json:
            print(
                f"{v.name}: optimized {format_minor(opt.total_cost_minor, v.currency)}"
                f" ({opt.solver}); best rule {best.policy}"
                f" {format_minor(best.total_cost_minor, v.currency)}"
            )
    answer = headline(result)  # the report's first screen, also here
    if a.json:
        doc: dict[str, object] = {"variants": rows, "files": [str(p) for p in paths]}
        if answer is not None:
            doc["headline"] = answer.to_dict()  # as in report.json
        print(json.dumps(doc, indent=2))
    else:
        if answer is not None:
            print(f"\n{answer.answer}")  # (it begins with what to take)
            for n, finding in enumerate(answer.findings, 1):
                print(f"  {n}. {finding}")
        print(f"wrote {', '.join(str(p) for p in paths[:2])} and {len(paths) - 2} CSV files")
    return EXIT_OK
