"""SSCFLP instances through the planner's solver, against a textbook PuLP/CBC model in the same run.

    python benchmarks/sscflp.py [FOLDER] [--time-limit S] [--backend auto|highs|scip|cpsat|cbc]
                                [--reference-time-limit S] [--no-reference] [--only p1,p2]
                                [--target-gap G] [--out FILE]

FOLDER holds instances in the format of ../shared/benchmarks/sscflp-holmberg (see its README:
``m n``, m lines ``s_i f_i``, n demands, m*n facility-major costs; CRLF or LF, trailing dots,
decimals scaled exactly by ``routing.solver.read_sscflp``), e.g. sscflp-holmberg,
sscflp-delmaire or a folder written by ``benchmarks/sscflp_generate.py``; and, optionally, an
``os`` file of optima, one per line in the order of the instance numbers (without it the best
known value of an instance is the best plan of this run). Each instance is solved by
``routing.solver.solve`` (default backend: AUTO) and, in the same run, by the PuLP/CBC textbook
model (``Backend.CBC``, its own time limit; PuLP is the optional extra
``pip install 'reroute[cbc]'``, without it pass ``--no-reference``).

Per instance and solver: the plan's cost (in the file's units), its excess over the best known,
proven or not, the final gap, wall and CPU seconds (CBC's CPU is its child process's) and the
time to the first plan within ``--target-gap`` (default 0.5 %) of the best known. Then the
totals, the load average seen (the machine is shared: compare the two solvers of one run, never
runs on different days) and the ratios planner vs CBC: wall time, CPU time, time-to-target
(CBC's time counts as its time limit on an instance where it never reached the target, so that
ratio is a lower bound). Writes the rows and the summary as JSON (default
benchmarks/results/sscflp.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import sys
import time
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.errors import SolverNotInstalled  # noqa: E402
from routing.solver import (  # noqa: E402
    Backend,
    PlanProblem,
    PlanResult,
    Progress,
    load_optima,
    read_sscflp,
    require_backend,
    solve,
)

FOLDERS = (
    ROOT.parent / "shared" / "benchmarks" / "sscflp-holmberg",  # beside the repository
    Path("/work/shared/benchmarks/sscflp-holmberg"),
)


def default_folder() -> Path:
    return next((f for f in FOLDERS if (f / "os").exists()), FOLDERS[0])


def instances(folder: Path) -> list[tuple[int, Path]]:
    """Files named by a number (p1, p12, ...), in the order of that number."""
    found = []
    for p in folder.iterdir():
        m = re.fullmatch(r"[A-Za-z_]*(\d+)", p.name)
        if m and p.is_file():
            found.append((int(m.group(1)), p))
    return sorted(found)


def gap_to(best: Fraction | None, objective: int | None) -> float | None:
    """Relative excess of a plan's cost over the best known value (both on the problem's
    integer scale)."""
    if best is None or objective is None:
        return None
    return float((objective - best) / max(Fraction(1), abs(best)))


def finite(x: float | None) -> float | None:
    """JSON has no infinity: an unknown gap is null."""
    return None if x is None or x != x or x in (float("inf"), float("-inf")) else x


def pct(x: float | None) -> str:
    return "-" if x is None else ("inf" if x == float("inf") else f"{100 * x:.2f}%")


def _number(x: object) -> float:
    """A number of a row (the rows are JSON-shaped dicts)."""
    assert isinstance(x, int | float), x
    return float(x)


def _gap(x: object) -> float:
    return float("inf") if x is None else _number(x)


def _children_cpu_s() -> float:
    """CPU seconds of finished child processes (CBC runs as one)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reached(trace: list[Progress], result: PlanResult, target: Fraction) -> float | None:
    """Seconds until the incumbent first cost at most ``target`` (None: never)."""
    for p in trace:
        if p.incumbent is not None and p.incumbent <= target:
            return p.elapsed_s
    if result.objective is not None and result.objective <= target:
        return result.wall_time_s
    return None


def _run(
    problem: PlanProblem, backend: Backend, time_limit_s: float
) -> tuple[PlanResult, list[Progress], float]:
    """One solve with its progress trace and its CPU seconds (this process and children)."""
    trace: list[Progress] = []
    cpu0, child0 = time.process_time(), _children_cpu_s()
    result = solve(problem, time_limit_s=time_limit_s, backend=backend, on_progress=trace.append)
    cpu = time.process_time() - cpu0 + _children_cpu_s() - child0
    return result, trace, cpu


def _file_units(value: int | None, scale: int) -> str:
    if value is None:
        return "-"
    return str(Decimal(value) / Decimal(scale)) if scale != 1 else str(value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, default=None)
    ap.add_argument("--time-limit", type=float, default=60.0, help="per instance, planner")
    ap.add_argument("--backend", default="auto", help="auto (default), highs, scip, cpsat, cbc")
    ap.add_argument("--reference-time-limit", type=float, default=60.0, help="per instance, CBC")
    ap.add_argument("--no-reference", action="store_true", help="skip the PuLP/CBC model")
    ap.add_argument("--only", help="comma-separated instance names, e.g. p1,p2")
    ap.add_argument(
        "--target-gap",
        type=float,
        default=0.005,
        help="time-to-target: first plan within this of the best known (default 0.005)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sscflp.json")
    args = ap.parse_args(argv)
    folder: Path = args.folder or default_folder()
    try:
        backend = Backend[args.backend.upper()]
    except KeyError:
        ap.error(f"--backend: one of {', '.join(b.value for b in Backend)}")
    if not 0 <= args.target_gap < 1:
        ap.error("--target-gap: a number in [0, 1)")
    reference = not args.no_reference
    try:
        require_backend(backend)
        if reference:
            require_backend(Backend.CBC)
    except SolverNotInstalled as exc:
        hint = " (or --no-reference to skip the CBC reference)" if reference else ""
        ap.error(f"{exc}{hint}")
    optima = load_optima(folder / "os") if (folder / "os").exists() else None
    chosen = instances(folder)
    if args.only:
        names = set(args.only.split(","))
        unknown = names - {p.name for _, p in chosen}
        if unknown:
            ap.error(f"--only: no instance {', '.join(sorted(unknown))} in {folder}")
        chosen = [(n, p) for n, p in chosen if p.name in names]
    known = "optimum" if optima is not None else "best"
    print(
        "best known: "
        + (f"the published optima in {folder / 'os'}" if optima else "the best plan of this run")
        + ";"
        f" time-to-target = first plan within {pct(args.target_gap)} of it"
    )
    print(
        f"{'instance':<9} {'m x n':>7} {known:>9} {'found':>9} {'to best':>7} {'proven':>6}"
        f" {'gap':>6} {'wall s':>7} {'cpu s':>6} {'to tgt':>6}"
        + (
            f" | {'CBC':>9} {'to best':>7} {'proven':>6} {'gap':>7} {'wall s':>7} {'cpu s':>6}"
            f" {'to tgt':>6}"
            if reference
            else ""
        )
    )
    rows: list[dict[str, object]] = []
    started = time.perf_counter()
    load_start = os.getloadavg()
    for number, path in chosen:
        if optima is not None and number > len(optima):
            print(f"{path.name}: no optimum on line {number} of {folder / 'os'}; skipped")
            continue
        inst = read_sscflp(path)
        problem = inst.problem
        ours, our_trace, our_cpu = _run(problem, backend, args.time_limit)
        ref: PlanResult | None = None
        ref_trace: list[Progress] = []
        ref_cpu = 0.0
        if reference:
            ref, ref_trace, ref_cpu = _run(problem, Backend.CBC, args.reference_time_limit)
        found = [r.objective for r in (ours, ref) if r is not None and r.objective is not None]
        best: Fraction | None
        if optima is not None:
            best = inst.from_file_units(optima[number - 1])
        else:
            best = Fraction(min(found)) if found else None
        target = None if best is None else best * (1 + Fraction(args.target_gap))
        our_tgt = None if target is None else _reached(our_trace, ours, target)
        size = f"{len(problem.facilities)}x{len(problem.classes)}"
        best_text = (
            "-"
            if best is None
            else str(inst.in_file_units(int(best)))
            if best.denominator == 1
            else str(float(best))
        )
        row: dict[str, object] = {
            "instance": path.name,
            "size": size,
            "cost_scale": inst.cost_scale,
            "best_known": best_text,
            "best_is_optimum": optima is not None,
            "found": _file_units(ours.objective, inst.cost_scale),
            "gap_to_best": gap_to(best, ours.objective),
            "proven": ours.proven,
            "bound": _file_units(ours.bound, inst.cost_scale),
            "gap": finite(ours.gap),
            "time_s": round(ours.wall_time_s, 3),
            "cpu_s": round(our_cpu, 3),
            "to_target_s": None if our_tgt is None else round(our_tgt, 3),
            "how": ours.message,
        }
        line = (
            f"{path.name:<9} {size:>7} {best_text:>9}"
            f" {_file_units(ours.objective, inst.cost_scale):>9}"
            f" {pct(gap_to(best, ours.objective)):>7} {'yes' if ours.proven else 'no':>6}"
            f" {pct(ours.gap):>6} {ours.wall_time_s:>7.2f} {our_cpu:>6.2f}"
            f" {'-' if our_tgt is None else f'{our_tgt:.1f}':>6}"
        )
        if ref is not None:
            ref_tgt = None if target is None else _reached(ref_trace, ref, target)
            row.update(
                cbc_found=_file_units(ref.objective, inst.cost_scale),
                cbc_gap_to_best=gap_to(best, ref.objective),
                cbc_proven=ref.proven,
                cbc_bound=_file_units(ref.bound, inst.cost_scale),
                cbc_gap=finite(ref.gap),
                cbc_time_s=round(ref.wall_time_s, 3),
                cbc_cpu_s=round(ref_cpu, 3),
                cbc_to_target_s=None if ref_tgt is None else round(ref_tgt, 3),
            )
            line += (
                f" | {_file_units(ref.objective, inst.cost_scale):>9}"
                f" {pct(gap_to(best, ref.objective)):>7}"
                f" {'yes' if ref.proven else 'no':>6} {pct(ref.gap):>7} {ref.wall_time_s:>7.2f}"
                f" {ref_cpu:>6.2f} {'-' if ref_tgt is None else f'{ref_tgt:.1f}':>6}"
            )
        rows.append(row)
        print(line, flush=True)
    wall = time.perf_counter() - started
    load_end = os.getloadavg()
    total = sum(_number(r["time_s"]) for r in rows)
    cpu = sum(_number(r["cpu_s"]) for r in rows)
    proven = sum(1 for r in rows if r["proven"])
    at_best = sum(1 for r in rows if r["gap_to_best"] == 0)
    in_target = sum(1 for r in rows if r["to_target_s"] is not None)
    worst = max((_gap(r["gap"]) for r in rows), default=0.0)
    print(
        f"TOTAL {len(rows)} instances ({backend.value}): {at_best} at the best known, {proven}"
        f" proven optimal, {in_target} within {pct(args.target_gap)}; {total:.1f} s wall,"
        f" {cpu:.1f} s CPU; worst final gap {pct(worst)}"
    )
    print(
        f"contention: load average {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end"
        f" on {os.cpu_count()} cores; the planner got {cpu / total if total else 0:.0%} of a core"
        " while it ran (CPU s / wall s)"
    )
    summary: dict[str, object] = {
        "instances": len(rows),
        "backend": backend.value,
        "time_limit_s": args.time_limit,
        "target_gap": args.target_gap,
        "at_best": at_best,
        "proven": proven,
        "within_target": in_target,
        "time_s": round(total, 2),
        "cpu_s": round(cpu, 2),
        "worst_gap": finite(worst),
        "load_average": [round(load_start[0], 2), round(load_end[0], 2)],
    }
    if reference and rows:
        cbc_total = sum(_number(r["cbc_time_s"]) for r in rows)
        cbc_cpu = sum(_number(r["cbc_cpu_s"]) for r in rows)
        cbc_best = sum(1 for r in rows if r["cbc_gap_to_best"] == 0)
        cbc_proven = sum(1 for r in rows if r["cbc_proven"])
        cbc_in = sum(1 for r in rows if r["cbc_to_target_s"] is not None)
        cbc_worst = max(_gap(r["cbc_gap"]) for r in rows)
        ratio = cbc_total / total if total else float("inf")
        cpu_ratio = cbc_cpu / cpu if cpu else float("inf")
        # time-to-target over the instances the planner reached; CBC's time counts as its
        # time limit where it never got there (so the ratio is a lower bound)
        ours_t = sum(_number(r["to_target_s"]) for r in rows if r["to_target_s"] is not None)
        cbc_t = sum(
            _number(r["cbc_to_target_s"])
            if r["cbc_to_target_s"] is not None
            else args.reference_time_limit
            for r in rows
            if r["to_target_s"] is not None
        )
        tt_ratio = cbc_t / ours_t if ours_t else float("inf")
        print(
            f"CBC textbook model ({args.reference_time_limit:g} s cap): {cbc_best} at the best"
            f" known, {cbc_proven} proven optimal, {cbc_in} within {pct(args.target_gap)};"
            f" {cbc_total:.1f} s wall, {cbc_cpu:.1f} s CPU; worst final gap {pct(cbc_worst)}"
        )
        print(
            f"RATIO planner vs CBC (same run): {ratio:.1f}x faster in wall time, {cpu_ratio:.1f}x"
            f" in CPU time; time to within {pct(args.target_gap)} of the best known:"
            f" {ours_t:.1f} s vs {'>=' if cbc_in < in_target else ''}{cbc_t:.1f} s ="
            f" {tt_ratio:.1f}x"
        )
        summary.update(
            reference_time_limit_s=args.reference_time_limit,
            cbc_at_best=cbc_best,
            cbc_proven=cbc_proven,
            cbc_within_target=cbc_in,
            cbc_time_s=round(cbc_total, 2),
            cbc_cpu_s=round(cbc_cpu, 2),
            cbc_worst_gap=finite(cbc_worst),
            speedup_vs_cbc=round(ratio, 2),
            cpu_speedup_vs_cbc=round(cpu_ratio, 2),
            time_to_target_speedup_vs_cbc=round(tt_ratio, 2),
        )
    result = {
        "command": "python benchmarks/sscflp.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "folder": str(folder),
        "on": date.today().isoformat(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "wall_s": round(wall, 1),
        "summary": summary,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
