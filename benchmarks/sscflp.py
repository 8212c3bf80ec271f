"""SSCFLP instances with published optima through the planner's solver, against a textbook model.

    python benchmarks/sscflp.py [FOLDER] [--time-limit S] [--backend highs|cpsat|scip|cbc]
                                [--reference-time-limit S] [--only p1,p2] [--out FILE]

FOLDER holds instances in the format of ../shared/benchmarks/sscflp-holmberg (see its README)
and an ``os`` file of optima, one per line in the order of the instance numbers. Each instance
is loaded into the planner's own PlanProblem and solved by ``routing.solver.solve``; in the
same run the plain PuLP/CBC model (``Backend.CBC``) solves it too. Prints instance, size,
optimum, found, gap to the optimum, proven, time, then totals and the time ratio; writes JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.plan_model import PlanResult, load_optima, load_sscflp  # noqa: E402
from routing.solver import Backend, solve  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "benchmarks" / "sscflp-holmberg"


def instances(folder: Path) -> list[tuple[int, Path]]:
    found = []
    for p in folder.iterdir():
        m = re.fullmatch(r"[A-Za-z]*(\d+)", p.name)
        if m and p.is_file():
            found.append((int(m.group(1)), p))
    return sorted(found)


def gap_to(optimum: int, r: PlanResult) -> float | None:
    if r.objective is None:
        return None
    return (r.objective - optimum) / max(1, abs(optimum))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    ap.add_argument("--time-limit", type=float, default=60.0, help="per instance, planner")
    ap.add_argument("--backend", default="highs")
    ap.add_argument("--reference-time-limit", type=float, default=60.0, help="per instance, CBC")
    ap.add_argument("--no-reference", action="store_true", help="skip the PuLP/CBC model")
    ap.add_argument("--only", help="comma-separated instance names, e.g. p1,p2")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sscflp.json")
    args = ap.parse_args(argv)
    folder: Path = args.folder
    optima = load_optima(folder / "os")
    chosen = instances(folder)
    if args.only:
        names = set(args.only.split(","))
        chosen = [(n, p) for n, p in chosen if p.name in names]
    backend = Backend[args.backend.upper()]
    rows = []
    header = (
        f"{'instance':<9} {'size':>8} {'optimum':>9} {'found':>9} {'gap':>8} {'proven':>6}"
        f" {'time s':>7} | {'CBC found':>9} {'CBC gap':>8} {'CBC s':>7}"
    )
    print(header)
    for number, path in chosen:
        if number > len(optima):
            print(f"{path.name}: no optimum in {folder / 'os'} (line {number}); skipped")
            continue
        optimum = optima[number - 1]
        problem = load_sscflp(path)
        ours = solve(problem, time_limit_s=args.time_limit, backend=backend)
        ref = None
        if not args.no_reference:
            ref = solve(problem, time_limit_s=args.reference_time_limit, backend=Backend.CBC)
        size = f"{len(problem.facilities)}x{len(problem.classes)}"
        g = gap_to(optimum, ours)
        rg = gap_to(optimum, ref) if ref else None
        row = {
            "instance": path.name,
            "size": size,
            "optimum": optimum,
            "found": ours.objective,
            "gap_to_optimum": g,
            "proven": ours.proven,
            "time_s": round(ours.wall_time_s, 3),
            "cbc_found": ref.objective if ref else None,
            "cbc_gap_to_optimum": rg,
            "cbc_proven": ref.proven if ref else None,
            "cbc_time_s": round(ref.wall_time_s, 3) if ref else None,
        }
        rows.append(row)

        def pct(x: float | None) -> str:
            return "n/a" if x is None else f"{100 * x:.3f}%"

        print(
            f"{path.name:<9} {size:>8} {optimum:>9} {ours.objective or '-':>9} {pct(g):>8}"
            f" {'yes' if ours.proven else 'no':>6} {ours.wall_time_s:>7.2f} |"
            + (f" {ref.objective or '-':>9} {pct(rg):>8} {ref.wall_time_s:>7.2f}" if ref else ""),
            flush=True,
        )
    total = sum(r["time_s"] for r in rows)  # type: ignore[misc]
    proven = sum(1 for r in rows if r["proven"])
    exact = sum(1 for r in rows if r["found"] == r["optimum"])
    print(f"TOTAL {len(rows)} instances: {exact} at the optimum, {proven} proven, {total:.1f} s")
    summary: dict[str, object] = {"instances": len(rows), "at_optimum": exact, "proven": proven}
    summary["time_s"] = round(total, 2)
    if not args.no_reference and rows:
        cbc_total = sum(r["cbc_time_s"] for r in rows)  # type: ignore[misc]
        cbc_exact = sum(1 for r in rows if r["cbc_found"] == r["optimum"])
        ratio = cbc_total / total if total else float("inf")
        print(
            f"CBC textbook model: {cbc_exact} at the optimum, {cbc_total:.1f} s;"
            f" planner is {ratio:.1f}x faster"
        )
        summary.update(cbc_time_s=round(cbc_total, 2), cbc_at_optimum=cbc_exact)
        summary["speedup_vs_cbc"] = round(ratio, 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
