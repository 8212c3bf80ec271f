"""SSCFLP instances with published optima through the planner's solver, against a textbook model.

    python benchmarks/sscflp.py [FOLDER] [--time-limit S] [--backend auto|highs|scip|cpsat|cbc]
                                [--reference-time-limit S] [--no-reference] [--only p1,p2]
                                [--out FILE]

FOLDER holds instances in the format of ../shared/benchmarks/sscflp-holmberg (see its README:
``m n``, m lines ``s_i f_i``, n demands, m*n facility-major costs; CRLF or LF, trailing dots)
and an ``os`` file of optima, one per line in the order of the instance numbers. Each instance
is loaded into the planner's own PlanProblem and solved by ``routing.solver.solve`` (default
backend: the planner's default, AUTO). In the same run the PuLP/CBC textbook model
(``Backend.CBC``, its own time limit; PuLP is the optional extra ``pip install 'reroute[cbc]'``,
without it pass ``--no-reference``) solves it too. Prints instance, size (m x n), optimum,
found, gap to the optimum, proven, time, and the same for CBC; then the totals (proven count,
time), the ratio of total times and both worst final gaps; writes the rows and the summary as
JSON (default benchmarks/results/sscflp.json). Times are wall clock; the machine is shared, so
compare the two columns of one run, never runs on different days.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.errors import SolverNotInstalled  # noqa: E402
from routing.solver import (  # noqa: E402
    Backend,
    PlanResult,
    load_optima,
    load_sscflp,
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


def gap_to(optimum: int, r: PlanResult | None) -> float | None:
    if r is None or r.objective is None:
        return None
    return (r.objective - optimum) / max(1, abs(optimum))


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, default=None)
    ap.add_argument("--time-limit", type=float, default=60.0, help="per instance, planner")
    ap.add_argument("--backend", default="auto", help="auto (default), highs, scip, cpsat, cbc")
    ap.add_argument("--reference-time-limit", type=float, default=60.0, help="per instance, CBC")
    ap.add_argument("--no-reference", action="store_true", help="skip the PuLP/CBC model")
    ap.add_argument("--only", help="comma-separated instance names, e.g. p1,p2")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sscflp.json")
    args = ap.parse_args(argv)
    folder: Path = args.folder or default_folder()
    try:
        backend = Backend[args.backend.upper()]
    except KeyError:
        ap.error(f"--backend: one of {', '.join(b.value for b in Backend)}")
    reference = not args.no_reference
    try:
        require_backend(backend)
        if reference:
            require_backend(Backend.CBC)
    except SolverNotInstalled as exc:
        hint = " (or --no-reference to skip the CBC reference)" if reference else ""
        ap.error(f"{exc}{hint}")
    optima = load_optima(folder / "os")
    chosen = instances(folder)
    if args.only:
        names = set(args.only.split(","))
        unknown = names - {p.name for _, p in chosen}
        if unknown:
            ap.error(f"--only: no instance {', '.join(sorted(unknown))} in {folder}")
        chosen = [(n, p) for n, p in chosen if p.name in names]
    print(
        f"{'instance':<9} {'m x n':>7} {'optimum':>8} {'found':>8} {'to opt':>7} {'proven':>6}"
        f" {'time s':>7}"
        + (
            f" | {'CBC':>8} {'to opt':>7} {'proven':>6} {'gap':>7} {'time s':>7}"
            if reference
            else ""
        )
    )
    rows: list[dict[str, object]] = []
    started = time.perf_counter()
    for number, path in chosen:
        if number > len(optima):
            print(f"{path.name}: no optimum on line {number} of {folder / 'os'}; skipped")
            continue
        optimum = optima[number - 1]
        problem = load_sscflp(path)
        ours = solve(problem, time_limit_s=args.time_limit, backend=backend)
        ref = None
        if reference:
            ref = solve(problem, time_limit_s=args.reference_time_limit, backend=Backend.CBC)
        size = f"{len(problem.facilities)}x{len(problem.classes)}"
        row: dict[str, object] = {
            "instance": path.name,
            "size": size,
            "optimum": optimum,
            "found": ours.objective,
            "gap_to_optimum": gap_to(optimum, ours),
            "proven": ours.proven,
            "bound": ours.bound,
            "gap": finite(ours.gap),
            "time_s": round(ours.wall_time_s, 3),
            "how": ours.message,
        }
        line = (
            f"{path.name:<9} {size:>7} {optimum:>8} {ours.objective or '-':>8}"
            f" {pct(gap_to(optimum, ours)):>7} {'yes' if ours.proven else 'no':>6}"
            f" {ours.wall_time_s:>7.2f}"
        )
        if ref is not None:
            row.update(
                cbc_found=ref.objective,
                cbc_gap_to_optimum=gap_to(optimum, ref),
                cbc_proven=ref.proven,
                cbc_bound=ref.bound,
                cbc_gap=finite(ref.gap),
                cbc_time_s=round(ref.wall_time_s, 3),
            )
            line += (
                f" | {ref.objective or '-':>8} {pct(gap_to(optimum, ref)):>7}"
                f" {'yes' if ref.proven else 'no':>6} {pct(ref.gap):>7} {ref.wall_time_s:>7.2f}"
            )
        rows.append(row)
        print(line, flush=True)
    total = sum(_number(r["time_s"]) for r in rows)
    proven = sum(1 for r in rows if r["proven"])
    exact = sum(1 for r in rows if r["found"] == r["optimum"])
    worst = max((_gap(r["gap"]) for r in rows), default=0.0)
    print(
        f"TOTAL {len(rows)} instances ({backend.value}): {exact} at the optimum, {proven} proven"
        f" optimal, {total:.1f} s, worst final gap {pct(worst)}"
    )
    summary: dict[str, object] = {
        "instances": len(rows),
        "backend": backend.value,
        "time_limit_s": args.time_limit,
        "at_optimum": exact,
        "proven": proven,
        "time_s": round(total, 2),
        "worst_gap": finite(worst),
    }
    if reference and rows:
        cbc_total = sum(_number(r["cbc_time_s"]) for r in rows)
        cbc_exact = sum(1 for r in rows if r["cbc_found"] == r["optimum"])
        cbc_proven = sum(1 for r in rows if r["cbc_proven"])
        cbc_worst = max(_gap(r["cbc_gap"]) for r in rows)
        ratio = cbc_total / total if total else float("inf")
        print(
            f"CBC textbook model ({args.reference_time_limit:g} s cap): {cbc_exact} at the optimum,"
            f" {cbc_proven} proven optimal, {cbc_total:.1f} s, worst final gap {pct(cbc_worst)};"
            f" planner {ratio:.1f}x faster in total"
        )
        summary.update(
            reference_time_limit_s=args.reference_time_limit,
            cbc_at_optimum=cbc_exact,
            cbc_proven=cbc_proven,
            cbc_time_s=round(cbc_total, 2),
            cbc_worst_gap=finite(cbc_worst),
            speedup_vs_cbc=round(ratio, 2),
        )
    result = {
        "command": "python benchmarks/sscflp.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "folder": str(folder),
        "on": date.today().isoformat(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "wall_s": round(time.perf_counter() - started, 1),
        "summary": summary,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
