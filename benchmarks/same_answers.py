"""Same answers before and after: decisions, Holmberg plans and a batch plan, git ref vs tree.

A check for refactors that must not change behaviour (modules of ``routing`` moved into
subpackages, say). "Before" is ``routing``, ``customs`` and ``hubs`` at a git ref (default
``HEAD``, extracted with ``git archive``), "after" is the working tree; each side runs this
script as a worker (``--worker ROOT``) in its own fresh process, one after the other, and
prints what it computed as JSON:

- decisions: ``--returns`` generated returns (seed 7, from 2026-11-02) on the embedded default
  network, each routed with ``max_alternatives`` 0 and 5 (``Router.route``, its defaults: the
  split model on) by a Router built as ``same_run.load`` builds it (rate cards compiled on
  2026-11-22); a sha256 per answer of its wire form (``decision_to_proto``, deterministic
  serialization, the random ``decision_id`` replaced by ``d<i>-<alternatives>``), or of the
  error's class and message for a domain error;
- holmberg: the SSCFLP instances p1..p12 of the folder ``benchmarks/sscflp.py`` finds by
  default, through the planner's solver (AUTO, ``--time-limit``): objective, status, bound and
  a sha256 of the assignment;
- batch: ``--batch`` generated returns planned as ``reroute generate-returns N --seed 7 --start
  2026-11-02 --out batch.csv`` then ``reroute plan batch.csv --time-limit S`` do (the CSV
  round trip, default PlanConfig of the CLI, the process-pool executor, AUTO, gap limit 0),
  with the Router above: rate cards of a fixed day, where the CLI takes today's. Objective,
  status, bound and the option each return got.

A worker finds every name it needs through ``NAMES`` (candidate modules, the new layout first,
the one before the move last), so the same script runs on both sides of a move; update the
table when modules move elsewhere. A worker imports ``routing``, ``customs`` and ``hubs`` from
its ROOT only (an import hook: the editable install would otherwise fill a module missing at
ROOT from the working tree); the ``reroute.v1`` bindings are the installed ones on both sides.

    python benchmarks/same_answers.py                                  # HEAD vs working tree
    python benchmarks/same_answers.py --returns 300 --batch 1000       # a quick check
    python benchmarks/same_answers.py --baseline HEAD~1 --only decisions,batch --out FILE

Prints, per part, how many answers are identical, the first differing returns with the fields
that differ (decoded), the Holmberg objectives, statuses and assignments per instance, the batch
objective, status and per-return choices, and each side's time; writes the comparison as JSON
(default benchmarks/results/same_answers.json). A different decision, objective, or error
fails (and for the batch a different count of returns, units, classes or unroutable returns);
a different assignment at an equal objective (a tie among equal-cost optima), status or bound
(a time limit reached on one side only) is reported but does not. With the default time limit
every plan is proven optimal with a wide margin: a shorter one makes statuses and bounds depend
on the machine's speed. Exit status 0 when the answers are the same, 1 otherwise (also when a
worker fails, e.g. on a name NAMES does not find: the message names it and the modules tried).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# name -> modules that may define it, tried in order: the new layout first, the old one last
NAMES: dict[str, tuple[str, ...]] = {
    "default_network": ("hubs",),
    "default_engine": ("customs",),
    "default_fx": ("customs",),
    "to_minor": ("customs.fx",),
    "RerouteError": ("routing.errors",),
    "Router": ("routing.decide.router", "routing.engine"),
    "generate_returns": ("routing.batches.generate", "routing.generate"),
    "write_batch": ("routing.batches.io", "routing.batch_io"),
    "read_batch": ("routing.batches.io", "routing.batch_io"),
    "decision_to_proto": ("routing.rpc.wire.decisions", "routing.convert"),
    "load_sscflp": ("routing.solver.instances", "routing.solver.problem", "routing.plan_model"),
    "solve": ("routing.solver",),
    "Backend": ("routing.solver",),
    "plan_batch": ("routing.plan.planner", "routing.planner"),
    "PlanConfig": ("routing.plan.planner", "routing.planner"),
    "make_executor": ("routing.plan.executor", "routing.executor"),
}

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # appended: a worker's ROOT goes first (and spawned children
    sys.path.append(str(ROOT))  # of a worker re-run this module with the worker's sys.path)

from benchmarks import same_run  # noqa: E402  (imports none of the packages compared)

RESULTS = ROOT / "benchmarks" / "results" / "same_answers.json"
PARTS = ("decisions", "holmberg", "batch")
ALTERNATIVES = (0, 5)
SEED = 7
HOLMBERG = tuple(f"p{n}" for n in range(1, 13))
HOLMBERG_FOLDERS = (  # as benchmarks/sscflp.py looks for them (it imports routing: not here)
    ROOT.parent / "shared" / "benchmarks" / "sscflp-holmberg",
    Path("/work/shared/benchmarks/sscflp-holmberg"),
)
TIMING = "timing (a time limit reached on one side only), not a failure"
UNPROVEN = " (not proven on both sides: may be timing; try a longer --time-limit)"
SHOWN = 3  # differing returns (or instances) shown in detail
FIELDS_SHOWN = 8  # differing fields shown per answer

Figures = dict[str, Any]


# -- worker: the packages of one ROOT, and the names of NAMES -------------------------------


class Names:
    """The objects of NAMES, imported from one ROOT."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.found: dict[str, str] = {}  # name -> the module it came from

    def __getattr__(self, name: str) -> Any:
        if name not in NAMES:
            raise AttributeError(name)
        try:
            value, candidate = same_run.find(name, *NAMES[name])
        except LookupError as exc:
            raise SystemExit(
                f"same_answers: {exc} under {self.root}"
                " (update NAMES at the top of benchmarks/same_answers.py)"
            ) from None
        module = sys.modules[candidate]
        where = Path(module.__file__ or "").resolve()
        if not where.is_relative_to(self.root):
            raise SystemExit(f"{candidate} was imported from {where}, not from {self.root}")
        self.found[name] = candidate
        setattr(self, name, value)  # found once
        return value


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _router(n: Names, network: Any) -> Any:
    """The Router of ``same_run.load``: default customs engine and FX, a fixed compile day."""
    return n.Router(network, n.default_engine(), n.default_fx(), compiled_on=same_run.COMPILED_ON)


def _answers(n: Names, router: Any, ret: Any, i: int) -> dict[int, Any]:
    """Per ``max_alternatives``: the Decision (its id made ``d<i>-<alternatives>``), or the
    domain error raised."""
    out: dict[int, Any] = {}
    for alts in ALTERNATIVES:
        r = dataclasses.replace(
            ret, constraints=dataclasses.replace(ret.constraints, max_alternatives=alts)
        )
        try:
            d = router.route(r)
        except n.RerouteError as exc:
            out[alts] = exc
        else:
            out[alts] = dataclasses.replace(d, decision_id=f"d{i}-{alts}")
    return out


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def decisions(n: Names, router: Any, network: Any, returns: int) -> Figures:
    hashes: dict[str, list[str]] = {str(a): [] for a in ALTERNATIVES}
    kinds: dict[str, int] = {}
    batch = n.generate_returns(returns, seed=SEED, network=network, start=same_run.START)
    for i, (_, ret) in enumerate(batch):
        for alts, got in _answers(n, router, ret, i).items():
            if isinstance(got, BaseException):
                digest, kind = _sha(_error(got)), type(got).__name__
            else:
                digest = _sha(n.decision_to_proto(got).SerializeToString(deterministic=True))
                kind = "split" if len(got.chosen.shipments) > 1 else "decided"
            hashes[str(alts)].append(digest)
            kinds[kind] = kinds.get(kind, 0) + 1
    return {"returns": returns, "kinds": dict(sorted(kinds.items())), "sha256": hashes}


def explain(n: Names, router: Any, network: Any, returns: int, wanted: set[int]) -> Figures:
    """The answers of the returns ``wanted`` (indices), decoded: the decision as JSON-shaped
    fields, or the error."""
    from google.protobuf import json_format

    out: Figures = {}
    batch = n.generate_returns(returns, seed=SEED, network=network, start=same_run.START)
    for i, (return_id, ret) in enumerate(batch):
        if i > max(wanted):
            break
        if i not in wanted:
            continue
        for alts, got in _answers(n, router, ret, i).items():
            out[f"{i}/{alts}"] = (
                {"error": _error(got)}
                if isinstance(got, BaseException)
                else {"return_id": return_id}
                | json_format.MessageToDict(
                    n.decision_to_proto(got), preserving_proto_field_name=True
                )
            )
    return out


def holmberg(n: Names, folder: Path, names: Sequence[str], time_limit: float) -> Figures:
    out: Figures = {}
    for name in names:
        problem = n.load_sscflp(folder / name)
        r = n.solve(problem, time_limit_s=time_limit, backend=n.Backend.AUTO)
        assignment = None if r.assignment is None else [list(map(list, c)) for c in r.assignment]
        out[name] = {
            "objective": r.objective,
            "status": r.status.value,
            "proven": r.proven,
            "bound": r.bound,
            "assignment_sha256": _sha(json.dumps(assignment)),
            "assignment": assignment,
            "backend": r.backend,
            "wall_s": round(r.wall_time_s, 3),
        }
    return out


def batch_plan(n: Names, router: Any, network: Any, returns: int, time_limit: float) -> Figures:
    """``reroute generate-returns`` then ``reroute plan`` (``cmd_plan`` of
    routing/cli/batch_cmd.py, its defaults but ``--time-limit``), with ``router``."""
    started = time.perf_counter()
    origins = frozenset(f.id for f in network.facilities.values() if f.kind.value == "origin")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.csv"
        n.write_batch(
            path, n.generate_returns(returns, seed=SEED, network=network, start=same_run.START)
        )
        batch = n.read_batch(path, skip_invalid=False, known_origins=origins)
    config = n.PlanConfig(
        horizon_days=7,
        time_limit_s=time_limit,
        allow_overflow=False,
        overflow_price_minor=n.to_minor("50.00", network.currency),
    )
    run = functools.partial(n.solve, backend=n.Backend.AUTO, gap_limit=0.0)
    progress: list[Any] = []  # as the CLI's progress printer, without printing
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    try:
        with n.make_executor(None, None) as executor:
            plan = n.plan_batch(
                router,
                batch.returns,
                config,
                solve=run,
                on_progress=progress.append,
                executor=executor,
                workers=None,
            )
    except n.RerouteError as exc:
        return {"returns": len(batch.returns), "error": _error(exc), "read_s": round(read_s, 2)}
    r = plan.result
    chosen = {
        a.return_id: f"{a.option}|{a.facility_id}|{a.lane_id}|{a.cost_minor}|{a.units}"
        for a in plan.assignments
    }
    return {
        "returns": plan.returns,
        "units": plan.units,
        "classes": plan.classes,
        "objective": r.objective,
        "status": r.status.value,
        "proven": r.proven,
        "bound": r.bound,
        "backend": r.backend,
        "overflow_units": plan.overflow_units,
        "unroutable": [list(u) for u in plan.unroutable],
        "assignment_sha256": _sha(json.dumps(chosen, sort_keys=True)),
        "chosen": chosen,
        "read_s": round(read_s, 2),
        "plan_s": round(time.perf_counter() - started, 2),
        "solve_s": round(r.wall_time_s, 2),
    }


def worker(args: argparse.Namespace) -> None:
    """Compute the parts of ``--only`` with the packages of ``--worker ROOT``; print JSON."""
    root = Path(args.worker).resolve()
    sys.path.insert(0, str(root))
    sys.meta_path.insert(0, same_run.OnlyRoot(root))
    out = os.fdopen(os.dup(1), "w")  # the figures; solvers and children print to stderr
    os.dup2(2, 1)
    n = Names(root)
    for name in NAMES:  # all found before anything runs, or a message naming what is not
        getattr(n, name)
    network = n.default_network()
    router = _router(n, network)
    figures: Figures = {"root": str(root)}
    if args.explain:
        wanted = {int(i) for i in args.explain.split(",")}
        figures["explain"] = explain(n, router, network, args.returns, wanted)
    else:
        for part in args.only:
            started = time.perf_counter()
            if part == "decisions":
                figures[part] = decisions(n, router, network, args.returns)
            elif part == "holmberg":
                figures[part] = {
                    "instances": holmberg(n, args.folder, args.instances, args.time_limit)
                }
            else:
                figures[part] = batch_plan(n, router, network, args.batch, args.time_limit)
            figures[part]["seconds"] = round(time.perf_counter() - started, 2)
    figures["resolved"] = dict(sorted(n.found.items()))
    modules = sorted(m for m in sys.modules if m.partition(".")[0] in same_run.PACKAGES)
    strays = [
        m
        for m in modules
        if getattr(sys.modules[m], "__file__", None)
        and not Path(sys.modules[m].__file__ or "").resolve().is_relative_to(root)
    ]
    if strays:
        raise SystemExit(f"imported from outside {root}: {', '.join(strays)}")
    json.dump(figures, out)
    out.close()


# -- parent: run both sides, compare -------------------------------------------------------


def run_worker(root: Path, args: argparse.Namespace, extra: Sequence[str] = ()) -> Figures:
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker", str(root)]
    argv += ["--returns", str(args.returns), "--batch", str(args.batch)]
    argv += ["--time-limit", str(args.time_limit), "--only", ",".join(args.only)]
    argv += ["--folder", str(args.folder), "--instances", ",".join(args.instances), *extra]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=root, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-25:])
        raise WorkerFailed(f"worker on {root} exited with {done.returncode}:\n{tail}")
    figures: Figures = json.loads(done.stdout)
    return figures


class WorkerFailed(Exception):
    pass


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    """JSON-shaped ``value`` as {dotted path: leaf}."""
    if isinstance(value, dict):
        return {k: v for key, x in value.items() for k, v in _flat(x, f"{path}.{key}").items()}
    if isinstance(value, list):
        return {k: v for i, x in enumerate(value) for k, v in _flat(x, f"{path}[{i}]").items()}
    return {path.lstrip("."): value}


def field_differences(before: Any, after: Any) -> list[str]:
    a, b = _flat(before), _flat(after)
    lines = [
        f"{k}: {a.get(k, '(absent)')!r} -> {b.get(k, '(absent)')!r}"
        for k in sorted(a.keys() | b.keys())
        if a.get(k, "(absent)") != b.get(k, "(absent)")
    ]
    if len(lines) > FIELDS_SHOWN:
        lines = [*lines[:FIELDS_SHOWN], f"... {len(lines) - FIELDS_SHOWN} more fields"]
    return lines


def differing_answers(before: Figures, after: Figures) -> list[tuple[int, int]]:
    """(return index, max_alternatives) of the answers whose hashes differ, in order."""
    return sorted(
        (i, int(alts))
        for alts, hashes in after["sha256"].items()
        for i, (x, y) in enumerate(zip(before["sha256"][alts], hashes, strict=True))
        if x != y
    )


def compare_decisions(
    before: Figures, after: Figures, explained: Figures | None, out: list[str]
) -> tuple[Figures, bool]:
    differing = differing_answers(before, after)
    total = sum(len(hashes) for hashes in after["sha256"].values())
    per_setting = {str(a): sum(1 for _, x in differing if x == a) for a in ALTERNATIVES}
    row: Figures = {
        "returns": after["returns"],
        "answers": total,
        "identical": total - len(differing),
        "differing_by_max_alternatives": per_setting,
        "kinds_before": before["kinds"],
        "kinds_after": after["kinds"],
        "seconds_before": before["seconds"],
        "seconds_after": after["seconds"],
    }
    out.append(
        f"decisions: {after['returns']} returns x max_alternatives"
        f" {','.join(map(str, ALTERNATIVES))}: {total - len(differing)}/{total} answers identical"
        f"  [before {before['seconds']:.1f} s, after {after['seconds']:.1f} s]"
    )
    for side, figures in (("before", before), ("after", after)):
        if side == "after" or before["kinds"] != after["kinds"]:
            kinds = ", ".join(f"{k} {v}" for k, v in figures["kinds"].items())
            out.append(f"  answers {side}: {kinds}")
    if not differing:
        return row, True
    out.append(
        "  differing: "
        + ", ".join(f"{n} at max_alternatives={a}" for a, n in per_setting.items() if n)
        + f"; returns {', '.join(str(i) for i in sorted({i for i, _ in differing})[:20])}"
    )
    shown: list[Figures] = []
    for i, alts in differing:
        key = f"{i}/{alts}"
        if explained is None or key not in explained["before"]:
            continue
        was, now = explained["before"][key], explained["after"][key]
        lines = field_differences(was, now) or [
            "(the same decoded fields: only the serialized bytes differ)"
        ]
        rid = now.get("return_id") or was.get("return_id") or ""
        out.append(f"  return {i} {rid} max_alternatives={alts}:")
        out.extend(f"    {line}" for line in lines)
        shown.append({"index": i, "max_alternatives": alts, "differences": lines})
    row["first_differing"] = [list(d) for d in differing[:20]]
    row["shown"] = shown
    return row, False


def compare_holmberg(before: Figures, after: Figures, out: list[str]) -> tuple[Figures, bool]:
    rows: list[Figures] = []
    details: list[str] = []
    was_all, now_all = before["instances"], after["instances"]
    for name, now in now_all.items():
        was = was_all[name]
        moved = None
        if was["assignment"] and now["assignment"]:
            pairs = zip(was["assignment"], now["assignment"], strict=True)
            moved = sum(x != y for x, y in pairs)
        row: Figures = {
            "instance": name,
            "objective_identical": was["objective"] == now["objective"],
            "status_identical": was["status"] == now["status"],
            "assignment_identical": was["assignment_sha256"] == now["assignment_sha256"],
            "customers_assigned_differently": moved,
        }
        for key in ("objective", "status", "bound", "backend", "wall_s"):
            row[f"{key}_before"], row[f"{key}_after"] = was[key], now[key]
        rows.append(row)
        if not row["objective_identical"]:
            verdict = "DIFFERENT" + ("" if was["proven"] and now["proven"] else UNPROVEN)
        elif not row["status_identical"]:
            verdict = TIMING
        elif not row["assignment_identical"]:
            verdict = "tie: an equal-cost assignment, not a failure"
        else:
            continue
        details.append(
            f"  {name}: objective {was['objective']} -> {now['objective']}, status"
            f" {was['status']} -> {now['status']}, bound {was['bound']} -> {now['bound']},"
            + (
                " assignment identical"
                if row["assignment_identical"]
                else f" {moved} customers assigned differently"
            )
            + f": {verdict}"
        )
    k = len(rows)
    count = {
        key: sum(1 for r in rows if r[f"{key}_identical"])
        for key in ("objective", "status", "assignment")
    }
    proven = (
        sum(1 for r in was_all.values() if r["proven"]),
        sum(1 for r in now_all.values() if r["proven"]),
    )
    out.append(
        f"holmberg: {k} instances: objectives identical {count['objective']}/{k}, statuses"
        f" {count['status']}/{k}, assignments {count['assignment']}/{k}; proven optimal"
        f" {proven[0]} before, {proven[1]} after"
        f"  [before {before['seconds']:.1f} s, after {after['seconds']:.1f} s]"
    )
    out.extend(details)
    figures: Figures = {
        "instances": k,
        "objectives_identical": count["objective"],
        "statuses_identical": count["status"],
        "assignments_identical": count["assignment"],
        "proven_before": proven[0],
        "proven_after": proven[1],
        "seconds_before": before["seconds"],
        "seconds_after": after["seconds"],
        "rows": rows,
    }
    return figures, count["objective"] == k


def compare_batch(before: Figures, after: Figures, out: list[str]) -> tuple[Figures, bool]:
    times = f"  [before {before['seconds']:.1f} s, after {after['seconds']:.1f} s]"
    figures: Figures = {"seconds_before": before["seconds"], "seconds_after": after["seconds"]}
    if "error" in before or "error" in after:
        same = before.get("error") == after.get("error")
        out.append(f"batch: {after['returns']} returns: no plan" + times)
        out.append(f"  before: {before.get('error', 'a plan')}")
        out.append(f"  after:  {after.get('error', 'a plan')}")
        figures |= {"error_before": before.get("error"), "error_after": after.get("error")}
        return figures, same
    keys = ("returns", "units", "classes", "unroutable", "objective", "status", "bound")
    for key in (*keys, "backend", "overflow_units", "solve_s", "plan_s", "read_s"):
        figures[f"{key}_before"], figures[f"{key}_after"] = before[key], after[key]
    was, now = before["chosen"], after["chosen"]
    moved = sorted(r for r in was.keys() | now.keys() if was.get(r) != now.get(r))
    figures["returns_chosen_differently"] = len(moved)
    failed = [k for k in keys[:5] if before[k] != after[k]]
    figures["differing"] = failed
    out.append(
        f"batch: {after['returns']} returns, {after['units']} units, {after['classes']} classes:"
        f" objective {before['objective']} -> {after['objective']}, status {before['status']}"
        f" -> {after['status']} ({after['backend']}); per-return choices identical"
        f" {len(now) - len(moved)}/{len(now)}" + times
    )
    if failed:
        unproven = "" if before["proven"] and after["proven"] else UNPROVEN
        out.append(
            "  DIFFERENT: " + ", ".join(f"{k} {before[k]} -> {after[k]}" for k in failed) + unproven
        )
    elif before["status"] != after["status"]:
        out.append(f"  status {before['status']} -> {after['status']}: {TIMING}")
    elif before["bound"] != after["bound"]:
        out.append(
            f"  bound {before['bound']} -> {after['bound']} (unproven: timing, not a failure)"
        )
    if moved:
        if not failed:
            out.append("  tie: equal objective, different choices (not a failure)")
        for r in moved[:SHOWN]:
            out.append(f"  {r}: {was.get(r)} -> {now.get(r)}")
        figures["first_chosen_differently"] = {r: [was.get(r), now.get(r)] for r in moved[:20]}
    return figures, not failed


# -- the command ---------------------------------------------------------------------------


def _parts(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown or not parts:
        raise argparse.ArgumentTypeError(f"one or more of {','.join(PARTS)}")
    return [p for p in PARTS if p in parts]


def _rev(ref: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--baseline", default="HEAD", help="git ref of 'before' (default HEAD)")
    ap.add_argument("--returns", type=int, default=5000, help="returns decided (default 5000)")
    ap.add_argument("--batch", type=int, default=10_000, help="returns planned (default 10000)")
    ap.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="solver seconds per Holmberg instance and for the batch (default 60)",
    )
    ap.add_argument("--only", type=_parts, default=list(PARTS), help=",".join(PARTS))
    ap.add_argument("--folder", type=Path, help="Holmberg instances (default: sscflp.py's)")
    ap.add_argument(
        "--instances",
        type=lambda s: [x for x in s.split(",") if x],
        default=list(HOLMBERG),
        help="comma-separated (default p1..p12)",
    )
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"default {_shown(RESULTS)}")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--explain", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.returns < 1 or args.batch < 1 or not args.time_limit > 0:
        ap.error("--returns and --batch must be >= 1, --time-limit > 0")
    if args.folder is None:
        found = [f for f in HOLMBERG_FOLDERS if (f / "os").exists()]
        args.folder = found[0] if found else HOLMBERG_FOLDERS[0]
    if "holmberg" in args.only and not args.worker:
        missing = [i for i in args.instances if not (args.folder / i).is_file()]
        if missing:
            ap.error(f"--folder {args.folder}: no instance {', '.join(missing)}")
    if not args.worker and not _rev(args.baseline):
        ap.error(f"--baseline: {args.baseline!r} is not a commit of {ROOT}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.worker:
        worker(args)
        return 0
    print(
        f"same answers: {args.baseline} ({_rev(args.baseline)[:10]}) as before, the working"
        f" tree {ROOT} as after; {', '.join(args.only)}",
        flush=True,
    )
    sides: dict[str, Figures] = {}
    wall: dict[str, float] = {}
    explained: Figures | None = None
    with tempfile.TemporaryDirectory(prefix="same_answers_") as tmp:
        same_run._extract(args.baseline, Path(tmp))
        roots = {"before": Path(tmp), "after": ROOT}
        try:
            for side, root in roots.items():
                started = time.perf_counter()
                sides[side] = run_worker(root, args)
                wall[side] = round(time.perf_counter() - started, 1)
                print(f"  {side}: {wall[side]:.1f} s", flush=True)
            if "decisions" in args.only:
                differing = differing_answers(
                    sides["before"]["decisions"], sides["after"]["decisions"]
                )
                if differing:
                    first = sorted({i for i, _ in differing})[:SHOWN]
                    explained = {
                        side: run_worker(root, args, ["--explain", ",".join(map(str, first))])[
                            "explain"
                        ]
                        for side, root in roots.items()
                    }
        except WorkerFailed as exc:
            print(f"FAILED: {exc}")
            return 1
    out: list[str] = []
    resolved = {
        name: (sides["before"]["resolved"].get(name), module)
        for name, module in sides["after"]["resolved"].items()
    }
    moved = [f"  {k}: {a} -> {b}" for k, (a, b) in resolved.items() if a != b]
    out.append("names: " + ("found in other modules:" if moved else "found in the same modules"))
    out.extend(moved)
    row: Figures = {
        "command": "python " + " ".join(sys.argv),
        "baseline": args.baseline,
        "baseline_commit": _rev(args.baseline),
        "after": str(ROOT),
        "returns": args.returns,
        "batch_returns": args.batch,
        "seed": SEED,
        "time_limit_s": args.time_limit,
        "only": args.only,
        "holmberg_folder": str(args.folder),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "wall_s": wall,
        "resolved": {k: {"before": a, "after": b} for k, (a, b) in resolved.items()},
    }
    failed: list[str] = []
    for part in args.only:
        before, after = sides["before"][part], sides["after"][part]
        if part == "decisions":
            row[part], ok = compare_decisions(before, after, explained, out)
        elif part == "holmberg":
            row[part], ok = compare_holmberg(before, after, out)
        else:
            row[part], ok = compare_batch(before, after, out)
        if not ok:
            failed.append(part)
    row["same"] = not failed
    row["different"] = failed
    out.append(
        f"DIFFERENT: {', '.join(failed)}"
        if failed
        else f"SAME: the working tree answers as {args.baseline} does"
    )
    print("\n".join(out))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(row, indent=2) + "\n")
    print(f"wrote {_shown(args.out)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
